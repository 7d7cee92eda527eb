/**
 * The composition root: the whole HTTP application, built in one function. It registers the API
 * (src/http) and the web UI (src/web) side by side on what both share (src/http-kit: body conventions,
 * multipart, JSON errors by default). The server, the CLI's in-process uses, tests (`inject`) and
 * benchmarks all call `buildApp`; it does not listen (src/server.ts does).
 */
import { randomUUID } from "node:crypto";
import { DATE_FORMATS } from "./domain/dateparse.ts";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from "fastify";
import { ArchiveProvider } from "./catalog/archive.ts";
import { OFFLINE_ARCHIVES } from "./catalog/settings.ts";
import type { Database } from "./db/connection.ts";
import type { ReferenceProvider } from "./domain/calibration/pipeline.ts";
import type { JobQueue } from "./db/queue.ts";
import { installConventions, methodNotAllowed } from "./http-kit/conventions.ts";
import { installEarlyAnswerDrain } from "./http-kit/drain.ts";
import { installAuth } from "./http/auth.ts";
import { installErrorHandlers } from "./http/errors.ts";
import { makeHarvesters, OFFLINE_HARVESTS, type HarvesterSet } from "./harvesters/index.ts";
import { apiRoutes } from "./http/index.ts";
import { installOpenApi } from "./http/openapi.ts";
import { webRoutes } from "./web/index.ts";
import { sessionActorOf } from "./web/session.ts";
import { DEFAULT_LOGIN_LIMITS, LoginThrottle, type LoginLimits } from "./domain/users/throttle.ts";

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
  /**
   * Reference stars for calibrations served at once (/calibFile/) and finder charts; default: the cache and
   * imported catalogues, offline.
   */
  referenceProvider?: ReferenceProvider;
  /** Survey light-curve sources (on-demand harvests); default: offline (SKYTOM_OFFLINE behaviour). */
  harvesters?: HarvesterSet;
  /** Login throttling (SKYTOM_LOGIN_*); default DEFAULT_LOGIN_LIMITS. */
  loginLimits?: LoginLimits;
  /** Extra route plugins (tests). */
  plugins?: FastifyPluginAsync[];
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { database } = opts;
  const queue = opts.queue ?? null;
  const maxUploadFileBytes = opts.maxUploadFileBytes ?? 200 * 1024 * 1024;
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
        // Dates as BHTOM2 (Django) reads them: one parser for schemas and services.
        formats: DATE_FORMATS,
      },
    },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook("onSend", async (request, reply) => {
    reply.header("Correlation-ID", request.id);
  });

  // What every route shares, installed on the root before any route so that it applies to all: JSON
  // errors by default (the web context installs its HTML pages), body conventions and multipart, the
  // OpenAPI document, token authentication (web pages opt out), and 405 answers for known paths.
  // An answer sent before its request body was read drains the rest and closes (src/http-kit/drain.ts).
  installEarlyAnswerDrain(app);
  installErrorHandlers(app);
  await installConventions(app, { maxBufferedFileBytes: 20 * 1024 * 1024, maxUploadFileBytes });
  await installOpenApi(app);
  installAuth(app, database.db);
  const notAllowed = methodNotAllowed(app);

  // The API and the web UI, side by side.
  const referenceProvider = opts.referenceProvider ?? new ArchiveProvider(database, OFFLINE_ARCHIVES);
  // One throttle for both password logins (API token and web session).
  const loginThrottle = new LoginThrottle(opts.loginLimits ?? DEFAULT_LOGIN_LIMITS);
  const harvesters = opts.harvesters ?? makeHarvesters(OFFLINE_HARVESTS);
  await app.register(apiRoutes, {
    database,
    dataDir: opts.dataDir,
    queue,
    maxUploadFileBytes,
    referenceProvider,
    // Finder-chart images on web pages come with the session cookie, not a token.
    sessionActor: (request) => sessionActorOf(database.db, request),
    loginThrottle,
    harvesters,
  });
  await app.register(webRoutes, {
    database,
    dataDir: opts.dataDir,
    queue,
    maxUploadFileBytes,
    loginThrottle,
    harvesters,
  });
  for (const plugin of opts.plugins ?? []) await app.register(plugin);

  await app.after();
  notAllowed.install();
  return app;
}
