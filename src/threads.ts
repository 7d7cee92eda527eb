/**
 * Worker threads started from a module of ours, whether we run from TypeScript sources (tsx, vitest) or
 * from compiled JavaScript (dist/): the embedded database's host (src/db/pglite-worker.ts) and the image
 * measurement (src/jobs/measure-thread.ts).
 */
import { createRequire } from "node:module";
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
