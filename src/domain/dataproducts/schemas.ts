import { Type, type Static } from "@sinclair/typebox";
import { DateTimeFilterSchema, PageField } from "../input.ts";

/**
 * A value of several JSON types with a length cap on its string form, as one `type: [...]` schema
 * rather than an anyOf, so that a too-long string gets the maxLength message naming the limit.
 */
const Capped = <T>(types: string[], maxLength: number, extra: Record<string, unknown> = {}) =>
  Type.Unsafe<T>({ type: types, maxLength, ...extra });

/** Filter values; strings capped at 200 characters (differs from BHTOM2: no cap). */
const Val = Capped<string | number | null>(["string", "number", "null"], 200);

/** `common/api/data` filters (bhtom-behaviour.md §G.2). */
export const DataListBody = Type.Object({
  id: Type.Optional(Val),
  data_product_type: Type.Optional(Val),
  status: Type.Optional(Val),
  fits_data: Type.Optional(Val),
  photometry_data: Type.Optional(Val),
  oname: Type.Optional(Val),
  created_start: Type.Optional(DateTimeFilterSchema("Uploaded at or after this")),
  created_end: Type.Optional(DateTimeFilterSchema("Uploaded at or before this")),
  mjd: Type.Optional(Val),
  target_name: Type.Optional(Val),
  target_id: Type.Optional(Val),
  magerr_min: Type.Optional(Val),
  magerr_max: Type.Optional(Val),
  mjd_min: Type.Optional(Val),
  mjd_max: Type.Optional(Val),
  mag_min: Type.Optional(Val),
  mag_max: Type.Optional(Val),
  filter: Type.Optional(Val),
  page: PageField(),
});
export type DataListInput = Static<typeof DataListBody>;

const Id = Capped<number | string | null>(["integer", "string", "null"], 64);
export const IdBody = Type.Object({ id: Type.Optional(Id) });
/**
 * Usernames as a list (at most 100) or one comma-separated string (at most 15,000 characters); "" and []
 * clear the list. Checked without type coercion (src/http/strict-validation.ts): null, a number or an
 * object is a 400. Differs from BHTOM2: capped; null is a 400 (BHTOM2: "Missing required fields").
 */
export const ChangeObserversBody = Type.Object({
  id: Type.Optional(Id),
  observers: Type.Optional(
    Type.Union(
      [Type.Array(Type.String({ maxLength: 150 }), { maxItems: 100 }), Type.String({ maxLength: 15_000 })],
      {
        errorMessage:
          "A list of usernames (at most 100) or a comma-separated string (at most 15000 characters) is required.",
      },
    ),
  ),
});
