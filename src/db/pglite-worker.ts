/**
 * Worker-thread entry that owns the embedded PGlite database and serves it on a unix socket.
 * PGlite runs queries on the thread that owns it and blocks that thread meanwhile, so it lives here,
 * away from the HTTP event loop. Messages: parent → `{ type: "stop" }`; worker → `{ type: "ready" }`,
 * `{ type: "error", message }`, `{ type: "stopped" }`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { PgliteServer, SessionActivity } from "./pglite-server.ts";

interface WorkerInput {
  dataDir: string;
  socketPath: string;
  /** SessionActivity's shared memory, read by the parent thread. */
  activity: SharedArrayBuffer;
}

const { dataDir, socketPath, activity } = workerData as WorkerInput;
const port = parentPort;
if (!port) throw new Error("pglite-worker must run in a worker thread");

try {
  const db = await PGlite.create(dataDir);
  const server = new PgliteServer({
    db,
    path: socketPath,
    activity: new SessionActivity(activity),
    onError: (err) => port.postMessage({ type: "log", message: String(err) }),
  });
  await server.start();
  port.on("message", async (msg: { type: string }) => {
    if (msg.type !== "stop") return;
    try {
      await server.stop();
      await db.close();
    } finally {
      port.postMessage({ type: "stopped" });
    }
  });
  port.postMessage({ type: "ready" });
} catch (err) {
  port.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) });
}
