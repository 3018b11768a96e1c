import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { mtlsForwarder } from "./node/mtls-forwarder.ts";
import { makePki } from "./node/pki.ts";

const root = join(import.meta.dirname, "..");

export default defineConfig(async () => {
  const migrations = await readD1Migrations(join(root, "migrations"));
  const pki = makePki(join(tmpdir(), "nafsi-webhooks-test-pki"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: join(root, "wrangler.toml") },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ENVIRONMENT: "test",
            // Short enough to test a hanging receiver; the product's 30 s is the default.
            DELIVERY_TIMEOUT_MS: "1500",
            // Below the timeout, so a hanging endpoint is moved to the slow lane as on the edge
            // (where the patience is 5 s and the timeout 30 s).
            DELIVERY_PATIENCE_MS: "1000",
            // Crashed batches come back at once here, so the crash and dead-letter tests stay short.
            REDELIVERY_BASE_DELAY_S: "0",
            // Recoveries of a few hundred deliveries span several steps (src/recoveries/policy.ts).
            RECOVERY_STEP_DELIVERIES: "60",
            // A webhook's list summary (success rate, last triggered) is written to D1 soon after
            // its deliveries, so list tests wait a moment rather than the production 30 s.
            SUMMARY_REFRESH_MS: "200",
          },
          // The production mTLS binding, played by a Node function that presents our client cert.
          serviceBindings: { MTLS: mtlsForwarder(pki) },
        },
      }),
    ],
    test: {
      root,
      include: ["test/**/*.test.ts"],
      // Run in Node by their own configs: real processes (system) and a real browser.
      exclude: ["test/system/**", "test/browser/**", "**/node_modules/**"],
      globalSetup: [join(root, "test/global-setup.ts")],
      setupFiles: [join(root, "test/apply-migrations.ts")],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
