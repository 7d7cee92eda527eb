/** Calibration results and restarts (API guide: get-calibration-res, restart-calib-by-*). */
import { Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Database } from "../db/connection.ts";
import type { JobQueue } from "../db/queue.ts";
import {
  calibrationResults,
  restartCalibrations,
  type RestartRequest,
} from "../domain/calibration/service.ts";
import {
  CalibrationResultsBody,
  CompareRunsBody,
  ListRunsBody,
  RecalibrateBody,
  RestartBody,
  RunBody,
} from "../domain/calibration/schemas.ts";
import { compareRuns, getRun, listRunSummaries, useRun } from "../domain/calibration/history.ts";
import { recalibrate } from "../domain/calibration/recalibrate.ts";
import { requireInteger } from "../domain/input.ts";
import { BadRequestError } from "../domain/errors.ts";
import { requireActor } from "./auth.ts";
import { HttpAnswer } from "../http-kit/answer.ts";
import { envelope, resolvePage } from "./pagination.ts";
import { Detail, FieldErrorsSchema } from "./schemas.ts";

/** What the run endpoints answer: a run's record, or why not. */
const RUN_RECORD_ANSWERS = {
  200: Type.Record(Type.String(), Type.Unknown()),
  400: Type.Union([Detail, FieldErrorsSchema]),
  403: Detail,
  404: Detail,
};

