/** Response shapes shared by every route file. */
import { Type } from "@sinclair/typebox";

export const Detail = Type.Object({ detail: Type.String() });
export const FieldErrorsSchema = Type.Record(Type.String(), Type.Array(Type.String()), {
  description: "Field name → messages (DRF style); `non_field_errors` for errors about the whole request.",
});
