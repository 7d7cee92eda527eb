/**
 * Worker-thread entry of the extraction pool (extract-pool.ts): parent → `{ id, kind, input }`; worker →
 * `{ id, output }` (its arrays transferred, not copied) or `{ id, error }`. The image in the inputs is in
 * shared memory: every thread reads the same pixels.
 */
import { parentPort } from "node:worker_threads";
import { runExtractTask, type ExtractTaskKind } from "./astro/image/extract-parallel.ts";

const port = parentPort;
if (!port) throw new Error("extract-pool-thread must run in a worker thread");

/** The (non-shared) buffers of an output's typed arrays, to transfer instead of copying. */
function transferables(output: object): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of Object.values(output))
    if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  return [...out];
}

port.on("message", (msg: { id: number; kind: ExtractTaskKind; input: never }) => {
  let output: object;
  try {
    output = runExtractTask(msg.kind, msg.input);
  } catch (err) {
    port.postMessage({ id: msg.id, error: (err as Error)?.message ?? String(err) });
    return;
  }
  port.postMessage({ id: msg.id, output }, transferables(output));
});
