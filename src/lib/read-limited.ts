/** Reads a body stream up to `max` bytes; past that it stops reading and says so. */
export async function readLimited(body: ReadableStream<Uint8Array> | null, max: number): Promise<{ bytes: Uint8Array; tooLarge: boolean }> {
  if (!body) return { bytes: new Uint8Array(), tooLarge: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return { bytes: new Uint8Array(), tooLarge: true };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { bytes, tooLarge: false };
}
