/** The dashboard's shell and assets as the worker serves them: no inline code, a strict CSP, versioned assets. */
import { describe, expect, it } from "vitest";
import { call } from "./helpers/api";

describe("GET /dashboard", () => {
  it("is an HTML shell with a CSP that allows no inline script or style, and no outside resource", async () => {
    const res = await call("GET", "/dashboard");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const csp = res.headers.get("Content-Security-Policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    const html = res.body as string;
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/<script>|<style>|\son[a-z]+=|(src|href)="https?:/);
    expect(html).toMatch(/<script type="module" src="\/dashboard\/app\.js\?v=[0-9a-f]{16}">/);
  });

  it("serves the script and the stylesheet under the version the shell names, and 304 when unchanged", async () => {
    const html = (await call("GET", "/dashboard")).body as string;
    const version = /app\.js\?v=([0-9a-f]{16})/.exec(html)![1]!;
    const js = await call("GET", `/dashboard/app.js?v=${version}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("Content-Type")).toMatch(/^text\/javascript/);
    expect(js.headers.get("ETag")).toBe(`"${version}"`);
    expect((js.body as string).length).toBeGreaterThan(10_000);
    const css = await call("GET", "/dashboard/app.css");
    expect(css.headers.get("Content-Type")).toMatch(/^text\/css/);
    expect(css.body as string).toContain(".uplot");
    expect((await call("GET", "/dashboard/app.js", { headers: { "If-None-Match": `"${version}"` } })).status).toBe(304);
    expect((await call("GET", "/dashboard/other.js")).status).toBe(404);
  });
});
