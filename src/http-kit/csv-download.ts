/**
 * CSV downloads as the client sees them, for the API's download routes (src/http/downloads.routes.ts) and
 * the web page's download link alike: the download recorded with the caller's address, the CSV streamed
 * with back-pressure, and Django's attachment header.
 */
import { Readable } from "node:stream";
import type { FastifyRequest } from "fastify";
import type { Db } from "../db/connection.ts";
import type { DownloadColumns } from "../domain/downloads/extended.ts";
import type { DownloadCacheOptions } from "../domain/downloads/file-cache.ts";
import {
  DOWNLOAD_BATCH,
  IP_ADDRESS_MAX,
  startDownload,
  type DownloadKind,
} from "../domain/downloads/service.ts";
import type { Actor } from "../domain/permissions.ts";
import { contentDisposition } from "./content-disposition.ts";

/** The caller's address as BHTOM records it: the first X-Forwarded-For entry, else the socket's peer. */
export function clientIp(request: Pick<FastifyRequest, "headers" | "socket">): string {
  const header = request.headers["x-forwarded-for"];
  const first = (Array.isArray(header) ? header[0] : header)?.split(",")[0]?.trim();
  return (first || request.socket.remoteAddress || "").slice(0, IP_ADDRESS_MAX);
}

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
  columns: DownloadColumns = "bhtom",
): Promise<{ body: Readable; disposition: string }> {
  const cache: DownloadCacheOptions | null = dataDir
    ? {
        dataDir,
        onError: (err, what) => request.log.warn({ err }, `Download cache: ${what} failed; not cached`),
      }
    : null;
  const file = await startDownload(db, actor, kind, name, clientIp(request), DOWNLOAD_BATCH, cache, columns);
  const body = Readable.from(file.chunks, { objectMode: false, highWaterMark: 64 * 1024 });
  body.on("error", (err) => request.log.error({ err }, "CSV download failed while streaming"));
  return { body, disposition: contentDisposition(file.fileName) };
}
