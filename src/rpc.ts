import { WorkerEntrypoint } from "cloudflare:workers";
import { acceptEvent } from "./delivery/accept-event";
import type { Env } from "./env";
import { fromZodIssues } from "./errors";
import { EventIn } from "./schemas/event";

/**
 * The ingest operation for internal Workers, over a service binding
 * (`services = [{ binding = "WEBHOOKS", service = "nafsi-webhooks", entrypoint = "EventsRpc" }]`).
 * Same validation and the same answer as POST /v1/events; errors throw with the API's message.
 */
export class EventsRpc extends WorkerEntrypoint<Env> {
  async publish(input: unknown): Promise<{ event_id: string; deliveries: number; skipped: number }> {
    const parsed = EventIn.safeParse(input);
    if (!parsed.success) throw new Error(JSON.stringify(fromZodIssues(parsed.error.issues).toJSON()));
    const { event_id, deliveries, skipped } = await acceptEvent(this.env, parsed.data);
    return { event_id, deliveries, skipped };
  }
}
