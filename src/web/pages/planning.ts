/**
 * Night planning in the web UI: a target's "Observe" panel (its visibility tonight and exposure time at
 * each of the viewer's favourite cameras, and its finder chart), an observatory's "Tonight" (each
 * camera's plan), `/tonight/` (the plans of the viewer's favourite cameras, also shown on the home page)
 * and the plan exports as downloads. Panels are htmx fragments loaded after the page; opened directly
 * they are full pages.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { planCsv, planText } from "../../domain/planning/exports.ts";
import { favouriteOnames, observeTarget, plansFor } from "../../domain/planning/observe.ts";
import { planNight } from "../../domain/planning/service.ts";
import { DATE_PATTERN } from "../../domain/planning/schemas.ts";
import { observatoryDetail } from "../../domain/observatories/catalogue.ts";
import { contentDisposition } from "../../http-kit/content-disposition.ts";
import { requireLogin, type WebOptions } from "../context.ts";
import { render } from "../render.ts";
import { observatoryId } from "./observatories-fields.ts";
import { targetUrl } from "./targets.ts";

const isFragment = (request: FastifyRequest) =>
  request.headers["hx-request"] === "true" && request.headers["hx-history-restore-request"] !== "true";

/** `?date=YYYY-MM-DD` when well formed (a wrong one is ignored: tonight instead). */
function dateQuery(request: FastifyRequest): string | undefined {
  const v = (request.query as Record<string, unknown> | undefined)?.date;
  return typeof v === "string" && new RegExp(DATE_PATTERN).test(v) ? v : undefined;
}

/** A fragment for htmx, else the full page around it. */
function panel(request: FastifyRequest, reply: FastifyReply, fragment: string, title: string, data: object) {
  reply.header("Vary", "HX-Request");
  if (isFragment(request)) return render(reply, fragment, data as Record<string, unknown>);
  return render(reply, "planning/page", { title, fragment, data, styles: ["planning.css"] });
}

export const planningPages: FastifyPluginAsync<WebOptions> = async (app, { database }) => {
  const db = database.db;

  app.get<{ Params: { name: string } }>("/targets/:name/observe/", async (request, reply) => {
    const actor = requireLogin(request);
    const summary = await observeTarget(db, actor, request.params.name, new Date(), {
      date: dateQuery(request),
    });
    return panel(request, reply, "planning/_observe", `Observe ${summary.target.name}`, {
      s: summary,
      targetUrl,
      finder: (oname: string | null) =>
        `${targetUrl(summary.target.name)}finder.png${oname ? `?oname=${encodeURIComponent(oname)}` : ""}`,
    });
  });

  app.get<{ Params: { id: string } }>("/observatory/:id/tonight/", async (request, reply) => {
    const actor = requireLogin(request);
    const { observatory } = await observatoryDetail(db, actor, observatoryId(request.params.id));
    const onames = observatory.cameras.filter((c) => c.active_flg).map((c) => c.prefix);
    const plans = await plansFor(db, onames, new Date(), dateQuery(request));
    return panel(request, reply, "planning/_tonight", `Tonight at ${observatory.name}`, {
      plans,
      empty: "This observatory has no active camera to plan for.",
      targetUrl,
    });
  });

  app.get("/tonight/", async (request, reply) => {
    const actor = requireLogin(request);
    const plans = await plansFor(db, await favouriteOnames(db, actor), new Date(), dateQuery(request));
    return panel(request, reply, "planning/_tonight", "Tonight", {
      plans,
      compact: (request.query as Record<string, unknown> | undefined)?.compact === "1",
      empty: "You have no favourite cameras: star the cameras you observe with on their observatory pages.",
      targetUrl,
    });
  });

  for (const format of ["csv", "txt"] as const) {
    app.get<{ Params: { oname: string } }>(`/tonight/:oname/plan.${format}`, async (request, reply) => {
      requireLogin(request);
      const plan = await planNight(db, { oname: request.params.oname, date: dateQuery(request) }, new Date());
      const stem = `plan-${plan.oname}-${plan.date}`.replace(/[^A-Za-z0-9._-]+/g, "_");
      return reply
        .type(format === "csv" ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8")
        .header("Content-Disposition", contentDisposition(`${stem}.${format}`))
        .send(format === "csv" ? planCsv(plan) : planText(plan));
    });
  }
};
