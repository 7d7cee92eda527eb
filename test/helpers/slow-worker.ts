/**
 * A `skytom worker --concurrency 2` whose reference catalogue answers only after SLOW_WORKER_DELAY_MS
 * (default 60 s): each calibration it takes is marked running (status P), then waits, so a test can kill
 * the worker in the middle of one (test/multiprocess.test.ts). The delay is injected here, through the
 * worker's reference-provider dependency; production code has no such hook.
 * Run as `node --import tsx test/helpers/slow-worker.ts` with the deployment's environment.
 */
import { StoredCatalogueProvider } from "../../src/catalog/provider.ts";
import { loadConfig } from "../../src/config.ts";
import { startWorkerProcess } from "../../src/server.ts";

const delayMs = Number(process.env.SLOW_WORKER_DELAY_MS ?? 60_000);

await startWorkerProcess(loadConfig(), 2, {
  referenceProvider: (database) => {
    const stored = new StoredCatalogueProvider(database.db);
    return {
      cone: async (...args) => {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        return stored.cone(...args);
      },
    };
  },
});
