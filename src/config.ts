/**
 * Configuration, read once from the environment at the edge (server, CLI, tests) and passed down.
 * Nothing below this module reads process.env.
 */
import { resolve } from "node:path";

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
  };
}
