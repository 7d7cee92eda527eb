import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { sql } from "drizzle-orm";
import type { Db, Engine } from "../db/connection.ts";

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
    async (_request, reply) => {
      try {
        await db.execute(sql`select 1`);
        return { status: "ok" as const, database: engine, version };
      } catch (err) {
        return reply
          .code(503)
          .send({ status: "unavailable", database: engine, version, detail: (err as Error).message });
      }
    },
  );
};
