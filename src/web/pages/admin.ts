/**
 * `/admin/` for staff: a dashboard with the count of each queue and its first items, and the queues'
 * own pages — `/admin/users/` (accounts awaiting approval: approve = activate, reject = delete a never
 * used account), `/admin/cameras/` (cameras awaiting activation), `/admin/dataproducts/` (data products
 * in error: restart calibration), `/admin/points/` (admin-data.ts) and `/admin/references/` (reference
 * catalogues, the cones cached from the archives, data products waiting for an archive). Anonymous visitors are sent to
 * the login page, other users get the 403 page; every POST checks staff first, and the domain again.
 */
import type { FastifyPluginAsync } from "fastify";
import type { Database } from "../../db/connection.ts";
import { referenceStarsOverview } from "../../domain/calibration/references.ts";
import { inactiveCameras } from "../../domain/observatories/catalogue.ts";
import * as observatories from "../../domain/observatories/service.ts";
import { approveAccount, pendingAccounts, rejectAccount } from "../../domain/users/approval.ts";
import { requireStaff, type WebOptions } from "../context.ts";
import { formValues } from "../forms.ts";
import { render } from "../render.ts";
import { act, adminDataPages, errorProducts } from "./admin-data.ts";

/** Items of each queue shown on the dashboard (the queue's page lists up to 200). */
export const DASHBOARD_ITEMS = 5;
export const QUEUE_ITEMS = 200;

async function queues(database: Database, actor: ReturnType<typeof requireStaff>, limit: number) {
  const db = database.db;
  const [users, cameras, products] = await Promise.all([
    pendingAccounts(db, actor, limit),
    inactiveCameras(db, actor, limit),
    errorProducts(db, actor, limit),
  ]);
  return { users, cameras, products };
}

export const adminPages: FastifyPluginAsync<WebOptions> = async (app, opts) => {
  const { database } = opts;
  const db = database.db;

  app.get("/admin/", async (request, reply) => {
    const actor = requireStaff(request);
    const q = await queues(database, actor, DASHBOARD_ITEMS);
    return render(reply, "admin/dashboard", { styles: ["admin.css"], title: "Admin", ...q, here: "/admin/" });
  });

  app.get("/admin/users/", async (request, reply) => {
    const actor = requireStaff(request);
    const users = await pendingAccounts(db, actor, QUEUE_ITEMS);
    return render(reply, "admin/users", {
      styles: ["admin.css"],
      title: "Accounts awaiting approval",
      users,
      here: "/admin/users/",
    });
  });

  app.get("/admin/cameras/", async (request, reply) => {
    const actor = requireStaff(request);
    const cameras = await inactiveCameras(db, actor, QUEUE_ITEMS);
    return render(reply, "admin/cameras", {
      styles: ["admin.css"],
      title: "Cameras awaiting activation",
      cameras,
      here: "/admin/cameras/",
    });
  });

  app.post("/admin/users/approve/", async (request, reply) => {
    const actor = requireStaff(request);
    const username = formValues(request).username ?? "";
    return act(request, reply, "/admin/users/", async () => {
      const user = await approveAccount(db, actor, username);
      return `${user.username} approved: the account can log in now.`;
    });
  });

  app.post("/admin/users/reject/", async (request, reply) => {
    const actor = requireStaff(request);
    const username = formValues(request).username ?? "";
    return act(request, reply, "/admin/users/", async () => {
      await rejectAccount(db, actor, username);
      return `${username}'s registration was rejected and deleted.`;
    });
  });

  app.get("/admin/references/", async (request, reply) => {
    const actor = requireStaff(request);
    const overview = await referenceStarsOverview(db, actor);
    return render(reply, "admin/references", {
      styles: ["admin.css"],
      title: "Reference stars",
      ...overview,
      cones: overview.catalogues.flatMap((c) => c.cones ?? []),
      here: "/admin/references/",
    });
  });

  for (const [action, active] of [
    ["activate", true],
    ["deactivate", false],
  ] as const) {
    app.post(`/admin/cameras/${action}/`, async (request, reply) => {
      const actor = requireStaff(request);
      const oname = formValues(request).oname ?? "";
      return act(request, reply, "/admin/cameras/", async () => {
        const camera = await observatories.setCameraActive(db, actor, oname, active);
        return `Camera ${camera.prefix} ${active ? "activated" : "deactivated"}.`;
      });
    });
  }

  await app.register(adminDataPages, opts);
};
