/**
 * Streaming multipart reception for uploads: form fields as strings, files streamed to a temporary folder
 * under the data directory with their SHA-256 and size. `POST /upload/` (src/http) and the web upload page
 * (src/web) both read their requests with it.
 */
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FastifyRequest } from "fastify";
import type { ReceivedUpload, UploadFields } from "../domain/dataproducts/upload.ts";
import { sanitizeFileName, storedPath } from "../storage.ts";
import { HttpAnswer } from "./answer.ts";
import { MAX_FIELD_BYTES, multipartLimitAnswer, refuseNulCharacters } from "./conventions.ts";

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
