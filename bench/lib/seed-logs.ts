/**
 * Fills a webhook's delivery log on a persisted state directory for the log benchmark: the
 * seeding Worker (./seed-worker.ts, the service's config with another entry point) is started on
 * the state, asked for one partition at a time, and stopped, so the service started afterwards on
 * the same state reads the rows as its own. The service must not be running meanwhile: two
 * workerd processes would open the same SQLite files.
 */
import { join } from "node:path";
import { seedDays, type SeedSpec } from "../../test/helpers/seed-sql.ts";
import { startPersistedDev } from "./persisted-dev.ts";
import { ROOT } from "./processes.ts";

/** Seeds `spec` into the webhook's partitions; answers the seconds the seeding took (the seeder's start left out) and the days. */
export async function seedLogs(state: string, port: number, spec: SeedSpec): Promise<{ seconds: number; partitions: number }> {
  const seeder = await startPersistedDev(state, port, join(ROOT, "bench/lib/seed-worker.ts"));
  try {
    const days = seedDays(spec);
    const t = performance.now();
    for (const [day, from, to] of days) {
      const res = await fetch(`${seeder.url}/`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ scope: { organisationId: spec.organisationId, webhookId: spec.webhookId, day }, spec, from, to }),
      });
      if (!res.ok) throw new Error(`seeding day ${day}: ${res.status} ${(await res.text()).slice(0, 2000)}`);
      await res.arrayBuffer();
    }
    return { seconds: (performance.now() - t) / 1000, partitions: days.length };
  } finally {
    await seeder.stop();
  }
}
