/**
 * `/dataproducts/`: the signed-in user's uploads (staff: anyone's), newest first, with live status;
 * `/dataproducts/status/?ids=…`: the status fragment the upload page polls;
 * `/dataproducts/<id>/`: the calibration result page, with its plot, FITS preview and catalogue files,
 * delete (uploader, staff) and restart (staff). Who sees what is the domain's (calibration/result.ts).
 * Fragments poll every 2 s (htmx) while a product is waiting (C) or in progress (P), then stop.
 */
import { contentDisposition } from "../../http-kit/content-disposition.ts";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { dataProductResult, restartDataProduct, resultImagePath } from "../../domain/calibration/result.ts";
import { getRun, useRun } from "../../domain/calibration/history.ts";
import { ensureCalibrationPlot } from "../../domain/calibration/plotfile.ts";
import { deleteDataProduct, listUploads, photometryFile } from "../../domain/dataproducts/service.ts";
import { NotFoundError } from "../../domain/errors.ts";
import { findById } from "../../domain/datums/repo.ts";
import { isStaff } from "../../domain/permissions.ts";
import { findUser } from "../../domain/users/service.ts";
import { removeStoredFiles, storedPath } from "../../storage.ts";
import { flash, redirect, requireLogin, requireStaff, type WebOptions } from "../context.ts";
import { render } from "../render.ts";
import { listUploadsByIds, parseIds, TYPE_NAMES, uploadView } from "./dataproducts-data.ts";

const PAGE_SIZE = 25;

function productId(raw: string): number {
  const id = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(id) || id < 1) throw new NotFoundError("There is no data product with this id.");
  return id;
}

