/**
 * Configuration, read once from the environment at the edge (server, CLI, tests) and passed down.
 * Nothing below this module reads process.env.
 */
import { resolve } from "node:path";
import { DEFAULT_GAIA_TAP_URL, DEFAULT_VIZIER_TAP_URL, type ArchiveSettings } from "./catalog/settings.ts";
import {
  DEFAULT_GAIA_ALERTS_URL,
  DEFAULT_GAIA_DATALINK_URL,
  DEFAULT_IRSA_URL,
  DEFAULT_SESAME_URL,
  type HarvestSettings,
} from "./harvesters/settings.ts";

export interface Config {
  host: string;
  port: number;
  /** Data directory: embedded database, uploaded files, plots. */
  dataDir: string;
  /** `postgres://…` to use PostgreSQL; undefined = embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  adminUser: string | undefined;
  adminPassword: string | undefined;
  /** Background workers in the serving process (0 = none). */
  workers: number;
  logLevel: string;
  /** Largest request body for JSON/form requests, bytes. */
  bodyLimitBytes: number;
  /** Largest uploaded file, bytes. */
  maxUploadBytes: number;
  /** PostgreSQL connections per process (embedded: connections multiplexed onto its one session). */
  dbPoolMax: number;
  /** PostgreSQL: how long opening a connection may take before the request fails (503), ms. */
  dbConnectTimeoutMs: number;
  /** PostgreSQL: how long a request may wait for a free pooled connection before failing (503), ms. */
  dbPoolWaitMs: number;
  /** PostgreSQL: server-side `statement_timeout` of every pooled connection, ms (0 = none). */
  dbStatementTimeoutMs: number;
  /** Longest a job may run, s: a job still running after it is failed and retried (hung). */
  jobExpireSeconds: number;
  /** Job lease, s: renewed every third of it while the job runs; a dead worker's job is retried after it. */
  jobLeaseSeconds: number;
  /** Delay before a failed job's first retry, s (doubling, with jitter, for later retries). */
  jobRetryDelaySeconds: number;
  /** Login throttling (src/domain/users/throttle.ts): window, s; attempts per address; failures per username. */
  loginWindowSeconds: number;
  loginMaxPerIp: number;
  loginMaxFailuresPerUser: number;
  /** The archives reference stars come from (src/catalog/settings.ts): URLs, offline mode, faults. */
  archives: ArchiveSettings;
  /** The survey sources harvested for light curves (src/harvesters/settings.ts): URLs, offline mode, limits. */
  harvests: HarvestSettings;
}

export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** An http(s) URL from the environment, without a trailing slash. */
function httpUrl(env: NodeJS.ProcessEnv, key: string, fallback: string): string {
  const raw = env[key] || fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${key} must be an http:// or https:// URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${key} must be an http:// or https:// URL, got ${JSON.stringify(raw)}`);
  }
  return raw.replace(/\/+$/, "");
}

