import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { makeCertFixtures, type CertFixtures } from "./node/cert-fixtures";
import { makePki } from "./node/pki";
import { startReceivers } from "./node/receiver";

/** Starts the real receivers once for the whole run and tells the tests where they are. */
export default async function setup(project: TestProject) {
  const pki = makePki(join(tmpdir(), "nafsi-webhooks-test-pki"));
  const receivers = await startReceivers(pki);
  project.provide("receivers", {
    http: `http://127.0.0.1:${receivers.httpPort}`,
    mtls: `https://localhost:${receivers.mtlsPort}`,
    untrusted: `https://localhost:${receivers.untrustedPort}`,
  });
  project.provide("certs", makeCertFixtures());
  return () => receivers.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    receivers: { http: string; mtls: string; untrusted: string };
    certs: CertFixtures;
  }
}
