// Types for the test pool: the worker's bindings plus the test-only ones, and the main module.
type WorkerBindings = import("../src/env").Env;
type D1MigrationList = import("cloudflare:test").D1Migration[];

declare namespace Cloudflare {
  interface Env extends WorkerBindings {
    TEST_MIGRATIONS: D1MigrationList;
  }
  interface GlobalProps {
    mainModule: typeof import("../src/index");
    durableNamespaces: "WebhookHealth" | "SweepClock";
  }
}
