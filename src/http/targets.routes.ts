/** Targets (API guide §F): createTarget, updateTarget, deleteTarget, getTargetList. */
import type { HarvesterSet } from "../harvesters/index.ts";
import type { JobQueue } from "../db/queue.ts";
import { queueHarvest } from "../domain/harvests/service.ts";
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Db } from "../db/connection.ts";
import { observingPriorityDoc } from "../domain/targets/docs.ts";
import { bodyKey, bumpGeneration, cacheGeneration, GenerationCache } from "../domain/cache.ts";
import { NotFoundError } from "../domain/errors.ts";
import { listTargets } from "../domain/targets/list.ts";
import { plotCache, targetPlot } from "../domain/targets/plots.ts";
import {
  CreateTargetBody,
  DeleteTargetBody,
  TargetListBody,
  TargetSummary,
  UpdateTargetBody,
} from "../domain/targets/schemas.ts";
import * as targets from "../domain/targets/service.ts";
import { requireActor } from "./auth.ts";
import { HttpAnswer } from "../http-kit/answer.ts";
import { envelope, resolvePage } from "./pagination.ts";
import { Detail, FieldErrorsSchema } from "./schemas.ts";

export const TARGET_PAGE_SIZE = 200;

const UNKNOWN_FIELDS_DIFFER =
  'an unknown field is a 400 naming it, {"colour": ["Unknown field."]} (BHTOM2: 404 {"non_field_errors": ' +
  '["Unknown field(s): colour"]})';
const DUPLICATE_DIFFERS =
  'a target within 3 arcsec is a 400 {"non_field_errors": ["Source found already at these coordinates (rad 3 ' +
  'arcsec): <name>"]} (BHTOM2: a bare list, ["Source found already …"])';

const gzipAsync = promisify(gzip);
/** Smaller answers go out as they are: compressing them costs more than it saves. */
const GZIP_MIN_BYTES = 2048;

/**
 * A serialised JSON answer, kept in the cache as bytes (a hit costs no serialisation) with its gzip
 * form made on the first request that accepts gzip (Python `requests` sends `Accept-Encoding: gzip`
 * by default; a 200-target page of ~240 kB becomes ~12 kB).
 */
class JsonAnswer {
  readonly json: Buffer;
  private gzipped: Promise<Buffer> | null = null;

  constructor(text: string) {
    this.json = Buffer.from(text);
  }

  get bytes(): number {
    return this.json.length * 1.1;
  }

  async send(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    reply.type("application/json; charset=utf-8");
    if (this.json.length < GZIP_MIN_BYTES) return reply.send(this.json);
    reply.header("Vary", "Accept-Encoding");
    if (!/\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""))) return reply.send(this.json);
    this.gzipped ??= gzipAsync(this.json);
    return reply.header("Content-Encoding", "gzip").send(await this.gzipped);
  }
}

