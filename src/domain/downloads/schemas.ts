/** Request and response shapes of the CSV downloads and the download log (§E, §F.8). */
import { Type, type Static } from "@sinclair/typebox";
import { DOWNLOAD_TYPES } from "../../vocabulary.ts";

export const DownloadBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, description: "Exact target name (no aliases)" }),
});
export type DownloadInput = Static<typeof DownloadBody>;

const text = (description: string) =>
  Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()], { description }));
const When = Type.Optional(
  Type.Union([Type.String({ maxLength: 64 }), Type.Null()], {
    description:
      "ISO 8601 date-time (2023-09-28T10:00:00Z, 2023-09-28 10:00, +02:00 offsets) or a date (midnight UTC); " +
      "a time without offset is UTC",
  }),
);

export const DownloadedListBody = Type.Object({
  target: text("Target name contains (case-insensitive)"),
  user: text("Username contains (case-insensitive)"),
  created_from: When,
  created_to: When,
  download_type: Type.Optional(
    Type.Union([...DOWNLOAD_TYPES.map((t) => Type.Literal(t)), Type.Literal(""), Type.Null()], {
      description: "P photometry, R radio, H high energy",
      errorMessage: "Not a valid choice.",
    }),
  ),
  page: Type.Optional(Type.Unknown()),
});
export type DownloadedListInput = Static<typeof DownloadedListBody>;

export const DownloadedItem = Type.Object({
  id: Type.Integer(),
  user: Type.String({ description: "Username" }),
  user_name: Type.String({ description: '"first last" (empty when neither is set)' }),
  target: Type.Integer({ description: "Target id" }),
  target_name: Type.String(),
  created: Type.String(),
  modified: Type.String(),
  download_type: Type.String(),
  ip_address: Type.String(),
});
export type DownloadedItemOutput = Static<typeof DownloadedItem>;

export const DownloadedPage = Type.Object({
  count: Type.Integer(),
  num_pages: Type.Integer(),
  current_page: Type.Integer(),
  data: Type.Array(DownloadedItem),
});
