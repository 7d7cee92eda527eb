/**
 * Worker-thread entry of `skytom fits extract --jobs N`: parent → `{ id, input, output, defaults,
 * extractThreads }`, one file at a time; worker → `{ id, ok: true, file }` or `{ id, ok: false, message }`.
 * With `extractThreads` > 1 each file's extraction is shared among a pool of that many threads (this one
 * and its own workers, kept for the next file and ended with this thread).
 */
import { parentPort } from "node:worker_threads";
import { ExtractPool } from "../extract-pool.ts";
import { extractFile, type ExtractDefaults } from "./fits-extract-core.ts";

let pool: ExtractPool | undefined;

const port = parentPort;
if (!port) throw new Error("fits-extract-thread must run in a worker thread");

type Job = { id: number; input: string; output: string; defaults: ExtractDefaults; extractThreads: number };

port.on("message", (msg: Job) => {
  if (msg.extractThreads > 1 && pool?.threads !== msg.extractThreads)
    pool = new ExtractPool(msg.extractThreads);
  extractFile(msg.input, msg.output, msg.defaults, msg.extractThreads > 1 ? pool : undefined).then(
    (file) => port.postMessage({ id: msg.id, ok: true, file }),
    (err: unknown) =>
      port.postMessage({ id: msg.id, ok: false, message: (err as Error)?.message ?? String(err) }),
  );
});
