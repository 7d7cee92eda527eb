import { Type, type Static } from "@sinclair/typebox";

const Val = Type.Union([Type.String(), Type.Number(), Type.Null()]);

/** `common/api/data` filters (bhtom-behaviour.md §G.2). */
export const DataListBody = Type.Object({
  id: Type.Optional(Val),
  data_product_type: Type.Optional(Val),
  status: Type.Optional(Val),
  fits_data: Type.Optional(Val),
  photometry_data: Type.Optional(Val),
  oname: Type.Optional(Val),
  created_start: Type.Optional(Val),
  created_end: Type.Optional(Val),
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
  page: Type.Optional(Type.Unknown()),
});
export type DataListInput = Static<typeof DataListBody>;

export const IdBody = Type.Object({
  id: Type.Optional(Type.Union([Type.Integer(), Type.String(), Type.Null()])),
});
export const ChangeObserversBody = Type.Object({
  id: Type.Optional(Type.Union([Type.Integer(), Type.String(), Type.Null()])),
  observers: Type.Optional(Type.Union([Type.Array(Type.String()), Type.String(), Type.Null()])),
});
