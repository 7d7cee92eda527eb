/**
 * The API: one routes file per domain, mirroring BHTOM's URLs, registered here in one plugin. The
 * composition root (src/app.ts) registers it beside the web UI; nothing here imports src/web.
 */
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { Database } from "../db/connection.ts";
import type { JobQueue } from "../db/queue.ts";
import type { ReferenceProvider } from "../domain/calibration/pipeline.ts";
import type { Actor } from "../domain/permissions.ts";
import type { HarvesterSet } from "../harvesters/index.ts";
import type { LoginThrottle } from "../domain/users/throttle.ts";
import { VERSION } from "../version.ts";
import { aliasesRoutes } from "./aliases.routes.ts";
import { calibFileRoutes } from "./calibfile.routes.ts";
import { calibrationRoutes } from "./calibration.routes.ts";
import { commentsRoutes } from "./comments.routes.ts";
import { dataproductsRoutes } from "./dataproducts.routes.ts";
import { datumsRoutes } from "./datums.routes.ts";
import { downloadsRoutes } from "./downloads.routes.ts";
import { groupsRoutes } from "./groups.routes.ts";
import { harvestsRoutes } from "./harvests.routes.ts";
import { healthRoutes } from "./health.routes.ts";
import { observatoriesRoutes } from "./observatories.routes.ts";
import { planningRoutes } from "./planning.routes.ts";
import { targetsRoutes } from "./targets.routes.ts";
import { uploadRoutes } from "./upload.routes.ts";
import { usersRoutes } from "./users.routes.ts";

export interface ApiOptions {
  database: Database;
  /** Data directory: uploaded files, example files, plots (SKYTOM_DATA). */
  dataDir: string;
  /** Background job queue (uploads enqueue processing); null = uploads that need it answer 500. */
  queue: JobQueue | null;
  /** Largest uploaded file, bytes. */
  maxUploadFileBytes: number;
  /** Reference stars for calibrations served at once (/calibFile/) and for finder charts. */
  referenceProvider: ReferenceProvider;
  /** The caller of a signed-in browser (its session cookie), for images web pages load; optional. */
  sessionActor?: (request: FastifyRequest) => Promise<Actor | null>;
  /** Login throttling of token-auth, shared with the web login. */
  loginThrottle: LoginThrottle;
  /** Survey light-curve sources (POST /targets/harvest/). */
  harvesters: HarvesterSet;
}

export const apiRoutes: FastifyPluginAsync<ApiOptions> = async (app, opts) => {
  const { database, dataDir, queue } = opts;
  const db = database.db;
  app.get("/api/openapi.json", { config: { auth: "none" }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  await app.register(healthRoutes, {
    db,
    engine: database.engine,
    version: VERSION,
    sessionActivity: database.sessionActivity,
  });
  await app.register(usersRoutes, { db, loginThrottle: opts.loginThrottle });
  await app.register(observatoriesRoutes, { db, dataDir });
  await app.register(targetsRoutes, { db, dataDir, queue, harvesters: opts.harvesters });
  await app.register(harvestsRoutes, { db, harvesters: opts.harvesters });
  await app.register(commentsRoutes, { db });
  await app.register(groupsRoutes, { db });
  await app.register(aliasesRoutes, { db });
  await app.register(datumsRoutes, { db, dataDir });
  await app.register(downloadsRoutes, { db, dataDir });
  await app.register(dataproductsRoutes, { db, dataDir });
  await app.register(calibrationRoutes, { database, queue, dataDir });
  await app.register(calibFileRoutes, { database, dataDir, provider: opts.referenceProvider });
  await app.register(uploadRoutes, { database, queue, dataDir, maxFileBytes: opts.maxUploadFileBytes });
  await app.register(planningRoutes, {
    db,
    dataDir,
    provider: opts.referenceProvider,
    sessionActor: opts.sessionActor,
  });
};
