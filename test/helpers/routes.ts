/**
 * The app's routes, read from the router itself, so that a test over "every route" covers a
 * route added later without being edited (test/auth.test.ts, test/tenant-isolation.test.ts).
 */
import { app } from "../../src/app";

export interface RouteParam {
  name: string;
  /** The regular expression a parameter is constrained to (`:file{app\.js}`), if any. */
  pattern: string | null;
}

export interface MountedRoute {
  method: string;
  /** As Hono has it: /v1/webhooks/:id, /dashboard/:file{app\.(?:js|css)} */
  path: string;
  params: RouteParam[];
}

const PARAM = /:([A-Za-z_]\w*)(\{[^}]*\})?/g;

/** "METHOD /path/:id", whatever the parameter is called or constrained to. */
export const normalise = (method: string, path: string) => `${method} ${path.replace(PARAM, ":id")}`;

/** OpenAPI style, as src/openapi/operations.ts writes paths: /v1/webhooks/{id}. */
export const toOpenApiPath = (path: string) => path.replace(PARAM, "{$1}");

export const routeParams = (path: string): RouteParam[] =>
  [...path.matchAll(PARAM)].map((m) => ({ name: m[1]!, pattern: m[2] ? m[2].slice(1, -1) : null }));

/** Every method and path the app answers (middleware registrations, method ALL, left out). */
export const mountedRoutes: MountedRoute[] = [
  ...new Map(app.routes.filter((r) => r.method !== "ALL").map((r) => [`${r.method} ${r.path}`, { method: r.method, path: r.path, params: routeParams(r.path) }])).values(),
];

/** The normalised form of every mounted route. */
export const mounted = [...new Set(mountedRoutes.map((r) => normalise(r.method, r.path)))];

export const under = (path: string, prefixes: string[]) => prefixes.some((p) => path === p || path.startsWith(`${p}/`));
