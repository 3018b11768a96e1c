/**
 * An event's fan-out as its row keeps it. The JSON of StoredFanout[] spells every key and the
 * delivery ids' time, which is the event's created_at (the shard assigns them as
 * newId("dlv", created_at)); this keeps only what cannot be derived, about half the bytes:
 *
 *   <p|s><webhook_id> <revision_id> <delivery id after its "dlv_" and 10 characters of time>
 *
 * entries joined by ",". The revision stays: a duplicate's completion creates missing
 * deliveries with the revision the first request fanned out to (src/delivery/accept-event.ts).
 * A fan-out this cannot say exactly (an id with a space or a comma, a delivery id of another
 * time) is kept as JSON instead, which starts with "[" where this starts with "p" or "s"; every
 * packing is decoded again before it is used, so what is stored always reads back the same.
 */
import { newId } from "../../lib/ids";
import type { StoredFanout } from "../../storage/contract";

/** "dlv_" and the 10 characters of time every delivery id of this instant starts with. */
const prefixOf = (createdAt: number) => newId("dlv", createdAt).slice(0, 14);

function compact(fanout: StoredFanout[], createdAt: number): string {
  const prefix = prefixOf(createdAt);
  return fanout
    .map((f) => `${f.status === "skipped" ? "s" : "p"}${f.webhook_id} ${f.revision_id} ${f.delivery_id.startsWith(prefix) ? f.delivery_id.slice(prefix.length) : "?"}`)
    .join(",");
}

function expand(packed: string, createdAt: number): StoredFanout[] {
  if (packed === "") return [];
  const prefix = prefixOf(createdAt);
  return packed.split(",").map((entry) => {
    const [webhook_id = "", revision_id = "", rest = ""] = entry.slice(1).split(" ");
    return { webhook_id, delivery_id: prefix + rest, revision_id, status: entry[0] === "s" ? "skipped" : "pending" };
  });
}

const same = (a: StoredFanout[], b: StoredFanout[]) =>
  a.length === b.length &&
  a.every((f, i) => f.webhook_id === b[i]!.webhook_id && f.delivery_id === b[i]!.delivery_id && f.revision_id === b[i]!.revision_id && f.status === b[i]!.status);

export function packFanout(fanout: StoredFanout[], createdAt: number): string {
  const packed = compact(fanout, createdAt);
  return same(expand(packed, createdAt), fanout) ? packed : JSON.stringify(fanout);
}

export function unpackFanout(packed: string, createdAt: number): StoredFanout[] {
  return packed.startsWith("[") ? (JSON.parse(packed) as StoredFanout[]) : expand(packed, createdAt);
}
