/**
 * The dashboard at /dashboard: an HTML shell and the browser code built from dashboard/ by
 * scripts/build-dashboard.mjs. Public, like /docs: the pages hold no data; every screen calls
 * the API with the organisation's key, so the dashboard can do nothing the API does not allow.
 */
import { Hono, type Context } from "hono";
import { APP_CSS, APP_JS, VERSION } from "../../dist/dashboard/bundle.ts";
import type { AppEnv } from "../middleware";

export const dashboardRoutes = new Hono<AppEnv>();

// Scripts and styles only from here (no inline code), calls only to this origin.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function Shell() {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Nafsi Webhooks</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={`/dashboard/app.css?v=${VERSION}`} />
        <script type="module" src={`/dashboard/app.js?v=${VERSION}`}></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="#/">Nafsi Webhooks</a>
          <nav id="nav" aria-label="Main"></nav>
        </header>
        <main id="main" tabindex={-1}>
          <noscript>The dashboard needs JavaScript. The API works without it: see /docs.</noscript>
        </main>
      </body>
    </html>
  );
}

const asset = (c: Context<AppEnv>, body: string, type: string) => {
  // The shell names the version, so a changed file is a new URL; the ETag covers a stale one.
  if (c.req.header("If-None-Match") === `"${VERSION}"`) return c.body(null, 304);
  return c.body(body, 200, { "Content-Type": type, ETag: `"${VERSION}"`, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff" });
};

dashboardRoutes.get("/", (c) => {
  c.header("Content-Security-Policy", CSP);
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
  c.header("Cache-Control", "no-cache");
  return c.html(`<!doctype html>${(<Shell />).toString()}`);
});
dashboardRoutes.get("/:file{app\\.(?:js|css)}", (c) =>
  c.req.param("file") === "app.js" ? asset(c, APP_JS, "text/javascript; charset=utf-8") : asset(c, APP_CSS, "text/css; charset=utf-8"),
);
