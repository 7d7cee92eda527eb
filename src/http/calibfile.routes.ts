/**
 * `POST /calibFile/` (the upload service's synchronous calibration, guide "calibFile") and the staff
 * endpoint that imports reference catalogues (the same files `skytom catalog import` takes).
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { SURVEYS } from "../astro/calibrate/bands.ts";
import { parseSurvey } from "../astro/calibrate/bands.ts";
import { importCatalogue } from "../catalog/import.ts";
import type { Database } from "../db/connection.ts";
import { calibrateCatalogueFile } from "../domain/calibration/calibfile.ts";
import type { ReferenceProvider } from "../domain/calibration/pipeline.ts";
import { BadRequestError, ValidationError } from "../domain/errors.ts";
import { booleanWord } from "../domain/input.ts";
import { sanitizeFileName, storedPath } from "../storage.ts";
import { requireActor } from "./auth.ts";

const CalibFileBody = Type.Object({
  ra: Type.Number({ minimum: 0, exclusiveMaximum: 360, description: "Target right ascension, deg" }),
  dec: Type.Number({ minimum: -90, maximum: 90, description: "Target declination, deg" }),
  match_dist: Type.Optional(
    Type.Unsafe<number | null>({
      type: ["number", "null"],
      description: "Match radius, arcsec; absent, empty or ≤ 0 = automatic",
    }),
  ),
  survey: Type.Optional(Type.String({ maxLength: 40, description: "e.g. GaiaSP" })),
  filter: Type.Optional(
    Type.String({ maxLength: 60, description: "e.g. V or GaiaSP/V (default GaiaSP/any)" }),
  ),
  no_plot: Type.Optional(Type.Boolean({ description: "true: no plot in the answer" })),
  image_format: Type.Optional(
    Type.Union([Type.Literal("png"), Type.Literal("svg")], {
      description: "Plot format (default png)",
      errorMessage: '"png" or "svg".',
    }),
  ),
});

function badBoolean(field: string): never {
  throw new ValidationError({ [field]: ["Must be a valid boolean."] });
}

export interface CalibFileRouteOptions {
  database: Database;
  dataDir: string;
  /** Reference stars for /calibFile/. */
  provider: ReferenceProvider;
}

export const calibFileRoutes: FastifyPluginAsyncTypebox<CalibFileRouteOptions> = async (
  app,
  { database, dataDir, provider },
) => {
  app.post(
    "/calibFile/",
    {
      schema: {
        tags: ["calibration"],
        summary: "Calibrate an instrumental catalogue now (multipart), without storing anything",
        description:
          "Fields: photometry_file (SExtractor ASCII_HEAD or the 7-column CCDPhot layout), ra, dec (deg, the " +
          "target), match_dist (arcsec; absent or ≤ 0 = automatic), survey + filter (e.g. GaiaSP + V, or filter " +
          "GaiaSP/V; default GaiaSP/any), no_plot, image_format (png | svg). Answers the calibration fields " +
          "(mag, mag_error with −1 for a limit, zeropoint, zeropoint_err, scatter, npoints, outlier_fraction, " +
          "best_filter, survey, match_distans, …), the per-band table and the plot as a base64 data URL. Differs " +
          "from BHTOM2: served by the main server; the guide's JSON example cannot carry a file, use multipart. " +
          "Reference stars: the cache and imported catalogues, else the archives (Gaia archive, VizieR); when the " +
          "archive cannot be reached the answer is 503 (502 when it answered nonsense) with Retry-After and a detail.",
        consumes: ["multipart/form-data"],
        body: CalibFileBody,
      },
    },
    async (request) => {
      requireActor(request);
      const body = request.body;
      const file =
        request.receivedFiles.find((f) => f.fieldname === "photometry_file") ?? request.receivedFiles[0];
      if (!file) throw new BadRequestError("photometry_file: required (multipart file)");
      const matchDist = body.match_dist ?? undefined;
      return calibrateCatalogueFile(
        {
          catalogueText: file.data.toString("utf8"),
          fileName: file.filename,
          raDeg: body.ra,
          decDeg: body.dec,
          matchDistArcsec: matchDist !== undefined && matchDist > 0 ? matchDist : undefined,
          survey: body.survey ?? "",
          filter: body.filter ?? "",
          plot: body.no_plot ? null : (body.image_format ?? "png"),
        },
        { provider },
      );
    },
  );

  app.post(
    "/api/catalogues/",
    {
      config: { auth: "staff", multipart: "stream" },
      schema: {
        tags: ["calibration"],
        summary:
          "Import a reference catalogue (staff): CSV (ra, dec, <band>, <band>_err) or a FITS binary table",
        description:
          `Multipart: file, survey (${SURVEYS.join(" | ")}), name (default: the file name), replace (true to replace a ` +
          "catalogue of the same name). The same import as `skytom catalog import`; answers 201 with the row count.",
        consumes: ["multipart/form-data"],
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw new BadRequestError("the catalogue must be sent as multipart/form-data");
      const tmp = `tmp/catalogue-${randomBytes(6).toString("hex")}`;
      await mkdir(storedPath(dataDir, tmp), { recursive: true });
      try {
        const fields: Record<string, string> = {};
        let path: string | null = null;
        for await (const part of request.parts({ limits: { fileSize: 4 * 1024 ** 3, files: 1 } })) {
          if (part.type === "field") fields[part.fieldname] = String(part.value);
          else {
            path = storedPath(dataDir, `${tmp}/${sanitizeFileName(part.filename || "catalogue.csv")}`);
            await pipeline(part.file, createWriteStream(path));
          }
        }
        if (!path) throw new BadRequestError("file: required (multipart file)");
        const survey = parseSurvey(fields.survey ?? "");
        if (!survey) throw new BadRequestError(`survey: one of ${SURVEYS.join(", ")}`);
        const result = await importCatalogue(database, path, {
          survey,
          name: fields.name || undefined,
          replace: booleanWord(fields.replace ?? "false") ?? badBoolean("replace"),
        });
        return reply.code(201).send(result);
      } finally {
        await rm(storedPath(dataDir, tmp), { recursive: true, force: true });
      }
    },
  );
};
