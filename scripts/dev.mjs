/**
 * `npm run dev`: apply the local D1 migrations, then `wrangler dev` (arguments after `--` go to
 * it). wrangler asks before applying migrations when it has a terminal; its stdin is closed here
 * so it does not, on every platform (a `< /dev/null` redirect in package.json was POSIX-only).
 */
import { spawn, spawnSync } from "node:child_process";

// npm puts node_modules/.bin on PATH; Windows needs a shell to run its .cmd shims.
const shell = process.platform === "win32";
const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local"], { stdio: ["ignore", "inherit", "inherit"], shell });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const dev = spawn("wrangler", ["dev", ...process.argv.slice(2)], { stdio: "inherit", shell });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
