/** Target groups: BHTOM's target-groups and targets-from-group (§F.9–F.10), and skytom's group editing. */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Db } from "../db/connection.ts";
import * as groups from "../domain/targets/groups.ts";
import { TargetSummary } from "../domain/targets/schemas.ts";
import { PageField } from "../domain/input.ts";
import { requireActor } from "./auth.ts";
import { envelope, resolvePage } from "./pagination.ts";
import { Detail, FieldErrorsSchema } from "./schemas.ts";

const PAGE = 200;
const Group = Type.Object({ id: Type.Integer(), name: Type.String(), created: Type.String() });
const Names = Type.Object(
  { targets: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 10_000 }) },
  { additionalProperties: false },
);
const GroupId = Type.Object({ id: Type.Integer() });

export const groupsRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.post(
    "/targets/target-groups/",
    {
      schema: {
        tags: ["groups"],
        summary: "List target groups, newest first; 200 per page",
        body: Type.Object({ page: PageField() }),
        response: {
          200: Type.Object({
            count: Type.Integer(),
            num_pages: Type.Integer(),
            current_page: Type.Integer(),
            data: Type.Array(Group),
          }),
        },
      },
    },
    async (request) => {
      const r = await groups.listGroups(db, (n) => resolvePage(request.body.page, n, PAGE));
      return envelope(r.count, r.page, r.items);
    },
  );

  app.post(
    "/targets/targets-from-group/",
    {
      schema: {
        tags: ["groups"],
        summary: "Targets of one group, given by exactly one of `id` or `name`; 200 per page",
        description:
          "Items have the createTarget fields (plus `id`), ordered by name. Differs from BHTOM2: several groups " +
          "with the same name give a 400 asking for `id`; items are ordered.",
        body: Type.Object({
          id: Type.Optional(Type.Union([Type.Integer(), Type.String(), Type.Null()])),
          name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
          page: PageField(),
        }),
        response: {
          200: Type.Object({
            count: Type.Integer(),
            num_pages: Type.Integer(),
            current_page: Type.Integer(),
            group: Type.Union([Type.Integer(), Type.String()]),
            data: Type.Array(TargetSummary),
          }),
          404: Detail,
        },
      },
    },
    async (request) => {
      const { id, name, page } = request.body;
      const group = await groups.resolveGroup(db, id, name);
      const r = await groups.targetsOfGroup(db, group, (n) => resolvePage(page, n, PAGE));
      const env = envelope(r.count, r.page, r.items);
      return {
        count: env.count,
        num_pages: env.num_pages,
        current_page: env.current_page,
        group: (id ?? name) as number | string,
        data: env.data,
      };
    },
  );

  app.post(
    "/api/target-groups/",
    {
      schema: {
        tags: ["groups"],
        summary: "Create a target group (you own it)",
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: { 201: Group, 400: FieldErrorsSchema },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await groups.createGroup(db, requireActor(request), request.body.name)),
  );

  app.post(
    "/api/target-groups/:id/targets/",
    {
      schema: {
        tags: ["groups"],
        summary: "Add targets (exact names) to a group (its creator or staff)",
        params: GroupId,
        body: Names,
        response: {
          200: Type.Object({ added: Type.Integer() }),
          400: FieldErrorsSchema,
          403: Detail,
          404: Detail,
        },
      },
    },
    async (request) => ({
      added: await groups.addToGroup(db, requireActor(request), request.params.id, request.body.targets),
    }),
  );

  app.delete(
    "/api/target-groups/:id/targets/",
    {
      schema: {
        tags: ["groups"],
        summary: "Remove targets from a group (its creator or staff)",
        params: GroupId,
        body: Names,
        response: {
          200: Type.Object({ removed: Type.Integer() }),
          400: FieldErrorsSchema,
          403: Detail,
          404: Detail,
        },
      },
    },
    async (request) => ({
      removed: await groups.removeFromGroup(
        db,
        requireActor(request),
        request.params.id,
        request.body.targets,
      ),
    }),
  );

  app.delete(
    "/api/target-groups/:id/",
    {
      schema: {
        tags: ["groups"],
        summary: "Delete a group (its creator or staff); its targets stay",
        params: GroupId,
        response: { 200: Detail, 403: Detail, 404: Detail },
      },
    },
    async (request) => {
      await groups.deleteGroup(db, requireActor(request), request.params.id);
      return { detail: "Target group deleted." };
    },
  );
};
