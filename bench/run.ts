/**
 * `npm run bench`: run every bench/*.bench.ts (or those named on the command line: `npm run bench --
 * targets downloads`) in turn, each in its own process. Each prints one JSON line per measurement; the
 * first line describes the machine. Benchmarks compare within one run; they are never test assertions.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { BENCH_SERVER } from "./pg.ts";
import { describeMachine } from "./server.ts";

const dir = fileURLToPath(new URL(".", import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
await describeMachine(BENCH_SERVER);
let failed = 0;
for (const f of files) {
  // A process per file: memory figures and module state of one bench do not leak into the next.
  const r = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", join(dir, f)], {
    stdio: "inherit",
  });
  if (r.status !== 0) {
    failed++;
    console.log(JSON.stringify({ bench: f, failed: true, status: r.status }));
  }
}
process.exitCode = failed ? 1 : 0;
