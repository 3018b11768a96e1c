import { describe, expect, it } from "vitest";
import type { AttemptRecord } from "../src/db/attempts";
import { csvCell, csvLine, LOG_CSV_HEADER, logCsvLine } from "../src/exports/csv";
import { exportFileName } from "../src/exports/present";
import { parseCsv } from "./helpers/parse-csv";

describe("CSV cells (RFC 4180)", () => {
  it.each([
    ["plain", "plain"],
    ["", ""],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["line\nbreak", '"line\nbreak"'],
    ["cr\rhere", '"cr\rhere"'],
    ["crlf\r\nhere", '"crlf\r\nhere"'],
    ["ünïcödé ✓", "ünïcödé ✓"],
    ["  spaced  ", "  spaced  "],
  ])("%j → %j", (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it("writes null as an empty cell, numbers and booleans as they are", () => {
    expect(csvCell(null)).toBe("");
    expect(csvCell(0)).toBe("0");
    expect(csvCell(-5)).toBe("-5");
    expect(csvCell(true)).toBe("true");
  });

  it("ends every line with CRLF", () => {
    expect(csvLine(["a", null, 1, "b,c"])).toBe('a,,1,"b,c"\r\n');
  });
});

describe("CSV injection", () => {
  it.each([
    ["=1+1", "'=1+1"],
    ['=HYPERLINK("http://evil.example","x")', `"'=HYPERLINK(""http://evil.example"",""x"")"`],
    ["+SUM(A1:A2)", "'+SUM(A1:A2)"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\t=1", "'\t=1"],
    ["\r=1", `"'\r=1"`],
    ["a=1", "a=1"],
    ["'already", "'already"],
  ])("%j → %j", (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });
});

const attempt: AttemptRecord = {
  id: "att_01",
  delivery_id: "dlv_01",
  event_id: "evt_01",
  event: "verification.completed",
  attempt: 2,
  status: "failed",
  response_code: 500,
  response_time_ms: 123,
  error_code: "http_5xx",
  error: '=cmd|"/c calc"!A1, then "more"',
  test: 0,
  created_at: Date.UTC(2026, 0, 28, 10, 30, 0, 5),
};

describe("log rows as CSV", () => {
  it("has a header with the log row's fields", () => {
    expect(LOG_CSV_HEADER).toBe(
      "timestamp,id,delivery_id,event_id,event,attempt,status,response_code,response_time_ms,error_code,error,test\r\n",
    );
  });

  it("writes one attempt as one line", () => {
    expect(logCsvLine(attempt)).toBe(
      `2026-01-28T10:30:00.005Z,att_01,dlv_01,evt_01,verification.completed,2,failed,500,123,http_5xx,"'=cmd|""/c calc""!A1, then ""more""",false\r\n`,
    );
    expect(logCsvLine({ ...attempt, response_code: null, response_time_ms: null, error_code: null, error: null, test: 1 })).toBe(
      "2026-01-28T10:30:00.005Z,att_01,dlv_01,evt_01,verification.completed,2,failed,,,,,true\r\n",
    );
  });

  it("reads back as the same cells (the test parser agrees with the writer)", () => {
    const text = LOG_CSV_HEADER + logCsvLine(attempt) + logCsvLine({ ...attempt, error: "two\r\nlines, \"quoted\"" });
    const rows = parseCsv(text);
    expect(rows).toHaveLength(3);
    expect(rows[1]![10]).toBe(`'=cmd|"/c calc"!A1, then "more"`);
    expect(rows[2]![10]).toBe('two\r\nlines, "quoted"');
  });
});

describe("export file names", () => {
  const day = Date.UTC(2026, 0, 28, 23, 59);
  it.each([
    ["Production Verification Webhook", "production-verification-webhook-logs-2026-01-28.csv"],
    ["  Ünïcode / Résumé  ", "unicode-resume-logs-2026-01-28.csv"],
    ['Quote " and ; semicolon', "quote-and-semicolon-logs-2026-01-28.csv"],
    ["✓✓✓", "webhook-logs-2026-01-28.csv"],
    ["x".repeat(100), `${"x".repeat(60)}-logs-2026-01-28.csv`],
  ])("%j → %j", (name, expected) => {
    expect(exportFileName(name, day)).toBe(expected);
  });
});
