import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { sql } from "drizzle-orm";
import type { Db, Engine } from "../db/connection.ts";
import { RETRY_AFTER_SECONDS } from "./errors.ts";

/** The health check answers within this many ms even when the database hangs. */
export const HEALTH_TIMEOUT_MS = 3000;

/**
 * `GET /api/health/` — for load balancers and monitoring: 200 when this process can query the database,
 * else 503 (database down, restarting or not answering within 3 s) with Retry-After.
 */
export const healthRoutes: FastifyPluginAsyncTypebox<{ db: Db; engine: Engine; version: string }> = async (
  app,
  { db, engine, version },
) => {
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
          `within ${HEALTH_TIMEOUT_MS / 1000} s.`,
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
