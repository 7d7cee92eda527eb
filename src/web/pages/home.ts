/** `/`: what skytom is, how much it holds, and (signed in) the latest data products. */
import type { FastifyPluginAsync } from "fastify";
import { listDataProducts } from "../../domain/dataproducts/service.ts";
import { countTargets } from "../../domain/targets/repo.ts";
import type { WebOptions } from "../context.ts";
import { render } from "../render.ts";

/** How many data products the home page lists for a signed-in user. */
const LATEST = 8;

export const homePage: FastifyPluginAsync<WebOptions> = async (app, { database }) => {
  const db = database.db;
  app.get("/", async (request, reply) => {
    const signedIn = request.webUser !== null;
    const targetCount = await countTargets(db, undefined);
    const products = await listDataProducts(db, {}, () => ({ offset: 0, limit: signedIn ? LATEST : 0 }));
    return render(reply, "home", {
      title: "Home",
      targetCount,
      dataProductCount: products.count,
      latest: products.items,
    });
  });
};
