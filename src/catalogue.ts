/** The event catalogue of the product document ("Step 4: Event Subscription"). */
export const EVENT_GROUPS = ["verification", "workflow", "billing", "system"] as const;

export const EVENT_TYPES = [
  { name: "verification.started", group: "verification", description: "Verification request received" },
  { name: "verification.completed", group: "verification", description: "Verification succeeded" },
  { name: "verification.failed", group: "verification", description: "Verification failed" },
  { name: "verification.timeout", group: "verification", description: "Verification timed out" },
  { name: "verification.review_required", group: "verification", description: "Manual review needed" },
  { name: "workflow.created", group: "workflow", description: "New workflow created" },
  { name: "workflow.updated", group: "workflow", description: "Workflow modified" },
  { name: "workflow.activated", group: "workflow", description: "Workflow activated" },
  { name: "workflow.deactivated", group: "workflow", description: "Workflow deactivated" },
  { name: "units.low_balance", group: "billing", description: "Credits below threshold" },
  { name: "units.depleted", group: "billing", description: "Credits exhausted" },
  { name: "webhook.delivery.failed", group: "system", description: "Webhook delivery failed" },
  { name: "client.credits.low", group: "system", description: "Client credits low" },
] as const satisfies readonly { name: string; group: (typeof EVENT_GROUPS)[number]; description: string }[];

export type EventName = (typeof EVENT_TYPES)[number]["name"];
export const EVENT_NAMES = EVENT_TYPES.map((e) => e.name) as [EventName, ...EventName[]];
export const isEventName = (name: string): name is EventName => (EVENT_NAMES as string[]).includes(name);

/** Announced when a delivery fails for good; never announced about its own failed deliveries. */
export const DELIVERY_FAILED_EVENT: EventName = "webhook.delivery.failed";
