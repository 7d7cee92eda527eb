/**
 * Request validation without type coercion, for the fields whose JSON type matters: the app's validator
 * (src/http/app.ts) coerces as DRF does ("5" → 5 for a number field), but it also turns a number into a
 * one-item list of strings and "" into null, which must not happen to, for example, changeObservers'
 * `observers` (5 is not a list of usernames) or the values deleteReducedDatum matches (0 and "" are
 * values there). A route opts in with `validatorCompiler: strictValidatorCompiler`; errors are reported
 * as every other validation error (src/http/errors.ts). Same keywords and formats as the app's validator.
 */
import { Ajv } from "ajv";
import addFormatsPlugin from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";
import { DATE_FORMATS } from "../domain/dateparse.ts";

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

const ajv = addFormats(
  new Ajv({
    allErrors: true,
    removeAdditional: false,
    coerceTypes: false,
    allowUnionTypes: true,
    useDefaults: true,
    verbose: true,
    keywords: ["errorMessage"],
    formats: DATE_FORMATS,
  }),
);

export const strictValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema }) =>
  ajv.compile(schema as object);
