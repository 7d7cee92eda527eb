/**
 * `POST /upload/` — BHTOM's upload service route, served here. Multipart: files under any field name are
 * streamed to a temporary folder under the data directory (SHA-256 and size on the way, capped per file),
 * then the upload service checks the fields and stores everything in one transaction.
 */
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import type { Database } from "../db/connection.ts";
import type { JobQueue } from "../db/queue.ts";
import { BadRequestError } from "../domain/errors.ts";
import { uploadFiles, type ReceivedUpload, type UploadFields } from "../domain/dataproducts/upload.ts";
import { sanitizeFileName, storedPath } from "../storage.ts";
import { requireActor } from "./auth.ts";
import { MAX_FIELD_BYTES, multipartLimitAnswer, refuseNulCharacters } from "./conventions.ts";
import { HttpAnswer } from "./errors.ts";
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
          "match_dist (arcsec; absent or ≤ 0 = automatic), comment; files under any field name. CSVs and spectra " +
          "become points at once (rejected rows are listed); catalogues and images are queued (status C). The same " +
          "file twice for a target is a 409. Differs from BHTOM2: served by the main server; the target may be an " +
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

/** The parts of a multipart upload: form fields, and files streamed to a temporary folder. */
export interface ReceivedParts {
  fields: UploadFields;
  files: ReceivedUpload[];
  /** Remove the temporary folder (files `storeUpload` moved away are no longer in it). */
  cleanup(): Promise<void>;
}

/**
 * Read a multipart request: fields as strings (repeated fields as lists), files streamed to a temporary
 * folder under the data directory with their SHA-256 and size. A file over `maxFileBytes` or more than
 * `maxFiles` files → HttpAnswer 413 (the temporary folder is removed). Used by `POST /upload/` and the
 * web upload page.
 */
export async function receiveUploadParts(
  request: FastifyRequest,
  dataDir: string,
  maxFileBytes: number,
  maxFiles: number,
): Promise<ReceivedParts> {
  const tmpDir = `tmp/upload-${randomBytes(8).toString("hex")}`;
  const cleanup = () => rm(storedPath(dataDir, tmpDir), { recursive: true, force: true });
  await mkdir(storedPath(dataDir, tmpDir), { recursive: true });
  const fields: UploadFields = {};
  const files: ReceivedUpload[] = [];
  try {
    for await (const part of request.parts({ limits: { fileSize: maxFileBytes, files: maxFiles } })) {
      if (part.type === "field") {
        if (part.valueTruncated) {
          throw new HttpAnswer(413, {
            detail: `${part.fieldname}: longer than the ${MAX_FIELD_BYTES} bytes allowed for a form field`,
          });
        }
        const value = String(part.value);
        const prev = fields[part.fieldname];
        fields[part.fieldname] =
          prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
        continue;
      }
      const originalName = part.filename || part.fieldname;
      const tempPath = `${tmpDir}/${files.length}_${sanitizeFileName(originalName)}`;
      const hash = createHash("sha256");
      let size = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      await pipeline(part.file, meter, createWriteStream(storedPath(dataDir, tempPath)));
      if (part.file.truncated) {
        throw new HttpAnswer(413, { detail: `${originalName}: larger than ${maxFileBytes} bytes` });
      }
      files.push({
        field: part.fieldname,
        originalName,
        tempPath,
        sizeBytes: size,
        sha256: hash.digest("hex"),
      });
    }
    refuseNulCharacters([fields]);
  } catch (err) {
    await cleanup();
    const code = (err as { code?: string }).code;
    if (code === "FST_REQ_FILE_TOO_LARGE") {
      throw new HttpAnswer(413, { detail: `a file is larger than ${maxFileBytes} bytes` });
    }
    throw multipartLimitAnswer(err, maxFiles) ?? err;
  }
  return { fields, files, cleanup };
}
