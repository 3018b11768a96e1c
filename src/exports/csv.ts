/**
 * CSV as RFC 4180 writes it: CRLF line ends, and a field that holds a comma, a double quote, CR
 * or LF is wrapped in double quotes with its quotes doubled.
 *
 * Text that a receiver or a user controls (error messages, event names) may start with a
 * character that a spreadsheet reads as a formula (CSV injection, OWASP): =, +, -, @, and tab
 * and CR, which some spreadsheets skip before looking for one. Such a cell gets a leading
 * apostrophe, which spreadsheets show as text and do not evaluate.
 */
import type { AttemptRecord } from "../db/attempts";

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** A text cell: neutralised, then quoted when it has to be. Null is an empty cell. */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return "";
  if (typeof value !== "string") return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (cells: readonly (string | number | boolean | null)[]) => cells.map(csvCell).join(",") + "\r\n";

/** The export's columns: the log row's fields, in the order a person reads a log. */
export const LOG_CSV_HEADER = csvLine([
  "timestamp",
  "id",
  "delivery_id",
  "event_id",
  "event",
  "attempt",
  "status",
  "response_code",
  "response_time_ms",
  "error_code",
  "error",
  "test",
]);

export const logCsvLine = (a: AttemptRecord) =>
  csvLine([
    new Date(a.created_at).toISOString(),
    a.id,
    a.delivery_id,
    a.event_id,
    a.event,
    a.attempt,
    a.status,
    a.response_code,
    a.response_time_ms,
    a.error_code,
    a.error,
    a.test === 1,
  ]);
