/**
 * `POST /upload/` — BHTOM's upload service route, served here. Multipart: files under any field name are
 * streamed to a temporary folder under the data directory (SHA-256 and size on the way, capped per file),
 * then the upload service checks the fields and stores everything in one transaction.
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Database } from "../db/connection.ts";
import type { JobQueue } from "../db/queue.ts";
import { BadRequestError } from "../domain/errors.ts";
import { uploadFiles } from "../domain/dataproducts/upload.ts";
import { receiveUploadParts } from "../http-kit/multipart.ts";
import { requireActor } from "./auth.ts";
import { Detail } from "./schemas.ts";

export interface UploadRouteOptions {
  database: Database;
  queue: JobQueue | null;
  dataDir: string;
  /** Largest accepted file, bytes (SKYTOM_MAX_UPLOAD_BYTES; default 200 MB). */
  maxFileBytes: number;
  maxFiles?: number;
}

const UploadItem = Type.Object({
  id: Type.Integer({ description: "Data product id (usable as calibid)" }),
  file: Type.String({ description: "Stored path, relative to the data directory" }),
  original_name: Type.String(),
  data_product_type: Type.String(),
  status: Type.String({ description: "C queued, P processing, S done, E error" }),
  status_message: Type.String(),
  points: Type.Optional(Type.Integer()),
  rejected_rows: Type.Optional(Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() }))),
});

export const uploadRoutes: FastifyPluginAsyncTypebox<UploadRouteOptions> = async (app, opts) => {
  const maxFiles = opts.maxFiles ?? 20;
  app.post(
    "/upload/",
    {
      config: { multipart: "stream" },
      schema: {
        tags: ["uploads"],
        summary: "Upload FITS images, instrumental catalogues, light-curve CSVs or spectra (multipart)",
        description:
          "Fields: target (name, alias or id), data_product_type (fits_file | photometry | photometry_csv | " +
          "spectroscopy), observatory (the camera's ONAME for fits_file/photometry — an active camera, added to " +
          "your favourites; free text facility otherwise), filter (default GaiaSP/any), dry_run (True/False), " +
          "mjd (required for photometry), observers or observer (registered usernames; list or comma-separated), " +
          "match_dist (arcsec; absent or ≤ 0 = automatic), comment, unit (mJy | uJy | Jy: the flux unit of a radio " +
          "photometry_csv with flux and flux_error columns and no unit column; stored in mJy with the frequency band " +
          "as the filter; magnitude and flux columns in one file are a 400); files under any field name. CSVs and spectra " +
          "become points at once (rejected rows are listed); catalogues and images are queued (status C). The same " +
          "file twice for a target is a 409; dry runs (stored with dryRun true, results visible as usual, no points) " +
          "never block a later upload of the same file. Differs from BHTOM2: served by the main server; the target may be an " +
          "alias or an id; answers 201 {message, data: [...]} (the upload service's body was undocumented).",
        consumes: ["multipart/form-data"],
        response: {
          201: Type.Object({ message: Type.String(), data: Type.Array(UploadItem) }),
          400: Detail,
          409: Detail,
          413: Detail,
        },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      if (!request.isMultipart()) throw new BadRequestError("the upload must be multipart/form-data");
      const received = await receiveUploadParts(request, opts.dataDir, opts.maxFileBytes, maxFiles);
      try {
        const { message, items } = await uploadFiles(
          opts.database,
          opts.queue,
          opts.dataDir,
          actor,
          received.fields,
          received.files,
        );
        return reply.code(201).send({ message, data: items });
      } finally {
        await received.cleanup();
      }
    },
  );
};
