/**
 * Request conventions of the whole server (API and web pages), in one place: BHTOM's (bhtom-behaviour.md §1.2, §1.5):
 * - bodies as JSON, form or multipart; an empty body is `{}`; a body without Content-Type is read as
 *   JSON (or a form) when it is one (python `requests` sends `data=json.dumps(…)` untyped); malformed JSON → 400
 *   `{"detail": "JSON parse error - …"}`; a form's repeated key gives its last value (as DRF);
 * - a body must be a JSON object; invalid UTF-8 is refused;
 * - form/multipart values are strings: booleans written the Python way (`True`, `False`) are accepted;
 * - every path answers with and without its trailing slash (no 301 that turns a POST into a GET);
 * - a path served with other methods answers 405 JSON.
 */
import multipart, { type MultipartFile } from "@fastify/multipart";
import {
  errorCodes,
  type FastifyInstance,
  type FastifyRequest,
  type HTTPMethods,
  type RouteOptions,
} from "fastify";
import { BadRequestError, ValidationError, type FieldErrors } from "../domain/errors.ts";
import { booleanWord } from "../domain/input.ts";
import { HttpAnswer } from "./answer.ts";
import { fieldErrorsFromAjv, type AjvError } from "./validation-messages.ts";

/** A file received in a multipart request on a route that does not stream its files. */
export interface ReceivedFile {
  fieldname: string;
  filename: string;
  mimetype: string;
  data: Buffer;
}

declare module "fastify" {
  interface FastifyRequest {
    receivedFiles: ReceivedFile[];
  }
  interface FastifyContextConfig {
    /** "stream": the handler reads multipart parts itself (uploads). */
    multipart?: "stream";
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(body: Buffer, what: string): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new BadRequestError(`${what} parse error - request body is not valid UTF-8`);
  }
}

function parseJson(body: Buffer): unknown {
  const text = decodeUtf8(body, "JSON");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`JSON parse error - ${(err as Error).message}`);
  }
}

function parseForm(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(decodeUtf8(body, "Form"))) out[k] = v;
  return out;
}

/**
 * A body sent without a Content-Type: Python `requests.post(url, data=json.dumps(body))` sends JSON
 * that way. Read as JSON when it is JSON (a malformed `{…}` is the usual JSON parse error), as a form
 * when it looks like `key=value&…`; anything else is a 415. (BHTOM2 read such a body as `{}`.)
 */
function parseUntyped(body: Buffer): unknown {
  const text = decodeUtf8(body, "Request body").trim();
  if (text === "") return {};
  if (text.startsWith("{") || text.startsWith("[")) return parseJson(body);
  if (/^[^=&\s]+=[^&]*(&[^=&]+=[^&]*)*$/.test(text)) return parseForm(body);
  throw new HttpAnswer(415, {
    detail:
      "The request has no Content-Type and its body is neither JSON nor a form: send Content-Type: application/json.",
  });
}

const FINITE = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * AJV coerces the strings "Infinity", "-Infinity" and "1e400" to non-finite numbers, which then pass
 * `minimum`-only checks and are stored as NULL: refuse them for fields declared number/integer only.
 */
function refuseNonFiniteNumbers(
  body: Record<string, unknown>,
  schema: unknown,
  validateRest: (rest: Record<string, unknown>) => FieldErrors,
): void {
  const props = (schema as { properties?: Record<string, { type?: unknown }> })?.properties;
  if (!props) return;
  const errors: Record<string, string[]> = {};
  for (const [key, prop] of Object.entries(props)) {
    const v = body[key];
    // Fields typed number/integer (possibly also null), not those that take strings as strings.
    const types = Array.isArray(prop.type) ? prop.type : [prop.type];
    if (!types.some((t) => t === "number" || t === "integer") || types.includes("string")) continue;
    const bad =
      (typeof v === "string" && v.trim() !== "" && (!FINITE.test(v) || !Number.isFinite(Number(v)))) ||
      (typeof v === "number" && !Number.isFinite(v));
    if (bad)
      errors[key] = [
        types.includes("integer") ? "A valid integer is required." : "A valid number is required.",
      ];
  }
  if (!Object.keys(errors).length) return;
  // One 400 names every bad field: the route's own validation of the other fields joins these.
  const rest = structuredClone(Object.fromEntries(Object.entries(body).filter(([k]) => !(k in errors))));
  throw new ValidationError({ ...validateRest(rest), ...errors });
}