/** A yes/no switch: 1/true/yes/on or 0/false/no/off (case-insensitive); unset = false. */
function flag(env: NodeJS.ProcessEnv, key: string): boolean {
  const raw = (env[key] ?? "").trim().toLowerCase();
  if (raw === "" || ["0", "false", "no", "off"].includes(raw)) return false;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  throw new ConfigError(
    `${key} must be 1 or 0 (true/false, yes/no, on/off), got ${JSON.stringify(env[key])}`,
  );
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL must start with postgres:// or postgresql://");
  }
  const adminUser = env.SKYTOM_ADMIN_USER || undefined;
  const adminPassword = env.SKYTOM_ADMIN_PASSWORD || undefined;
  if (Boolean(adminUser) !== Boolean(adminPassword)) {
    throw new ConfigError("SKYTOM_ADMIN_USER and SKYTOM_ADMIN_PASSWORD must be set together");
  }
  return {
    host: env.HOST || "127.0.0.1",
    port: integer(env, "PORT", 8000, 0, 65535),
    dataDir: resolve(env.SKYTOM_DATA || "./data"),
    databaseUrl,
    adminUser,
    adminPassword,
    workers: integer(env, "SKYTOM_WORKERS", 1, 0, 64),
    logLevel: env.LOG_LEVEL || "info",
    bodyLimitBytes: integer(env, "SKYTOM_BODY_LIMIT", 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxUploadBytes: integer(env, "SKYTOM_MAX_UPLOAD_BYTES", 200 * 1024 * 1024, 1024, 16 * 1024 ** 3),
    dbPoolMax: integer(env, "SKYTOM_DB_POOL_MAX", 10, 1, 1000),
    dbConnectTimeoutMs: integer(env, "SKYTOM_DB_CONNECT_TIMEOUT_MS", 5000, 100, 600_000),
    dbPoolWaitMs: integer(env, "SKYTOM_DB_POOL_WAIT_MS", 30_000, 100, 600_000),
    dbStatementTimeoutMs: integer(env, "SKYTOM_DB_STATEMENT_TIMEOUT_MS", 60_000, 0, 86_400_000),
    jobExpireSeconds: integer(env, "SKYTOM_JOB_EXPIRE_SECONDS", 15 * 60, 1, 86_400),
    jobLeaseSeconds: integer(env, "SKYTOM_JOB_LEASE_SECONDS", 20, 1, 3600),
    jobRetryDelaySeconds: integer(env, "SKYTOM_JOB_RETRY_DELAY_SECONDS", 10, 0, 3600),
    loginWindowSeconds: integer(env, "SKYTOM_LOGIN_WINDOW_SECONDS", 900, 1, 86_400),
    loginMaxPerIp: integer(env, "SKYTOM_LOGIN_MAX_PER_IP", 100, 0, 1_000_000),
    loginMaxFailuresPerUser: integer(env, "SKYTOM_LOGIN_MAX_FAILURES_PER_USER", 10, 0, 1_000_000),
    archives: {
      gaiaTapUrl: httpUrl(env, "SKYTOM_GAIA_TAP_URL", DEFAULT_GAIA_TAP_URL),
      vizierTapUrl: httpUrl(env, "SKYTOM_VIZIER_TAP_URL", DEFAULT_VIZIER_TAP_URL),
      offline: flag(env, "SKYTOM_OFFLINE"),
      connectTimeoutMs: integer(env, "SKYTOM_ARCHIVE_CONNECT_TIMEOUT_MS", 10_000, 100, 600_000),
      queryTimeoutMs: integer(env, "SKYTOM_ARCHIVE_QUERY_TIMEOUT_MS", 120_000, 100, 3_600_000),
      concurrency: integer(env, "SKYTOM_ARCHIVE_CONCURRENCY", 2, 1, 64),
      retries: integer(env, "SKYTOM_ARCHIVE_RETRIES", 3, 0, 20),
      retryWaitSeconds: integer(env, "SKYTOM_ARCHIVE_RETRY_WAIT_SECONDS", 300, 1, 86_400),
    },
    harvests: {
      gaiaAlertsUrl: httpUrl(env, "SKYTOM_GAIA_ALERTS_URL", DEFAULT_GAIA_ALERTS_URL),
      sesameUrl: httpUrl(env, "SKYTOM_SESAME_URL", DEFAULT_SESAME_URL),
      irsaUrl: httpUrl(env, "SKYTOM_IRSA_URL", DEFAULT_IRSA_URL),
      gaiaDatalinkUrl: httpUrl(env, "SKYTOM_GAIA_DATALINK_URL", DEFAULT_GAIA_DATALINK_URL),
      gaiaTapUrl: httpUrl(env, "SKYTOM_GAIA_TAP_URL", DEFAULT_GAIA_TAP_URL),
      offline: flag(env, "SKYTOM_OFFLINE"),
      connectTimeoutMs: integer(env, "SKYTOM_HARVEST_CONNECT_TIMEOUT_MS", 10_000, 100, 600_000),
      queryTimeoutMs: integer(env, "SKYTOM_HARVEST_TIMEOUT_MS", 60_000, 100, 3_600_000),
      retries: integer(env, "SKYTOM_HARVEST_RETRIES", 2, 0, 20),
      retryWaitMs: integer(env, "SKYTOM_HARVEST_RETRY_WAIT_MS", 2000, 0, 3_600_000),
      minIntervalMs: integer(env, "SKYTOM_HARVEST_INTERVAL_MS", 1000, 0, 3_600_000),
    },
  };
}
