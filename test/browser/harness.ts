/**
 * What the dashboard test runs against: `wrangler dev` on a fresh state (test/system/dev-server),
 * an organisation made through the operator API, a local receiver that records what it gets, and
 * Debian's Chromium driven by playwright-core, failing on any console error or page error.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { applyMigrations, startDev, type Dev } from "../system/dev-server";

export const ROOT = join(import.meta.dirname, "..", "..");
export const SCREENS = join(ROOT, "test-results", "screens");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// What works for Debian's Chromium here: no sandbox (root), no GPU, nothing that calls out.
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

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

/** A plain HTTP receiver on 127.0.0.1 that records what came: 500 to workflow.created events, 200 to the rest. */
export async function startReceiver(): Promise<{ url: string; received: Received[]; close(): void }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
      const fail = req.headers["x-nafsi-event"] === "workflow.created";
      res.writeHead(fail ? 500 : 200, { "Content-Type": "application/json" }).end(fail ? '{"error":"Database connection failed","retry":true}' : '{"received":true}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => server.close() };
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

export async function startService(): Promise<Service> {
  const state = mkdtempSync(join(tmpdir(), "nafsi-dashboard-"));
  applyMigrations(state);
  mkdirSync(join(ROOT, "test-results"), { recursive: true });
  const dev = await startDev(state, await freePort(), {}, join(ROOT, "test-results", "dashboard-wrangler.log"));
  // The port opens before the worker is ready: wait for an answer.
  const until = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`${dev.url}/`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > until) throw new Error("wrangler dev did not answer");
    await new Promise((r) => setTimeout(r, 250));
  }
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

export async function openBrowser(): Promise<Browsing> {
  // playwright gives the browser a fresh profile directory of its own.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true, locale: "en-GB", timezoneId: "UTC" });
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
export const inPage = <T = unknown>(page: Page, expression: string) => page.evaluate(expression) as Promise<T>;
