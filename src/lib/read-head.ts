/**
 * Reads a body stream to its end, or until more than `max` bytes have come (then it stops and
 * cancels), keeping only its first `keep` bytes. Sends use it to drain an answer (so the
 * connection goes back to the pool) while keeping the part the delivery log shows.
 */
export async function readHead(body: ReadableStream<Uint8Array> | null, max: number, keep: number): Promise<{ head: Uint8Array; tooLarge: boolean }> {
  const head = new Uint8Array(keep);
  let kept = 0;
  let size = 0;
  if (!body) return { head: head.subarray(0, 0), tooLarge: false };
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (kept < keep) {
      const take = value.subarray(0, keep - kept);
      head.set(take, kept);
      kept += take.byteLength;
    }
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return { head: head.subarray(0, kept), tooLarge: true };
    }
  }
  return { head: head.subarray(0, kept), tooLarge: false };
}

/**
 * The head of an answer as text: UTF-8, a character cut at the end left out (stream mode keeps
 * it back), invalid bytes as U+FFFD. Then at most `maxBytes` of UTF-8 again, since replacement
 * characters take three bytes where the invalid byte took one.
 */
export function headText(head: Uint8Array, maxBytes: number): string {
  const text = new TextDecoder().decode(head, { stream: true });
  // encodeInto writes whole characters only, and says how much of the text it took.
  const { read } = new TextEncoder().encodeInto(text, new Uint8Array(maxBytes));
  return text.slice(0, read);
}
