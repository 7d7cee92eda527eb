/**
 * Worker threads started from a module of ours, whether we run from TypeScript sources (tsx, vitest) or
 * from compiled JavaScript (dist/): the embedded database's host (src/db/pglite-worker.ts), the image
 * measurement (src/domain/dataproducts/measure-thread.ts) and the extraction pool (src/extract-pool.ts);
 * and how many cores are idle now ({@link idleCores}).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/** URL of tsx's ESM register API (its CommonJS twin cannot register hooks from a worker). */
function tsxEsmApi(): string {
  const pkg = createRequire(import.meta.url).resolve("tsx/package.json");
  return pathToFileURL(join(pkg, "..", "dist", "esm", "api", "index.mjs")).href;
}

/**
 * Start a worker from a module given by its `.ts` URL (`new URL("./x.ts", import.meta.url)`). Compiled,
 * the `.js` next to it runs; from sources, the worker registers the tsx loader first: loader flags in
 * execArgv do not reach a worker's entry module.
 */
export function startModuleWorker(entry: URL, data: unknown): Worker {
  const url = import.meta.url.endsWith(".ts") ? entry.href : entry.href.replace(/\.ts$/, ".js");
  const loader = url.endsWith(".ts") ? `(await import(${JSON.stringify(tsxEsmApi())})).register();` : "";
  return new Worker(`${loader} await import(${JSON.stringify(url)});`, { eval: true, workerData: data });
}

/**
 * Cores no other thread wants right now: the machine's cores minus the other runnable threads of the
 * whole system (the first number of /proc/loadavg's fourth field counts the runnable threads at this
 * instant, the caller included), at least 1; 1 where /proc/loadavg cannot be read. The FITS job uses it
 * to share its extraction only among cores that would otherwise stay idle: in a night of uploads, with
 * as many busy worker processes as cores, it answers 1 and each job keeps to its own core.
 */
export function idleCores(cores: number = availableParallelism(), loadavgText?: string): number {
  let text = loadavgText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/loadavg", "utf8");
    } catch {
      return 1;
    }
  }
  const running = Number(text.split(" ")[3]?.split("/")[0]);
  if (!Number.isInteger(running) || running < 1) return 1;
  return Math.max(1, Math.min(cores, cores - (running - 1)));
}
