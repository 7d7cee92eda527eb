/**
 * `/observatory/` (the catalogue: name search, active / calibration / my-favourites filters, pages),
 * `/observatory/<id>/` (location, cameras, owner) and the favourite star (htmx: answers with the
 * re-rendered star; without JavaScript: a redirect back with a flash). Create and edit forms are in
 * observatories-forms.ts.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { BadRequestError, NotFoundError } from "../../domain/errors.ts";
import { browseObservatories, cameraStar, observatoryDetail } from "../../domain/observatories/catalogue.ts";
import * as observatories from "../../domain/observatories/service.ts";
import { isStaff, type Actor } from "../../domain/permissions.ts";
import { flash, redirect, requireLogin, safeNext, type WebOptions } from "../context.ts";
import { formValues } from "../forms.ts";
import { render } from "../render.ts";
import { cameraHealth } from "../../domain/calibration/health.ts";
import { jsonIsland } from "./targets.ts";
import { canEdit, observatoryId } from "./observatories-fields.ts";
import { observatoryFormPages } from "./observatories-forms.ts";

export const OBSERVATORY_PAGE_SIZE = 25;

/** A page number from the query (1 when missing or bad; the last page when past the end). */
export function pageOf(raw: unknown, count: number, size: number) {
  const pages = Math.max(1, Math.ceil(count / size));
  const asked = typeof raw === "string" && /^\d{1,6}$/.test(raw) ? Number(raw) : 1;
  const current = Math.min(Math.max(asked, 1), pages);
  return { current, pages, offset: (current - 1) * size, limit: size };
}

/** "yes" → true, "no" → false, anything else → no filter. */
const triState = (v: unknown) => (v === "yes" ? true : v === "no" ? false : undefined);