/** For string (and 0/1) values of fields the body schema declares boolean, accept DRF's words. */
function normaliseBooleans(body: Record<string, unknown>, schema: unknown): void {
  const props = (schema as { properties?: Record<string, { type?: unknown; anyOf?: { type?: unknown }[] }> })
    ?.properties;
  if (!props) return;
  for (const [key, prop] of Object.entries(props)) {
    const v = body[key];
    if (typeof v !== "string" && typeof v !== "number") continue;
    const isBool = prop.type === "boolean" || prop.anyOf?.some((p) => p.type === "boolean");
    const b = booleanWord(v);
    if (isBool && b !== undefined) body[key] = b;
  }
}

interface JsonSchemaLike {
  type?: string | string[];
  anyOf?: JsonSchemaLike[];
  oneOf?: JsonSchemaLike[];
  properties?: Record<string, JsonSchemaLike>;
}

function allowsNull(schema: JsonSchemaLike | undefined): boolean {
  if (!schema) return true;
  if (schema.anyOf || schema.oneOf)
    return [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].some(allowsNull);
  if (schema.type === undefined) return true;
  return schema.type === "null" || (Array.isArray(schema.type) && schema.type.includes("null"));
}

/**
 * AJV's type coercion would turn a JSON null into 0, "" or false for a field that does not allow null;
 * refuse it first, with DRF's message.
 */
