/**
 * `/targets/` (the filtered, sorted, paged list; htmx swaps the results on filter changes) and
 * `/targets/<name>/` (light curve, position, observing fields, aliases, groups, comments, data products,
 * the photometry CSV). Create, edit and delete are in targets-edit.ts. Every page needs a login, as
 * every API call does.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { formatDecDms, formatRaHms } from "../../astro/coords.ts";
import { constellationOf } from "../../astro/constellation.ts";
import { dateFromMjd } from "../../astro/time.ts";
import { AddCommentBody } from "../../domain/comments/schemas.ts";
import { addComment, listComments } from "../../domain/comments/service.ts";
import { listDataProducts } from "../../domain/dataproducts/service.ts";
import { harvestStatesOf, harvestTarget } from "../../domain/harvests/service.ts";
import { makeHarvesters, OFFLINE_HARVESTS } from "../../harvesters/index.ts";
import { BadRequestError, type FieldErrors } from "../../domain/errors.ts";
import { listAliases } from "../../domain/targets/aliases.ts";
import { groupsOfTarget, listGroups } from "../../domain/targets/groups.ts";
import { listTargets } from "../../domain/targets/list.ts";
import { pointsBySource, targetPlot, targetRadioPlot } from "../../domain/targets/plots.ts";
import * as targets from "../../domain/targets/service.ts";
import { CLASSIFICATIONS } from "../../vocabulary.ts";
import { openCsvDownload } from "../../http-kit/csv-download.ts";
import { flash, redirect, requireLogin, type WebOptions } from "../context.ts";
import { checkForm, formErrors, formValues } from "../forms.ts";
import { render } from "../render.ts";
import { ariaSort, FLAG_FILTERS, listUrl, PAGE_SIZES, readListQuery, sortUrl } from "./targets-query.ts";

/** Data products per page on a target's page (newest first; `?dp_page=2` for older ones). */
const DATA_PRODUCTS_SHOWN = 20;
const COMMENTS_SHOWN = 500;

export const targetUrl = (name: string) => `/targets/${encodeURIComponent(name)}/`;

