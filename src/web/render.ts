/**
 * Rendering pages: `render(reply, template, data, status)` renders an Eta template from
 * src/web/templates/ with the common context every template can use (see README.md), and
 * `renderError` renders the error page.
 */
import type { FastifyReply } from "fastify";
import type { FieldErrors } from "../domain/errors.ts";
import { isStaff } from "../domain/permissions.ts";
import { toActor } from "../domain/users/service.ts";
import { FLASH_COOKIE, readFlashCookie, type Flash } from "./context.ts";

/** What every template receives as `it`, next to the page's own data. */
export interface BaseContext {
  /** Page title (the layout appends " · skytom"). */
  title: string;
  user: { id: number; username: string; name: string; email: string; isStaff: boolean } | null;
  /** CSRF token for forms (`<%~ include("/partials/csrf", it) %>`) and htmx (`hx-headers` on <body>). */
  csrf: string;
  flashes: Flash[];
  /** Request path without the query string (the nav marks its section). */
  path: string;
  /** Versioned URL of a static file: `it.asset("app.css")` (from @fastify/view's defaultContext). */
  asset?: (name: string) => string;
  /** Field → messages of a failed form (empty when none). */
  errors: FieldErrors;
  /** Submitted form values, to fill the form again. */
  values: Record<string, string>;
}

function baseContext(reply: FastifyReply): BaseContext {
  const request = reply.request;
  const u = request.webUser;
  const isHtmx = request.headers["hx-request"] === "true";
  let flashes: Flash[] = [];
  if (!isHtmx) {
    // One-shot: shown once, on the next full page.
    flashes = [...readFlashCookie(request), ...request.webFlashes];
    if (request.cookies[FLASH_COOKIE]) reply.clearCookie(FLASH_COOKIE, { path: "/" });
  }
  return {
    title: "skytom",
    user: u
      ? {
          id: u.id,
          username: u.username,
          name: [u.firstName, u.lastName].filter(Boolean).join(" ") || u.username,
          email: u.email,
          isStaff: isStaff(toActor(u)),
        }
      : null,
    csrf: reply.generateCsrf(),
    flashes,
    path: request.url.split("?")[0],
    errors: {},
    values: {},
  };
}

/**
 * Render `template` (a path under src/web/templates/ without `.eta`) with the base context and `data`,
 * and send it as HTML with `status`.
 */
export async function render(
  reply: FastifyReply,
  template: string,
  data: Record<string, unknown> = {},
  status = 200,
): Promise<FastifyReply> {
  const html = await reply.viewAsync(template, { ...baseContext(reply), ...data });
  return reply.code(status).type("text/html; charset=utf-8").header("Cache-Control", "no-store").send(html);
}

const HEADINGS: Record<number, string> = {
  400: "That did not work",
  401: "Please log in",
  403: "Not allowed",
  404: "Page not found",
  405: "Not allowed",
  413: "Too large",
  500: "Something went wrong",
};

/** The error page: a heading for the status, a message, field messages when given. */
export async function renderError(
  reply: FastifyReply,
  status: number,
  message: string,
  errors: FieldErrors = {},
): Promise<FastifyReply> {
  const heading = HEADINGS[status] ?? (status >= 500 ? HEADINGS[500] : HEADINGS[400]);
  return render(
    reply,
    "error",
    { title: heading, status, heading, message, fieldErrors: errors, requestId: reply.request.id },
    status,
  );
}
