/** Comments (API guide §G.1) and adding a comment to a target. */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Db } from "../db/connection.ts";
import { AddCommentBody, CommentItem, ListCommentsBody } from "../domain/comments/schemas.ts";
import { addComment, listComments } from "../domain/comments/service.ts";
import { requireActor } from "./auth.ts";
import { envelope, resolvePage } from "./pagination.ts";
import { Detail } from "./schemas.ts";

export const commentsRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.post(
    "/common/api/comments/",
    {
      schema: {
        tags: ["comments"],
        summary: "List comments on targets; 200 per page, oldest first",
        description:
          "Filters: target (exact name), targetid, user (exact user name), text (contains, case-insensitive), " +
          "created_start / created_end. Differs from BHTOM2: dates may be YYYY-MM-DD (whole day, inclusive) or " +
          'ISO date-times as Django reads them; an unknown target is a 404 {"detail": "Target not found"} (BHTOM2: ' +
          '{"error": …}); a bad date is a 400 naming the field (BHTOM2: {"error": "Invalid date format. Use ' +
          'YYYY-MM-DD."}).',
        body: ListCommentsBody,
        response: {
          200: Type.Object({
            count: Type.Integer(),
            num_pages: Type.Integer(),
            current_page: Type.Integer(),
            data: Type.Array(CommentItem),
          }),
        },
      },
    },
    async (request) => {
      const r = await listComments(db, request.body, (count) => resolvePage(request.body.page, count, 200));
      return envelope(r.count, r.page, r.items);
    },
  );

  app.post(
    "/api/targets/:name/comments/",
    {
      schema: {
        tags: ["comments"],
        summary: "Add a comment to a target (any authenticated user)",
        params: Type.Object({ name: Type.String() }),
        body: AddCommentBody,
        response: { 201: CommentItem, 404: Detail },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await addComment(db, requireActor(request), request.params.name, request.body.comment)),
  );
};