export const targetsRoutes: FastifyPluginAsyncTypebox<{
  db: Db;
  dataDir: string;
  queue?: JobQueue | null;
  harvesters?: HarvesterSet;
}> = async (app, { db, dataDir, queue, harvesters }) => {
  /** Serialised getTargetList answers of this app by request body (at most 500 or 64 MiB). */
  const listCache = new GenerationCache<JsonAnswer>(500, (a) => a.bytes, 64 * 1024 * 1024);
  app.post(
    "/targets/createTarget/",
    {
      schema: {
        tags: ["targets"],
        summary: "Create a sidereal target",
        description:
          "Defaults: epoch 2000.0, classification Unknown, importance 9.98, cadence 1.0 days (also for null, which " +
          "BHTOM's create_target.py sends for options not given). Without ra and dec the name is resolved (the Gaia " +
          "Alerts index for Gaia.. names, then CDS Sesame; answers cached) and the object's other identifiers " +
          "become aliases; an unknown name is a 400 on `name`, a resolver that cannot be reached a 503. A target within 3 arcsec " +
          "of an existing one is refused. Differs from BHTOM2: validation errors are 400 (not 404) with a field → " +
          "messages dict; missing ra/dec is a 400 (not 500); ra/dec may be sexagesimal strings (RA in hours, " +
          '"17:45:40.04", Dec "-29:00:28.2"); epoch may be "J2000"; dotted names such as V404.Cyg are allowed; ' +
          "importance must be 0–10 and cadence ≥ 0; the answer includes `id`; " +
          DUPLICATE_DIFFERS +
          "; " +
          UNKNOWN_FIELDS_DIFFER +
          ". Derived fields (galactic l/b, " +
          "constellation, Sun separation, priority) are computed at once; the survey light curves (Gaia Alerts for " +
          "targets named or aliased like Gaia22bpl) are harvested in the background (docs/harvesters.md).",
        body: CreateTargetBody,
        response: { 201: TargetSummary, 400: FieldErrorsSchema },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const row = await targets.createTarget(
        db,
        {
          ...actor,
          firstName: request.user?.firstName,
          lastName: request.user?.lastName,
        },
        request.body,
        new Date(),
        harvesters,
      );
      // The survey light curves (Gaia Alerts, …) arrive in the background (docs/harvesters.md).
      if (queue) await queueHarvest(queue, row.id);
      return reply.code(201).send(targets.targetSummary(row));
    },
  );

  app.patch(
    "/targets/updateTarget/:name/",
    {
      schema: {
        tags: ["targets"],
        summary: "Update (or rename) a target",
        description:
          "Any subset of the createTarget fields; `name` renames. Differs from BHTOM2: only the target's creator " +
          "or staff may update (others 403); `description` is saved; an unknown target is 404 (not 500); " +
          "validation errors are 400; " +
          UNKNOWN_FIELDS_DIFFER +
          "; moving a target onto another (within 3 arcsec) is refused.",
        params: Type.Object({ name: Type.String() }),
        body: UpdateTargetBody,
        response: {
          201: Type.Object({ Status: Type.Literal("updated") }),
          400: FieldErrorsSchema,
          404: Detail,
        },
      },
    },
    async (request, reply) => {
      await targets.updateTarget(db, requireActor(request), request.params.name, request.body);
      return reply.code(201).send({ Status: "updated" as const });
    },
  );

  app.delete(
    "/targets/deleteTarget/",
    {
      schema: {
        tags: ["targets"],
        summary: "Delete a target with all its data (data products, light curve, files, comments)",
        description:
          "Differs from BHTOM2: only the creator or staff may delete (others 403); an unknown name is 404; every " +
          "file of the target goes too (its uploads, instrumental catalogues, calibration plots, FITS previews and " +
          "cached downloads; BHTOM2 kept them on disk).",
        body: DeleteTargetBody,
        response: { 200: Type.Object({ status: Type.Literal("deleted") }), 404: Detail },
      },
    },
    async (request) => {
      await targets.deleteTarget(db, dataDir, requireActor(request), request.body.name, (err) =>
        request.log.warn({ err }, "could not remove some files of a deleted target"),
      );
      return { status: "deleted" as const };
    },
  );

  app.post(
    "/targets/getTargetList/",
    {
      schema: {
        tags: ["targets"],
        summary: "List targets with filters; 200 per page, ordered by creation",
        description:
          "Filters (all optional, AND-ed): name, type, description, classification (exact); raMin/raMax, decMin/decMax, " +
          "importanceMin/Max, lastMagMin/Max, sunSeparationMin/Max, galacticLatMin/Max, galacticLonMin/Max (deg, mag); " +
          "priority (equal); targetGroup (group name); hasOptical, hasInfrared, hasRadio, hasXray, hasGamma, " +
          'hasPolarimetry (true/false, yes/no, 1/0); coneSearchRaDecRadius "RA,Dec,Radius" (deg); coneSearchTarget ' +
          '"Name,Radius" (name or alias, case-insensitive; radius deg). A number that will not convert is a 400 ' +
          '"Wrong format: …". ' +
          observingPriorityDoc +
          " Differs from BHTOM2: a malformed cone string or unknown coneSearchTarget is a 400 (BHTOM2 ignored the " +
          "filter); cones are exact across RA 0/360 and the poles; items include `id`; a value that will not " +
          'convert is a 400 {"detail": "Wrong format: …"} (BHTOM2: the bare string "Wrong format: …").',
        body: TargetListBody,
        // Documentation only: the answer is sent as cached bytes (not serialised with this schema).
        response: {
          200: Type.Object({
            count: Type.Integer(),
            num_pages: Type.Integer(),
            current_page: Type.Integer(),
            data: Type.Array(
              Type.Record(Type.String(), Type.Unknown(), {
                description: "A target: every column BHTOM2 lists, plus id",
              }),
            ),
          }),
        },
      },
    },
    async (request, reply) => {
      // The generation is read before the list query (with the token when there is one): an answer
      // cached under it can only be older than a change that bumped it, never newer.
      const generation = request.cacheGenerations?.targets ?? (await cacheGeneration(db, "targets"));
      const key = bodyKey(request.body);
      let answer = listCache.get(key, generation);
      if (!answer) {
        const result = await listTargets(db, request.body, (count) =>
          resolvePage(request.body.page, count, TARGET_PAGE_SIZE),
        );
        answer = new JsonAnswer(JSON.stringify(envelope(result.count, result.page, result.items)));
        listCache.set(key, generation, answer);
      }
      return answer.send(request, reply);
    },
  );

  app.post(
    "/targets/get-plots/",
    {
      schema: {
        tags: ["targets"],
        summary: "Light-curve figures (plotly JSON) of targets by exact name",
        description:
          'Answers {"Plots": {name: figure | "None"}}: one trace per filter, magnitudes increasing downwards, error ' +
          'bars, upper limits as downward triangles; "None" for a target without points. An unknown name is a 400 ' +
          '{"Error ": "Target does not exist in the database "} (odd spacing kept: clients match it).',
        body: Type.Object({ targetNames: Type.Array(Type.String(), { maxItems: 500 }) }),
        response: {
          200: Type.Object({
            Plots: Type.Record(Type.String(), Type.Unknown(), {
              description: 'Target name → plotly figure {data, layout}, or "None"',
            }),
          }),
          400: Type.Object({ "Error ": Type.String() }),
        },
      },
    },
    async (request) => {
      const plots: Record<string, unknown> = {};
      for (const name of request.body.targetNames) {
        try {
          plots[name] = await targetPlot(db, name);
        } catch (err) {
          if (err instanceof NotFoundError) throw new HttpAnswer(400, { "Error ": err.message });
          throw err;
        }
      }
      return { Plots: plots };
    },
  );

  // BHTOM answers the JSON string "OK" (fastify would send a bare string as text).
  const cleanList = async (_request: unknown, reply: FastifyReply) => {
    listCache.clear();
    await bumpGeneration(db, "targets");
    return reply.type("application/json; charset=utf-8").send(JSON.stringify("OK"));
  };
  const cleanDetail = async (_request: unknown, reply: FastifyReply) => {
    plotCache.clear();
    await bumpGeneration(db, "plots");
    return reply.type("application/json; charset=utf-8").send(JSON.stringify("OK"));
  };
  const cacheSchema = (what: string) => ({
    tags: ["targets"],
    summary: `Clear the ${what} cache in every process (superuser)`,
    response: { 200: Type.String({ description: 'The JSON string "OK"' }) },
    description:
      'Answers the JSON string "OK". Caches are also invalidated automatically on every change. Differs from ' +
      'BHTOM2: others get 403 JSON (BHTOM2 answered 500 "ERROR").',
  });
  const superuser = { auth: "superuser" as const };
  app.post(
    "/targets/cleanTargetListCache/",
    { config: superuser, schema: cacheSchema("target-list") },
    cleanList,
  );
  app.post(
    "/targets/cleanTargetDetailCache/",
    { config: superuser, schema: cacheSchema("target-detail and plot") },
    cleanDetail,
  );
  app.post(
    "/targets/cleanTargetDetailsCache/",
    {
      config: superuser,
      schema: {
        ...cacheSchema("target-detail and plot"),
        summary: "Alias of cleanTargetDetailCache (the guide's spelling)",
      },
    },
    cleanDetail,
  );
};
