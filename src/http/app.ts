/**
 * The whole HTTP application, built in one function: the server, the CLI's in-process uses, tests
 * (`inject`) and benchmarks all call `buildApp`. It does not listen; `src/server.ts` does.
 */
import { randomUUID } from "node:crypto";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from "fastify";
import type { Database } from "../db/connection.ts";
import type { JobQueue } from "../db/queue.ts";
import { VERSION } from "../version.ts";
import { installAuth } from "./auth.ts";
import { installConventions, methodNotAllowed } from "./conventions.ts";
import { installErrorHandlers } from "./errors.ts";
import { healthRoutes } from "./health.routes.ts";
import { observatoriesRoutes } from "./observatories.routes.ts";
import { aliasesRoutes } from "./aliases.routes.ts";
import { calibFileRoutes } from "./calibfile.routes.ts";
import { calibrationRoutes } from "./calibration.routes.ts";
import { commentsRoutes } from "./comments.routes.ts";
import { dataproductsRoutes } from "./dataproducts.routes.ts";
import { datumsRoutes } from "./datums.routes.ts";
import { downloadsRoutes } from "./downloads.routes.ts";
import { groupsRoutes } from "./groups.routes.ts";
import { targetsRoutes } from "./targets.routes.ts";
import { uploadRoutes } from "./upload.routes.ts";
import { usersRoutes } from "./users.routes.ts";
import { webRoutes } from "../web/index.ts";

export interface AppOptions {
  database: Database;
  /** Data directory: uploaded files, example files, plots (SKYTOM_DATA). */
  dataDir: string;
  /** pino options, or false for no logging (tests). */
  logger?: FastifyServerOptions["logger"];
  bodyLimitBytes?: number;
  maxUploadFileBytes?: number;
  /** Background job queue (uploads enqueue processing); null = uploads that need it answer 500. */
  queue?: JobQueue | null;
  /** Extra route plugins (tests). */
  plugins?: FastifyPluginAsync[];
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { database } = opts;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimitBytes ?? 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 500 },
    genReqId: (req) => {
      const given = req.headers["correlation-id"];
      return typeof given === "string" && /^[0-9a-f-]{8,64}$/i.test(given) ? given : randomUUID();
    },
    ajv: {
      customOptions: {
        allErrors: true,
        removeAdditional: false,
        coerceTypes: "array",
        // `type: ["number", "string", "null"]` with a maxLength (length-capped filters): one schema, one message.
        allowUnionTypes: true,
        useDefaults: true,
        verbose: true,
        keywords: ["errorMessage"],
      },
    },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook("onSend", async (request, reply) => {
    reply.header("Correlation-ID", request.id);
  });

  installErrorHandlers(app);
  await installConventions(app, {
    maxBufferedFileBytes: 20 * 1024 * 1024,
    maxUploadFileBytes: opts.maxUploadFileBytes ?? 200 * 1024 * 1024,
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "skytom API",
        version: VERSION,
        description:
          "BHTOM-compatible REST API. Authenticate with `Authorization: Token <key>` (get a key from " +
          "`POST /api/token-auth/`). Paginated lists take `page` in the request body and answer " +
          "`{count, num_pages, current_page, data}`. Where skytom differs from BHTOM2 on purpose, the " +
          "operation says so.",
      },
      components: {
        securitySchemes: {
          token: { type: "apiKey", in: "header", name: "Authorization", description: "Token <key>" },
        },
      },
      security: [{ token: [] }],
    },
  });
  // The documentation is public.
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith("/api/docs")) route.config = { ...route.config, auth: "none" };
  });
  await app.register(swaggerUi, { routePrefix: "/api/docs" });

  installAuth(app, database.db);
  const notAllowed = methodNotAllowed(app);

  app.get("/api/openapi.json", { config: { auth: "none" }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  await app.register(healthRoutes, { db: database.db, engine: database.engine, version: VERSION });
  await app.register(usersRoutes, { db: database.db });
  await app.register(observatoriesRoutes, { db: database.db, dataDir: opts.dataDir });
  await app.register(targetsRoutes, { db: database.db, dataDir: opts.dataDir });
  await app.register(commentsRoutes, { db: database.db });
  await app.register(groupsRoutes, { db: database.db });
  await app.register(aliasesRoutes, { db: database.db });
  await app.register(datumsRoutes, { db: database.db, dataDir: opts.dataDir });
  await app.register(downloadsRoutes, { db: database.db, dataDir: opts.dataDir });
  await app.register(dataproductsRoutes, { db: database.db, dataDir: opts.dataDir });
  await app.register(calibrationRoutes, { database, queue: opts.queue ?? null, dataDir: opts.dataDir });
  await app.register(calibFileRoutes, { database, dataDir: opts.dataDir });
  await app.register(uploadRoutes, {
    database,
    queue: opts.queue ?? null,
    dataDir: opts.dataDir,
    maxFileBytes: opts.maxUploadFileBytes ?? 200 * 1024 * 1024,
  });
  await app.register(webRoutes, {
    database,
    dataDir: opts.dataDir,
    queue: opts.queue ?? null,
    maxUploadFileBytes: opts.maxUploadFileBytes ?? 200 * 1024 * 1024,
  });
  for (const plugin of opts.plugins ?? []) await app.register(plugin);

  await app.after();
  notAllowed.install();
  return app;
}
