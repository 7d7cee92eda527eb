/** Accounts and tokens: token-auth (BHTOM), token revocation, staff user management, BHTOM's user list. */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Db } from "../db/connection.ts";
import {
  BhtomUser,
  CreateUserBody,
  ListUsersBody,
  PublicUser,
  TokenAuthBody,
  UpdateUserBody,
  Username,
} from "../domain/users/schemas.ts";
import * as users from "../domain/users/service.ts";
import type { LoginThrottle } from "../domain/users/throttle.ts";
import { requireActor } from "./auth.ts";
import { clientAddress } from "../http-kit/client-address.ts";
import { Detail, FieldErrorsSchema } from "./schemas.ts";

export const usersRoutes: FastifyPluginAsyncTypebox<{ db: Db; loginThrottle: LoginThrottle }> = async (
  app,
  { db, loginThrottle },
) => {
  app.post(
    "/api/token-auth/",
    {
      config: { auth: "none" },
      schema: {
        tags: ["accounts"],
        summary: "Log in with username and password; returns a new API token",
        description:
          "Each call issues a new 40-hex token; earlier tokens stay valid until revoked. Differs from BHTOM2: " +
          "tokens are stored hashed, and inactive accounts get no token; logins are throttled per client " +
          "address (attempts) and per username (failures) — over a limit 429 with Retry-After (seconds).",
        body: TokenAuthBody,
        response: {
          200: Type.Object({ token: Type.String() }),
          400: FieldErrorsSchema,
          429: Detail,
        },
      },
    },
    async (request) => ({
      token: await users.login(db, request.body.username, request.body.password, {
        throttle: loginThrottle,
        address: clientAddress(request),
      }),
    }),
  );

  app.delete(
    "/api/tokens/",
    {
      schema: {
        tags: ["accounts"],
        summary: "Revoke the token this request is authenticated with",
        response: { 200: Detail },
      },
    },
    async (request) => {
      requireActor(request);
      await users.revokeToken(db, request.tokenKey ?? "");
      return { detail: "Token revoked." };
    },
  );

  app.post(
    "/api/users/",
    {
      config: { auth: "staff" },
      schema: {
        tags: ["accounts"],
        summary: "Create a user (staff)",
        description: "Only a superuser may create a superuser (is_superuser true); others get 403.",
        body: CreateUserBody,
        response: { 201: PublicUser, 400: FieldErrorsSchema, 403: Detail },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await users.createUser(db, requireActor(request), request.body)),
  );

  app.patch(
    "/api/users/:username/",
    {
      config: { auth: "staff" },
      schema: {
        tags: ["accounts"],
        summary: "Update a user (staff)",
        description:
          "Only a superuser may set is_superuser true or change a superuser's account (staff get 403), so " +
          "staff cannot raise themselves to superuser or take over a superuser's login.",
        params: Type.Object({ username: Username }),
        body: UpdateUserBody,
        response: { 200: PublicUser, 400: FieldErrorsSchema, 403: Detail, 404: Detail },
      },
    },
    async (request) => users.updateUser(db, requireActor(request), request.params.username, request.body),
  );

  app.post(
    "/common/api/users/",
    {
      config: { auth: "staff" },
      schema: {
        tags: ["accounts"],
        summary: "List users (staff); filters id, username, created (joined on or after YYYY-MM-DD)",
        description: "Differs from BHTOM2: no password hashes; 403 JSON instead of a redirect for non-staff.",
        body: ListUsersBody,
        response: { 200: Type.Array(BhtomUser) },
      },
    },
    async (request) =>
      (await users.listUsers(db, requireActor(request), request.body)).map((u) => ({
        ...u,
        groups: [],
        user_permissions: [],
      })),
  );
};
