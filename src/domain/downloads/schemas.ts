/** Request and response shapes of the CSV downloads and the download log (§E, §F.8). */
import { Type, type Static } from "@sinclair/typebox";
import { DOWNLOAD_TYPES } from "../../vocabulary.ts";
import { DateTimeFilterSchema, PageField } from "../input.ts";
import { DOWNLOAD_COLUMNS, EXTENDED_COLUMNS } from "./extended.ts";

export const DownloadBody = Type.Object({
  name: Type.String({
    minLength: 1,
    maxLength: 100,
    description: "Exact target name (no aliases); digits that are no target's name are read as the target id",
  }),
});
export type DownloadInput = Static<typeof DownloadBody>;

/** The photometry download's body: DownloadBody and the opt-in columns (extended.ts). */
export const PhotometryDownloadBody = Type.Object({
  ...DownloadBody.properties,
  columns: Type.Optional(
    Type.Union(
      DOWNLOAD_COLUMNS.map((c) => Type.Literal(c)),
      {
        description:
          'Not in BHTOM2. "bhtom" (default): BHTOM\'s six columns. "extended": three more columns after them — ' +
          `${EXTENDED_COLUMNS.join(", ")} (the point's camera-health flag, e.g. low_zeropoint; the calibration ` +
          "run that made it; that run's algorithm version; empty when none)",
        errorMessage: 'Not a valid choice: "bhtom" or "extended".',
      },
    ),
  ),
});
export type PhotometryDownloadInput = Static<typeof PhotometryDownloadBody>;

const text = (description: string) =>
  Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()], { description }));

export const DownloadedListBody = Type.Object({
  target: text("Target name contains (case-insensitive)"),
  user: text("Username contains (case-insensitive)"),
  created_from: Type.Optional(DateTimeFilterSchema("Downloads at or after this")),
  created_to: Type.Optional(DateTimeFilterSchema("Downloads at or before this")),
  download_type: Type.Optional(
    Type.Union([...DOWNLOAD_TYPES.map((t) => Type.Literal(t)), Type.Literal(""), Type.Null()], {
      description: "P photometry, R radio, H high energy",
      errorMessage: "Not a valid choice.",
    }),
  ),
  page: PageField(),
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
