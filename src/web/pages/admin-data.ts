/**
 * Staff pages about data: `/admin/dataproducts/` (data products in error, with "Restart calibration" —
 * the same domain function as the API's restart-calib-by-* endpoints) and `/admin/points/` (a target's
 * latest light-curve points, each with Deactivate / Reactivate — the datums domain).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { Executor } from "../../db/connection.ts";
import { restartCalibrations } from "../../domain/calibration/service.ts";
import { listDataProducts } from "../../domain/dataproducts/service.ts";
import { listDatums, setActiveById } from "../../domain/datums/service.ts";
import { BadRequestError, NotFoundError } from "../../domain/errors.ts";
import { requireStaff as requireStaffActor, type Actor } from "../../domain/permissions.ts";
import { flash, redirect, requireStaff, safeNext, type WebOptions } from "../context.ts";
import { formValues } from "../forms.ts";
import { render } from "../render.ts";

/**
 * Run an admin action; a refusal the user can act on (unknown name, a 400 rule) comes back as an error
 * flash on the page the form was on. A 403 stays a 403.
 */
export async function act(
  request: FastifyRequest,
  reply: FastifyReply,
  fallback: string,
  action: () => Promise<string>,
): Promise<FastifyReply> {
  try {
    return done(request, reply, fallback, "success", await action());
  } catch (err) {
    if (err instanceof BadRequestError || err instanceof NotFoundError)
      return done(request, reply, fallback, "error", err.message);
    throw err;
  }
}

/** After an admin action: a flash and back to where the form was (`next`), else `fallback`. */
export function done(
  request: FastifyRequest,
  reply: FastifyReply,
  fallback: string,
  kind: "success" | "error",
  text: string,
): FastifyReply {
  flash(request, reply, kind, text);
  return redirect(reply, safeNext(formValues(request).next, fallback));
}

/** Latest points listed for a target on /admin/points/. */
export const POINTS_SHOWN = 50;

/** Staff: data products in status E, newest first (at most `limit`), and how many there are. */
export async function errorProducts(db: Executor, actor: Actor, limit: number) {
  requireStaffActor(actor);
  const { count, items } = await listDataProducts(db, { status: "E" }, () => ({ offset: 0, limit }));
  return { count, items };
}

const positiveId = (raw: string | undefined, what: string): number => {
  if (!raw || !/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw new BadRequestError(`Choose a ${what}.`);
  return Number(raw);
};

export const adminDataPages: FastifyPluginAsync<WebOptions> = async (app, { database, queue }) => {
  const db = database.db;

  app.get("/admin/dataproducts/", async (request, reply) => {
    const actor = requireStaff(request);
    const products = await errorProducts(db, actor, 200);
    return render(reply, "admin/dataproducts", {
      styles: ["admin.css"],
      title: "Data products in error",
      products,
      here: "/admin/dataproducts/",
    });
  });

  app.post("/admin/dataproducts/restart/", async (request, reply) => {
    requireStaff(request);
    const raw = formValues(request).id;
    return act(request, reply, "/admin/dataproducts/", async () => {
      const id = positiveId(raw, "data product");
      if (!queue)
        throw new BadRequestError(
          "The background queue is not running: calibrations cannot be restarted now.",
        );
      const ids = await restartCalibrations(database, queue, "dataproduct", { data_product_id: id });
      if (!ids.length) throw new BadRequestError(`Data product ${id} has no calibration to restart.`);
      return `Calibration of data product ${id} restarted: it is waiting in the queue.`;
    });
  });

  app.get("/admin/points/", async (request, reply) => {
    requireStaff(request);
    const target = String((request.query as { target?: unknown }).target ?? "")
      .trim()
      .slice(0, 100);
    let points: Awaited<ReturnType<typeof listDatums>> | null = null;
    let notFound = false;
    if (target) {
      try {
        // The last POINTS_SHOWN points in (mjd, id) order, newest first.
        points = await listDatums(db, { target_name: target }, (count) => ({
          offset: Math.max(0, count - POINTS_SHOWN),
          limit: POINTS_SHOWN,
        }));
        points.items.reverse();
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        notFound = true;
      }
    }
    const here = target ? `/admin/points/?target=${encodeURIComponent(target)}` : "/admin/points/";
    return render(reply, "admin/points", {
      styles: ["admin.css"],
      title: "Light-curve points",
      target,
      points,
      notFound,
      here,
    });
  });

  app.post("/admin/points/set-active/", async (request, reply) => {
    const actor = requireStaff(request);
    const values = formValues(request);
    return act(request, reply, "/admin/points/", async () => {
      const id = positiveId(values.id, "point");
      const active = values.active === "true";
      const point = await setActiveById(db, actor, id, active);
      return `Point ${point.id} (MJD ${point.mjd}, ${point.filter}) ${active ? "reactivated" : "deactivated"}.`;
    });
  });
};
