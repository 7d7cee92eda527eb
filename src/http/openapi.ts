/**
 * The API's OpenAPI 3.1 document (`/api/openapi.json`, built from the routes' TypeBox schemas) and its docs
 * page (`/api/docs`). Installed on the root before any route, so it sees every route; web pages hide
 * themselves from it (src/web/index.ts).
 */
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { VERSION } from "../version.ts";
import { documentErrorAnswers } from "./schemas.ts";

export async function installOpenApi(app: FastifyInstance): Promise<void> {
  documentErrorAnswers(app);
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "skytom API",
        version: VERSION,
        description:
          "BHTOM-compatible REST API. Authenticate with `Authorization: Token <key>` (get a key from " +
          "`POST /api/token-auth/`). Paginated lists take `page` in the request body and answer " +
          "`{count, num_pages, current_page, data}`. Where skytom differs from BHTOM2 on purpose, the " +
          "operation says so.",
      },
      components: {
        securitySchemes: {
          token: { type: "apiKey", in: "header", name: "Authorization", description: "Token <key>" },
        },
      },
      security: [{ token: [] }],
    },
  });
  // The documentation is public.
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith("/api/docs")) route.config = { ...route.config, auth: "none" };
  });
  await app.register(swaggerUi, { routePrefix: "/api/docs" });
}
