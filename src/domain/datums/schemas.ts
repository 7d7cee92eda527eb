/**
 * Request and response shapes of light-curve points (BHTOM ReducedDatum, bhtom-behaviour.md §G.4–G.6).
 * In the match fields of delete/deactivate, 0 and "" are real values (an mjd of 0, an empty observer):
 * their routes validate without type coercion (src/http/strict-validation.ts), which would turn a null
 * into 0 or "" into null; absent or null is "missing", named by the service.
 */
import { Type, type Static } from "@sinclair/typebox";
import { IntegerLike, NumberLike, PageField } from "../input.ts";

const TargetId = IntegerLike("Target id: an integer or a string of digits");
const TargetName = Type.Union([Type.String({ maxLength: 100 }), Type.Null()], {
  description: "Exact target name (no aliases)",
});

export const ListDatumsBody = Type.Object({
  target_id: Type.Optional(TargetId),
  target_name: Type.Optional(TargetName),
  page: PageField(true),
});
export type ListDatumsInput = Static<typeof ListDatumsBody>;

const matchFields = {
  mjd: NumberLike("MJD (days), matched within ±1e-6; a number or numeric string"),
  mag: NumberLike("Value (mag, mJy, …), matched within ±1e-3"),
  magerr: NumberLike("Error (same unit; −1 for a limit), matched within ±1e-3"),
  filter: Type.Unsafe<string | number | null>({
    type: ["string", "number", "null"],
    maxLength: 100,
    description: 'Filter, exact (for example "V(GaiaSP)")',
  }),
  observer: Type.Unsafe<string | number | null>({
    type: ["string", "number", "null"],
    maxLength: 100,
    description: 'Observer, exact ("" matches an empty observer)',
  }),
  target_name: Type.Optional(TargetName),
  target_id: Type.Optional(TargetId),
};
const optionalMatch = {
  mjd: Type.Optional(matchFields.mjd),
  mag: Type.Optional(matchFields.mag),
  magerr: Type.Optional(matchFields.magerr),
  filter: Type.Optional(matchFields.filter),
  observer: Type.Optional(matchFields.observer),
  target_name: matchFields.target_name,
  target_id: matchFields.target_id,
};

export const MatchDatumBody = Type.Object(optionalMatch);
export type MatchDatumInput = Static<typeof MatchDatumBody>;

export const DeleteDatumBody = Type.Object({
  ...optionalMatch,
  delete_associated_data_product: Type.Optional(
    Type.Boolean({
      default: false,
      description:
        "Also delete the data product the point came from (and so every point of that upload). " +
        'true/false, "true"/"false", "True"/"False", 1/0.',
    }),
  ),
});
export type DeleteDatumInput = Static<typeof DeleteDatumBody>;

export const DatumIdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/** A point as BHTOM's ReducedDatum serializer writes it (all fields, DRF style). */
export const DatumItem = Type.Object({
  id: Type.Integer(),
  data_type: Type.String(),
  source_name: Type.String(),
  source_location: Type.String(),
  mjd: Type.Union([Type.Number(), Type.Null()], { description: "MJD (days)" }),
  timestamp: Type.String({ description: "UTC, ISO 8601" }),
  observer: Type.String(),
  observers: Type.Array(Type.Union([Type.String(), Type.Integer()])),
  facility: Type.String(),
  value: Type.Union([Type.Number(), Type.Null()], { description: "In `value_unit` (MAG, MILLIJANSKY, …)" }),
  value_list: Type.Array(Type.Number(), { description: "Always [] (spectra are served elsewhere)" }),
  value_unit: Type.String(),
  error: Type.Union([Type.Number(), Type.Null()], { description: "Same unit as value; negative = limit" }),
  error_list: Type.Array(Type.Number(), { description: "Always []" }),
  filter: Type.String(),
  wavelengths: Type.Array(Type.Number(), { description: "Always []" }),
  extra_data: Type.Unknown(),
  active_flg: Type.Boolean(),
  target: Type.Integer({ description: "Target id" }),
  data_product: Type.Union([Type.Integer(), Type.Null()], { description: "DataProduct id" }),
  calibration_run: Type.Union([Type.Integer(), Type.Null()], {
    description:
      "The calibration run that made this point (POST /calibration/get-run/); null if not calibrated",
  }),
  calibration_version: Type.Union([Type.String(), Type.Null()], {
    description: "That run's calibration algorithm version",
  }),
  quality_flag: Type.Union([Type.String(), Type.Null()], {
    description:
      "Quality flag of a calibrated point: low_zeropoint (its frame's zero point > 3σ below the camera's running " +
      "median: POST /observatory/camera-health/); null when none. Not in the CSV download's six columns",
  }),
});
export type DatumItemOutput = Static<typeof DatumItem>;

export const DatumPage = Type.Object({
  count: Type.Integer(),
  num_pages: Type.Integer(),
  current_page: Type.Integer(),
  data: Type.Array(DatumItem),
});
