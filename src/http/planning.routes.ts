/**
 * Night planning (skytom additions, not in BHTOM2): visibility, exposure times, a camera's plan and its
 * exports, the network's view, and finder charts. Reads only: nothing is written.
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import type { ReferenceProvider } from "../catalog/provider.ts";
import type { Db } from "../db/connection.ts";
import { AuthenticationError } from "../domain/errors.ts";
import type { Actor } from "../domain/permissions.ts";
import {
  ExposureTimeBody,
  ExposureTimeOut,
  FinderQuery,
  NetworkPlanBody,
  NetworkPlanOut,
  PlanBody,
  PlanOut,
  VisibilityBody,
  VisibilityOut,
} from "../domain/planning/schemas.ts";
import * as planning from "../domain/planning/service.ts";
import { contentDisposition } from "../http-kit/content-disposition.ts";
import { Detail, FieldErrorsSchema } from "./schemas.ts";

export interface PlanningRoutesOptions {
  db: Db;
  dataDir: string;
  /** Where finder charts take their reference stars from. */
  provider: ReferenceProvider;
  /** The caller from a browser session, for images a web page loads (no token there); optional. */
  sessionActor?: (request: FastifyRequest) => Promise<Actor | null>;
  /** The clock (tests). */
  now?: () => Date;
}

const ERRORS = { 400: FieldErrorsSchema, 401: Detail, 404: Detail };
const READS = "Reads only. skytom addition (BHTOM2 has no such endpoint).";

