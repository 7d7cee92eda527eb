/**
 * Camera example files: the uploaded file a request carries, where it is stored under the data directory,
 * and `withExampleFile`, which writes it before the database work and removes it again if that fails.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { posix } from "node:path";
import { removeStoredFiles, sanitizeFileName, storedPath } from "../../storage.ts";
import type { FieldErrors } from "../errors.ts";
import { throwIfAny } from "./rules.ts";

/** Largest example file, bytes (the HTTP layer buffers multipart files up to the same size). */
export const EXAMPLE_FILE_MAX_BYTES = 20 * 1024 * 1024;
/** Folder of example files under the data directory. */
export const EXAMPLE_FILE_FOLDER = "observatories";

/** A file received with a request (multipart). */
export interface UploadedFile {
  fieldname: string;
  filename: string;
  data: Buffer;
}

export interface FileOptions {
  /** The data directory (SKYTOM_DATA); example files go under `observatories/`. */
  dataDir: string;
  /** An uploaded example file (see `exampleFileFrom`). */
  exampleFile?: UploadedFile;
}

/** The request's example file: only a field `example_file`, one file, not empty, at most 20 MB. */
export function exampleFileFrom(files: UploadedFile[]): UploadedFile | undefined {
  const errors: FieldErrors = {};
  for (const f of files) if (f.fieldname !== "example_file") errors[f.fieldname] = ["Unknown field."];
  const sent = files.filter((f) => f.fieldname === "example_file");
  const file = sent[0];
  if (sent.length > 1) errors.example_file = ["Send one example file only."];
  else if (file && file.data.length === 0) errors.example_file = ["The submitted file is empty."];
  else if (file && file.data.length > EXAMPLE_FILE_MAX_BYTES) {
    errors.example_file = [`The file is larger than ${EXAMPLE_FILE_MAX_BYTES / 1024 / 1024} MB.`];
  }
  throwIfAny(errors);
  return file;
}

/**
 * Write an example file to `observatories/<ONAME, sanitized>/<file name, sanitized>` under the data
 * directory, never over an existing file (a random prefix is added then). Returns the stored relative path.
 */
async function storeExampleFile(dataDir: string, oname: string, file: UploadedFile): Promise<string> {
  const folder = posix.join(EXAMPLE_FILE_FOLDER, sanitizeFileName(oname.replace(/[\\/]/g, "_"), "camera"));
  const name = sanitizeFileName(file.filename || "example_file", "example_file");
  await mkdir(storedPath(dataDir, folder), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const relative = posix.join(folder, attempt === 0 ? name : `${randomBytes(4).toString("hex")}_${name}`);
    try {
      await writeFile(storedPath(dataDir, relative), file.data, { flag: "wx" });
      return relative;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 5) throw err;
    }
  }
}

/** The example file value to store: an uploaded file's path, else the given name (sanitized), or null. */
async function exampleFileValue(
  opts: FileOptions,
  oname: string,
  given: string | null | undefined,
): Promise<{ value: string | null | undefined; written?: string }> {
  if (opts.exampleFile) {
    const written = await storeExampleFile(opts.dataDir, oname, opts.exampleFile);
    return { value: written, written };
  }
  if (given === undefined) return { value: undefined };
  return { value: given === null || given.trim() === "" ? null : sanitizeFileName(given, "example_file") };
}

export const isUploadedPath = (p: string | null) => p !== null && p.startsWith(`${EXAMPLE_FILE_FOLDER}/`);

/** Store the example file first, then run the database work; remove the file again if that fails. */
export async function withExampleFile<T>(
  opts: FileOptions,
  oname: string,
  given: string | null | undefined,
  fn: (exampleFile: string | null | undefined) => Promise<T>,
): Promise<T> {
  const file = await exampleFileValue(opts, oname, given);
  try {
    return await fn(file.value);
  } catch (err) {
    if (file.written) await removeStoredFiles(opts.dataDir, [file.written]).catch(() => undefined);
    throw err;
  }
}
