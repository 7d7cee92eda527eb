/** A built app on a test database, with helpers to make users and tokens and to call the API. */
import type { HarvesterSet } from "../../src/harvesters/index.ts";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import type { Engine } from "../../src/db/connection.ts";
import { buildApp } from "../../src/app.ts";
import type { ReferenceProvider } from "../../src/domain/calibration/pipeline.ts";
import * as users from "../../src/domain/users/service.ts";
import { createQueue, type JobQueue } from "../../src/db/queue.ts";
import type { LoginLimits } from "../../src/domain/users/throttle.ts";
import { createTestDatabase, type TestDatabase } from "./db.ts";
import { SYSTEM } from "../../src/domain/permissions.ts";

export interface TestUser {
  username: string;
  password: string;
  token: string;
}

export interface TestApp {
  app: FastifyInstance;
  tdb: TestDatabase;
  /** Create a user (password `<name>-password`) and log in; returns its token. */
  user(name: string, flags?: { staff?: boolean; superuser?: boolean; active?: boolean }): Promise<TestUser>;
  /** Every response body `call` received (to check that no secret ever leaves the server). */
  bodies: string[];
  /** JSON request; `token` adds `Authorization: Token …`. */
  call(
    method: InjectOptions["method"],
    url: string,
    body?: unknown,
    token?: string,
  ): Promise<LightMyRequestResponse>;
  /** The job queue, when created with `queue: true`. */
  queue: JobQueue | null;
  /** Close the app and the database, open both again. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function createTestApp(
  engine: Engine,
  opts: {
    bodyLimitBytes?: number;
    queue?: boolean;
    maxUploadFileBytes?: number;
    /**
     * Reference stars for /calibFile/ (default: the app's, offline), or a function making them from the
     * test's database (an archive provider, which stores what it fetches there).
     */
    referenceProvider?: ReferenceProvider | ((database: TestDatabase["database"]) => ReferenceProvider);
    loginLimits?: LoginLimits;
    /** Survey light-curve sources (default: the app's, offline). */
    harvesters?: HarvesterSet;
  } = {},
): Promise<TestApp> {
  const tdb = await createTestDatabase(engine);
  const queue = opts.queue ? createQueue(tdb.database.pool) : null;
  await queue?.start();
  const build = () =>
    buildApp({
      database: tdb.database,
      dataDir: tdb.dataDir,
      logger: false,
      bodyLimitBytes: opts.bodyLimitBytes,
      maxUploadFileBytes: opts.maxUploadFileBytes,
      loginLimits: opts.loginLimits,
      harvesters: opts.harvesters,
      queue,
      referenceProvider:
        typeof opts.referenceProvider === "function"
          ? opts.referenceProvider(tdb.database)
          : opts.referenceProvider,
    });
  const t: TestApp = {
    app: await build(),
    tdb,
    bodies: [],
    async user(name, flags = {}) {
      const password = `${name}-password`;
      await users.createUser(tdb.database.db, SYSTEM, {
        username: name,
        password,
        is_staff: flags.staff ?? false,
        is_superuser: flags.superuser ?? false,
        is_active: true,
      });
      const token = await users.tokenForUser(tdb.database.db, name);
      if (flags.active === false) await users.updateUser(tdb.database.db, SYSTEM, name, { is_active: false });
      return { username: name, password, token };
    },
    async call(method, url, body, token) {
      const res = await t.app.inject({
        method,
        url,
        headers: token ? { authorization: `Token ${token}` } : {},
        ...(body === undefined ? {} : { payload: body as InjectOptions["payload"] }),
      });
      t.bodies.push(res.body);
      return res;
    },
    async restart() {
      await t.app.close();
      await tdb.reopen();
      t.app = await build();
    },
    queue,
    async close() {
      await t.app.close();
      await queue?.stop();
      await tdb.destroy();
    },
  };
  return t;
}
