/**
 * `/`: what skytom is and how much it holds; signed in: tonight's plans for the observer's favourite
 * cameras (an htmx panel, /tonight/), the state of their recent uploads, the network's latest points and
 * the latest data products.
 */
import type { FastifyPluginAsync } from "fastify";
import { latestPoints, recentUploads } from "../../domain/dashboard/service.ts";
import { listDataProducts } from "../../domain/dataproducts/service.ts";
import { countTargets } from "../../domain/targets/repo.ts";
import { webActor, type WebOptions } from "../context.ts";
import { render } from "../render.ts";

/** How many data products the home page lists for a signed-in user. */
const LATEST = 8;

export const homePage: FastifyPluginAsync<WebOptions> = async (app, { database }) => {
  const db = database.db;
  app.get("/", async (request, reply) => {
    const signedIn = request.webUser !== null;
    const targetCount = await countTargets(db, undefined);
    const products = await listDataProducts(db, {}, () => ({ offset: 0, limit: signedIn ? LATEST : 0 }));
    const actor = webActor(request);
    return render(reply, "home", {
      title: "Home",
      targetCount,
      dataProductCount: products.count,
      latest: products.items,
      uploads: actor ? await recentUploads(db, actor) : [],
      points: actor ? await latestPoints(db) : [],
      styles: ["planning.css"],
    });
  });
};
