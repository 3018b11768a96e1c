/**
 * Whether a parsed JSON value nests deeper than `max` arrays or objects. Iterative, so a hostile
 * body cannot overflow the stack here; it would elsewhere (JSON.stringify when the value is
 * stored or answered), which is why deep bodies are refused before anything reads them.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
