/**
 * Token authentication exactly as DRF's `TokenAuthentication` answers BHTOM clients (§1.1):
 * `Authorization: Token <key>` (keyword case-insensitive; other schemes count as anonymous); a malformed
 * or unknown token is a 401 even on endpoints that need no authentication. Then each route's `auth`
 * level (route config) is enforced: "none", "user" (default), "staff", "superuser".
 *
 * No token cache: each request looks its token up (one prepared statement, which also reads the cache
 * generations), so logout, token revocation and deactivation take effect at once in every process.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Db } from "../db/connection.ts";
import { AuthenticationError } from "../domain/errors.ts";
import { requireStaff, requireSuperuser, type Actor } from "../domain/permissions.ts";
import type { Generations } from "../domain/cache.ts";
import { authenticateTokenWithGenerations, toActor, type UserRow } from "../domain/users/service.ts";

export type AuthLevel = "none" | "user" | "staff" | "superuser";

declare module "fastify" {
  interface FastifyRequest {
    user: UserRow | null;
    /** The authenticated caller; null for anonymous requests on `auth: "none"` routes. */
    actor: Actor | null;
    /** The presented API token (for revocation). */
    tokenKey: string | null;
    /**
     * Cache generations read with the token (one round trip), before any query of the request; null when
     * the request was not token-authenticated (read them with `cacheGeneration` then).
     */
    cacheGenerations: Generations | null;
  }
  interface FastifyContextConfig {
    auth?: AuthLevel;
  }
}

/** Parse the Authorization header; null = anonymous. Throws DRF's messages for malformed headers. */
export function tokenFromHeader(header: string | undefined): string | null {
  if (!header) return null;
  const parts = header.trim().split(/\s+/);
  if (parts[0].toLowerCase() !== "token") return null;
  if (parts.length === 1) throw new AuthenticationError("Invalid token header. No credentials provided.");
  if (parts.length > 2)
    throw new AuthenticationError("Invalid token header. Token string should not contain spaces.");
  return parts[1];
}

/** The caller, or 401 when the route needs one. Routes call this for `auth: "none"` paths that still want it. */
export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new AuthenticationError("Authentication credentials were not provided.");
  return request.actor;
}

export function installAuth(app: FastifyInstance, db: Db): void {
  app.decorateRequest("user", null);
  app.decorateRequest("actor", null);
  app.decorateRequest("tokenKey", null);
  app.decorateRequest("cacheGenerations", null);
  app.addHook("onRequest", async (request) => {
    const key = tokenFromHeader(request.headers.authorization);
    if (key !== null) {
      const { user, generations } = await authenticateTokenWithGenerations(db, key);
      request.user = user;
      request.cacheGenerations = generations;
      request.actor = toActor(user);
      request.tokenKey = key;
    }
    if (request.is404) return;
    // Checked before the body is read: an anonymous caller gets 401, not a validation error.
    const level = request.routeOptions.config.auth ?? "user";
    if (level === "none") return;
    const actor = requireActor(request);
    if (level === "staff") requireStaff(actor);
    if (level === "superuser") requireSuperuser(actor);
  });
}
