/**
 * A delivery's attempt keys (attempt_keys: where its attempts are, in the order logged) as its
 * row keeps them. An attempt id is newId("att", created_at) (src/delivery/record.ts), so its
 * characters after "att_" carry the created_at of its key: the ids alone, without the prefix,
 * space-separated, say the whole list (26 bytes an attempt where [[created_at, "att_…"]] took 50).
 * A list with a key this cannot say (an id of another form or time) is kept as JSON, which
 * starts with "["; a packing is unpacked again before it is kept.
 */
import { timeOfId } from "../../storage/partitions";

export type AttemptKey = [createdAt: number, id: string];

const PREFIX = "att_";

function expand(packed: string): AttemptKey[] {
  if (packed === "") return [];
  return packed.split(" ").map((rest): AttemptKey => [timeOfId(PREFIX + rest), PREFIX + rest]);
}

function carriesTime([createdAt, id]: AttemptKey): boolean {
  if (!id.startsWith(PREFIX) || id.includes(" ") || id.length <= PREFIX.length) return false;
  try {
    return timeOfId(id) === createdAt;
  } catch {
    return false;
  }
}

export function packKeys(keys: AttemptKey[]): string {
  if (!keys.every(carriesTime)) return JSON.stringify(keys);
  const packed = keys.map(([, id]) => id.slice(PREFIX.length)).join(" ");
  return JSON.stringify(expand(packed)) === JSON.stringify(keys) ? packed : JSON.stringify(keys);
}

export const unpackKeys = (stored: string): AttemptKey[] => (stored.startsWith("[") ? (JSON.parse(stored) as AttemptKey[]) : expand(stored));
