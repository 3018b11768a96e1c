import { join } from "node:path";
import { defineConfig } from "vitest/config";

/** System tests: the service as real processes (wrangler dev), driven from Node. */
export default defineConfig({
  test: {
    root: join(import.meta.dirname, "..", ".."),
    include: ["test/system/**/*.test.ts"],
    environment: "node",
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