/** JSON for a `<script type="application/json">` island: `<` escaped so no text can close the element. */
export function jsonIsland(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export const targetPages: FastifyPluginAsync<WebOptions> = async (
  app,
  { database, dataDir, harvesters = makeHarvesters(OFFLINE_HARVESTS) },
) => {
  const db = database.db;

  app.get("/targets/", async (request, reply) => {
    requireLogin(request);
    const lq = readListQuery(request.query);
    const isFragment =
      request.headers["hx-request"] === "true" && request.headers["hx-history-restore-request"] !== "true";
    let result: Awaited<ReturnType<typeof listTargets>> | null = null;
    let problem = "";
    if (!Object.keys(lq.errors).length) {
      try {
        result = await listTargets(
          db,
          lq.input,
          (count) => {
            const pages = Math.max(1, Math.ceil(count / lq.perPage));
            const page = Math.min(lq.page, pages);
            return { page, pages, offset: (page - 1) * lq.perPage, limit: lq.perPage };
          },
          { search: lq.search, order: lq.order },
        );
      } catch (err) {
        if (!(err instanceof BadRequestError)) throw err;
        problem = err.message.replace(/^Wrong format: /, "");
      }
    }
    const data = {
      title: "Targets",
      lq,
      result,
      problem,
      filtered: Object.keys(lq.input).length > 0 || lq.search !== "",
      errors: lq.errors,
      listUrl,
      sortUrl: (key: Parameters<typeof sortUrl>[1]) => sortUrl(lq, key),
      ariaSort: (key: Parameters<typeof ariaSort>[1]) => ariaSort(lq, key),
      targetUrl,
      mjdDate: (mjd: number) => (mjd > 0 ? dateFromMjd(mjd).toISOString().slice(0, 10) : "—"),
    };
    reply.header("Vary", "HX-Request");
    // Bad filters are the visitor's to fix: the full page says so with a 400; htmx (which does not
    // swap error answers) gets the results fragment carrying the message.
    const status = (Object.keys(lq.errors).length || problem) && !isFragment ? 400 : 200;
    if (isFragment) return render(reply, "targets/_results", data, status);
    const groups = await listGroups(db, () => ({ offset: 0, limit: 500 }));
    return render(
      reply,
      "targets/list",
      {
        ...data,
        classifications: CLASSIFICATIONS,
        groupNames: [...new Set(groups.items.map((g) => g.name))].sort(),
        flagFilters: FLAG_FILTERS,
        pageSizes: PAGE_SIZES,
        styles: ["targets.css"],
      },
      status,
    );
  });

  async function detail(
    request: FastifyRequest,
    reply: FastifyReply,
    target: targets.TargetRow,
    extra: { errors?: FieldErrors; values?: Record<string, string> } = {},
    status = 200,
  ) {
    const actor = requireLogin(request);
    const dpPage = String((request.query as Record<string, unknown> | undefined)?.dp_page ?? "1");
    const [figure, radioFigure, harvests, bySource, aliases, groups, comments, products] = await Promise.all([
      targetPlot(db, target.name),
      targetRadioPlot(db, target.id, target.name),
      harvestStatesOf(db, [target.id]),
      pointsBySource(db, target.id),
      listAliases(db, target.name),
      groupsOfTarget(db, target.id),
      listComments(db, { targetid: target.id }, () => ({ offset: 0, limit: COMMENTS_SHOWN })),
      listDataProducts(db, { target_id: target.id }, (count) => {
        const pages = Math.max(1, Math.ceil(count / DATA_PRODUCTS_SHOWN));
        const page = Math.min(pages, Math.max(1, Number.parseInt(dpPage, 10) || 1));
        return { page, pages, offset: (page - 1) * DATA_PRODUCTS_SHOWN, limit: DATA_PRODUCTS_SHOWN };
      }),
    ]);
    const hasPosition = target.ra !== null && target.dec !== null;
    const con = hasPosition ? constellationOf(target.ra as number, target.dec as number) : null;
    return render(
      reply,
      "targets/detail",
      {
        title: target.name,
        target,
        position: hasPosition
          ? {
              raHms: formatRaHms(target.ra as number, 2),
              decDms: formatDecDms(target.dec as number, 1),
              constellation: con && con.ok ? `${con.name} (${con.abbreviation})` : target.constellation,
            }
          : null,
        lastDate: target.mjdLast > 0 ? dateFromMjd(target.mjdLast) : null,
        figureJson: figure === "None" ? null : jsonIsland(figure),
        pointCount: figure === "None" ? 0 : figure.data.reduce((n, tr) => n + (tr.x as unknown[]).length, 0),
        radioJson: radioFigure ? jsonIsland(radioFigure) : null,
        harvests,
        bySource,
        harvestSources: harvesters.harvesters.map((h) => ({ name: h.name, title: h.title })),
        harvestOffline: harvesters.offline,
        radioCount: radioFigure ? radioFigure.data.reduce((n, tr) => n + (tr.x as unknown[]).length, 0) : 0,
        aliases,
        groups,
        comments: comments.items,
        products: products.items,
        productCount: products.count,
        productPage: products.page,
        canChange: targets.canChange(actor, target),
        targetUrl,
        errors: extra.errors ?? {},
        values: extra.values ?? {},
        plotly: true,
        scripts: ["lightcurve.js"],
        styles: ["targets.css", "planning.css"],
      },
      status,
    );
  }

  app.get<{ Params: { name: string } }>("/targets/:name/", async (request, reply) => {
    requireLogin(request);
    const name = request.params.name;
    const target = await targets.findTargetByNameOrAlias(db, name);
    if (!target) return detail404(reply, name);
    // An alias (or another spelling) shows the target at its own address.
    if (target.name !== name) return reply.redirect(targetUrl(target.name), 302);
    return detail(request, reply, target);
  });

  async function detail404(reply: FastifyReply, name: string) {
    return render(reply, "targets/missing", { title: "Target not found", name }, 404);
  }

  app.post<{ Params: { name: string } }>("/targets/:name/comments/", async (request, reply) => {
    const actor = requireLogin(request);
    const target = await targets.getTarget(db, request.params.name);
    const values = formValues(request);
    try {
      const input = checkForm(request, AddCommentBody, { comment: values.comment ?? "" });
      await addComment(db, actor, target.name, input.comment);
    } catch (err) {
      return detail(request, reply, target, { errors: formErrors(err), values }, 400);
    }
    flash(request, reply, "success", "Comment added.");
    return redirect(reply, `${targetUrl(target.name)}#comments`);
  });

  // The API's POST /targets/harvest/ as a button: every source now, the outcome as a message.
  app.post<{ Params: { name: string } }>("/targets/:name/harvest/", async (request, reply) => {
    requireLogin(request);
    const target = await targets.getTarget(db, request.params.name);
    const outcomes = await harvestTarget(db, harvesters, target);
    const failed = outcomes.some((o) => o.status === "error");
    const text =
      outcomes.map((o) => `${o.source}: ${o.message}`).join(" · ") || "No survey source is configured.";
    flash(request, reply, failed ? "error" : "success", text);
    return redirect(reply, `${targetUrl(target.name)}#harvests`);
  });

  // The API's download-photometry and download-radio as links: same bytes, same log entry (type P / R).
  for (const kind of ["photometry", "radio"] as const) {
    app.get<{ Params: { name: string }; Querystring: { columns?: string } }>(
      `/targets/:name/${kind}.csv`,
      async (request, reply) => {
        const actor = requireLogin(request);
        // ?columns=extended: the quality flag and the calibration run too (the API's `columns`).
        const columns = kind === "photometry" && request.query.columns === "extended" ? "extended" : "bhtom";
        const file = await openCsvDownload(db, dataDir, request, actor, kind, request.params.name, columns);
        return reply
          .type("text/csv")
          .header("Content-Disposition", file.disposition)
          .header("Cache-Control", "no-store")
          .send(file.body);
      },
    );
  }
};
