import { WorkerEntrypoint } from "cloudflare:workers";
import { runCheck } from "./checks/run-check";
import { acceptEvent } from "./delivery/accept-event";
import type { Env } from "./env";
import { ApiError, fromZodIssues } from "./errors";
import { CheckIn, type CheckOut } from "./schemas/check";
import { EventIn } from "./schemas/event";

/**
 * The ingest operation for internal Workers, over a service binding
 * (`services = [{ binding = "WEBHOOKS", service = "nafsi-webhooks", entrypoint = "EventsRpc" }]`).
 * Same validation and the same answers as POST /v1/events and POST /v1/checks; errors throw
 * with the API's error body as their message.
 */
export class EventsRpc extends WorkerEntrypoint<Env> {
  async publish(input: unknown): Promise<{ event_id: string; deliveries: number; skipped: number }> {
    const parsed = EventIn.safeParse(input);
    if (!parsed.success) throw new Error(JSON.stringify(fromZodIssues(parsed.error.issues).toJSON()));
    const { event_id, deliveries, skipped } = await acceptEvent(this.env, parsed.data, undefined, (p) => this.ctx.waitUntil(p));
    return { event_id, deliveries, skipped };
  }

  async check(input: unknown): Promise<CheckOut> {
    const parsed = CheckIn.safeParse(input);
    if (!parsed.success) throw new Error(JSON.stringify(fromZodIssues(parsed.error.issues).toJSON()));
    try {
      return await runCheck(this.env, parsed.data);
    } catch (err) {
      throw err instanceof ApiError ? new Error(JSON.stringify(err.toJSON())) : err;
    }
  }
}
