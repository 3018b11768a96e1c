/** The real receivers started by globalSetup (test/node/receiver.ts), seen from inside workerd. */
import { inject } from "vitest";

export type { Recorded } from "../node/recorded";
import type { Recorded } from "../node/recorded";

export type ReceiverKind = "http" | "mtls" | "untrusted";

let n = 0;
/** A fresh bucket name, so tests never see each other's requests. */
export const bucket = (label = "b") => `${label}-${Date.now().toString(36)}-${(++n).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

export const receiverUrl = (kind: ReceiverKind, bucketName: string, behaviour = "ok") => `${inject("receivers")[kind]}/${bucketName}/${behaviour}`;

export async function received(bucketName: string): Promise<Recorded[]> {
  const res = await fetch(`${inject("receivers").http}/_control/requests?bucket=${bucketName}`);
  return res.json();
}

/** Checks request `index` of a bucket with the product document's Node snippet and standardwebhooks. */
export async function verifyAtReceiver(bucketName: string, index: number, secret: string): Promise<{ doc: boolean | string; standard: boolean | string | null; node: boolean; python: boolean | string }> {
  const res = await fetch(`${inject("receivers").http}/_control/verify?bucket=${bucketName}`, {
    method: "POST",
    body: JSON.stringify({ index, secret }),
  });
  return res.json();
}
