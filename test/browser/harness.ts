/**
 * What the dashboard test runs against: `wrangler dev` on a fresh state (test/system/dev-server),
 * an organisation made through the operator API, a local receiver that records what it gets, and
 * the headless Chromium of the npm package @sparticuz/chromium (CHROMIUM_PATH overrides it)
 * driven by playwright-core, failing on any console error or page error.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sparticuz from "@sparticuz/chromium";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { applyMigrations, startDev, type Dev } from "../system/dev-server";

export const ROOT = join(import.meta.dirname, "..", "..");
export const SCREENS = join(ROOT, "test-results", "screens");
// The npm package's flags (headless shell, no sandbox: tests run as root) but the two that turn
// off the browser's security (same-origin policy, mixed content): the dashboard is tested as people
// run it. Then ours: nothing that calls out.
const CHROMIUM_ARGS = [
  ...sparticuz.args.filter((a) => a !== "--disable-web-security" && a !== "--allow-running-insecure-content"),
  "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** Any Chromium named by CHROMIUM_PATH, else the npm package's (unpacked to the temp folder on first use, about 2 s). */
const chromiumPath = async () => process.env.CHROMIUM_PATH || (await sparticuz.executablePath());

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createNetServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => ok(port));
    });
  });
}

export interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

type Handler = Parameters<typeof createServer>[1] & {};

/**
 * What the receiver answers: nothing to a path ending in /hang; else 500 to workflow.created
 * events and 200 to the rest, with a body that also passes a verification check.
 */
function answer(received: Received[]): Handler {
  return (req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const path = req.url ?? "";
      received.push({ path, headers: req.headers, body });
      if (path.endsWith("/hang")) return;
      const status = req.headers["x-nafsi-event"] === "workflow.created" ? 500 : 200;
      const json = status < 300 ? { received: true, success: true, score: 0.92 } : { error: "Database connection failed", retry: true };
      res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(json));
    });
  };
}

export interface Receiver {
  url: string;
  received: Received[];
  close(): void;
}

async function listen(server: Server, received: Received[]): Promise<Receiver> {
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close() {
      server.closeAllConnections(); // the ones left hanging on purpose too
      server.close();
    },
  };
}

/** A plain HTTP receiver on 127.0.0.1 that records what came. */
export function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  return listen(createServer(answer(received)), received);
}

/** A CA certificate made as the product document says ("Generate a Self-Signed Certificate"), valid 365 days. */
export function makeCaPem(dir: string): string {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
    "-days", "365", "-subj", "/O=Acme Ltd/CN=Acme Webhook Root CA", "-addext", "basicConstraints=critical,CA:TRUE");
  return join(dir, "ca.pem");
}

export interface Service {
  url: string;
  dev: Dev;
  state: string;
  stop(): void;
}

export async function startService(extra: Record<string, string> = {}): Promise<Service> {
  // The list's success rate and last triggered are the head's summary, written to D1 a moment
  // after deliveries (30 s by default): a fraction of a second here, as a person would not wait.
  const vars = { SUMMARY_REFRESH_MS: "300", ...extra };
  const state = mkdtempSync(join(tmpdir(), "nafsi-dashboard-"));
  applyMigrations(state);
  mkdirSync(join(ROOT, "test-results"), { recursive: true });
  // A port free a moment ago can be taken by the time workerd binds it (others run servers on
  // this machine too): then wrangler says so and exits, and another port is tried.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const log = join(ROOT, "test-results", `dashboard-wrangler-${port}.log`);
    const dev = await startDev(state, port, vars, log);
    if (await ready(dev, log)) {
      return {
        url: dev.url,
        dev,
        state,
        stop() {
          dev.killHard();
          rmSync(state, { recursive: true, force: true });
        },
      };
    }
    dev.killHard();
    if (attempt === 3) throw new Error(`wrangler dev did not start; see ${log}`);
  }
}

/** Ready when our wrangler says so and answers: an open port alone may be someone else's server. */
async function ready(dev: Dev, log: string): Promise<boolean> {
  const until = Date.now() + 60_000;
  while (Date.now() < until && dev.process.exitCode === null) {
    const said = existsSync(log) ? readFileSync(log, "utf8") : "";
    if (/Address already in use/.test(said)) return false;
    if (/Ready on/.test(said) && (await fetch(`${dev.url}/`).then((r) => r.ok, () => false))) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

export async function call(url: string, method: string, token: string, body?: unknown): Promise<any> {
  const res = await fetch(url, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export interface Browsing {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors so far, less the ones the test said to expect. */
  problems: string[];
  /** Allows console errors matching `pattern` while `action` runs (an API error provoked on purpose). */
  expectingErrors<T>(pattern: RegExp, action: () => Promise<T>): Promise<T>;
  shot(name: string): Promise<void>;
}

/** `options` override the browser context's (another locale, for one). */
export async function openBrowser(options: BrowserContextOptions = {}): Promise<Browsing> {
  // playwright gives the browser a fresh profile directory of its own.
  const browser = await chromium.launch({ executablePath: await chromiumPath(), args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true, locale: "en-GB", timezoneId: "UTC", ...options });
  const page = await context.newPage();
  // Everything here answers in well under a second: fail fast rather than at the test timeout.
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  let allowed: RegExp | null = null;
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const text = `${msg.text()} (${msg.location().url})`;
    if (allowed?.test(text)) return;
    problems.push(`console error: ${text}`);
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  mkdirSync(SCREENS, { recursive: true });
  return {
    browser,
    context,
    page,
    problems,
    async expectingErrors(pattern, action) {
      allowed = pattern;
      try {
        return await action();
      } finally {
        allowed = null;
      }
    },
    async shot(name) {
      await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true });
    },
  };
}

/**
 * Evaluates an expression in the page. A string, not a function: the page's globals (document,
 * location) are not this program's, which is type-checked with the Workers' types.
 */
/** A browser signed in to the dashboard of `serviceUrl` with `apiKey`, on the webhook list. */
export async function openSignedIn(serviceUrl: string, apiKey: string): Promise<Browsing> {
  const b = await openBrowser();
  await b.page.goto(`${serviceUrl}/dashboard`);
  await b.page.getByLabel("API key").fill(apiKey);
  await b.page.getByRole("button", { name: "Sign in" }).click();
  await b.page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
  return b;
}

export const inPage = <T = unknown>(page: Page, expression: string) => page.evaluate(expression) as Promise<T>;
