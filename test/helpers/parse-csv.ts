/** An RFC 4180 reader for the tests, written apart from the writer so that the two check each other. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), (i += 2);
      else if (ch === '"') (quoted = false), i++;
      else (cell += ch), i++;
    } else if (ch === '"' && cell === "") {
      quoted = true;
      i++;
    } else if (ch === ",") {
      row.push(cell);
      cell = "";
      i++;
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i += 2;
    } else {
      if (ch === '"' || ch === "\n" || ch === "\r") throw new Error(`Not RFC 4180: unquoted ${JSON.stringify(ch)} at ${i}`);
      cell += ch;
      i++;
    }
  }
  if (quoted) throw new Error("Not RFC 4180: unterminated quote");
  if (cell !== "" || row.length) throw new Error("Not RFC 4180: the last line has no CRLF");
  return rows;
}
