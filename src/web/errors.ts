/**
 * Errors on web routes become HTML pages (API routes keep their JSON errors, src/http/errors.ts):
 * a redirect for `WebRedirect` and for a missing login, 400 with the field messages, 403, 404, and a 500
 * page without a stack trace (logged with the request id). Unknown GET paths that a browser asks for
 * (Accept: text/html) get the 404 page; other clients still get `{"detail": "Not found."}`.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import {
  AuthenticationError,
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from "../domain/errors.ts";
import { fieldErrorsFromAjv } from "../http-kit/validation-messages.ts";
import { isNoSpaceLeft, NO_SPACE_MESSAGE } from "../storage.ts";
import { redirect, WebRedirect } from "./context.ts";
import { renderError } from "./render.ts";

function plain(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).type("text/plain; charset=utf-8").send(text);
}

export function installWebErrors(app: FastifyInstance): void {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error instanceof WebRedirect) return redirect(reply, error.location);
    if (error instanceof AuthenticationError) {
      const back = request.method === "GET" ? request.url : "/";
      return redirect(reply, `/accounts/login/?next=${encodeURIComponent(back)}`);
    }
    try {
      if (error instanceof ValidationError)
        return await renderError(reply, 400, "Please correct the following and try again.", error.fields);
      if (error.validation)
        return await renderError(
          reply,
          400,
          "Please correct the following and try again.",
          fieldErrorsFromAjv(error.validation as never),
        );
      if (error instanceof NotFoundError) return await renderError(reply, 404, error.message);
      if (error instanceof ForbiddenError) return await renderError(reply, 403, error.message);
      if (error instanceof ConflictError) return await renderError(reply, 409, error.message);
      if (error instanceof DomainError) return await renderError(reply, 400, error.message);
      if (error.code === "FST_CSRF_INVALID_TOKEN" || error.code === "FST_CSRF_MISSING_SECRET")
        return await renderError(
          reply,
          403,
          "This form has expired or did not come from this site. Go back, reload the page and try again.",
        );
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) return await renderError(reply, status, error.message);
      if (isNoSpaceLeft(error)) {
        request.log.error({ err: error.message }, "no space left in the data directory");
        return await renderError(reply, 507, NO_SPACE_MESSAGE);
      }
      request.log.error({ err: error }, "unhandled error on a web page");
      return await renderError(
        reply,
        500,
        "The server could not show this page. The error has been logged; please try again later.",
      );
    } catch (renderFailure) {
      request.log.error({ err: renderFailure }, "error page failed to render");
      return plain(reply, 500, `Internal server error (request ${request.id})`);
    }
  });

  // A catch-all GET: static and parametric routes win over it (find-my-way), so it only answers paths
  // no other route serves.
  app.get("/*", async (request, reply) => {
    if (!/\btext\/html\b/.test(String(request.headers.accept ?? ""))) {
      return reply.code(404).type("application/json; charset=utf-8").send({ detail: "Not found." });
    }
    return renderError(reply, 404, "There is no page at this address.");
  });
}
