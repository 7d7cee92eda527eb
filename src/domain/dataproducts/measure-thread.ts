/**
 * Worker-thread entry of the image measurement (measure.ts). Messages: parent → `{ type: "run", input }`
 * (one at a time) and `{ type: "cone-result", id, result | error }`; worker → `{ type: "cone", id,
 * raDeg, decDeg, radiusDeg, epochMjd }` (reference stars for a blind solve, answered by the parent from the
 * database) and `{ type: "done", output }`.
 */
import { parentPort } from "node:worker_threads";
import type { ReferenceCatalogue } from "../../astro/calibrate/bands.ts";
import { ExtractPool, idleCores, withThreads } from "../../extract-pool.ts";
import { measureImage, type MeasureInput, type MeasureOutput, type PixelSpare } from "./measure.ts";

/** The extraction's threads, started on the first job that shares its extraction, kept for the next. */
let pool: ExtractPool | undefined;

function runnerFor(input: MeasureInput) {
  const want = input.extractThreads ?? 1;
  const n = want === "auto" ? idleCores() : Math.max(1, Math.floor(want));
  if (n <= 1) return undefined;
  pool ??= new ExtractPool();
  return withThreads(pool, n);
}

/** The last job's pixels, for the next job's frame (measure.ts PixelSpare). */
const pixels: PixelSpare = {};

const port = parentPort;
if (!port) throw new Error("measure-thread must run in a worker thread");

type FromParent =
  | { type: "run"; input: MeasureInput }
  | { type: "cone-result"; id: number; result?: ReferenceCatalogue; error?: string };

const waiting = new Map<number, { resolve: (r: ReferenceCatalogue) => void; reject: (e: Error) => void }>();
let nextId = 1;

function cone(
  raDeg: number,
  decDeg: number,
  radiusDeg: number,
  epochMjd: number,
): Promise<ReferenceCatalogue> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    port!.postMessage({ type: "cone", id, raDeg, decDeg, radiusDeg, epochMjd });
  });
}

port.on("message", (msg: FromParent) => {
  if (msg.type === "cone-result") {
    const w = waiting.get(msg.id);
    waiting.delete(msg.id);
    if (msg.result) w?.resolve(msg.result);
    else w?.reject(new Error(msg.error ?? "reference query failed"));
    return;
  }
  void measureImage(msg.input, cone, runnerFor(msg.input), pixels).then(
    (output: MeasureOutput) =>
      port.postMessage({ type: "done", output }, output.ok ? [output.previewPng.buffer as ArrayBuffer] : []),
    (err: unknown) => port.postMessage({ type: "failed", message: (err as Error)?.message ?? String(err) }),
  );
});
