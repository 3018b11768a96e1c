import { join } from "node:path";
import { defineConfig } from "vitest/config";

/** Browser tests: the dashboard in headless Chromium against `wrangler dev`, driven from Node; and its pure parts. */
export default defineConfig({
  test: {
    root: join(import.meta.dirname, "..", ".."),
    include: ["test/browser/**/*.test.ts", "dashboard/**/*.test.ts"],
    environment: "node",
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
