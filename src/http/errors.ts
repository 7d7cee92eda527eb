/**
 * Every error leaves the server as JSON, in one place: domain errors by class, request-validation
 * errors as DRF-style field → messages dicts, an unreachable database as 503 with Retry-After, anything
 * unexpected as a logged 500 without a stack trace.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  AuthenticationError,
  BadRequestError,
  UnavailableError,
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from "../domain/errors.ts";
import { isDatabaseUnavailable } from "../db/connection.ts";
import { ArchiveAnswerError, ArchiveError, ReferenceStarsOfflineError } from "../catalog/errors.ts";
import { HttpAnswer } from "../http-kit/answer.ts";
import { fieldErrorsFromAjv, type AjvError } from "../http-kit/validation-messages.ts";
import { TooManyLoginAttemptsError } from "../domain/users/throttle.ts";
import { isNoSpaceLeft, NO_SPACE_MESSAGE } from "../storage.ts";
import { InvalidPageError } from "./pagination.ts";

/** Seconds a client should wait before retrying when the database is unavailable (Retry-After). */
export const RETRY_AFTER_SECONDS = 5;

/** Error bodies bypass the route's response schemas (which describe its successes). */
function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply
    .code(status)
    .type("application/json; charset=utf-8")
    .serializer((payload: unknown) => JSON.stringify(payload))
    .send(body);
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpAnswer) return send(reply, error.statusCode, error.body);
    if (error instanceof ValidationError) return send(reply, 400, error.fields);
    if (error instanceof InvalidPageError) return send(reply, 400, { error: error.message });
    if (error instanceof BadRequestError) return send(reply, 400, { detail: error.message });
    if (error instanceof AuthenticationError) {
      reply.header("WWW-Authenticate", "Token");
      return send(reply, 401, { detail: error.message });
    }
    if (error instanceof ForbiddenError) return send(reply, 403, { detail: error.message });
    if (error instanceof NotFoundError) return send(reply, 404, { detail: error.message });
    if (error instanceof ConflictError) return send(reply, 409, { detail: error.message });
    if (error instanceof TooManyLoginAttemptsError) {
      reply.header("Retry-After", String(error.retryAfterSeconds));
      return send(reply, 429, { detail: error.message });
    }
    if (error instanceof UnavailableError) return send(reply, 503, { detail: error.message });
    if (error instanceof DomainError) return send(reply, 400, { detail: error.message });
    if (error instanceof ArchiveError) {
      // The archive is out of reach (503) or answered nonsense (502); Retry-After: when it is asked again.
      const seconds = Math.max(1, Math.ceil((error.retryAt.getTime() - Date.now()) / 1000));
      reply.header("Retry-After", String(seconds));
      return send(reply, error instanceof ArchiveAnswerError ? 502 : 503, {
        detail: `Reference stars cannot be had now: ${error.message}. Try again after ${error.retryAt.toISOString()}.`,
      });
    }
    if (error instanceof ReferenceStarsOfflineError) return send(reply, 503, { detail: error.message });
    if (error.validation) {
      return send(reply, 400, fieldErrorsFromAjv(error.validation as unknown as AjvError[]));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return send(reply, status, { detail: clientMessage(error, status) });
    }
    if (isNoSpaceLeft(error)) {
      // A full disk: nothing was stored (transactions rolled back, temporary files removed); once space
      // is freed the same request succeeds, without a restart.
      request.log.error({ err: error.message }, "no space left in the data directory");
      return send(reply, 507, { detail: NO_SPACE_MESSAGE, request_id: request.id });
    }
    if (isDatabaseUnavailable(error)) {
      // Unreachable, restarting, out of connections or too slow: the request may succeed later.
      request.log.warn({ err: error.message }, "database unavailable");
      reply.header("Retry-After", String(RETRY_AFTER_SECONDS));
      return send(reply, 503, {
        detail: "The database is unavailable at the moment; try again shortly.",
        request_id: request.id,
      });
    }
    const bad = malformedInput(error);
    if (bad) {
      request.log.warn({ err: error.message }, "malformed input reached the parser or the database");
      return send(reply, 400, { detail: bad });
    }
    request.log.error({ err: error }, "unhandled error");
    return send(reply, 500, { detail: "Internal server error", request_id: request.id });
  });

  app.setNotFoundHandler((_request, reply) => send(reply, 404, { detail: "Not found." }));
}

/** Multipart parser (busboy) errors about the body itself, not about us. */
const MALFORMED_MULTIPART =
  /^(Multipart: Boundary not found|Unexpected end of (multipart data|form)|Malformed part header|Malformed urlencoded form)/;

/**
 * A client's message for input that got past validation but is malformed: a broken multipart body, or a
 * value PostgreSQL refuses as data (SQLSTATE class 22: out of range, invalid text, …; the transaction is
 * rolled back). Null for anything else. Found by the fuzz tests (an id of -1.2e288 in a JSON body; a
 * multipart body without its boundary).
 */
function malformedInput(err: unknown, depth = 0): string | null {
  if (!err || typeof err !== "object" || depth > 5) return null;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.message === "string" && MALFORMED_MULTIPART.test(e.message))
    return `Malformed multipart body: ${e.message}.`;
  if (typeof e.code === "string" && /^22[0-9A-Z]{3}$/.test(e.code))
    return "A value in the request is out of range or malformed.";
  return malformedInput(e.cause, depth + 1);
}

function clientMessage(error: FastifyError, status: number): string {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "Request body is too large.";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return `Unsupported media type in request.`;
    case "FST_REQ_FILE_TOO_LARGE":
      return "Uploaded file is too large.";
    case "FST_FILES_LIMIT":
      return "Too many files in one request.";
    case "FST_INVALID_MULTIPART_CONTENT_TYPE":
      return "The request is not multipart.";
  }
  if (status === 413) return "Request body is too large.";
  if (status === 415) return "Unsupported media type in request.";
  return error.message || "Bad request.";
}
