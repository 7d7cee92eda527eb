/**
 * Domain errors: what went wrong, in domain terms. The HTTP layer maps each class to a status and a body
 * in one place (src/http/errors.ts); nothing here knows about HTTP.
 */

/** Field → messages, as DRF serializers report them: `{"ra": ["Ensure this value is less than or equal to 360."]}`. */
export type FieldErrors = Record<string, string[]>;

export class DomainError extends Error {}

/** Invalid input, reported per field. */
export class ValidationError extends DomainError {
  constructor(readonly fields: FieldErrors) {
    super(
      Object.entries(fields)
        .map(([k, v]) => `${k}: ${v.join(" ")}`)
        .join("; "),
    );
  }
  static field(name: string, message: string): ValidationError {
    return new ValidationError({ [name]: [message] });
  }
}

/** A request that cannot be served as sent, with one human message. */
export class BadRequestError extends DomainError {}

export class NotFoundError extends DomainError {}

/** Authenticated, but not allowed. */
export class ForbiddenError extends DomainError {
  constructor(message = "You do not have permission to perform this action.") {
    super(message);
  }
}

/** Not authenticated, or the credentials are not valid. */
export class AuthenticationError extends DomainError {}

/** The request conflicts with stored state (a duplicate upload, …). */
export class ConflictError extends DomainError {}

/** A service skytom needs for this request (a name resolver) cannot answer now: try again later. */
export class UnavailableError extends DomainError {}
