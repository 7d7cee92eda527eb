/**
 * A PostgreSQL wire-protocol front for one PGlite instance, so that ordinary `pg` clients (the server's
 * pool, the CLI, pg-boss) can share the embedded database.
 *
 * Why not `PGLiteSocketServer` as shipped: it forwards each protocol message on its own, so two
 * connections' extended-protocol messages (Parse/Bind/Execute … Sync) can interleave on PGlite's single
 * session and one client would bind the other's unnamed statement. Here a connection owns the session
 * from the first message of a group until PGlite answers ReadyForQuery with status `I` (idle): a whole
 * Parse…Sync group, a simple Query, or a whole transaction. Other connections queue meanwhile.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const GSSENC_REQUEST = 80877104;

/** A FIFO mutex: who holds the PGlite session. */
class SessionLock {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}

export interface PgliteServerOptions {
  db: PGlite;
  /** Unix socket path. */
  path: string;
  onError?: (err: unknown) => void;
  /** Where the session's activity is published for other threads (see SessionActivity). */
  activity?: SessionActivity;
}

/**
 * The PGlite session's activity, in memory shared with the thread that started the database: when it last
 * finished answering a message group, and since when it has been running one (0: idle). Read without a
 * query, so the health check need not queue behind the single session (embedded.ts, health.routes.ts).
 */
export class SessionActivity {
  private readonly cells: BigInt64Array;
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(16)) {
    this.cells = new BigInt64Array(buffer);
  }
  started(now = Date.now()): void {
    Atomics.store(this.cells, 1, BigInt(now));
  }
  finished(now = Date.now()): void {
    Atomics.store(this.cells, 0, BigInt(now));
    Atomics.store(this.cells, 1, 0n);
  }
  /** Epoch ms of the last answer (0: none yet) and of the start of the group running now (0: none). */
  read(): { lastAnswerMs: number; busySinceMs: number } {
    return {
      lastAnswerMs: Number(Atomics.load(this.cells, 0)),
      busySinceMs: Number(Atomics.load(this.cells, 1)),
    };
  }
}

export class PgliteServer {
  private server: Server | null = null;
  private readonly lock = new SessionLock();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly opts: PgliteServerOptions) {}

  start(): Promise<void> {
    const server = createServer((socket) => this.serve(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.opts.path, () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    // Wait until nobody holds the session any more.
    const release = await this.lock.acquire();
    release();
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    let startupDone = false;
    let release: (() => void) | null = null;
    let chain: Promise<void> = Promise.resolve();
    let closed = false;

    const run = async (message: Buffer, endsGroup: boolean) => {
      if (!release) release = await this.lock.acquire();
      if (closed) return;
      let tail = Buffer.alloc(0);
      this.opts.activity?.started();
      try {
        await this.opts.db.runExclusive(() =>
          this.opts.db.execProtocolRawStream(new Uint8Array(message), {
            onRawData: (chunk: Uint8Array) => {
              if (chunk.length === 0) return;
              tail = Buffer.concat([tail, Buffer.from(chunk)]).subarray(-6);
              if (!closed && socket.writable) socket.write(Buffer.from(chunk));
            },
          }),
        );
      } finally {
        this.opts.activity?.finished();
      }
      // ReadyForQuery = 'Z' int32(5) status; status 'I' means no transaction is open.
      const idle = tail.length === 6 && tail[0] === 0x5a && tail[5] === 0x49;
      if (endsGroup && idle && release) {
        release();
        release = null;
      }
    };

    const cleanup = async () => {
      if (closed) return;
      closed = true;
      this.sockets.delete(socket);
      await chain.catch(() => undefined);
      if (release) {
        try {
          if (this.opts.db.isInTransaction()) await this.opts.db.exec("ROLLBACK");
        } catch (err) {
          this.opts.onError?.(err);
        }
        release();
        release = null;
      }
    };

    socket.on("data", (data) => {
      buffer = Buffer.concat([buffer, data]);
      const groups: Array<{ message: Buffer; endsGroup: boolean }> = [];
      let pending: Buffer[] = [];
      for (;;) {
        if (!startupDone) {
          if (buffer.length < 8) break;
          const len = buffer.readInt32BE(0);
          const code = buffer.readInt32BE(4);
          if (buffer.length < len) break;
          const msg = buffer.subarray(0, len);
          buffer = buffer.subarray(len);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            socket.write("N");
            continue;
          }
          if (code === CANCEL_REQUEST) {
            socket.end();
            return;
          }
          startupDone = true;
          groups.push({ message: Buffer.from(msg), endsGroup: true });
          continue;
        }
        if (buffer.length < 5) break;
        const type = buffer[0];
        const len = 1 + buffer.readInt32BE(1);
        if (buffer.length < len) break;
        const msg = buffer.subarray(0, len);
        buffer = buffer.subarray(len);
        if (type === 0x58 /* X: Terminate */) {
          socket.end();
          break;
        }
        pending.push(Buffer.from(msg));
        // Sync and Query end a group; Flush asks for output now but keeps the session.
        if (type === 0x53 /* S */ || type === 0x51 /* Q */ || type === 0x48 /* H */) {
          groups.push({ message: Buffer.concat(pending), endsGroup: type !== 0x48 });
          pending = [];
        }
      }
      if (pending.length > 0) buffer = Buffer.concat([...pending, buffer]);
      for (const g of groups) {
        chain = chain
          .then(() => run(g.message, g.endsGroup))
          .catch((err) => {
            this.opts.onError?.(err);
            socket.destroy();
          });
      }
    });
    socket.on("close", () => void cleanup());
    socket.on("error", () => void cleanup());
  }
}
