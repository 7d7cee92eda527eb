/**
 * Issue 22 item 5: the health check of the embedded database does not queue behind the single session.
 * A transaction that keeps the session busy for longer than the health timeout (a catalogue import's batch,
 * an upload) used to turn /api/health/ into a 503 "The database is down."; now the session's activity,
 * published by the database thread, answers it.
 */
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HEALTH_TIMEOUT_MS, healthRoutes, sessionLooksAlive } from "../src/http/health.routes.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

describe("sessionLooksAlive", () => {
  const now = 1_000_000;
  const at = (lastAnswerMs: number, busySinceMs: number) => () => ({ lastAnswerMs, busySinceMs });
  it("an answer in the last 2 s or a query running for under 10 s is alive; otherwise ask", () => {
    expect(sessionLooksAlive(at(now - 500, 0), now)).toBe(true);
    expect(sessionLooksAlive(at(now - 5000, now - 4000), now)).toBe(true);
    expect(sessionLooksAlive(at(now - 5000, 0), now)).toBe(false);
    expect(sessionLooksAlive(at(now - 30_000, now - 20_000), now)).toBe(false);
    expect(sessionLooksAlive(at(0, 0), now)).toBe(false);
    expect(sessionLooksAlive(undefined, now)).toBe(false);
  });
});

describe("GET /api/health/ on the embedded database while one transaction holds its session", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("pglite");
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it("answers 200 before the transaction ends, though the transaction outlasts the health timeout", async () => {
    const { database } = t;
    expect(database.sessionActivity).toBeDefined();
    const app = Fastify();
    await app.register(healthRoutes, {
      db: database.db,
      engine: database.engine,
      version: "test",
      sessionActivity: database.sessionActivity,
    });
    await app.ready();

    // A batch job: one transaction of many short statements, holding the session for longer than
    // HEALTH_TIMEOUT_MS (a `select 1` behind it would time out: 503).
    const client = await database.pool.connect();
    let transactionOver = false;
    const holder = (async () => {
      await client.query("BEGIN");
      const until = Date.now() + HEALTH_TIMEOUT_MS + 1500;
      while (Date.now() < until) {
        await client.query("select count(*) from generate_series(1, 20000)");
        await new Promise((r) => setTimeout(r, 20));
      }
      await client.query("COMMIT");
      transactionOver = true;
    })();
    try {
      await new Promise((r) => setTimeout(r, 200));
      const res = await app.inject({ method: "GET", url: "/api/health/" });
      const answeredDuringTransaction = !transactionOver;
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ status: "ok", database: "pglite" });
      expect(answeredDuringTransaction).toBe(true);
    } finally {
      await holder;
      client.release();
      await app.close();
    }
    // Idle for longer than the "recent answer" window: the check asks the database itself again.
    await new Promise((r) => setTimeout(r, 2100));
    expect(sessionLooksAlive(database.sessionActivity)).toBe(false);
    const app2 = Fastify();
    await app2.register(healthRoutes, {
      db: database.db,
      engine: database.engine,
      version: "test",
      sessionActivity: database.sessionActivity,
    });
    expect((await app2.inject({ method: "GET", url: "/api/health/" })).statusCode).toBe(200);
    expect(sessionLooksAlive(database.sessionActivity)).toBe(true);
    await app2.close();
  });
});
