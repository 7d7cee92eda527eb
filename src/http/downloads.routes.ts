/** CSV downloads (API guide §E) and the download log (get-downloaded-target-list, §F.8). */
import { Readable } from "node:stream";
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest, FastifySchema } from "fastify";
import type { Db } from "../db/connection.ts";
import type { Actor } from "../domain/permissions.ts";
import {
  DownloadBody,
  DownloadedListBody,
  DownloadedPage,
  type DownloadedListInput,
} from "../domain/downloads/schemas.ts";
import type { DownloadCacheOptions } from "../domain/downloads/file-cache.ts";
import {
  DOWNLOAD_BATCH,
  DOWNLOAD_KINDS,
  IP_ADDRESS_MAX,
  listDownloaded,
  startDownload,
  type DownloadKind,
} from "../domain/downloads/service.ts";
import { requireActor } from "./auth.ts";
import { envelope, resolvePage } from "./pagination.ts";
import { Detail, FieldErrorsSchema } from "./schemas.ts";

const LOG_PAGE_SIZE = 200;

/** The caller's address as BHTOM records it: the first X-Forwarded-For entry, else the socket's peer. */
export function clientIp(request: Pick<FastifyRequest, "headers" | "socket">): string {
  const header = request.headers["x-forwarded-for"];
  const first = (Array.isArray(header) ? header[0] : header)?.split(",")[0]?.trim();
  return (first || request.socket.remoteAddress || "").slice(0, IP_ADDRESS_MAX);
}

