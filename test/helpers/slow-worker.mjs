/**
 * A `skytom worker --concurrency 2` whose reference catalogue answers only after SLOW_WORKER_DELAY_MS
 * (default 60 s): each calibration it takes is marked running (status P), then waits, so a test can kill
 * the worker in the middle of one (test/multiprocess.test.ts). The delay is injected here, through the
 * worker's reference-provider dependency; production code has no such hook.
 * Run as `node test/helpers/slow-worker.mjs` with the deployment's environment. Like bin/skytom.js it runs
 * the compiled dist/ when that is current (a start without esbuild compiling src/: several seconds less
 * on a busy 2-core machine), else the TypeScript sources through tsx; SKYTOM_RUN_SOURCES=1 forces those.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { root, runCompiled } from "../../bin/compiled.js";

let load;
if (runCompiled()) {
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
