import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { sql } from "drizzle-orm";
import type { Db, Engine } from "../db/connection.ts";
import { RETRY_AFTER_SECONDS } from "./errors.ts";

/** The health check answers within this many ms even when the database hangs. */
export const HEALTH_TIMEOUT_MS = 3000;
/** Embedded database: an answer this recent proves it alive without asking again. */
export const HEALTH_RECENT_ANSWER_MS = 2000;
/** Embedded database: a query running for less than this counts as work, not a hang. */
export const HEALTH_BUSY_LIMIT_MS = 10_000;

type SessionActivity = () => { lastAnswerMs: number; busySinceMs: number };

/**
 * Is the embedded database's single session answering, judged from its activity alone? Its session is
 * shared by every request (pglite-server.ts): a `select 1` would queue behind a catalogue import's batch
 * or an upload's transaction and make a busy instance look down (issue 22). An answer in the last 2 s, or a
 * query started less than 10 s ago, says it is working; otherwise the health check asks it.
 */
export function sessionLooksAlive(activity: SessionActivity | undefined, now = Date.now()): boolean {
  if (!activity) return false;
  const { lastAnswerMs, busySinceMs } = activity();
  if (busySinceMs > 0 && now - busySinceMs < HEALTH_BUSY_LIMIT_MS) return true;
  return lastAnswerMs > 0 && now - lastAnswerMs < HEALTH_RECENT_ANSWER_MS;
}

/**
 * `GET /api/health/` — for load balancers and monitoring: 200 when this process can query the database,
 * else 503 (database down, restarting or not answering within 3 s) with Retry-After.
 */
export const healthRoutes: FastifyPluginAsyncTypebox<{
  db: Db;
  engine: Engine;
  version: string;
  sessionActivity?: SessionActivity;
}> = async (app, { db, engine, version, sessionActivity }) => {
  app.get(
    "/api/health/",
    {
      config: { auth: "none" },
      schema: {
        tags: ["ops"],
        summary: "Liveness and database check",
        description:
          "200 when this process reaches the database (`database` names the engine); 503 with " +
          "`status: unavailable` and a Retry-After header when the database is down or does not answer " +
          `within ${HEALTH_TIMEOUT_MS / 1000} s. On the embedded database, whose one session all requests ` +
          "share, a query answered in the last 2 s (or one running for less than 10 s) counts as an " +
          "answer, so that a busy instance does not look down.",
        response: {
          200: Type.Object({ status: Type.Literal("ok"), database: Type.String(), version: Type.String() }),
          503: Type.Object({
            status: Type.String(),
            database: Type.String(),
            version: Type.String(),
            detail: Type.String(),
          }),
        },
      },
    },
    async (request, reply) => {
      if (sessionLooksAlive(sessionActivity)) return { status: "ok" as const, database: engine, version };
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          db.execute(sql`select 1`),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error("no answer from the database")), HEALTH_TIMEOUT_MS);
          }),
        ]);
        return { status: "ok" as const, database: engine, version };
      } catch (err) {
        const cause =
          (err as Error).cause instanceof Error ? ((err as Error).cause as Error) : (err as Error);
        request.log.warn({ err: cause.message }, "health check: database down");
        return reply
          .code(503)
          .header("Retry-After", String(RETRY_AFTER_SECONDS))
          .send({ status: "unavailable", database: engine, version, detail: "The database is down." });
      } finally {
        clearTimeout(timer);
      }
    },
  );
};