function refuseNulls(body: Record<string, unknown>, schema: unknown): void {
  const props = (schema as JsonSchemaLike)?.properties;
  if (!props) return;
  const errors: Record<string, string[]> = {};
  for (const [key, prop] of Object.entries(props)) {
    if (body[key] === null && !allowsNull(prop)) errors[key] = ["This field may not be null."];
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
}

/** Does a JSON value hold a NUL character in any string or key? */
function holdsNul(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (depth > 64 || value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some((v) => holdsNul(v, depth + 1));
  return Object.entries(value).some(([k, v]) => k.includes("\u0000") || holdsNul(v, depth + 1));
}

/**
 * PostgreSQL text cannot hold U+0000 (a query with one fails), so a NUL anywhere in the body, the path
 * parameters or the query string is refused up front with DRF's CharField message, per field.
 */
export function refuseNulCharacters(parts: Record<string, unknown>[]): void {
  const errors: Record<string, string[]> = {};
  for (const part of parts) {
    if (!part || typeof part !== "object") continue;
    for (const [key, v] of Object.entries(part)) {
      if (key.includes("\u0000") || holdsNul(v))
        errors[key.split("\u0000").join("") || "non_field_errors"] = ["Null characters are not allowed."];
    }
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
}

/** Multipart limits (every route): form fields per request, bytes per field, parts in all, files per request. */
export const MAX_FIELD_BYTES = 1024 * 1024;
export const MAX_FIELDS = 500;
export const MAX_PARTS = 600;
export const MAX_BUFFERED_FILES = 50;

/** busboy's limit errors, and a truncated field, as a 413 that names the limit. */
export function multipartLimitAnswer(err: unknown, maxFiles: number): HttpAnswer | undefined {
  switch ((err as { code?: string }).code) {
    case "FST_FILES_LIMIT":
      return new HttpAnswer(413, { detail: `more than ${maxFiles} files in one request` });
    case "FST_FIELDS_LIMIT":
      return new HttpAnswer(413, { detail: `more than ${MAX_FIELDS} form fields in one request` });
    case "FST_PARTS_LIMIT":
      return new HttpAnswer(413, {
        detail: `more than ${MAX_PARTS} parts (fields and files) in one request`,
      });
  }
  return undefined;
}

async function collectMultipart(
  request: FastifyRequest,
  maxFileBytes: number,
): Promise<Record<string, unknown>> {
  const fields: Record<string, unknown> = {};
  try {
    await collectParts(request, maxFileBytes, fields);
  } catch (err) {
    throw multipartLimitAnswer(err, MAX_BUFFERED_FILES) ?? err;
  }
  return fields;
}

async function collectParts(
  request: FastifyRequest,
  maxFileBytes: number,
  fields: Record<string, unknown>,
): Promise<void> {
  for await (const part of request.parts({ limits: { fileSize: maxFileBytes } })) {
    if (part.type === "field" && part.valueTruncated) {
      throw new HttpAnswer(413, {
        detail: `${part.fieldname}: longer than the ${MAX_FIELD_BYTES} bytes allowed for a form field`,
      });
    }
    if (part.type === "file") {
      const file = part as MultipartFile;
      const data = await file.toBuffer();
      request.receivedFiles.push({
        fieldname: file.fieldname,
        filename: file.filename,
        mimetype: file.mimetype,
        data,
      });
    } else {
      fields[part.fieldname] = part.value;
    }
  }
}

export interface ConventionOptions {
  /** Largest file accepted on routes that buffer multipart files. */
  maxBufferedFileBytes: number;
  /** Largest file on streaming upload routes. */
  maxUploadFileBytes: number;
}

export async function installConventions(app: FastifyInstance, opts: ConventionOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) => {
    try {
      done(null, parseJson(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "buffer" }, (_req, body, done) => {
    try {
      done(null, parseForm(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  // No Content-Type at all, or one nothing here reads (which stays a 415).
  app.addContentTypeParser("*", { parseAs: "buffer" }, (request, body, done) => {
    if (request.headers["content-type"] !== undefined) {
      done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined);
      return;
    }
    try {
      done(null, parseUntyped(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  await app.register(multipart, {
    limits: {
      fileSize: opts.maxUploadFileBytes,
      files: MAX_BUFFERED_FILES,
      fields: MAX_FIELDS,
      fieldSize: MAX_FIELD_BYTES,
      parts: MAX_PARTS,
    },
  });

  app.decorateRequest("receivedFiles");
  app.addHook("onRequest", async (request) => {
    request.receivedFiles = [];
  });

  app.addHook("preValidation", async (request) => {
    if (request.isMultipart() && request.routeOptions.config.multipart !== "stream") {
      request.body = await collectMultipart(request, opts.maxBufferedFileBytes);
    }
    const body0 = request.body;
    refuseNulCharacters([
      request.params as Record<string, unknown>,
      request.query as Record<string, unknown>,
      ...(typeof body0 === "object" && body0 !== null && !Array.isArray(body0) && !Buffer.isBuffer(body0)
        ? [body0 as Record<string, unknown>]
        : []),
    ]);
    if (Array.isArray(body0) && holdsNul(body0))
      throw new ValidationError({ non_field_errors: ["Null characters are not allowed."] });
    const schema = request.routeOptions.schema?.body;
    if (!schema || request.routeOptions.config.multipart === "stream") return;
    if (request.body === undefined || request.body === null) request.body = {};
    const body = request.body;
    if (typeof body !== "object" || Array.isArray(body)) {
      const got = Array.isArray(body) ? "list" : typeof body === "string" ? "str" : typeof body;
      throw new HttpAnswer(400, {
        non_field_errors: [`Invalid data. Expected a dictionary, but got ${got}.`],
      });
    }
    refuseNulls(body as Record<string, unknown>, schema);
    refuseNonFiniteNumbers(body as Record<string, unknown>, schema, (rest) => {
      const validate = request.getValidationFunction("body");
      return validate && !validate(rest) && validate.errors
        ? fieldErrorsFromAjv(validate.errors as unknown as AjvError[])
        : {};
    });
    normaliseBooleans(body as Record<string, unknown>, schema);
  });
}

const METHODS: HTTPMethods[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/**
 * Record every route; `install405` then answers the other methods of each path with 405 JSON.
 * Call `track` before the routes are registered and `install405` after.
 */
export function methodNotAllowed(app: FastifyInstance) {
  const paths = new Map<string, Set<string>>();
  app.addHook("onRoute", (route: RouteOptions) => {
    if (route.config && (route.config as { generated405?: boolean }).generated405) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const set = paths.get(route.url) ?? new Set<string>();
    for (const m of methods) set.add(m);
    paths.set(route.url, set);
  });
  return {
    install() {
      for (const [url, have] of paths) {
        if (url.includes("*")) continue;
        const missing = METHODS.filter((m) => !have.has(m) && !(m === "GET" && have.has("HEAD")));
        if (!missing.length) continue;
        app.route({
          method: missing,
          url,
          config: { generated405: true, auth: "none" } as never,
          schema: { hide: true },
          handler: async (request, reply) =>
            reply.code(405).send({ detail: `Method "${request.method}" not allowed.` }),
        });
      }
    },
  };
}
