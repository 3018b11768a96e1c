import { newId } from "../../lib/ids";

/** 32^10: the ids' 10 characters of time hold instants below it. */
const TIME_LIMIT = 32 ** 10;

/**
 * The smallest delivery id of an instant: "dlv_" and its 10 characters of time (src/lib/ids.ts).
 * Every delivery created at or after `ms` sorts at or above it and every earlier one below, so a
 * range of creation times is a range of the primary key. accept() holds each id to its created_at.
 */
export const deliveryIdFloor = (ms: number) => newId("dlv", Math.min(Math.max(0, Math.floor(ms)), TIME_LIMIT - 1)).slice(0, 14);
