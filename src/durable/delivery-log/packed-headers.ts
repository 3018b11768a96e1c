/**
 * An attempt's signing headers (src/delivery/signing-headers.ts: JSON pairs, masked) as its row
 * keeps them. Of the JSON's ~170 bytes little cannot be built again: webhook-id is the delivery
 * id and webhook-timestamp the attempt's whole seconds (build-request.ts), and a masked
 * signature is "••••" and its last four characters. So a token per header, in the order sent,
 * space-separated:
 *
 *   n<last 4>  x-nafsi-signature        x<last 4>  x-nafsi-signature-next
 *   s<last 4>  webhook-signature        i  webhook-id        t  webhook-timestamp
 *
 * e.g. "nab12 i t sXy9=" (15 bytes). A signature the masking left whole (header-policy.ts does
 * not take x-nafsi-signature-next for a credential) is its letter in capitals and the value,
 * e.g. "Xsha256=…". Which headers were sent is kept (a token each), not inferred from the
 * revision, whose secret a rotation changes in place. Whatever this cannot say exactly
 * (another header, an id or time not the attempt's, a value with a space) is kept as the JSON
 * itself, which starts with "[" where this never does (a text that is not JSON pairs, quoted:
 * '"'). A packing is unpacked again before it is kept, so the delivery's detail always shows
 * the headers byte for byte as they were logged.
 */
import { maskValue } from "../../security/header-policy";

/** What maskValue shows of a short value: the mask alone, which a long value's mask starts with. */
const MASK = maskValue("");
const SIGNATURES: Record<string, string> = { n: "x-nafsi-signature", x: "x-nafsi-signature-next", s: "webhook-signature" };
const CODE_OF = Object.fromEntries(Object.entries(SIGNATURES).map(([code, name]) => [name, code]));

type Pair = [string, string];

function compact(pairs: Pair[], deliveryId: string, createdAt: number): string | null {
  const tokens: string[] = [];
  for (const [name, value] of pairs) {
    const code = CODE_OF[name];
    if (code !== undefined && value.startsWith(MASK)) tokens.push(code + value.slice(MASK.length));
    else if (code !== undefined) tokens.push(code.toUpperCase() + value);
    else if (name === "webhook-id" && value === deliveryId) tokens.push("i");
    else if (name === "webhook-timestamp" && value === String(Math.floor(createdAt / 1000))) tokens.push("t");
    else return null;
  }
  return tokens.join(" ");
}

function expand(packed: string, deliveryId: string, createdAt: number): Pair[] {
  if (packed === "") return [];
  return packed.split(" ").map((token): Pair => {
    if (token === "i") return ["webhook-id", deliveryId];
    if (token === "t") return ["webhook-timestamp", String(Math.floor(createdAt / 1000))];
    const code = token[0]!;
    const name = SIGNATURES[code.toLowerCase()] ?? "?";
    return [name, code === code.toLowerCase() ? MASK + token.slice(1) : token.slice(1)];
  });
}

function pairsOf(signed: string): Pair[] | null {
  try {
    const pairs: unknown = JSON.parse(signed);
    return Array.isArray(pairs) && pairs.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "string" && typeof p[1] === "string") ? (pairs as Pair[]) : null;
  } catch {
    return null;
  }
}

export function packHeaders(signed: string | null, deliveryId: string, createdAt: number): string | null {
  if (signed === null) return null;
  const pairs = pairsOf(signed);
  const packed = pairs && compact(pairs, deliveryId, createdAt);
  if (packed !== null && JSON.stringify(expand(packed, deliveryId, createdAt)) === signed) return packed;
  // Kept as it came; a text that is not JSON pairs would not start with "[", so it is quoted.
  return signed.startsWith("[") ? signed : JSON.stringify(signed);
}

export function unpackHeaders(stored: string | null, deliveryId: string, createdAt: number): string | null {
  if (stored === null || stored.startsWith("[")) return stored;
  if (stored.startsWith('"')) return JSON.parse(stored) as string;
  return JSON.stringify(expand(stored, deliveryId, createdAt));
}
