/** Survey harvests (docs/harvesters.md): harvest a target's sources now, and read the last harvests. */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Db } from "../db/connection.ts";
import { NotFoundError } from "../domain/errors.ts";
import {
  checkSources,
  harvestStatesOf,
  harvestTarget,
  type HarvestStateRow,
} from "../domain/harvests/service.ts";
import * as targets from "../domain/targets/service.ts";
import { SOURCES, type HarvesterSet } from "../harvesters/index.ts";
import { requireActor } from "./auth.ts";
import { Detail, FieldErrorsSchema } from "./schemas.ts";

const Outcome = Type.Object({
  source: Type.String(),
  status: Type.Union([Type.Literal("ok"), Type.Literal("error"), Type.Literal("skipped")]),
  object_id: Type.Union([Type.String(), Type.Null()]),
  returned: Type.Integer({ description: "Points the source returned" }),
  added: Type.Integer({ description: "Of those, points not already on the light curve (now stored)" }),
  message: Type.String(),
});
const State = Type.Object({
  source: Type.String(),
  object_id: Type.String(),
  last_attempt: Type.String({ format: "date-time" }),
  last_success: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
  last_error: Type.Union([Type.String(), Type.Null()]),
  points_added: Type.Integer(),
  points_returned: Type.Integer(),
});

export function stateJson(s: HarvestStateRow) {
  return {
    source: s.source,
    object_id: s.objectId,
    last_attempt: s.lastAttempt.toISOString(),
    last_success: s.lastSuccess ? s.lastSuccess.toISOString() : null,
    last_error: s.lastError,
    points_added: s.pointsAdded,
    points_returned: s.pointsReturned,
  };
}

async function targetNamed(db: Db, name: string) {
  const target = await targets.findTargetByNameOrAlias(db, name);
  if (!target) throw new NotFoundError(`Target ${name} does not exist.`);
  return target;
}

export const harvestsRoutes: FastifyPluginAsyncTypebox<{ db: Db; harvesters: HarvesterSet }> = async (
  app,
  { db, harvesters },
) => {
  app.post(
    "/targets/harvest/",
    {
      schema: {
        tags: ["targets"],
        summary: "Harvest a target's survey light curves now",
        description:
          `sources: any of ${SOURCES.join(", ")} (default: all). Each source that applies to the target (an alias ` +
          "pattern or its position) is asked now; its new points are stored with filter `<band>(<source>)` and " +
          "facility = the source, deduplicated by (source, object id, MJD, band); the network's own points are " +
          "never touched. A failing source is reported in its result and recorded on the target (last attempt " +
          "and error); it never fails the request. With SKYTOM_OFFLINE=1 no source is asked. Any signed-in user " +
          "may harvest any target (the points are the surveys' public data). Not in BHTOM2 (its harvesters " +
          "run on the server's schedule).",
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100, description: "Target name or alias" }),
            sources: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 20 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            target: Type.String(),
            results: Type.Array(Outcome),
            states: Type.Array(State),
          }),
          400: FieldErrorsSchema,
          401: Detail,
          404: Detail,
        },
      },
    },
    async (request) => {
      requireActor(request);
      const sources = checkSources(request.body.sources);
      const target = await targetNamed(db, request.body.name);
      const results = await harvestTarget(db, harvesters, target, sources);
      const states = await harvestStatesOf(db, [target.id]);
      return {
        target: target.name,
        results: results.map((r) => ({
          source: r.source,
          status: r.status,
          object_id: r.objectId,
          returned: r.returned,
          added: r.added,
          message: r.message,
        })),
        states: states.map(stateJson),
      };
    },
  );

  app.get(
    "/api/targets/:name/harvests/",
    {
      schema: {
        tags: ["targets"],
        summary: "The last harvest of each survey source for a target (time, error, points)",
        params: Type.Object({ name: Type.String() }),
        response: { 200: Type.Array(State), 404: Detail },
      },
    },
    async (request) => {
      requireActor(request);
      const target = await targetNamed(db, request.params.name);
      return (await harvestStatesOf(db, [target.id])).map(stateJson);
    },
  );
};