export const planningRoutes: FastifyPluginAsyncTypebox<PlanningRoutesOptions> = async (app, opts) => {
  const { db } = opts;
  const now = opts.now ?? (() => new Date());

  app.post(
    "/observatory/visibility/",
    {
      schema: {
        tags: ["planning"],
        summary: "A target's visibility from an observatory during one night",
        description:
          "The night of `date` (local date at the site; default tonight) runs from local mean noon to the next. " +
          "Sun set/rise and civil, nautical and astronomical twilight; the target's rise, transit and set " +
          "(horizon with standard refraction) for its pass nearest midnight; hours above `min_altitude` " +
          "(geometric, deg, default 30) in astronomical darkness and those windows; altitude, Hardie (1962) " +
          "airmass, Moon altitude and separation every 10 minutes from sunset to sunrise; the Moon's " +
          "illumination; the target's predicted magnitude per filter. Events that do not happen (circumpolar, " +
          "never rises, polar day or night, no astronomical darkness) are null, with the reason in `reasons`. " +
          `Times ISO 8601 UTC. ${READS}`,
        body: VisibilityBody,
        response: { 200: VisibilityOut, ...ERRORS },
      },
    },
    async (request) => planning.visibility(db, request.body, now()),
  );

  app.post(
    "/observatory/exposure-time/",
    {
      schema: {
        tags: ["planning"],
        summary: "Exposure for a wanted S/N with a camera, from the camera's own calibration history",
        description:
          "The camera's zero point, sky, seeing and aperture correction are the medians of its newest 100 " +
          "calibrated FITS frames in the filter; gain, read noise and saturation come from the camera. Give a " +
          "`target` (its predicted magnitude tonight is used) or a `mag`; the airmass is the given one, else the " +
          "target's lowest tonight above the horizon in darkness, else 1. Answers the exposure reaching `snr` " +
          "(default 50), the longest unsaturated exposure, the 5σ limit, and the S/N of `exposure_s` when given. " +
          `A camera without calibrated frames is a 400. ${READS}`,
        body: ExposureTimeBody,
        response: { 200: ExposureTimeOut, ...ERRORS },
      },
    },
    async (request) => planning.exposureTime(db, request.body, now()),
  );

  app.post(
    "/observatory/plan/",
    {
      schema: {
        tags: ["planning"],
        summary: "Tonight's plan for a camera: observable targets scheduled into the dark hours",
        description:
          "Targets with importance ≥ `min_importance` above `min_altitude` in astronomical darkness, away from " +
          "the Moon, bright enough for `snr` within `max_exposure_s`, in priority order (importance × cadence " +
          "overdue, then importance), each visit (slew + n × (exposure + readout)) placed greedily nearest its " +
          "lowest airmass without overlaps. `format`: `json` (default), `csv` (text/csv, one row per visit), " +
          "or `txt` (text/plain, `name ra dec exposure` lines for telescope control software: RA hh:mm:ss.ss, " +
          `Dec ±dd:mm:ss.s, J2000, seconds; spaces in names become _). ${READS}`,
        body: PlanBody,
        response: {
          200: {
            description: "The plan (JSON), or the CSV / plain-text export",
            content: {
              "application/json": { schema: PlanOut },
              "text/csv": { schema: Type.String() },
              "text/plain": { schema: Type.String() },
            },
          },
          ...ERRORS,
        },
      },
    },
    async (request, reply) => {
      const plan = await planning.planNight(db, request.body, now());
      const format = request.body.format ?? "json";
      if (format === "json") return reply.type("application/json; charset=utf-8").send(plan);
      const stem = `plan-${plan.oname}-${plan.date}`.replace(/[^A-Za-z0-9._-]+/g, "_");
      return reply
        .type(format === "csv" ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8")
        .header("Content-Disposition", contentDisposition(`${stem}.${format}`))
        .send(format === "csv" ? planning.planCsv(plan) : planning.planText(plan));
    },
  );

  app.post(
    "/targets/network-plan/",
    {
      schema: {
        tags: ["planning"],
        summary: "The network's night: which cameras can observe each important target, with their S/N",
        description:
          "For each target with importance ≥ `min_importance` (default 5), every active camera whose site sees " +
          "it above `min_altitude` in astronomical darkness on the night of `date` (the local date at each site; " +
          "default today, UTC), with its observable window, best airmass, predicted magnitude, the exposure " +
          "reaching `snr` (at most `max_exposure_s`) and that exposure's S/N (null without calibration history). " +
          `Most urgent targets first, the best cameras first. ${READS}`,
        body: NetworkPlanBody,
        response: { 200: NetworkPlanOut, ...ERRORS },
      },
    },
    async (request) => planning.networkPlan(db, request.body, now()),
  );

  for (const format of ["png", "svg"] as const) {
    app.get(
      `/targets/:name/finder.${format}`,
      {
        config: { auth: "none" },
        schema: {
          tags: ["planning"],
          summary: `Finder chart of a target (${format.toUpperCase()})`,
          description:
            "Reference stars around the target (north up, east left, dot size by magnitude) down to the " +
            "camera's limit (`mag_limit` overrides), the target marked, N/E arrows, a scale bar, the field of " +
            "view of camera `oname` (pixel_scale × detector size), and the target's latest FITS preview beside " +
            "it when there is one. `fov_arcmin` sets the chart's width (default 1.5 × the camera's field, else " +
            "20). Authenticated by token, or by the web session of a signed-in browser.",
          params: Type.Object({ name: Type.String() }),
          querystring: FinderQuery,
          response: {
            200: {
              description: "The chart",
              content: {
                [format === "png" ? "image/png" : "image/svg+xml"]: {
                  schema: Type.String({ format: format === "png" ? "binary" : undefined }),
                },
              },
            },
            ...ERRORS,
          },
        },
      },
      async (request, reply) => {
        const actor = request.actor ?? (await opts.sessionActor?.(request)) ?? null;
        if (!actor) throw new AuthenticationError("Authentication credentials were not provided.");
        const chart = await planning.finderChart(db, request.params.name, request.query, format, {
          provider: opts.provider,
          dataDir: opts.dataDir,
        });
        return (
          reply
            .type(format === "png" ? "image/png" : "image/svg+xml; charset=utf-8")
            .header("Cache-Control", "private, max-age=300")
            // An image body: not JSON, so not the response schema's business.
            .send((format === "png" ? Buffer.from(chart as Uint8Array) : chart) as never)
        );
      },
    );
  }
};
