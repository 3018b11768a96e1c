/**
 * The partition's own few facts, in its meta table rather than ctx.storage.kv: kv lives in a
 * hidden table whose rows are billed but never show on a cursor, and the meter must see every row.
 */
import { eq } from "drizzle-orm";
import type { LogScope } from "../../storage/contract";
import type { Log } from "./context";
import { meta } from "./schema";

const get = (log: Log, key: string) => log.db.select({ value: meta.value }).from(meta).where(eq(meta.key, key)).get()?.value;
const put = (log: Log, key: string, value: string) =>
  log.db.insert(meta).values({ key, value }).onConflictDoUpdate({ target: meta.key, set: { value } }).run();

/** Written once, after the head has registered the day: its presence means "registered". */
export const storedScope = (log: Log): LogScope | null => {
  const v = get(log, "scope");
  return v === undefined ? null : (JSON.parse(v) as LogScope);
};
export const storeScope = (log: Log, scope: LogScope) =>
  log.db.insert(meta).values({ key: "scope", value: JSON.stringify(scope) }).onConflictDoNothing().run();

/** The sweep's low-water mark: every delivery with an id at or below it has been looked at. */
export const sweepMark = (log: Log) => get(log, "sweep_mark") ?? "";
export const setSweepMark = (log: Log, id: string) => put(log, "sweep_mark", id);

export const sameScope = (a: LogScope, b: LogScope) =>
  a.organisationId === b.organisationId && a.webhookId === b.webhookId && a.day === b.day;
