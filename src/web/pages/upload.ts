/**
 * `/dataproducts/upload/`: the upload form. One POST endpoint serves both ways of sending:
 * - upload.js sends one multipart request per file (XMLHttpRequest, so each file has its own progress
 *   bar), CSRF token in `X-CSRF-Token`, `Accept: application/json`: the answer is JSON — 201
 *   `{message, data}` with the created data products, or `{detail, field?}` with 400/401/409/413;
 * - without JavaScript the form posts all files at once (CSRF token as the first form field): success is a
 *   303 back to the form with the created products listed, an error re-renders the form.
 * Both call the same domain function as the API's `POST /upload/` (`uploadFiles`), on files received by
 * the same streaming reader (`receiveUploadParts`).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { recentTargetNames } from "../../domain/dataproducts/service.ts";
import { uploadFiles, type UploadFields } from "../../domain/dataproducts/upload.ts";
import { BadRequestError, ConflictError, ValidationError, type FieldErrors } from "../../domain/errors.ts";
import { listFavourites } from "../../domain/observatories/favourites.ts";
import type { Actor } from "../../domain/permissions.ts";
import { FILTER_REQUESTS, DEFAULT_FILTER_REQUEST } from "../../astro/calibrate/bands.ts";
import { HttpAnswer } from "../../http-kit/answer.ts";
import { receiveUploadParts, type ReceivedParts } from "../../http-kit/multipart.ts";
import { DATA_PRODUCT_TYPES } from "../../vocabulary.ts";
import { flash, redirect, requireLogin, type WebOptions } from "../context.ts";
import { render } from "../render.ts";
import { listUploadsByIds, parseIds } from "./dataproducts-data.ts";

const MAX_FILES = 20;

/** The form's fields, in the order the API reads them; messages starting with one of these name it. */
const FORM_FIELDS = [
  "target",
  "data_product_type",
  "observatory",
  "filter",
  "mjd",
  "observers",
  "dry_run",
  "match_dist",
  "comment",
  "files",
] as const;

const TYPE_LABELS: Record<string, string> = {
  photometry_csv: "Light curve (CSV)",
  photometry: "Instrumental catalogue",
  fits_file: "FITS image",
  spectroscopy: "Spectrum",
};

/** Requests from upload.js ask for JSON; a plain form post asks for HTML. */
export function wantsJson(request: FastifyRequest): boolean {
  return /\bapplication\/json\b/.test(String(request.headers.accept ?? ""));
}

/** A domain error as a status and field messages (`"target: no target …"` → `{target: ["no target …"]}`). */
function uploadError(err: unknown): { status: number; errors: FieldErrors; detail: string; field?: string } {
  if (err instanceof HttpAnswer) {
    const detail = String((err.body as { detail?: unknown })?.detail ?? err.message);
    return { status: err.statusCode, errors: { files: [detail] }, detail, field: "files" };
  }
  if (err instanceof ValidationError) {
    const [field] = Object.keys(err.fields);
    return { status: 400, errors: err.fields, detail: err.message, field };
  }
  if (err instanceof BadRequestError || err instanceof ConflictError) {
    const status = err instanceof ConflictError ? 409 : 400;
    const m = /^([a-z_]+): ([\s\S]*)$/.exec(err.message);
    if (m && (FORM_FIELDS as readonly string[]).includes(m[1]))
      return { status, errors: { [m[1]]: [m[2]] }, detail: err.message, field: m[1] };
    return { status, errors: { non_field_errors: [err.message] }, detail: err.message };
  }
  throw err;
}

/** The last value of each field, as strings (to fill the form again). */
function flatValues(fields: UploadFields): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k !== "_csrf") out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

