/**
 * An event's body as its shard keeps it: deflate-raw (CompressionStream, built into workerd)
 * when that is smaller, else the body itself. The column's storage class is the marker, so no
 * byte is spent on one: TEXT is the body as received, a BLOB is its deflate-raw. The body is
 * signed and sent byte for byte (src/delivery/build-request.ts), so what comes back must be the
 * same string: deflate is lossless, and only a body whose UTF-16 is well formed is compressed,
 * so its UTF-8 decodes back to the same code units (a lone surrogate would come back as U+FFFD).
 */
import { utf8 } from "../../lib/encoding";

const FORMAT = "deflate-raw";
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export type StoredBody = string | ArrayBuffer;

async function through(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<ArrayBuffer> {
  return new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer();
}

export async function packBody(body: string): Promise<StoredBody> {
  if (LONE_SURROGATE.test(body)) return body;
  const raw = utf8.encode(body);
  const packed = await through(raw, new CompressionStream(FORMAT));
  return packed.byteLength < raw.byteLength ? packed : body;
}

export async function unpackBody(stored: StoredBody): Promise<string> {
  if (typeof stored === "string") return stored;
  return strictUtf8.decode(await through(new Uint8Array(stored), new DecompressionStream(FORMAT)));
}
