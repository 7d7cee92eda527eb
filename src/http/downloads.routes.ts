/** CSV downloads (API guide §E) and the download log (get-downloaded-target-list, §F.8). */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest, FastifySchema } from "fastify";
import type { Db } from "../db/connection.ts";
import { EXTENDED_COLUMNS } from "../domain/downloads/extended.ts";
import {
  DownloadBody,
  PhotometryDownloadBody,
  type PhotometryDownloadInput,
  DownloadedListBody,
  DownloadedPage,
  type DownloadedListInput,
} from "../domain/downloads/schemas.ts";
import { DOWNLOAD_KINDS, listDownloaded, type DownloadKind } from "../domain/downloads/service.ts";
import { openCsvDownload } from "../http-kit/csv-download.ts";
import { requireActor } from "./auth.ts";
import { envelope, resolvePage } from "./pagination.ts";
import { Detail, FieldErrorsSchema } from "./schemas.ts";

const LOG_PAGE_SIZE = 200;

const CSV_DIFFERS =
  "Differs from BHTOM2: `name` may also be the target id (digits that are no target's name; BHTOM's download " +
  'scripts say "name or id", BHTOM2 took names only); an unknown target is a 404 JSON (BHTOM2: 500 HTML); a ' +
  "missing or blank name is a 400 " +
  '{"name": [...]} (BHTOM2: {"Error": "Something went wrong"}); points with equal MJD are in id order ' +
  "(BHTOM2: unspecified); the file is streamed as it is read (chunked, no Content-Length), so any size downloads " +
  "in constant memory.";

/** The photometry download's opt-in columns (src/domain/downloads/extended.ts), in its "Differs" note. */
const EXTENDED_NOTE =
  ` The body's \`columns\` is skytom's: "extended" adds the columns ${EXTENDED_COLUMNS.join(";")} after ` +
  "BHTOM's six (the point's quality flag from camera health, the calibration run that made it and that run's " +
  'calibration_version; empty when none), file target_<name>_photometry_extended.csv, not cached; "bhtom" or ' +
  "no columns: BHTOM's six columns, unchanged (what BHTOM's download_photometry.py reads); another value is a " +
  '400 {"columns": [...]}.';

export const downloadsRoutes: FastifyPluginAsyncTypebox<{ db: Db; dataDir?: string }> = async (
  app,
  { db, dataDir },
) => {
  const csvSchema = (kind: DownloadKind, summary: string, content: string) => {
    const spec = DOWNLOAD_KINDS[kind];
    const extended = kind === "photometry" ? EXTENDED_NOTE : "";
    return {
      tags: ["downloads"],
      summary,
      description:
        `Body {"name": "<exact target name>"}. Answers text/csv, attachment target_<name>_${spec.fileSuffix}.csv: ` +
        `the header "${spec.header.join(";")}", then ${content}, sorted by MJD; ";"-separated, "\\n" line ends, ` +
        'fields holding ; " or a newline quoted with inner quotes doubled, floats as Python writes them (16.0, ' +
        "1e-05), empty for null. Limits (negative errors) are included; deactivated points are not; with no points " +
        "the file is the header line alone. Each download is recorded (download type " +
        `${spec.type}, the caller's IP: first X-Forwarded-For entry, else the connection's address). ${CSV_DIFFERS}` +
        extended,
      body: kind === "photometry" ? PhotometryDownloadBody : DownloadBody,
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
        (request.body as PhotometryDownloadInput).columns,
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
