/** The login session cookie: set at login, cleared at logout. The session rows live in the users domain. */
import { fastifyCookie } from "@fastify/cookie";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Executor } from "../db/connection.ts";
import type { Actor } from "../domain/permissions.ts";
import { toActor } from "../domain/users/service.ts";
import { createSession, deleteSession, SESSION_DAYS, sessionUser } from "../domain/users/sessions.ts";

export const SESSION_COOKIE = "skytom_session";

/** Log this user in: a new session row and its cookie (HttpOnly, SameSite=Lax, Secure on https). */
export async function startSession(db: Executor, reply: FastifyReply, userId: number): Promise<void> {
  const { id } = await createSession(db, userId);
  reply.setCookie(SESSION_COOKIE, id, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: "auto",
    maxAge: SESSION_DAYS * 86_400,
  });
}

/** Log out: delete the session row and the cookie. */
export async function endSession(db: Executor, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.webSessionId) await deleteSession(db, request.webSessionId);
  request.webUser = null;
  request.webSessionId = null;
  reply.clearCookie(SESSION_COOKIE, { path: "/" });
}

/**
 * The signed-in user of any request from its session cookie, as an Actor (null without a live session) —
 * for the API routes a browser also loads, such as finder-chart images on a web page.
 */
export async function sessionActorOf(db: Executor, request: FastifyRequest): Promise<Actor | null> {
  const header = request.headers.cookie;
  if (!header) return null;
  const sid = fastifyCookie.parse(header)[SESSION_COOKIE];
  if (!sid) return null;
  const user = await sessionUser(db, sid);
  return user ? toActor(user) : null;
}
