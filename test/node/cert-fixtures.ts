/**
 * Certificates for the certificate tests, made fresh on every run with the openssl CLI (in Node,
 * from globalSetup): their dates are relative to now, so a cached set would drift. EC keys keep
 * it fast. openssl 3.0 cannot back- or forward-date with `x509`/`req`, so the expired and the
 * not-yet-valid ones are self-signed with `openssl ca -selfsign -startdate -enddate`.
 * What openssl itself says about a certificate (fingerprint, serial, end date) is handed to the
 * tests too, as the independent answer our parser must agree with.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface OpensslView {
  fingerprint: string;
  serial: string;
  notAfter: string;
}

export interface CertFixtures {
  valid: string;
  validView: OpensslView;
  expired: string;
  notYetValid: string;
  expiring10Days: string;
  /** The valid CA in DER, base64: what a person pastes when they have a .der/.cer file. */
  derBase64: string;
  /** The same DER bytes read as Latin-1 text: what a binary file looks like pasted as text. */
  derAsText: string;
  garbage: string;
  /** Intermediate CA then root CA. */
  chain: string;
  chainIntermediateView: OpensslView;
  /** The valid CA followed by the expired one. */
  chainWithExpired: string;
  privateKey: string;
  csr: string;
  /** Made exactly as the product document shows ("Generate a Self-Signed Certificate"): a v1 cert. */
  docSelfSigned: string;
}

const CA_EXT = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n";

const caConfig = (dir: string) => `[ ca ]
default_ca = test_ca
[ test_ca ]
dir = ${dir}
database = ${dir}/index.txt
new_certs_dir = ${dir}/issued
serial = ${dir}/serial
default_md = sha256
policy = any
unique_subject = no
x509_extensions = ca_ext
[ any ]
organizationName = optional
commonName = supplied
[ ca_ext ]
${CA_EXT}`;

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
const DAY = 86_400_000;

export function makeCertFixtures(): CertFixtures {
  const dir = mkdtempSync(join(tmpdir(), "nafsi-cert-fixtures-"));
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  const key = (name: string) => openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`);
  const csr = (name: string, subj: string) => openssl("req", "-new", "-key", `${name}.key`, "-subj", subj, "-out", `${name}.csr`);
  writeFileSync(join(dir, "ca.ext"), CA_EXT);

  const selfSignedCa = (name: string, subj: string, days: string) => {
    key(name);
    openssl("req", "-x509", "-key", `${name}.key`, "-subj", subj, "-days", days, "-out", `${name}.crt`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  };
  const dated = (name: string, subj: string, from: number, to: number) => {
    key(name);
    csr(name, subj);
    openssl("ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile", `${name}.key`, "-in", `${name}.csr`,
      "-startdate", stamp(from), "-enddate", stamp(to), "-notext", "-out", `${name}.crt`);
  };
  const view = (file: string): OpensslView => {
    const text = openssl("x509", "-in", file, "-noout", "-fingerprint", "-sha256", "-serial", "-enddate").toString();
    const field = (re: RegExp) => re.exec(text)?.[1]?.trim() ?? "";
    return {
      fingerprint: field(/Fingerprint=(.+)/),
      serial: field(/serial=(.+)/),
      notAfter: new Date(field(/notAfter=(.+)/)).toISOString(),
    };
  };

  try {
    mkdirSync(join(dir, "issued"));
    writeFileSync(join(dir, "index.txt"), "");
    writeFileSync(join(dir, "serial"), "1000\n");
    writeFileSync(join(dir, "ca.cnf"), caConfig(dir));
    const now = Date.now();

    selfSignedCa("valid", "/C=KE/O=Acme Ltd/CN=Acme Webhook Root CA", "365");
    selfSignedCa("soon", "/O=Acme Ltd/CN=Acme Expiring CA", "10");
    dated("expired", "/O=Acme Ltd/CN=Acme Expired CA", now - 400 * DAY, now - 35 * DAY);
    dated("future", "/O=Acme Ltd/CN=Acme Future CA", now + 30 * DAY, now + 400 * DAY);

    selfSignedCa("root", "/O=Acme Ltd/CN=Acme Chain Root CA", "730");
    key("inter");
    csr("inter", "/O=Acme Ltd/CN=Acme Intermediate CA");
    openssl("x509", "-req", "-in", "inter.csr", "-CA", "root.crt", "-CAkey", "root.key", "-CAcreateserial",
      "-days", "365", "-extfile", "ca.ext", "-out", "inter.crt");

    // The product document's commands (with an EC key, for speed): x509 -req -signkey makes a v1 cert.
    key("server");
    csr("server", "/CN=api.myapp.com");
    openssl("x509", "-req", "-days", "365", "-in", "server.csr", "-signkey", "server.key", "-out", "server.crt");

    openssl("x509", "-in", "valid.crt", "-outform", "der", "-out", "valid.der");
    const der = readFileSync(join(dir, "valid.der"));
    return {
      valid: read("valid.crt"),
      validView: view("valid.crt"),
      expired: read("expired.crt"),
      notYetValid: read("future.crt"),
      expiring10Days: read("soon.crt"),
      derBase64: der.toString("base64"),
      derAsText: der.toString("latin1"),
      garbage: "This is not a certificate at all; just some text a person pasted by mistake.\n",
      chain: read("inter.crt") + read("root.crt"),
      chainIntermediateView: view("inter.crt"),
      chainWithExpired: read("valid.crt") + read("expired.crt"),
      privateKey: read("valid.key"),
      csr: read("inter.csr"),
      docSelfSigned: read("server.crt"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
