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
import { calibrateCatalogue } from "../astro/calibrate/index.ts";
import { parseInstrumentalCatalogue } from "../astro/sextractor.ts";
import { importCatalogue, parseSurvey } from "../catalog/import.ts";
import { StoredCatalogueProvider } from "../catalog/provider.ts";
import type { Database } from "../db/connection.ts";
import { BadRequestError } from "../domain/errors.ts";
import { referenceRadiusDeg } from "../jobs/calibrate.ts";
import { renderCalibrationPlot } from "../plots/calibration.ts";
import { sanitizeFileName, storedPath } from "../storage.ts";
import { SURVEYS } from "../astro/calibrate/bands.ts";
import { requireActor } from "./auth.ts";
import { HttpAnswer } from "../http-kit/answer.ts";

const truthy = (v: unknown) =>
  v === true || ["true", "1", "yes", "on"].includes(String(v).trim().toLowerCase());

function number(v: unknown, field: string, required: boolean): number | undefined {
  if (v === undefined || v === null || v === "") {
    if (required) throw new BadRequestError(`${field}: required (degrees)`);
    return undefined;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new BadRequestError(`${field}: not a number: ${JSON.stringify(v)}`);
  return n;
}

export const calibFileRoutes: FastifyPluginAsyncTypebox<{ database: Database; dataDir: string }> = async (
  app,
  { database, dataDir },
) => {
  const provider = new StoredCatalogueProvider(database.db);

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
          "from BHTOM2: served by the main server; the guide's JSON example cannot carry a file, use multipart.",
        consumes: ["multipart/form-data"],
        body: Type.Object({
          ra: Type.Optional(Type.Unknown()),
          dec: Type.Optional(Type.Unknown()),
          match_dist: Type.Optional(Type.Unknown()),
          survey: Type.Optional(Type.Unknown()),
          filter: Type.Optional(Type.Unknown()),
          no_plot: Type.Optional(Type.Unknown()),
          image_format: Type.Optional(Type.Unknown()),
        }),
      },
    },
    async (request) => {
      requireActor(request);
      const body = request.body;
      const file =
        request.receivedFiles.find((f) => f.fieldname === "photometry_file") ?? request.receivedFiles[0];
      try {
        if (!file) throw new BadRequestError("photometry_file: required (multipart file)");
        const ra = number(body.ra, "ra", true) as number;
        const dec = number(body.dec, "dec", true) as number;
        if (ra < 0 || ra >= 360 || dec < -90 || dec > 90)
          throw new BadRequestError("ra/dec: outside 0–360 / −90–90");
        const matchDist = number(body.match_dist, "match_dist", false);
        const survey = body.survey ? String(body.survey).trim() : "";
        const filter = body.filter ? String(body.filter).trim() : "";
        const requestText =
          filter.includes("/") || filter.toLowerCase() === "no"
            ? filter
            : survey && filter
              ? `${survey}/${filter}`
              : survey
                ? `${survey}/any`
                : "GaiaSP/any";
        const parsed = parseInstrumentalCatalogue(file.data.toString("utf8"));
        if (!parsed.ok) throw new BadRequestError(`photometry_file: ${parsed.error}`);
        const cat = parsed.catalogue;
        const reference = await provider.cone(ra, dec, referenceRadiusDeg(ra, dec, cat.raDeg, cat.decDeg));
        const t0 = performance.now();
        const result = calibrateCatalogue({
          catalogue: cat,
          reference,
          target: { raDeg: ra, decDeg: dec },
          request: requestText,
          matchDistArcsec: matchDist !== undefined && matchDist > 0 ? matchDist : undefined,
          targetIndex: parsed.targetIndex >= 0 ? parsed.targetIndex : undefined,
          forcedTargetDropped: parsed.targetDropped,
        });
        const format = String(body.image_format ?? "png").toLowerCase() === "svg" ? "svg" : "png";
        let plot: string | null = null;
        if (!truthy(body.no_plot) && result.plot.length > 0) {
          const image = renderCalibrationPlot(result, { format, title: file.filename });
          plot =
            format === "svg"
              ? `data:image/svg+xml;base64,${Buffer.from(image as string).toString("base64")}`
              : `data:image/png;base64,${Buffer.from(image as Uint8Array).toString("base64")}`;
        }
        return {
          ...result.calibrationData,
          zeropoint_err: result.zeropointErr,
          standardised_to: result.standardisedTo,
          light_curve_filter: result.lightCurveFilter,
          processing_time: +((performance.now() - t0) / 1000).toFixed(4),
          reference_stars: reference.raDeg.length,
          bands: result.bands,
          plot,
        };
      } catch (err) {
        if (err instanceof BadRequestError) throw new HttpAnswer(400, { detail: err.message });
        throw err;
      }
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
          replace: truthy(fields.replace),
        });
        return reply.code(201).send(result);
      } finally {
        await rm(storedPath(dataDir, tmp), { recursive: true, force: true });
      }
    },
  );
};
