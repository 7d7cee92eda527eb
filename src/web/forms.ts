/**
 * HTML forms: read a posted form, check it against the same TypeBox schema the API uses (same AJV
 * options and the same DRF-style messages), and turn domain validation errors into per-field messages
 * for the template (`it.errors.<field>`).
 */
import type { Static, TSchema } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";
import { BadRequestError, ConflictError, ValidationError, type FieldErrors } from "../domain/errors.ts";
import { booleanWord } from "../domain/input.ts";
import { fieldErrorsFromAjv } from "../http-kit/validation-messages.ts";

/** A posted form's fields as strings (the CSRF field left out). Missing body → {}. */
export function formValues(request: FastifyRequest): Record<string, string> {
  const body = request.body;
  const out: Record<string, string> = {};
  if (!body || typeof body !== "object") return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k !== "_csrf" && (typeof v === "string" || typeof v === "number" || typeof v === "boolean"))
      out[k] = String(v);
  }
  return out;
}

interface SchemaProps {
  properties?: Record<string, { type?: unknown; anyOf?: { type?: unknown }[] }>;
}

/**
 * Check form values against a schema; returns the typed input or throws ValidationError.
 * An empty field counts as not given. Boolean fields take "on"/"true"/"1"/"yes" and "off"/"false"/"0"/"no":
 * the `checkbox` partial sends a hidden "false" before the box, and the last value wins, so an
 * unchecked box is false. Numbers are coerced as in the API.
 */
export function checkForm<T extends TSchema>(
  request: FastifyRequest,
  schema: T,
  values: Record<string, string> = formValues(request),
): Static<T> {
  const props = (schema as SchemaProps).properties ?? {};
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) if (v.trim() !== "") data[k] = v;
  for (const [k, p] of Object.entries(props)) {
    const isBool = p.type === "boolean" || p.anyOf?.some((b) => b.type === "boolean");
    const b = isBool ? booleanWord(data[k]) : undefined;
    if (b !== undefined) data[k] = b;
  }
  const validate = request.compileValidationSchema(schema as Record<string, unknown>);
  if (!validate(data)) {
    throw new ValidationError(fieldErrorsFromAjv((validate.errors ?? []) as never));
  }
  return data as Static<T>;
}

/**
 * Field messages of a failed form action: a ValidationError's fields, a BadRequest/Conflict message as
 * `non_field_errors`. Anything else is not a form problem and is thrown again (→ error page).
 */
export function formErrors(err: unknown): FieldErrors {
  if (err instanceof ValidationError) return err.fields;
  if (err instanceof BadRequestError || err instanceof ConflictError)
    return { non_field_errors: [err.message] };
  throw err;
}
