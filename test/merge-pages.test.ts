/**
 * The merge of partitions' pages (src/storage/merge-pages.ts), over sources that answer from
 * arrays as a partition's page() does: the log order whatever the sizes, each source read only
 * as far as the merge gets, and one call per source for a page that fits in the first ask.
 */
import { describe, expect, it } from "vitest";
import type { Position } from "../src/storage/contract";
import { MergedPages, newer, type PageSource } from "../src/storage/merge-pages";

type Row = { created_at: number; id: string; source: number };

/** newest first, as a partition answers; `after` excludes itself and everything newer. */
const sourceOf = (rows: Row[], asked: number[]): PageSource<Row> => async (after: Position | null, limit: number) => {
  asked.push(limit);
  const sorted = [...rows].sort((a, b) => (newer(a, b) ? -1 : 1));
  const from = after ? sorted.filter((r) => newer({ created_at: after.createdAt, id: after.id }, r)) : sorted;
  return from.slice(0, limit);
};

/** Deterministic rows: many share a millisecond, across sources too. */
function rowsOf(source: number, n: number, seed: number): Row[] {
  let x = seed;
  return Array.from({ length: n }, (_, i) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return { created_at: 1_000 + (x % 50), id: `att_${source}_${String(i).padStart(4, "0")}`, source };
  });
}

const logOrder = (rows: Row[]) => [...rows].sort((a, b) => (newer(a, b) ? -1 : 1)).map((r) => r.id);

describe("MergedPages", () => {
  it("gives every row once, in log order, whatever the page and chunk sizes", async () => {
    const sources = [rowsOf(0, 130, 1), rowsOf(1, 7, 2), rowsOf(2, 0, 3), rowsOf(3, 61, 4)];
    const all = logOrder(sources.flat());
    for (const [take, first, max] of [[1, 1, 1], [10, 3, 40], [50, 51, 51], [1000, 100, 1000]] as const) {
      const merged = new MergedPages(sources.map((rows) => sourceOf(rows, [])), null, { first, max });
      const out: string[] = [];
      for (let page = await merged.take(take); page.length; page = await merged.take(take)) out.push(...page.map((r) => r.id));
      expect(out, `take ${take}, chunks ${first}..${max}`).toEqual(all);
      expect(await merged.more()).toBe(false);
    }
  });

  it("starts after a position, as a cursor or a checkpoint gives it", async () => {
    const sources = [rowsOf(0, 40, 5), rowsOf(1, 40, 6)];
    const all = [...sources.flat()].sort((a, b) => (newer(a, b) ? -1 : 1));
    const at = all[29]!;
    const merged = new MergedPages(sources.map((rows) => sourceOf(rows, [])), { createdAt: at.created_at, id: at.id }, { first: 7, max: 20 });
    expect((await merged.take(100)).map((r) => r.id)).toEqual(all.slice(30).map((r) => r.id));
  });

  it("asks each source once for a page that fits in the first ask, all at once", async () => {
    const asked = [[], [], []] as number[][];
    const sources = [rowsOf(0, 500, 7), rowsOf(1, 500, 8), rowsOf(2, 3, 9)];
    const merged = new MergedPages(sources.map((rows, s) => sourceOf(rows, asked[s]!)), null, { first: 51, max: 51 });
    expect(await merged.take(51)).toHaveLength(51);
    expect(merged.calls).toBe(3);
    expect(asked).toEqual([[51], [51], [51]]);
  });

  it("reads a source again only when the merge used it up, asking twice as many up to the most", async () => {
    const asked = [[], []] as number[][];
    // Every row of source 0 is newer than source 1's: the merge drains source 0 first.
    const busy = Array.from({ length: 700 }, (_, i) => ({ created_at: 10_000 + i, id: `att_b_${i}`, source: 0 }));
    const quiet = Array.from({ length: 5 }, (_, i) => ({ created_at: i, id: `att_q_${i}`, source: 1 }));
    const merged = new MergedPages([sourceOf(busy, asked[0]!), sourceOf(quiet, asked[1]!)], null, { first: 100, max: 250 });
    expect(await merged.take(705)).toHaveLength(705);
    expect(asked[0]).toEqual([100, 200, 250, 250]);
    expect(asked[1]).toEqual([100]);
    expect(merged.calls).toBe(5);
  });
});
