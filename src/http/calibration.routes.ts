/** Calibration results and restarts (API guide: get-calibration-res, restart-calib-by-*). */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Database } from "../db/connection.ts";
import type { JobQueue } from "../db/queue.ts";
import {
  calibrationResults,
  restartCalibrations,
  type RestartRequest,
} from "../domain/calibration/service.ts";
import { CalibrationResultsBody, RestartBody } from "../domain/calibration/schemas.ts";
import { BadRequestError } from "../domain/errors.ts";
import { requireActor } from "./auth.ts";
import { HttpAnswer } from "../http-kit/answer.ts";
import { envelope, resolvePage } from "./pagination.ts";
import { Detail, FieldErrorsSchema } from "./schemas.ts";

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
          "error of the zero point, mag) and `bands` (every candidate band: zero point, scatter, N, passed/why). The " +
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
        'queued again. Answers {"Success": {"restarted": N, "ids": [data product ids]}}. Differs from BHTOM2: ' +
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
    handler: async (request: { body: RestartRequest }) => {
      if (!queue) throw new Error("background queue unavailable");
      const ids = await restartCalibrations(database, queue, kind, request.body);
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
};
