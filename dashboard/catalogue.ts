/** The event catalogue (GET /v1/event-types), read once per sign-in. */
import { api } from "./api";
import type { EventType } from "./types";

export const GROUP_LABEL: Record<EventType["group"], string> = {
  verification: "Verification Lifecycle Events",
  workflow: "Workflow Events",
  billing: "Billing Events",
  system: "System Events",
};

/** Ticked for a new webhook, as in the product document's example. */
export const DEFAULT_EVENTS = ["verification.started", "verification.completed", "verification.failed", "verification.timeout", "units.low_balance", "units.depleted"];

let cached: Promise<EventType[]> | null = null;

export function eventTypes(): Promise<EventType[]> {
  cached ??= api<{ data: EventType[] }>("GET", "/v1/event-types").then((r) => r.data);
  cached.catch(() => (cached = null));
  return cached;
}

export const forgetCatalogue = () => (cached = null);

export function byGroup(types: EventType[]): [EventType["group"], EventType[]][] {
  const groups = new Map<EventType["group"], EventType[]>();
  for (const t of types) groups.set(t.group, [...(groups.get(t.group) ?? []), t]);
  return [...groups];
}
