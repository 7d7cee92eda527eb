/**
 * Image measurements run in worker threads (measure-thread.ts), one measurement per thread at a time,
 * so the event loop of the process — HTTP requests, the job queue's lease renewal — stays free while a
 * frame is measured. Threads are started on demand, kept for the next job, ended after a minute idle,
 * and never keep the process alive. A reference query the thread asks for is answered here, from the
 * job's provider (the database lives on this thread).
 */
import type { Worker } from "node:worker_threads";
import type { Survey } from "../../astro/calibrate/bands.ts";
import type { ReferenceProvider } from "../../catalog/provider.ts";
import { startModuleWorker } from "../../threads.ts";
import type { MeasureInput, MeasureOutput } from "./measure.ts";

const IDLE_MS = 60_000;
const idle: { worker: Worker; timer: NodeJS.Timeout }[] = [];

/** A thread for one measurement: kept alive (ref) while it measures. */
function takeWorker(): Worker {
  const kept = idle.pop();
  if (kept) {
    clearTimeout(kept.timer);
    kept.worker.ref();
    return kept.worker;
  }
  return startModuleWorker(new URL("./measure-thread.ts", import.meta.url), null);
}

/** Back to the idle threads, which do not keep the process alive. */
function giveBack(worker: Worker): void {
  worker.unref();
  const timer = setTimeout(() => {
    const i = idle.findIndex((e) => e.worker === worker);
    if (i >= 0) idle.splice(i, 1);
    void worker.terminate();
  }, IDLE_MS);
  timer.unref();
  idle.push({ worker, timer });
}

type FromThread =
  | { type: "cone"; id: number; raDeg: number; decDeg: number; radiusDeg: number; epochMjd: number }
  | { type: "done"; output: MeasureOutput }
  | { type: "failed"; message: string };

/**
 * Measure an image in a worker thread; reference stars for a blind solve come from `provider` (the
 * calibration's `surveys`, at the frame's epoch). When that query fails, the measurement fails with the
 * provider's own error (an archive that is unreachable now makes the job wait, not fail).
 */
export function measureInThread(
  input: MeasureInput,
  provider: ReferenceProvider,
  surveys: readonly Survey[],
): Promise<MeasureOutput> {
  const worker = takeWorker();
  let coneError: unknown = null;
  return new Promise<MeasureOutput>((resolve, reject) => {
    const finish = (settle: () => void, keep: boolean) => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
      if (keep) giveBack(worker);
      else void worker.terminate();
      settle();
    };
    const onMessage = (msg: FromThread) => {
      if (msg.type === "cone") {
        provider.cone(msg.raDeg, msg.decDeg, msg.radiusDeg, surveys, { epochMjd: msg.epochMjd }).then(
          (result) => worker.postMessage({ type: "cone-result", id: msg.id, result }),
          (err: Error) => {
            coneError = err;
            worker.postMessage({ type: "cone-result", id: msg.id, error: err.message });
          },
        );
      } else if (msg.type === "done") finish(() => resolve(msg.output), true);
      else {
        const err = coneError ?? new Error(`image measurement failed: ${msg.message}`);
        finish(() => reject(err), true);
      }
    };
    const onError = (err: Error) => finish(() => reject(err), false);
    const onExit = (code: number) =>
      finish(() => reject(new Error(`image measurement thread exited with code ${code}`)), false);
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
    worker.postMessage({ type: "run", input });
  });
}
