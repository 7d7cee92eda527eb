/**
 * Request-validation errors (AJV, as Fastify and `request.compileValidationSchema` report them) in Django
 * REST framework's words, as field → messages: the API's 400 bodies and the web forms' messages say the
 * same thing for the same mistake.
 */
import type { FieldErrors } from "../domain/errors.ts";
import { DATE_MESSAGE, DATETIME_MESSAGE } from "../domain/input.ts";

export interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  parentSchema?: Record<string, unknown>;
}

const TYPE_MESSAGES: Record<string, string> = {
  integer: "A valid integer is required.",
  number: "A valid number is required.",
  boolean: "Must be a valid boolean.",
  string: "Not a valid string.",
  array: "Expected a list of items.",
  object: "Expected a dictionary of items.",
  null: "This field may not be null.",
};

function messageFor(e: AjvError): string {
  const custom = e.parentSchema?.errorMessage;
  if (typeof custom === "string") return custom;
  const p = e.params;
  switch (e.keyword) {
    case "required":
      return "This field is required.";
    case "additionalProperties":
      return "Unknown field.";
    case "type":
      return TYPE_MESSAGES[String(p.type).split(",")[0]] ?? `Expected ${String(p.type)}.`;
    case "minLength":
      return p.limit === 1
        ? "This field may not be blank."
        : `Ensure this field has at least ${p.limit} characters.`;
    case "maxLength":
      return `Ensure this field has no more than ${p.limit} characters.`;
    case "minimum":
      return `Ensure this value is greater than or equal to ${p.limit}.`;
    case "maximum":
      return `Ensure this value is less than or equal to ${p.limit}.`;
    case "exclusiveMinimum":
      return `Ensure this value is greater than ${p.limit}.`;
    case "exclusiveMaximum":
      return `Ensure this value is less than ${p.limit}.`;
    case "enum":
    case "const":
      return "Not a valid choice.";
    case "maxItems":
      return `Ensure this field has no more than ${p.limit} elements.`;
    case "format":
      if (p.format === "date" || p.format === "django-date-filter") return DATE_MESSAGE;
      if (String(p.format).startsWith("django-datetime") || p.format === "date-time") return DATETIME_MESSAGE;
      return `Enter a valid ${String(p.format)}.`;
    default:
      return "Invalid value.";
  }
}

/** AJV errors → `{field: [message]}`; a union's own message wins over its branches' messages. */
export function fieldErrorsFromAjv(errors: AjvError[]): FieldErrors {
  const byField = new Map<string, AjvError[]>();
  for (const e of errors) {
    let field = e.instancePath.replace(/^\//, "").replace(/\//g, ".");
    if (e.keyword === "required") field = [field, String(e.params.missingProperty)].filter(Boolean).join(".");
    if (e.keyword === "additionalProperties")
      field = [field, String(e.params.additionalProperty)].filter(Boolean).join(".");
    const key = field || "non_field_errors";
    byField.set(key, [...(byField.get(key) ?? []), e]);
  }
  const out: FieldErrors = {};
  for (const [field, errs] of byField) {
    const top = field.split(".")[0];
    const union = errs.find((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
    const chosen = union ?? errs.find((e) => e.keyword !== "type") ?? errs[0];
    const key = errs.some((e) => e.keyword === "required" || e.keyword === "additionalProperties")
      ? field
      : top;
    out[key] = [...new Set([...(out[key] ?? []), messageFor(chosen)])];
  }
  return out;
}
