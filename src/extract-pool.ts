/**
 * A small persistent pool of worker threads for the parallel extraction core
 * (src/astro/image/extract-parallel.ts): `threads` − 1 workers, started on first use and kept, plus the
 * calling thread, which takes pieces of every pass itself. Idle workers do not keep the process
 * alive (a CLI run, the server, a worker process and vitest exit without `close()`); `close()` ends them.
 * A piece that throws rejects the pass with its message; a worker that dies rejects its pieces and is
 * replaced on the next pass.
 */
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import type {
  ExtractRunner,
  ExtractTaskKind,
  TaskInput,
  TaskOutput,
} from "./astro/image/extract-parallel.ts";
import { runExtractTask } from "./astro/image/extract-parallel.ts";
import { startModuleWorker } from "./threads.ts";

export { idleCores } from "./threads.ts";

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  slot: number;
}

type FromThread = { id: number; output: unknown } | { id: number; error: string };

export class ExtractPool implements ExtractRunner {
  readonly threads: number;
  private readonly workers: (Worker | null)[];
  private readonly busy: number[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  /** `threads` in all (this one included); default: the machine's cores. */
  constructor(threads: number = availableParallelism()) {
    this.threads = Math.max(1, Math.floor(threads));
    this.workers = new Array<Worker | null>(this.threads - 1).fill(null);
    this.busy = new Array<number>(this.threads - 1).fill(0);
  }

  /**
   * Runs the pieces, handed out in order to whichever thread is free: each worker holds one piece at a
   * time, and this thread takes the next piece whenever it has finished one (between pieces it lets the
   * workers' answers in). A thread that loses its core for a while (a loaded machine) then delays the
   * pass by one piece, not by its whole share. Outputs in the order of the inputs.
   */
  async run<K extends ExtractTaskKind>(kind: K, inputs: TaskInput<K>[]): Promise<TaskOutput<K>[]> {
    if (this.closed) throw new Error("the extraction pool is closed");
    const out = new Array<TaskOutput<K>>(inputs.length);
    if (this.threads === 1 || inputs.length <= 1) {
      for (let i = 0; i < inputs.length; i++) out[i] = runExtractTask(kind, inputs[i]);
      return out;
    }
    let next = 0;
    let failure: { error: unknown } | null = null;
    const lanes: Promise<void>[] = [];
    const lane = async (slot: number): Promise<void> => {
      while (failure === null && next < inputs.length) {
        const i = next++;
        try {
          out[i] = (await this.post(slot, kind, inputs[i])) as TaskOutput<K>;
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    for (let slot = 0; slot < this.threads - 1 && slot + 1 < inputs.length; slot++) lanes.push(lane(slot));
    while (failure === null && next < inputs.length) {
      const i = next++;
      try {
        out[i] = runExtractTask(kind, inputs[i]);
      } catch (error) {
        failure = { error };
        break;
      }
      if (next < inputs.length) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(lanes);
    if (failure !== null) throw (failure as { error: unknown }).error;
    return out;
  }

  /** Ends the workers; later runs are refused. */
  async close(): Promise<void> {
    this.closed = true;
    const ws = this.workers.filter((w): w is Worker => w !== null);
    this.workers.fill(null);
    await Promise.all(ws.map((w) => w.terminate()));
  }

  private post(slot: number, kind: ExtractTaskKind, input: unknown): Promise<unknown> {
    const worker = this.worker(slot);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      if (this.busy[slot]++ === 0) worker.ref();
      worker.postMessage({ id, kind, input });
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    const w = this.workers[p.slot];
    if (--this.busy[p.slot] === 0) w?.unref();
    return p;
  }

  private worker(slot: number): Worker {
    const existing = this.workers[slot];
    if (existing) return existing;
    const w = startModuleWorker(new URL("./extract-pool-thread.ts", import.meta.url), null);
    w.unref();
    const died = (err: Error) => {
      if (this.workers[slot] !== w) return;
      this.workers[slot] = null;
      for (const [id, p] of [...this.pending]) {
        if (p.slot !== slot) continue;
        this.pending.delete(id);
        p.reject(err);
      }
      this.busy[slot] = 0;
    };
    w.on("message", (msg: FromThread) => {
      const p = this.settle(msg.id);
      if (!p) return;
      if ("error" in msg) p.reject(new Error(`extraction thread: ${msg.error}`));
      else p.resolve(msg.output);
    });
    w.on("error", died);
    w.on("exit", (code) => died(new Error(`extraction thread exited with code ${code}`)));
    this.workers[slot] = w;
    return w;
  }
}

/** A runner of at most `threads` of the pool's threads (the pool's own count when larger). */
export function withThreads(pool: ExtractPool, threads: number): ExtractRunner {
  return { threads: Math.min(threads, pool.threads), run: (kind, inputs) => pool.run(kind, inputs) };
}
