/**
 * What every web route can use: the signed-in user, redirects and access checks that throw (the web
 * error handler turns them into a 303 or an error page), one-shot flash messages, and the safe `next`.
 */
import type { HarvesterSet } from "../harvesters/index.ts";
import type { LoginThrottle } from "../domain/users/throttle.ts";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { Database } from "../db/connection.ts";
import type { JobQueue } from "../db/queue.ts";
import { ForbiddenError } from "../domain/errors.ts";
import { isStaff, type Actor } from "../domain/permissions.ts";
import { toActor, type UserRow } from "../domain/users/service.ts";

/** Options of `webRoutes` and of every page plugin registered inside it. */
export interface WebOptions {
  database: Database;
  dataDir: string;
  queue?: JobQueue | null;
  /** Survey light-curve sources, for the target page's harvest button. */
  harvesters?: HarvesterSet;
  /** Largest accepted upload file, bytes (the API's limit; default 200 MB). */
  maxUploadFileBytes?: number;
  /** Login throttling, shared with the API's token-auth. */
  loginThrottle?: LoginThrottle;
  /** Page plugins registered after the built-in ones (tests). */
  extraPages?: FastifyPluginAsync<WebOptions>[];
}

export type FlashKind = "success" | "info" | "error";
export interface Flash {
  kind: FlashKind;
  text: string;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The signed-in user of a web request (from the session cookie), or null. */
    webUser: UserRow | null;
    /** The raw session id from the cookie, when it names a live session. */
    webSessionId: string | null;
    /** Flash messages added during this request (shown on the next rendered page). */
    webFlashes: Flash[];
  }
  interface FastifyContextConfig {
    /** A web page route (HTML answers, session auth, CSRF). Set automatically inside `webRoutes`. */
    web?: boolean;
  }
}

/** Thrown to answer with a 303 redirect (after a form post, or to the login page). */
export class WebRedirect extends Error {
  constructor(readonly location: string) {
    super(`redirect to ${location}`);
  }
}

/** The signed-in user as an Actor (for domain calls), or null. */
export function webActor(request: FastifyRequest): Actor | null {
  return request.webUser ? toActor(request.webUser) : null;
}

/** The signed-in user's Actor; an anonymous visitor is sent to the login page and back here afterwards. */
export function requireLogin(request: FastifyRequest): Actor {
  if (!request.webUser) {
    const back = request.method === "GET" ? request.url : "/";
    throw new WebRedirect(`/accounts/login/?next=${encodeURIComponent(back)}`);
  }
  return toActor(request.webUser);
}

/** The signed-in user's row (email, names, dates); like `requireLogin` for anonymous visitors. */
export function requireUser(request: FastifyRequest): UserRow {
  requireLogin(request);
  return request.webUser as UserRow;
}

/** A signed-in staff member's Actor; others get the 403 page (anonymous visitors: the login page). */
export function requireStaff(request: FastifyRequest): Actor {
  const actor = requireLogin(request);
  if (!isStaff(actor)) throw new ForbiddenError("This page is for staff only.");
  return actor;
}

/**
 * `next` if it is a path on this site (`/…`, not `//host` or `/\host`), else `fallback`. Stops a login
 * link from sending the user to another site.
 */
export function safeNext(next: unknown, fallback = "/"): string {
  if (typeof next !== "string" || !next.startsWith("/") || next.startsWith("//")) return fallback;
  if (/[\\\r\n\t]/.test(next) || next.length > 2000) return fallback;
  return next;
}

/** 303 See Other: the answer to a successful form post (the browser then GETs `location`). */
export function redirect(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header("Location", location).send();
}

export const FLASH_COOKIE = "skytom_flash";

/** A one-shot message shown on the next page this browser renders ("Token created", "Saved", …). */
export function flash(request: FastifyRequest, reply: FastifyReply, kind: FlashKind, text: string): void {
  request.webFlashes.push({ kind, text });
  const all = [...readFlashCookie(request), ...request.webFlashes];
  reply.setCookie(FLASH_COOKIE, Buffer.from(JSON.stringify(all)).toString("base64url"), {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: "auto",
    maxAge: 120,
  });
}

export function readFlashCookie(request: FastifyRequest): Flash[] {
  const raw = request.cookies[FLASH_COOKIE];
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter(
        (f): f is Flash => typeof f?.text === "string" && ["success", "info", "error"].includes(f?.kind),
      )
      .slice(0, 10);
  } catch {
    return [];
  }
}
