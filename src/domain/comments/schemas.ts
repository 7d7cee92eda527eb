import { Type, type Static } from "@sinclair/typebox";
import { DateTimeFilterSchema, PageField } from "../input.ts";

/**
 * A value of several JSON types with a length cap on its string form, as one `type: [...]` schema
 * rather than an anyOf, so that a too-long string gets the maxLength message naming the limit.
 */
const Capped = <T>(types: string[], maxLength: number, extra: Record<string, unknown> = {}) =>
  Type.Unsafe<T>({ type: types, maxLength, ...extra });

export const ListCommentsBody = Type.Object({
  target: Type.Optional(Capped<string | null>(["string", "null"], 200)),
  targetid: Type.Optional(Capped<number | string | null>(["integer", "string", "null"], 64)),
  user: Type.Optional(Capped<string | null>(["string", "null"], 200)),
  text: Type.Optional(Capped<string | null>(["string", "null"], 200)),
  created_start: Type.Optional(DateTimeFilterSchema("Comments made at or after this")),
  created_end: Type.Optional(
    DateTimeFilterSchema("Comments made at or before this (a date alone: until the end of that day)"),
  ),
  page: PageField(),
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
