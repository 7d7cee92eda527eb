/**
 * Request and response shapes of the accounts domain: one TypeBox schema serves validation, types and
 * the OpenAPI document.
 */
import { Type, type Static } from "@sinclair/typebox";
import { DateFilterSchema } from "../input.ts";

/** Django's username rule: 150 characters or fewer; letters, digits and @ . + - _ only. */
export const Username = Type.String({ minLength: 1, maxLength: 150, pattern: "^[\\w.@+-]+$" });

export const CreateUserBody = Type.Object(
  {
    username: Username,
    password: Type.String({ minLength: 8, maxLength: 4096 }),
    email: Type.Optional(Type.String({ maxLength: 254 })),
    first_name: Type.Optional(Type.String({ maxLength: 150 })),
    last_name: Type.Optional(Type.String({ maxLength: 150 })),
    is_active: Type.Optional(Type.Boolean({ default: true })),
    is_staff: Type.Optional(Type.Boolean()),
    is_superuser: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CreateUserInput = Static<typeof CreateUserBody>;

export const UpdateUserBody = Type.Partial(
  Type.Object({
    password: Type.String({ minLength: 8, maxLength: 4096 }),
    email: Type.String({ maxLength: 254 }),
    first_name: Type.String({ maxLength: 150 }),
    last_name: Type.String({ maxLength: 150 }),
    is_active: Type.Boolean(),
    is_staff: Type.Boolean(),
    is_superuser: Type.Boolean(),
  }),
  { additionalProperties: false },
);
export type UpdateUserInput = Static<typeof UpdateUserBody>;

/** BHTOM `POST /common/api/users/` filters; falsy values are ignored, as BHTOM does. */
export const ListUsersBody = Type.Object({
  id: Type.Optional(Type.Union([Type.Integer(), Type.Null(), Type.Literal("")])),
  username: Type.Optional(Type.Unsafe<string | null>({ type: ["string", "null"], maxLength: 150 })),
  created: Type.Optional(DateFilterSchema("Users who joined on or after this day")),
});
export type ListUsersInput = Static<typeof ListUsersBody>;

export const TokenAuthBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 150 }),
  password: Type.String({ minLength: 1, maxLength: 4096 }),
});

export const PublicUser = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  email: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  is_active: Type.Boolean(),
  is_staff: Type.Boolean(),
  is_superuser: Type.Boolean(),
  date_joined: Type.String({ format: "date-time" }),
  last_login: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
});
export type PublicUser = Static<typeof PublicUser>;

/** BHTOM's user list item: Django's User columns without the password hash. */
export const BhtomUser = Type.Composite([
  PublicUser,
  Type.Object({ groups: Type.Array(Type.Unknown()), user_permissions: Type.Array(Type.Unknown()) }),
]);