export const uploadPages: FastifyPluginAsync<WebOptions> = async (app, opts) => {
  const { database, dataDir } = opts;
  const db = database.db;
  const maxFileBytes = opts.maxUploadFileBytes ?? 200 * 1024 * 1024;
  const received = new WeakMap<FastifyRequest, ReceivedParts>();
  const receiveFailures = new WeakMap<FastifyRequest, unknown>();

  async function showForm(
    request: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    values: Record<string, string>,
    errors: FieldErrors = {},
    status = 200,
    doneIds: number[] = [],
  ) {
    const favourites = await listFavourites(db, actor, { active_flg: true }, () => ({
      offset: 0,
      limit: 200,
    }));
    const done = doneIds.length ? await listUploadsByIds(db, actor, doneIds) : [];
    return render(
      reply,
      "dataproducts/upload",
      {
        title: "Upload data",
        styles: ["dataproducts.css"],
        scripts: ["upload.js"],
        values: { data_product_type: "photometry_csv", filter: DEFAULT_FILTER_REQUEST, ...values },
        errors,
        recentTargets: await recentTargetNames(db, actor),
        favourites: favourites.data,
        types: DATA_PRODUCT_TYPES.map((t) => ({ value: t, label: TYPE_LABELS[t] ?? t })),
        filters: [DEFAULT_FILTER_REQUEST, ...FILTER_REQUESTS.filter((f) => f !== DEFAULT_FILTER_REQUEST)],
        maxFileSize:
          maxFileBytes >= 1024 * 1024
            ? `${Math.floor(maxFileBytes / (1024 * 1024))} MB`
            : `${Math.floor(maxFileBytes / 1024)} kB`,
        maxFiles: MAX_FILES,
        done,
        doneIds,
      },
      status,
    );
  }

  app.get<{ Querystring: { target?: string; done?: string } }>(
    "/dataproducts/upload/",
    async (request, reply) => {
      const actor = requireLogin(request);
      const target = typeof request.query.target === "string" ? request.query.target.slice(0, 200) : "";
      return showForm(request, reply, actor, target ? { target } : {}, {}, 200, parseIds(request.query.done));
    },
  );

  app.post(
    "/dataproducts/upload/",
    {
      config: { multipart: "stream" },
      // Runs before the CSRF check (preHandler): the token of a plain form post is a multipart field.
      preValidation: async (request, reply) => {
        if (!request.webUser) {
          if (wantsJson(request)) {
            return reply.code(401).send({
              detail: "Your session has ended: log in again.",
              login: "/accounts/login/?next=/dataproducts/upload/",
            });
          }
          requireLogin(request);
        }
        if (!request.isMultipart()) return;
        try {
          const parts = await receiveUploadParts(request, dataDir, maxFileBytes, MAX_FILES);
          received.set(request, parts);
          request.body = flatValues(parts.fields) as never;
          const token = parts.fields._csrf;
          if (typeof token === "string") (request.body as Record<string, string>)._csrf = token;
        } catch (err) {
          if (!(err instanceof HttpAnswer)) throw err;
          // Too large: nothing was stored, so the answer needs no CSRF check.
          receiveFailures.set(request, err);
          const e = uploadError(err);
          if (wantsJson(request)) return reply.code(e.status).send({ detail: e.detail, field: e.field });
          return showForm(request, reply, requireLogin(request), {}, e.errors, e.status);
        }
      },
      // Before the answer leaves (also error pages, e.g. a refused CSRF token): no temporary file stays.
      onSend: async (request, _reply, payload) => {
        await received.get(request)?.cleanup();
        return payload;
      },
    },
    async (request, reply) => {
      const actor = requireLogin(request);
      const json = wantsJson(request);
      const parts = received.get(request);
      const values = parts ? flatValues(parts.fields) : {};
      try {
        if (!parts || parts.files.length === 0)
          throw new BadRequestError("files: choose at least one file to upload");
        const out = await uploadFiles(
          database,
          opts.queue ?? null,
          dataDir,
          actor,
          parts.fields,
          parts.files,
        );
        if (json) return reply.code(201).send({ message: out.message, data: out.items });
        flash(request, reply, "success", out.message);
        const ids = out.items.map((i) => i.id).join(",");
        return redirect(
          reply,
          `/dataproducts/upload/?target=${encodeURIComponent(out.plan.target.name)}&done=${ids}`,
        );
      } catch (err) {
        const e = uploadError(err);
        if (json) return reply.code(e.status).send({ detail: e.detail, field: e.field });
        return showForm(request, reply, actor, values, e.errors, e.status);
      }
    },
  );
};
