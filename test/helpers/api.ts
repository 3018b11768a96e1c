/** A small client for the worker under test (inside workerd), and factories. */
import { exports } from "cloudflare:workers";
import { expect } from "vitest";

export const ADMIN_TOKEN = "dev-admin-token";
export const INGEST_TOKEN = "dev-ingest-token";

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  token?: string | null;
  body?: unknown;
  /** Sent as is, instead of JSON-encoding `body`. */
  raw?: BodyInit;
  headers?: Record<string, string>;
}

export async function call<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let body: BodyInit | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["Content-Type"] ??= "application/json";
  }
  const res = await exports.default.fetch(new Request(`http://nafsi.test${path}`, { method, headers, body }));
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** Calls and asserts the status, showing the body when it differs. */
export async function expectStatus<T = any>(status: number, method: string, path: string, opts?: CallOptions): Promise<T> {
  const res = await call<T>(method, path, opts);
  expect(res.status, `${method} ${path} → ${JSON.stringify(res.body)}`).toBe(status);
  return res.body;
}

let orgCounter = 0;
export async function createOrganisation(name = `Org ${++orgCounter}`) {
  return expectStatus<{ id: number; api_key: string; name: string; notification_email: string }>(201, "POST", "/v1/organisations", {
    token: ADMIN_TOKEN,
    body: { name, notification_email: `ops+${orgCounter}@example.com` },
  });
}

export async function createWebhook(apiKey: string, fields: Record<string, unknown> = {}) {
  return expectStatus(201, "POST", "/v1/webhooks", {
    token: apiKey,
    body: {
      type: "event_notification",
      name: "Production Verification Webhook",
      url: "https://api.myapp.com/webhooks/nafsi",
      events: ["verification.completed"],
      ...fields,
    },
  });
}

export async function activate(apiKey: string, id: string) {
  return expectStatus(200, "POST", `/v1/webhooks/${id}/activate`, { token: apiKey });
}

export async function ingest(body: Record<string, unknown>) {
  return call("POST", "/v1/events", { token: INGEST_TOKEN, body });
}

export const sampleCompleted = {
  verification_id: "ver_xyz789",
  workflow_id: "wf_abc123",
  workflow_name: "Basic KYC",
  status: "success",
  confidence: 0.87,
};

/** Polls until `check` returns a value that is not undefined/false, or fails after `ms`. */
export async function waitFor<T>(check: () => Promise<T | undefined | false | null>, ms = 15_000, every = 100): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false && value !== null) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`waitFor timed out after ${ms} ms${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
