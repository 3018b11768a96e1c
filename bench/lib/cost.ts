/**
 * What a delivery costs at Cloudflare's published prices (Workers Paid, above the included
 * amounts), from what a run actually did: rows from the storage objects' own counters
 * (GET /v1/organisations/{id}/storage-meter), queue messages, requests and object calls from the
 * consumer's per-batch log lines and the ingest requests made.
 *
 * Left out, and said so in docs/benchmarks.md: CPU time ($0.02 per million CPU ms), Durable
 * Object duration (billed while an object is active), stored GB-months, and D1 rows of the
 * list summary (written by alarm, a few rows per webhook per 30 s whatever the traffic).
 */
export const PRICES = {
  /** Durable Object SQLite and D1, per row. */
  rowWritten: 1.0 / 1e6,
  rowRead: 0.001 / 1e6,
  /** Each message is written, read and deleted: three operations (per 64 KB). */
  queueOperation: 0.4 / 1e6,
  workerRequest: 0.3 / 1e6,
  objectRequest: 0.15 / 1e6,
};

export interface RunCounts {
  deliveries: number;
  events: number;
  rowsWritten: number;
  rowsRead: number;
  /** Queue messages the consumer received (first attempts, retries, moves, redeliveries), a pack of deliveries counting once. */
  messages: number;
  batches: number;
  /** Object calls the consumer made (its log line's object_calls). */
  consumerObjectCalls: number;
}

/** Dollars per million deliveries, by line, and in all. */
export function dollarsPerMillion(c: RunCounts) {
  const per = (n: number, price: number) => (n / c.deliveries) * price * 1e6;
  const lines = {
    rowsWritten: per(c.rowsWritten, PRICES.rowWritten),
    rowsRead: per(c.rowsRead, PRICES.rowRead),
    queue: per(3 * c.messages, PRICES.queueOperation),
    // Ingest requests and consumer invocations.
    workerRequests: per(c.events + c.batches, PRICES.workerRequest),
    // Ingest: the event's shard (one call, whatever the fan-out); then the consumer's calls.
    objectRequests: per(c.events + c.consumerObjectCalls, PRICES.objectRequest),
  };
  const total = Object.values(lines).reduce((a, b) => a + b, 0);
  return { rowsPerDelivery: c.rowsWritten / c.deliveries, lines, total };
}
