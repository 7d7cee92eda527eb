/**
 * A `skytom worker --concurrency 2` whose reference catalogue answers only after SLOW_WORKER_DELAY_MS
 * (default 60 s): each calibration it takes is marked running (status P), then waits, so a test can kill
 * the worker in the middle of one (test/multiprocess.test.ts). The delay is injected here, through the
 * worker's reference-provider dependency; production code has no such hook.
 * Run as `node test/helpers/slow-worker.mjs` with the deployment's environment. Like bin/skytom.js it runs
 * the compiled dist/ when that is current (a start without esbuild compiling src/: several seconds less
 * on a busy 2-core machine), else the TypeScript sources through tsx; SKYTOM_RUN_SOURCES=1 forces those.
 */
import { readdirSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, URL } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** True when dist/ was built from the sources as they are (as in bin/skytom.js). */
function compiledIsCurrent() {
  let built;
  try {
    built = statSync(`${root}dist/.built`).mtimeMs;
  } catch {
    return false;
  }
  for (const name of readdirSync(`${root}src`, { recursive: true })) {
    if (statSync(`${root}src/${name}`).mtimeMs > built) return false;
  }
  return true;
}

let load;
if (process.env.SKYTOM_RUN_SOURCES !== "1" && compiledIsCurrent()) {
  load = (module) => import(`${root}dist/${module}.js`);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  load = (module) => import(`${root}src/${module}.ts`);
}
const { StoredCatalogueProvider } = await load("catalog/provider");
const { loadConfig } = await load("config");
const { startWorkerProcess } = await load("server");

const delayMs = Number(process.env.SLOW_WORKER_DELAY_MS ?? 60_000);

await startWorkerProcess(loadConfig(), 2, {
  referenceProvider: (database) => {
    const stored = new StoredCatalogueProvider(database.db);
    return {
      cone: async (...args) => {
        await sleep(delayMs);
        return stored.cone(...args);
      },
    };
  },
});
