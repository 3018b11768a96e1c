import type { Env } from "../env";

/** The Durable Object of one webhook, named from organisation and webhook. */
export const healthStub = (env: Env, organisationId: number, webhookId: string) =>
  env.WEBHOOK_HEALTH.get(env.WEBHOOK_HEALTH.idFromName(`${organisationId}:${webhookId}`));

export const resetFailures = (env: Env, organisationId: number, webhookId: string) =>
  healthStub(env, organisationId, webhookId).reset(organisationId, webhookId);

export const forgetHealth = (env: Env, organisationId: number, webhookId: string) => healthStub(env, organisationId, webhookId).forget();
