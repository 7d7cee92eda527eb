/** Target aliases (one per source): list, set, delete. */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Db } from "../db/connection.ts";
import * as aliases from "../domain/targets/aliases.ts";
import { ALIAS_SOURCES } from "../vocabulary.ts";
import { requireActor } from "./auth.ts";
import { Detail, FieldErrorsSchema } from "./schemas.ts";

const Alias = Type.Object({
  source_name: Type.String(),
  name: Type.String(),
  url: Type.Union([Type.String(), Type.Null()]),
  created: Type.String(),
});
const Params = Type.Object({ name: Type.String() });

export const aliasesRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    "/api/targets/:name/aliases/",
    {
      schema: {
        tags: ["targets"],
        summary: "Aliases of a target",
        params: Params,
        response: { 200: Type.Array(Alias), 404: Detail },
      },
    },
    async (request) => aliases.listAliases(db, request.params.name),
  );
  app.post(
    "/api/targets/:name/aliases/",
    {
      schema: {
        tags: ["targets"],
        summary: "Set the target's alias for one source (replaces that source's alias; creator or staff)",
        description: `source_name: one of ${ALIAS_SOURCES.join(", ")}.`,
        params: Params,
        body: Type.Object(
          {
            source_name: Type.String({ minLength: 1, maxLength: 100 }),
            name: Type.String({ minLength: 1, maxLength: 100 }),
            url: Type.Optional(Type.Union([Type.String({ maxLength: 250 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 201: Alias, 400: FieldErrorsSchema, 403: Detail, 404: Detail },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await aliases.setAlias(db, requireActor(request), request.params.name, request.body)),
  );
  app.delete(
    "/api/targets/:name/aliases/:source/",
    {
      schema: {
        tags: ["targets"],
        summary: "Remove the target's alias of one source (creator or staff)",
        params: Type.Object({ name: Type.String(), source: Type.String() }),
        response: { 200: Detail, 403: Detail, 404: Detail },
      },
    },
    async (request) => {
      await aliases.deleteAlias(db, requireActor(request), request.params.name, request.params.source);
      return { detail: "Alias removed." };
    },
  );
};
