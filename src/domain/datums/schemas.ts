/**
 * Request and response shapes of light-curve points (BHTOM ReducedDatum, bhtom-behaviour.md §G.4–G.6).
 * The match fields of delete/deactivate are `Unknown` on purpose: AJV's type coercion would turn a null
 * into 0 or an empty string into null, and here 0 and "" are real values (an mjd of 0, an empty
 * observer), so the service reads them with explicit rules and names the field when one is wrong.
 */
import { Type, type Static } from "@sinclair/typebox";

const TargetId = Type.Unknown({ description: "Target id: an integer or a numeric string" });
const TargetName = Type.Union([Type.String({ maxLength: 100 }), Type.Null()], {
  description: "Exact target name (no aliases)",
});

export const ListDatumsBody = Type.Object({
  target_id: Type.Optional(TargetId),
  target_name: Type.Optional(TargetName),
  page: Type.Optional(
    Type.Unknown({ description: "Page number (strict: a bad or out-of-range page is 400)" }),
  ),
});
export type ListDatumsInput = Static<typeof ListDatumsBody>;

const matchFields = {
  mjd: Type.Unknown({ description: "MJD (days), matched within ±1e-6; a number or numeric string" }),
  mag: Type.Unknown({ description: "Value (mag, mJy, …), matched within ±1e-3" }),
  magerr: Type.Unknown({ description: "Error (same unit; −1 for a limit), matched within ±1e-3" }),
  filter: Type.Unknown({ description: 'Filter, exact (for example "V(GaiaSP)")' }),
  observer: Type.Unknown({ description: 'Observer, exact ("" matches an empty observer)' }),
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
});
export type DatumItemOutput = Static<typeof DatumItem>;

export const DatumPage = Type.Object({
  count: Type.Integer(),
  num_pages: Type.Integer(),
  current_page: Type.Integer(),
  data: Type.Array(DatumItem),
});
