import { Type, type Static } from "@sinclair/typebox";

const DateOrIso = Type.Union([Type.String(), Type.Null()], {
  description: "YYYY-MM-DD (whole day) or an ISO 8601 date-time",
});

export const ListCommentsBody = Type.Object({
  target: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  targetid: Type.Optional(Type.Union([Type.Integer(), Type.String(), Type.Null()])),
  user: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  text: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  created_start: Type.Optional(DateOrIso),
  created_end: Type.Optional(DateOrIso),
  page: Type.Optional(Type.Unknown()),
});
export type ListCommentsInput = Static<typeof ListCommentsBody>;

export const AddCommentBody = Type.Object(
  { comment: Type.String({ minLength: 1, maxLength: 10_000 }) },
  { additionalProperties: false },
);

export const CommentItem = Type.Object({
  id: Type.Integer(),
  user_name: Type.String(),
  comment: Type.String(),
  submit_date: Type.String(),
  user_id: Type.Union([Type.Integer(), Type.Null()]),
  target_name: Type.String(),
  target_id: Type.String({ description: "A string, as BHTOM2 (django_comments object_pk)" }),
});
