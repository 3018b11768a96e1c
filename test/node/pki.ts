/**
 * A throwaway PKI for the tests, made with the openssl CLI (runs in Node, from globalSetup):
 * - `public-ca` stands for the public CAs a Worker trusts; it signs the receivers' server certs.
 * - `rogue-ca` signs a server cert nobody trusts (a TLS failure that must not be retried).
 * - `client-ca` signs our client certificate, the one the mTLS binding presents.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Pki {
  dir: string;
  publicCa: string;
  serverCert: string;
  serverKey: string;
  rogueCert: string;
  rogueKey: string;
  clientCa: string;
  clientCert: string;
  clientKey: string;
}

const openssl = (dir: string, ...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });

function makeCa(dir: string, name: string, cn: string) {
  openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`,
    "-days", "3650", "-subj", `/CN=${cn}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
}

function makeLeaf(dir: string, name: string, ca: string, cn: string, ext: string) {
  openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, "x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial",
    "-out", `${name}.crt`, "-days", "825", "-extfile", `${name}.ext`);
}

export function makePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, "client.crt"))) {
    const serverExt = "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n";
    makeCa(dir, "public-ca", "Test Public Root CA");
    makeCa(dir, "rogue-ca", "Untrusted Rogue CA");
    makeCa(dir, "client-ca", "Nafsi Test Client CA");
    makeLeaf(dir, "server", "public-ca", "localhost", serverExt);
    makeLeaf(dir, "rogue", "rogue-ca", "localhost", serverExt);
    makeLeaf(dir, "client", "client-ca", "nafsi-webhooks-client", "extendedKeyUsage=clientAuth\n");
  }
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return {
    dir,
    publicCa: read("public-ca.crt"),
    serverCert: read("server.crt"),
    serverKey: read("server.key"),
    rogueCert: read("rogue.crt"),
    rogueKey: read("rogue.key"),
    clientCa: read("client-ca.crt"),
    clientCert: read("client.crt"),
    clientKey: read("client.key"),
  };
}
