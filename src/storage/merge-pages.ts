/**
 * The log order across partitions. Each DeliveryLog answers its own rows newest first on
 * (created_at, id), page by page; a webhook's log is those answers merged in the same order.
 * An attempt is logged in its delivery's partition only, so no row comes from two of them.
 */
import type { Position } from "./contract";

type Keyed = { created_at: number; id: string };

/**
 * True when `a` comes before `b` in the log: newer, or as new with the greater id. Ids are
 * ASCII, so JavaScript's string order is the BINARY order each partition sorted them in.
 */
export const newer = (a: Keyed, b: Keyed) => a.created_at > b.created_at || (a.created_at === b.created_at && a.id > b.id);

export const positionOf = (row: Keyed): Position => ({ createdAt: row.created_at, id: row.id });

/** One partition's log: at most `limit` rows after `after` (all from the top when null), newest first. */
export type PageSource<T> = (after: Position | null, limit: number) => Promise<T[]>;

export interface ChunkSize {
  /** Rows asked of each source at first. */
  first: number;
  /** A source that runs dry is asked for twice as many next time, up to this. */
  max: number;
}

interface Source<T> {
  read: PageSource<T>;
  rows: T[];
  /** The first row of `rows` not yet taken. */
  at: number;
  after: Position | null;
  chunk: number;
  done: boolean;
}

/**
 * A k-way merge that reads each source only as far as the merge gets: a row is taken only while
 * every source that may have more has rows at hand, so the order is exact, and a source is read
 * again only when the merge has used up what it gave. Asked for `first` rows each, a merge of n
 * rows with `first` >= n makes one call per source, all at once.
 */
export class MergedPages<T extends Keyed> {
  private readonly sources: Source<T>[];
  /** Calls made to the sources so far (each a subrequest of the invocation). */
  calls = 0;

  constructor(reads: PageSource<T>[], after: Position | null, private readonly size: ChunkSize) {
    this.sources = reads.map((read) => ({ read, rows: [], at: 0, after, chunk: size.first, done: false }));
  }

  /** The next `n` rows in log order (fewer at the end). */
  async take(n: number): Promise<T[]> {
    const out: T[] = [];
    while (out.length < n) {
      await this.refill();
      let best: Source<T> | undefined;
      for (const s of this.sources) if (s.at < s.rows.length && (!best || newer(s.rows[s.at]!, best.rows[best.at]!))) best = s;
      if (!best) break;
      out.push(best.rows[best.at++]!);
    }
    return out;
  }

  /** Whether any row is left (reads the sources that ran dry, as the next take would). */
  async more(): Promise<boolean> {
    await this.refill();
    return this.sources.some((s) => s.at < s.rows.length);
  }

  /** Reads, at once, every source that ran dry and may have more. */
  private async refill() {
    const dry = this.sources.filter((s) => s.at === s.rows.length && !s.done);
    if (!dry.length) return;
    this.calls += dry.length;
    await Promise.all(
      dry.map(async (s) => {
        const rows = await s.read(s.after, s.chunk);
        s.done = rows.length < s.chunk;
        if (rows.length) s.after = positionOf(rows[rows.length - 1]!);
        s.rows = rows;
        s.at = 0;
        s.chunk = Math.min(this.size.max, s.chunk * 2);
      }),
    );
  }
}
