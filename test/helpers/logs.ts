/** Seeding the delivery log and reading it back through the API, for the log, stats and export tests. */
import { expectStatus } from "./api";
import { seedLog, type Seeded } from "./seed-log";
import type { SeedSpec } from "./seed-sql";

export type { Seeded };

/** Inserts the rows of `spec` straight into the webhook's partitions and answers them as the pattern says they are. */
export const seed = (spec: SeedSpec): Promise<Seeded[]> => seedLog(spec);

/** The order of the log: newest first, ties by id. */
export const newestFirst = <T extends { created_at: number; id: string }>(rows: T[]) =>
  [...rows].sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));

/** Every page of a log query, following next_cursor. */
export async function allPages(apiKey: string, webhookId: string, query: Record<string, string> = {}, limit = 500) {
  const rows: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const params: URLSearchParams = new URLSearchParams({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
    const page: { data: any[]; next_cursor: string | null } = await expectStatus(200, "GET", `/v1/webhooks/${webhookId}/logs?${params}`, { token: apiKey });
    rows.push(...page.data);
    cursor = page.next_cursor;
    pages++;
  } while (cursor);
  return { rows, pages };
}

/** Midnight UTC, `days` days ago: a fixed point that stays inside the log retention. */
export const daysAgo = (days: number) => {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  return d.getTime() - days * 86_400_000;
};