export const dataproductPages: FastifyPluginAsync<WebOptions> = async (app, opts) => {
  const { database, dataDir } = opts;
  const db = database.db;

  async function sendStored(reply: FastifyReply, path: string, type: string, download?: string) {
    const full = storedPath(dataDir, path);
    const info = await stat(full).catch(() => null);
    if (!info?.isFile()) throw new NotFoundError("The file is no longer stored.");
    reply.type(type).header("Content-Length", info.size).header("Cache-Control", "private, no-cache");
    if (download) reply.header("Content-Disposition", contentDisposition(download));
    return reply.send(createReadStream(full));
  }

  app.get<{ Querystring: { page?: string; user?: string; partial?: string } }>(
    "/dataproducts/",
    async (request, reply) => {
      const actor = requireLogin(request);
      const staff = isStaff(actor);
      const who = staff ? String(request.query.user ?? "").trim() : "";
      let userId: number | null | undefined;
      let unknownUser = false;
      if (who === "*") userId = null;
      else if (who) {
        try {
          userId = (await findUser(db, who)).id;
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
          unknownUser = true;
          userId = -1;
        }
      }
      const wanted = Math.max(1, Number.parseInt(String(request.query.page ?? "1"), 10) || 1);
      const list = await listUploads(db, actor, { userId }, (n) => {
        const numPages = Math.max(1, Math.ceil(n / PAGE_SIZE));
        const current = Math.min(wanted, numPages);
        return { offset: (current - 1) * PAGE_SIZE, limit: PAGE_SIZE, current, numPages };
      });
      const items = list.rows.map(uploadView);
      const query = (page: number) =>
        `/dataproducts/?${new URLSearchParams({ ...(who ? { user: who } : {}), page: String(page) })}`;
      const data = {
        title: "Data products",
        styles: ["dataproducts.css"],
        items,
        count: list.count,
        page: list.page.current,
        numPages: list.page.numPages,
        prevUrl: list.page.current > 1 ? query(list.page.current - 1) : null,
        nextUrl: list.page.current < list.page.numPages ? query(list.page.current + 1) : null,
        pollUrl: `${query(list.page.current)}&partial=1`,
        staff,
        who,
        unknownUser,
        mine: !who,
      };
      if (request.query.partial) return render(reply, "dataproducts/_list", data);
      return render(reply, "dataproducts/list", data);
    },
  );

  app.get<{ Querystring: { ids?: string } }>("/dataproducts/status/", async (request, reply) => {
    const actor = requireLogin(request);
    const ids = parseIds(request.query.ids);
    const items = await listUploadsByIds(db, actor, ids);
    return render(reply, "dataproducts/_uploads", { items, ids: ids.join(",") });
  });

  app.get<{ Params: { id: string }; Querystring: { partial?: string } }>(
    "/dataproducts/:id/",
    async (request, reply) => {
      const actor = requireLogin(request);
      const id = productId(request.params.id);
      const r = await dataProductResult(db, actor, id);
      const view = uploadView(r.row);
      const data = {
        title: `Data product ${id}`,
        styles: ["dataproducts.css"],
        r,
        dp: r.row.dp,
        cal: r.row.cal,
        job: r.row.job,
        view,
        typeName: TYPE_NAMES[r.row.dp.dataProductType] ?? r.row.dp.dataProductType,
        staff: isStaff(actor),
      };
      if (request.query.partial) return render(reply, "dataproducts/_result", data);
      return render(reply, "dataproducts/result", data);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { channel?: string } }>(
    "/dataproducts/:id/plot.png",
    async (request, reply) => {
      const actor = requireLogin(request);
      const path = await resultImagePath(
        db,
        actor,
        productId(request.params.id),
        "plot",
        request.query.channel,
      );
      // Drawn on first view (plotfile.ts); a calibration made before that has its PNG stored.
      await ensureCalibrationPlot(dataDir, path);
      return sendStored(reply, path, "image/png");
    },
  );

  app.get<{ Params: { id: string } }>("/dataproducts/:id/preview.png", async (request, reply) => {
    const actor = requireLogin(request);
    const path = await resultImagePath(db, actor, productId(request.params.id), "preview");
    return sendStored(reply, path, "image/png");
  });

  app.get<{ Params: { id: string } }>("/dataproducts/:id/catalogue/", async (request, reply) => {
    const actor = requireLogin(request);
    const path = await photometryFile(db, actor, productId(request.params.id));
    const name = basename(path);
    return sendStored(
      reply,
      path,
      name.toLowerCase().endsWith(".csv") ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8",
      name,
    );
  });

  app.post<{ Params: { id: string } }>("/dataproducts/:id/delete/", async (request, reply) => {
    const actor = requireLogin(request);
    const id = productId(request.params.id);
    const files = await deleteDataProduct(db, actor, id);
    await removeStoredFiles(dataDir, files).catch((err: unknown) =>
      request.log.warn({ err }, "file removal failed"),
    );
    flash(request, reply, "success", `Data product ${id} deleted.`);
    return redirect(reply, "/dataproducts/");
  });

  // A light-curve point → the data product it came from (the light curve's points link here on click).
  app.get<{ Params: { id: string } }>("/datums/:id/", async (request, reply) => {
    requireLogin(request);
    const point = await findById(db, productId(request.params.id));
    if (!point?.dataProductId) throw new NotFoundError("This point did not come from a data product.");
    return redirect(reply, `/dataproducts/${point.dataProductId}/`);
  });

  app.post<{ Params: { id: string }; Body: { run?: string } }>(
    "/dataproducts/:id/use-run/",
    async (request, reply) => {
      const actor = requireStaff(request);
      const id = productId(request.params.id);
      const run = productId(String(request.body?.run ?? ""));
      if ((await getRun(db, actor, run)).dataproduct !== id)
        throw new NotFoundError(`Run ${run} is not a run of data product ${id}.`);
      await useRun(database, actor, run);
      flash(request, reply, "success", `Calibration run ${run} is now current.`);
      return redirect(reply, `/dataproducts/${id}/#calibration-runs`);
    },
  );

  app.post<{ Params: { id: string } }>("/dataproducts/:id/restart/", async (request, reply) => {
    const actor = requireStaff(request);
    const id = productId(request.params.id);
    if (!opts.queue) throw new Error("background queue unavailable");
    const ids = await restartDataProduct(database, opts.queue, actor, id);
    flash(
      request,
      reply,
      ids.length ? "success" : "info",
      ids.length ? `Calibration of data product ${id} restarted.` : "This data product has no calibration.",
    );
    return redirect(reply, `/dataproducts/${id}/`);
  });
};