export const observatoryPages: FastifyPluginAsync<WebOptions> = async (app, opts) => {
  const db = opts.database.db;

  app.get("/observatory/", async (request, reply) => {
    const actor = requireLogin(request);
    const q = request.query as Record<string, string | undefined>;
    const filters = {
      q: typeof q.q === "string" ? q.q.slice(0, 255) : "",
      active: typeof q.active === "string" ? q.active : "",
      calibration: typeof q.calibration === "string" ? q.calibration : "",
      fav: q.fav === "1" ? "1" : "",
    };
    const result = await browseObservatories(
      db,
      actor,
      {
        q: filters.q,
        active: triState(filters.active),
        calibration: triState(filters.calibration),
        favouritesOnly: filters.fav === "1",
      },
      (n) => pageOf(q.page, n, OBSERVATORY_PAGE_SIZE),
    );
    const query = (page: number) =>
      "?" +
      new URLSearchParams(
        Object.entries({ ...filters, page: String(page) }).filter(([, v]) => v !== ""),
      ).toString();
    const filtered = Object.values(filters).some((v) => v !== "");
    return render(reply, "observatory/list", {
      styles: ["observatory.css"],
      title: "Observatories",
      filters,
      filtered,
      count: result.count,
      items: result.items,
      page: result.page,
      pageUrl: query,
      here: request.url,
    });
  });

  // One camera's health over time (zero points, flags): the API's camera-health, with a plot.
  app.get<{ Params: { oname: string }; Querystring: { mjd_min?: string; mjd_max?: string } }>(
    "/observatory/camera/:oname/health/",
    async (request, reply) => {
      const actor = requireLogin(request);
      const health = await cameraHealth(db, actor, { oname: request.params.oname, ...request.query });
      const ok = health.frames.filter((fr) => fr.zeropoint !== null);
      const trace = (frames: typeof ok, name: string, colour: string, symbol: string) => ({
        type: "scatter",
        mode: "markers",
        name,
        x: frames.map((fr) => fr.mjd),
        y: frames.map((fr) => fr.zeropoint_1s ?? fr.zeropoint),
        text: frames.map(
          (fr) =>
            `data product ${fr.dataproduct}<br>${fr.filter ?? ""} ZP ${fr.zeropoint?.toFixed(3)}` +
            (fr.zeropoint_normalised
              ? ` (1 s: ${fr.zeropoint_1s?.toFixed(3)})`
              : " (not normalised: exposure unknown)"),
        ),
        marker: { color: colour, size: 8, symbol },
      });
      const figure = {
        data: [
          trace(
            ok.filter((fr) => !fr.quality_flag && fr.zeropoint_normalised),
            "frames (1 s)",
            "#1f77b4",
            "circle",
          ),
          trace(
            ok.filter((fr) => !fr.quality_flag && !fr.zeropoint_normalised),
            "frames (not normalised: exposure unknown)",
            "#7f7f7f",
            "circle-open",
          ),
          trace(
            ok.filter((fr) => fr.quality_flag),
            "flagged (low_zeropoint)",
            "#d62728",
            "x",
          ),
        ].filter((tr) => tr.x.length),
        layout: {
          xaxis: { title: { text: "MJD" } },
          yaxis: {
            title: { text: "Zero point, 1 s when known (mag; up = more light)" },
            autorange: "reversed",
          },
          hovermode: "closest",
        },
      };
      return render(reply, "observatory/health", {
        title: `Camera health ${health.oname}`,
        styles: ["observatory.css", "targets.css"],
        health,
        figureJson: ok.length ? jsonIsland(figure) : null,
        plotly: true,
        scripts: ["lightcurve.js"],
      });
    },
  );

  app.get("/observatory/:id/", async (request, reply) => {
    const actor = requireLogin(request);
    const id = observatoryId((request.params as { id: string }).id);
    const detail = await observatoryDetail(db, actor, id);
    return render(reply, "observatory/detail", {
      styles: ["observatory.css", "planning.css"],
      title: detail.observatory.name,
      o: detail.observatory,
      owner: detail.owner,
      favourites: detail.favourites,
      canEdit: canEdit(actor, detail.owner?.id),
      staff: isStaff(actor),
      here: request.url,
    });
  });

  /** The answer to a star click: the star again (htmx) or a redirect back with a flash. */
  async function starAnswer(
    request: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    values: Record<string, string>,
    outcome: { ok: boolean; text: string },
  ) {
    if (request.headers["hx-request"] === "true") {
      const star = await cameraStar(db, actor, values.oname ?? "");
      return render(reply, "observatory/_star", {
        camera: star ?? {
          prefix: values.oname ?? "",
          activeFlg: false,
          favourite: false,
          favouriteComment: null,
        },
        withComment: values.with_comment === "1",
        next: values.next ?? "",
        message: outcome,
      });
    }
    flash(request, reply, outcome.ok ? "success" : "error", outcome.text);
    return redirect(reply, safeNext(values.next, "/observatory/"));
  }

  app.post("/observatory/favourites/add/", async (request, reply) => {
    const actor = requireLogin(request);
    const values = formValues(request);
    const oname = values.oname ?? "";
    let outcome: { ok: boolean; text: string };
    try {
      if (oname === "") throw new BadRequestError("Choose a camera.");
      if ((values.comment ?? "").length > 10000)
        throw new BadRequestError("The comment may have at most 10 000 characters.");
      await observatories.addFavourite(db, actor, { oname, comment: values.comment?.trim() || null });
      outcome = { ok: true, text: `${oname} added to your favourites.` };
    } catch (err) {
      if (!(err instanceof BadRequestError || err instanceof NotFoundError)) throw err;
      outcome = { ok: false, text: err.message };
    }
    return starAnswer(request, reply, actor, values, outcome);
  });

  app.post("/observatory/favourites/remove/", async (request, reply) => {
    const actor = requireLogin(request);
    const values = formValues(request);
    const oname = values.oname ?? "";
    let outcome: { ok: boolean; text: string };
    try {
      if (oname === "") throw new BadRequestError("Choose a camera.");
      await observatories.deleteFavourite(db, actor, { oname });
      outcome = { ok: true, text: `${oname} removed from your favourites.` };
    } catch (err) {
      if (!(err instanceof BadRequestError || err instanceof NotFoundError)) throw err;
      outcome = { ok: false, text: err.message };
    }
    return starAnswer(request, reply, actor, values, outcome);
  });

  await app.register(observatoryFormPages, opts);
};
