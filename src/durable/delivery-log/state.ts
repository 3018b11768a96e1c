import type { DeliveryState, LogScope } from "../../storage/contract";
import { unpackKeys } from "./keys";
import type { DeliveryRow } from "./schema";

/** The stored row as the contract's DeliveryState: the organisation and webhook are the partition's. */
export const toState = (scope: LogScope, r: DeliveryRow): DeliveryState => ({
  id: r.id,
  organisation_id: scope.organisationId,
  webhook_id: scope.webhookId,
  revision_id: r.revision_id,
  event_id: r.event_id,
  event: r.event,
  status: r.status,
  attempts: r.attempts,
  last_attempt: r.last_attempt,
  next_attempt_at: r.next_attempt_at,
  test: r.test,
  call: r.call,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

export type { AttemptKey } from "./keys";
export const keysOf = (r: Pick<DeliveryRow, "attempt_keys">) => unpackKeys(r.attempt_keys);
