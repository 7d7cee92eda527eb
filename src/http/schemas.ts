/** Response shapes shared by every route file. */
import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";

export const Detail = Type.Object({ detail: Type.String() });
export const FieldErrorsSchema = Type.Record(Type.String(), Type.Array(Type.String()), {
  description: "Field name → messages (DRF style); `non_field_errors` for errors about the whole request.",
});

/**
 * Document the error answers every route can give, where the route does not list them itself: 400 when
 * it validates a body, query or path (a field → messages dict, or `{"detail": …}`), 401 when it needs a
 * token, 403 when it is for staff or superusers. Install before the routes are registered. Error bodies
 * are sent by src/http/errors.ts, not serialised with these schemas.
 */
export function documentErrorAnswers(app: FastifyInstance): void {
  app.addHook("onRoute", (route) => {
    const schema = (route.schema ?? {}) as {
      tags?: string[];
      hide?: boolean;
      body?: unknown;
      querystring?: unknown;
      params?: unknown;
      response?: Record<string, unknown>;
    };
    const config = (route.config ?? {}) as { auth?: string; web?: boolean; generated405?: boolean };
    // API operations carry tags; web pages and generated 405 routes do not.
    if (!schema.tags || schema.hide || config.web || config.generated405) return;
    const response = (schema.response ??= {});
    const add = (status: number, body: unknown) => {
      if (!Object.keys(response).some((k) => k === String(status))) response[status] = body;
    };
    if (schema.body || schema.querystring || schema.params) add(400, Type.Union([FieldErrorsSchema, Detail]));
    if (config.auth !== "none") add(401, { ...Detail, description: "No token, or not a valid one" });
    if (config.auth === "staff" || config.auth === "superuser")
      add(403, { ...Detail, description: "Not allowed" });
    route.schema = schema as typeof route.schema;
  });
}
