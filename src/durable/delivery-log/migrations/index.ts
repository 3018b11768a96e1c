/**
 * The migrations bundle for drizzle-orm/durable-sqlite's migrator, written by hand (drizzle-kit
 * would generate the same shape, but it cannot express WITHOUT ROWID or these partial indexes
 * as we want them). A new schema change is a new file and a new journal entry with a later
 * `when`: the migrator applies, in one transaction, the entries newer than the last one applied.
 */
import { init } from "./0000_init";
import { firstAttemptKept } from "./0001_first_attempt_kept";

export const bundle = {
  journal: {
    entries: [
      { idx: 0, when: 1764633600000, tag: "0000_init", breakpoints: true },
      { idx: 1, when: 1796256000000, tag: "0001_first_attempt_kept", breakpoints: true },
    ],
  },
  migrations: { m0000: init, m0001: firstAttemptKept },
};