/** Python's urllib.parse.quote (UTF-8, safe "/"), as Django writes `filename*=`. */
function pythonQuote(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~/-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * Django's attachment header: `filename="…"` (backslash and quote escaped) for printable ASCII names,
 * else RFC 5987 `filename*=utf-8''…` (percent-encoded UTF-8).
 */
export function contentDisposition(fileName: string): string {
  if (/^[\x20-\x7e]*$/.test(fileName)) {
    return `attachment; filename="${fileName.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  }
  return `attachment; filename*=utf-8''${pythonQuote(fileName)}`;
}

const CSV_DIFFERS =
  "Differs from BHTOM2: an unknown target is a 404 JSON (BHTOM2: 500 HTML); a missing or blank name is a 400 " +
  '{"name": [...]} (BHTOM2: {"Error": "Something went wrong"}); points with equal MJD are in id order ' +
  "(BHTOM2: unspecified); the file is streamed as it is read (chunked, no Content-Length), so any size downloads " +
  "in constant memory.";

/**
 * Record the download and open its CSV as a byte stream (back-pressured: read as the client takes it).
 * With a data directory, big light curves are served from the download file cache. The web page's
 * download link uses this too.
 */
export async function openCsvDownload(
  db: Db,
  dataDir: string | undefined,
  request: FastifyRequest,
  actor: Actor,
  kind: DownloadKind,
  name: string,
): Promise<{ body: Readable; disposition: string }> {
  const cache: DownloadCacheOptions | null = dataDir
    ? {
        dataDir,
        onError: (err, what) => request.log.warn({ err }, `Download cache: ${what} failed; not cached`),
      }
    : null;
  const file = await startDownload(db, actor, kind, name, clientIp(request), DOWNLOAD_BATCH, cache);
  const body = Readable.from(file.chunks, { objectMode: false, highWaterMark: 64 * 1024 });
  body.on("error", (err) => request.log.error({ err }, "CSV download failed while streaming"));
  return { body, disposition: contentDisposition(file.fileName) };
}

export const downloadsRoutes: FastifyPluginAsyncTypebox<{ db: Db; dataDir?: string }> = async (
  app,
  { db, dataDir },
) => {
  const csvSchema = (kind: DownloadKind, summary: string, content: string) => {
    const spec = DOWNLOAD_KINDS[kind];
    return {
      tags: ["downloads"],
      summary,
      description:
        `Body {"name": "<exact target name>"}. Answers text/csv, attachment target_<name>_${spec.fileSuffix}.csv: ` +
        `the header "${spec.header.join(";")}", then ${content}, sorted by MJD; ";"-separated, "\\n" line ends, ` +
        'fields holding ; " or a newline quoted with inner quotes doubled, floats as Python writes them (16.0, ' +
        "1e-05), empty for null. Limits (negative errors) are included; deactivated points are not; with no points " +
        "the file is the header line alone. Each download is recorded (download type " +
        `${spec.type}, the caller's IP: first X-Forwarded-For entry, else the connection's address). ${CSV_DIFFERS}`,
      body: DownloadBody,
      // Typed as FastifySchema's `unknown`: the 200 answer is a byte stream, not a serialised value.
      response: {
        200: { description: "The CSV file", content: { "text/csv": { schema: Type.String() } } },
        400: FieldErrorsSchema,
        404: Detail,
      } as FastifySchema["response"],
    };
  };

  const csvRoutes: Array<[string, DownloadKind, string, string]> = [
    [
      "/targets/download-photometry/",
      "photometry",
      "Download a target's photometry (magnitudes) as CSV",
      "one line per active point in magnitudes (value_unit MAG)",
    ],
    [
      "/targets/download-radio/",
      "radio",
      "Download a target's radio fluxes (mJy) as CSV",
      "one line per active point in mJy (value_unit MILLIJANSKY)",
    ],
    [
      "/targets/download-high-energy/",
      "highenergy",
      "Download a target's high-energy light curve (counts and flux) as CSV (not in the API guide)",
      "the active COUNTS and FLUX points merged on (MJD, facility, band, observer) as pandas' outer merge does: " +
        "every counts × flux pair of a key, a lone side with the other columns empty; keys of one MJD in " +
        "(facility, band, observer) order",
    ],
  ];
  for (const [url, kind, summary, content] of csvRoutes) {
    app.post(url, { schema: csvSchema(kind, summary, content) }, async (request, reply) => {
      const file = await openCsvDownload(
        db,
        dataDir,
        request,
        requireActor(request),
        kind,
        request.body.name,
      );
      return reply.type("text/csv").header("Content-Disposition", file.disposition).send(file.body);
    });
  }

  const listSchema = (summary: string) => ({
    tags: ["downloads"],
    summary,
    description:
      "Superuser only. Filters: target (name contains, case-insensitive), user (username contains, " +
      "case-insensitive), created_from / created_to (inclusive; ISO 8601 or a date = midnight UTC), download_type " +
      '(P, R, H). 200 per page (clamped), newest first. Items: user = username, user_name = "first last", ' +
      'target = target id. Differs from BHTOM2: others get 403 JSON (BHTOM2: 404 "You have no permissions, Admin ' +
      'Only"); a bad date is a 400 naming the field (BHTOM2: 500); an unknown download_type is a 400; the ' +
      "guide's spelling /targets/getDownloadedTargetList/ works too (BHTOM2: 302 to the login page).",
    body: DownloadedListBody,
    response: { 200: DownloadedPage, 400: FieldErrorsSchema, 403: Detail },
  });
  const listHandler = async (request: FastifyRequest<{ Body: DownloadedListInput }>) => {
    const r = await listDownloaded(db, requireActor(request), request.body, (count) =>
      resolvePage(request.body.page, count, LOG_PAGE_SIZE),
    );
    return envelope(r.count, r.page, r.items);
  };
  const superuser = { auth: "superuser" as const };
  app.post(
    "/targets/get-downloaded-target-list/",
    { config: superuser, schema: listSchema("The log of CSV downloads (superuser)") },
    listHandler,
  );
  app.post(
    "/targets/getDownloadedTargetList/",
    {
      config: superuser,
      schema: listSchema("Alias of get-downloaded-target-list (the guide's curl spelling)"),
    },
    listHandler,
  );
};
