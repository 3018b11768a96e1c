import type { Meter } from "../../storage/contract";

type Value = SqlStorageValue;
type Row = Record<string, Value>;

/**
 * Every statement this object runs, raw or built by Drizzle, goes through here, so `meter()`
 * is the whole of its SQL work: the tests and the bench price a delivery by it (rows written
 * are the bill, and every index entry is a row). A cursor's counters are final once the
 * statement has run to its end; each one is added when the next statement starts, or when
 * the meter is read, which holds because nothing here leaves a cursor half read while it runs
 * another statement (raw statements are read whole in `all`, Drizzle reads its own whole).
 *
 * Not on this meter: alarms (set at most once per sweep run and on the first pending delivery
 * of a quiet partition, never per delivery) and deleteAll (the partition's end).
 */
export class SqlMeter {
  private written = 0;
  private read = 0;
  private open: SqlStorageCursor<Row> | null = null;

  constructor(private readonly storage: DurableObjectStorage) {}

  exec<T extends Row>(query: string, ...bindings: Value[]): SqlStorageCursor<T> {
    this.settle();
    const cursor = this.storage.sql.exec<T>(query, ...bindings);
    this.open = cursor as unknown as SqlStorageCursor<Row>;
    return cursor;
  }

  /** Runs a statement to its end and answers its rows. */
  all<T extends Row>(query: string, ...bindings: Value[]): T[] {
    const rows = this.exec<T>(query, ...bindings).toArray();
    this.settle();
    return rows;
  }

  first<T extends Row>(query: string, ...bindings: Value[]): T | undefined {
    return this.all<T>(query, ...bindings)[0];
  }

  reading(): Meter {
    this.settle();
    return { rowsWritten: this.written, rowsRead: this.read };
  }

  /**
   * What Drizzle's Durable Object driver is given instead of ctx.storage: it only calls
   * `sql.exec` and `transactionSync`, so those two are all there is, and its statements land
   * on this meter like ours.
   */
  forDrizzle(): DurableObjectStorage {
    const client = {
      sql: { exec: (query: string, ...bindings: Value[]) => this.exec(query, ...bindings) },
      transactionSync: <T>(closure: () => T): T => this.storage.transactionSync(closure),
    };
    return client as unknown as DurableObjectStorage;
  }

  private settle() {
    if (!this.open) return;
    this.written += this.open.rowsWritten;
    this.read += this.open.rowsRead;
    this.open = null;
  }
}
