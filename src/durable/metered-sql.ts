import type { Meter } from "../storage/contract";

type Value = ArrayBuffer | string | number | null;

/**
 * A Durable Object's SQLite with a running count of what its statements read and wrote. Rows
 * written are the bill (every index entry is a row), so the tests and the bench price a write
 * path by this count rather than by reasoning about it. A cursor's counters are final only once
 * it has been read to its end, so every statement here is read to its end before they are added.
 */
export class MeteredSql {
  private written = 0;
  private read = 0;

  constructor(private readonly sql: SqlStorage) {}

  all<T extends Record<string, Value>>(query: string, ...bindings: Value[]): T[] {
    const cursor = this.sql.exec<T>(query, ...bindings);
    const rows = cursor.toArray();
    this.written += cursor.rowsWritten;
    this.read += cursor.rowsRead;
    return rows;
  }

  first<T extends Record<string, Value>>(query: string, ...bindings: Value[]): T | undefined {
    return this.all<T>(query, ...bindings)[0];
  }

  /** Runs a statement for its effect; answers the rows it wrote. */
  run(query: string, ...bindings: Value[]): number {
    const before = this.written;
    this.all(query, ...bindings);
    return this.written - before;
  }

  meter(): Meter {
    return { rowsWritten: this.written, rowsRead: this.read };
  }
}