export const calibrationRoutes: FastifyPluginAsyncTypebox<{
  database: Database;
  queue: JobQueue | null;
  dataDir: string;
}> = async (app, { database, queue, dataDir }) => {
  app.post(
    "/calibration/get-calibration-res/",
    {
      schema: {
        tags: ["calibration"],
        summary:
          "Calibration results of data products by id (calibid) or stored file name substring (filename)",
        description:
          "calibid: data product ids (the ids /upload/ answers); filename: substrings of stored file names; the " +
          "official get_calib_res.py sends `files` (numbers = ids, strings = names): accepted too. getPlot adds the " +
          "calibration plot as a data URL. 200 items per page. The uploader, the observers and superusers see the " +
          'values; others get {"calib-res": "It\'s not your data"}. Each item also has `zeropoint_err` (standard ' +
          "error of the zero point, mag), `bands` (every candidate band: zero point, scatter, N, passed/why, and " +
          "colour_k, colour_k_err, colour_k_source, colour_c0 for the band fitted with a colour term) and " +
          "`colour_term` (null, or colour_index, k, k_err, k_source, c0, target_colour, target_colour_err, " +
          "target_colour_source, shift, systematic_err: docs/colour.md). A " +
          "one-shot-colour (Bayer) frame gives one item per channel (R, G, B, each calibrated to its camera's " +
          'bayer_bands band, with its own run); `channel` names it ("" for an ordinary frame). The ' +
          "light-curve error is the quadrature sum of the instrumental error and zeropoint_err. Differs from BHTOM2: " +
          "a name matching several files gives one item each (BHTOM2 failed the request); errors are 400 JSON; " +
          "use_catalog is always null (calibrations run against the survey named in `survey`; BHTOM2's catalogue " +
          "table id has no counterpart).",
        body: CalibrationResultsBody,
        response: {
          200: Type.Object({
            count: Type.Integer(),
            num_pages: Type.Integer(),
            current_page: Type.Integer(),
            data: Type.Array(
              Type.Record(Type.String(), Type.Unknown(), {
                description:
                  'The calibration\'s fields, or {"Error": "File with id N does not exist"}, or ' +
                  '{"calib-res": "It\'s not your data", "plot": null}',
              }),
            ),
          }),
          400: Type.Object({ Error: Type.String() }),
        },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      let items: Record<string, unknown>[];
      try {
        items = await calibrationResults(
          database.db,
          dataDir,
          actor,
          request.body,
          `${request.protocol}://${request.host}`,
        );
      } catch (err) {
        if (err instanceof BadRequestError) throw new HttpAnswer(400, { Error: err.message });
        throw err;
      }
      const page = resolvePage(request.body.page, items.length, 200);
      return envelope(items.length, page, items.slice(page.offset, page.offset + page.limit));
    },
  );

  const restart = (kind: "id" | "target" | "dataproduct", selection: string) => ({
    config: { auth: "staff" as const },
    schema: {
      tags: ["calibration"],
      summary: `Restart calibrations selected by ${selection} (staff)`,
      description:
        "Optional: filter (new filter request, e.g. GaiaSP/V), match_dist (arcsec; ≤ 0 = automatic), and the " +
        "selectors old_filter, oname, status, status_message. The selected calibrations go back to status C and are " +
        'queued again. Answers {"Success": {"restarted": N, "ids": [data product ids]}}. A thin alias of ' +
        "POST /calibration/recalibrate/: each product gets a new calibration run, its point is replaced when the " +
        "run finishes. Differs from BHTOM2: " +
        'validated here (BHTOM2 forwarded to CPCS); non-staff get 403 JSON; errors are {"detail": …} or a field ' +
        '→ messages dict (BHTOM2: {"Error": "Oops.. something went wrong. Error: …"} with CPCS\'s status).',
      body: RestartBody,
      response: {
        200: Type.Object({
          Success: Type.Object({ restarted: Type.Integer(), ids: Type.Array(Type.Integer()) }),
        }),
        400: Type.Union([Detail, FieldErrorsSchema]),
        403: Detail,
      },
    },
    handler: async (request: FastifyRequest<{ Body: RestartRequest }>) => {
      if (!queue) throw new Error("background queue unavailable");
      const actor = requireActor(request);
      const ids = await restartCalibrations(database, queue, kind, request.body, actor.username);
      return { Success: { restarted: ids.length, ids } };
    },
  });
  app.post("/calibration/restart-calib-by-id/", restart("id", "calibration id range (id_from, id_to)"));
  app.post(
    "/calibration/restart-calib-by-target/",
    restart("target", "target (target_name or target_id, mjd_min, mjd_max)"),
  );
  app.post(
    "/calibration/restart-calib-by-dataproduct/",
    restart("dataproduct", "data product (data_product_id)"),
  );

  app.post(
    "/calibration/recalibrate/",
    {
      config: { auth: "staff" },
      schema: {
        tags: ["calibration"],
        summary: "Recalibrate selected data products as new calibration runs (staff)",
        description:
          "Selectors (at least one, combined with AND): target (exact name), oname (camera), dataproduct_ids, " +
          "mjd_min/mjd_max, survey (of the current calibration). Settings: filter (e.g. GaiaSP/V) and match_dist " +
          "(arcsec, ≤ 0 = automatic); default each product's current ones. Each selected photometry/fits_file " +
          "product gets a new calibration run, queued; when it finishes its values replace the product's " +
          "calibration and light-curve point in one transaction (readers never see 0 or 2 points). Old runs are " +
          "kept (POST /calibration/use-run/ restores one). dry_run: trial runs, recorded but never made current — " +
          "compare them with POST /calibration/compare-runs/. Answers " +
          '{"Success": {"queued": N, "ids": [data product ids], "runs": [new run ids, same order], "dry_run": …}}. ' +
          "Not in BHTOM2.",
        body: RecalibrateBody,
        response: {
          200: Type.Object({
            Success: Type.Object({
              queued: Type.Integer(),
              ids: Type.Array(Type.Integer()),
              runs: Type.Array(Type.Integer()),
              dry_run: Type.Boolean(),
            }),
          }),
          400: Type.Union([Detail, FieldErrorsSchema]),
          403: Detail,
        },
      },
    },
    async (request) => {
      if (!queue) throw new Error("background queue unavailable");
      const r = await recalibrate(database, queue, requireActor(request), request.body);
      return { Success: { queued: r.ids.length, ids: r.ids, runs: r.runs, dry_run: r.dryRun } };
    },
  );

  app.post(
    "/calibration/use-run/",
    {
      config: { auth: "staff" },
      schema: {
        tags: ["calibration"],
        summary: "Make a finished calibration run its data product's current one again (staff)",
        description:
          "The calibration row, its per-band table and the light-curve point get exactly that run's values, in " +
          "one transaction. Answers the run's record (as get-run). Not in BHTOM2.",
        body: RunBody,
        response: RUN_RECORD_ANSWERS,
      },
    },
    async (request) => useRun(database, requireActor(request), requireInteger(request.body.run, "run")),
  );

  app.post(
    "/calibration/get-run/",
    {
      schema: {
        tags: ["calibration"],
        summary: "The whole record of one calibration run",
        description:
          "Inputs (file and catalogue SHA-256, filter request, matching radius, reference cone: surveys, radius, " +
          "number of stars and the SHA-256 of their rows in canonical order, cuts), calibration_version and " +
          "skytom_version, and every output (target magnitude or limit, zero point, scatter, outliers, N, per-band " +
          "table, plot path). The uploader, the observers, staff and superusers may see it. Not in BHTOM2.",
        body: RunBody,
        response: RUN_RECORD_ANSWERS,
      },
    },
    async (request) => getRun(database.db, requireActor(request), requireInteger(request.body.run, "run")),
  );

  app.post(
    "/calibration/compare-runs/",
    {
      schema: {
        tags: ["calibration"],
        summary: "Differences between two calibration runs (b − a): target and every band",
        description:
          "Which inputs are the same (file, reference stars, filter request, matching radius, cuts, version), " +
          "the target's magnitude and zero point in both with the differences, and per band (survey/band) the " +
          "zero points, scatter, N and pass/chosen flags of both. Not in BHTOM2.",
        body: CompareRunsBody,
        response: RUN_RECORD_ANSWERS,
      },
    },
    async (request) =>
      compareRuns(
        database.db,
        requireActor(request),
        requireInteger(request.body.a, "a"),
        requireInteger(request.body.b, "b"),
      ),
  );

  app.post(
    "/calibration/list-runs/",
    {
      schema: {
        tags: ["calibration"],
        summary: "The calibration runs of a data product, or of a list of run ids",
        description:
          "`dataproduct`: every run of that data product, oldest first; or `runs`: those runs (what recalibrate " +
          "answered, to follow their progress; runs the caller may not see are left out). Each item: id, status, " +
          "current, request, target magnitude, zero point, and delta_zeropoint / delta_mag from the product's " +
          "current run. Who may see: as get-run. Not in BHTOM2.",
        body: ListRunsBody,
        response: {
          200: Type.Object({ data: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
          400: Type.Union([Detail, FieldErrorsSchema]),
          403: Detail,
        },
      },
    },
    async (request) => {
      const { dataproduct, runs } = request.body;
      const data = await listRunSummaries(database.db, requireActor(request), {
        dataproduct: given(dataproduct) ? requireInteger(dataproduct, "dataproduct") : undefined,
        runs,
      });
      return { data };
    },
  );
};

const given = (v: unknown) => v !== undefined && v !== null && v !== "";
