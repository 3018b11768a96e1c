import { Hono } from "hono";
import type { AppEnv } from "../middleware";
import { DocsPage } from "./docs-page";
import { openApiDocument } from "./document";

/** The API's description: public, like any published API reference. */
export const openApiRoutes = new Hono<AppEnv>();

openApiRoutes.get("/openapi.json", (c) => c.json(openApiDocument()));
openApiRoutes.get("/docs", (c) => c.html(`<!doctype html>${(<DocsPage doc={openApiDocument()} />).toString()}`));
