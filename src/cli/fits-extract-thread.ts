/**
 * Worker-thread entry of `skytom fits extract --jobs N`: parent → `{ id, input, output, defaults }`, one
 * file at a time; worker → `{ id, ok: true, file }` or `{ id, ok: false, message }`.
 */
import { parentPort } from "node:worker_threads";
import { extractFile, type ExtractDefaults } from "./fits-extract-core.ts";

const port = parentPort;
if (!port) throw new Error("fits-extract-thread must run in a worker thread");

port.on("message", (msg: { id: number; input: string; output: string; defaults: ExtractDefaults }) => {
  extractFile(msg.input, msg.output, msg.defaults).then(
    (file) => port.postMessage({ id: msg.id, ok: true, file }),
    (err: unknown) =>
      port.postMessage({ id: msg.id, ok: false, message: (err as Error)?.message ?? String(err) }),
  );
});
