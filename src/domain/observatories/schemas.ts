/**
 * Request and response shapes of the observatories domain (API guide section D; bhtom-behaviour.md §D,
 * §4.10–4.12): observatories, their cameras (ONAME = camera prefix `<observatory>_<camera>`) and users'
 * favourite cameras. One TypeBox schema serves validation, types and the OpenAPI document.
 *
 * Value fields are declared `T | null` on purpose: with AJV's type coercion a JSON `null` would otherwise
 * silently become 0, "" or false (a `"lat": null` stored as the equator). The service refuses `null`
 * for columns that cannot be empty ("This field may not be null.") and clears the nullable ones.
 */
import { Type, type Static, type TOptional, type TSchema } from "@sinclair/typebox";
import { DateTimeFilterSchema, PageField } from "../input.ts";

/** Longitude, deg east-positive. */
export const LON_LIMIT_DEG = 180;
/**
 * Latitude limit, deg. BHTOM2's model validators accept −180..180 and the API guide's own create and
 * update examples send `"lat": -120.67890`; keeping the examples working means accepting that window.
 * Physical latitudes are −90..90: set this to 90 to refuse the rest.
 */
export const LAT_LIMIT_DEG = 180;
/** Longest ONAME (`cameras.prefix` is varchar(255)). */
export const ONAME_MAX_LENGTH = 255;

interface NumberLimits {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  description?: string;
}

const NullableNumber = (limits: NumberLimits) =>
  Type.Unsafe<number | null>({ type: ["number", "null"], ...limits });
const NullableInteger = (limits: NumberLimits) =>
  Type.Unsafe<number | null>({ type: ["integer", "null"], ...limits });
const NullableString = (opts: { minLength?: number; maxLength: number; description?: string }) =>
  Type.Unsafe<string | null>({ type: ["string", "null"], ...opts });
/**
 * `{const: null}` rather than `{type: "null"}`: AJV coerces false, 0 and "" to null in a `type: "null"`
 * branch, and null to false in a boolean branch tried first.
 */
const NullableBoolean = (description: string) =>
  Type.Union([Type.Unsafe<null>({ const: null }), Type.Boolean()], {
    description,
    errorMessage: "Must be a valid boolean.",
  });

/** FITS header keyword names: up to 8 of A–Z 0–9 - _ (any case), or a `HIERARCH …` keyword. */
const FitsKeyword = (description: string, minLength: 0 | 1) =>
  Type.Unsafe<string | null>({
    type: ["string", "null"],
    minLength,
    maxLength: 70,
    pattern: minLength
      ? "^([A-Za-z0-9_-]{1,8}|HIERARCH [ -<>-~]+)$"
      : "^([A-Za-z0-9_-]{0,8}|HIERARCH [ -<>-~]+)$",
    description,
    errorMessage:
      "Enter a FITS keyword name: up to 8 characters from A-Z, 0-9, '-' and '_', or 'HIERARCH ...'" +
      (minLength ? "." : ", or leave it empty."),
  });

export const observatoryFields = {
  name: NullableString({ minLength: 1, maxLength: 255, description: "Observatory name (unique)" }),
  lon: NullableNumber({
    minimum: -LON_LIMIT_DEG,
    maximum: LON_LIMIT_DEG,
    description: "Longitude, deg, east-positive, −180..180",
  }),
  lat: NullableNumber({
    minimum: -LAT_LIMIT_DEG,
    maximum: LAT_LIMIT_DEG,
    description: `Latitude, deg (accepted −${LAT_LIMIT_DEG}..${LAT_LIMIT_DEG} as BHTOM2 does; physical values are −90..90)`,
  }),
  altitude: NullableNumber({
    minimum: -500,
    maximum: 10000,
    description: "Metres above sea level (default 0)",
  }),
  calibration_flg: NullableBoolean(
    "Only instrumental photometry is uploaded from this observatory, no FITS files (default false)",
  ),
  comment: NullableString({ maxLength: 10000 }),
  approx_lim_mag: NullableNumber({
    minimum: 0,
    maximum: 40,
    description: "Approximate limiting magnitude, mag (default 18)",
  }),
  filters: NullableString({ maxLength: 100, description: 'Filters used, comma-separated (default "V,R,I")' }),
  origin: NullableString({ maxLength: 255 }),
  telescope: NullableString({ maxLength: 255 }),
  aperture: NullableNumber({ minimum: 0, maximum: 100, description: "Aperture, m" }),
  focal_length: NullableNumber({ minimum: 0, maximum: 1_000_000, description: "Focal length, mm" }),
  seeing: NullableNumber({ minimum: 0, maximum: 60, description: "Typical seeing, arcsec (default 0)" }),
  authors: NullableString({ maxLength: 255 }),
  acknowledgements: NullableString({ maxLength: 255 }),
};

export const cameraFields = {
  camera_name: NullableString({
    minLength: 1,
    maxLength: 255,
    description: "Camera name, unique within its observatory",
  }),
  example_file: NullableString({
    maxLength: 255,
    description:
      "An example FITS file: upload it as a multipart file field; a plain string is recorded as the file's name only",
  }),
  gain: NullableNumber({ exclusiveMinimum: 0, maximum: 1_000_000, description: "e⁻/ADU (default 2)" }),
  readout_noise: NullableNumber({ minimum: 0, maximum: 1_000_000, description: "e⁻ (default 2)" }),
  binning: NullableInteger({ minimum: 1, maximum: 64, description: "Pixels binned per side (default 1)" }),
  saturation_level: NullableNumber({
    exclusiveMinimum: 0,
    maximum: 1e12,
    description: "ADU (default 63000)",
  }),
  pixel_scale: NullableNumber({
    exclusiveMinimum: 0,
    maximum: 3600,
    description: "arcsec/pixel (default 0.8)",
  }),
  readout_speed: NullableNumber({ minimum: 0, maximum: 1e12, description: "µs/pixel (default 9999)" }),
  pixel_size: NullableNumber({ exclusiveMinimum: 0, maximum: 1000, description: "µm (default 13.5)" }),
  detector_width_px: NullableInteger({
    minimum: 1,
    maximum: 100_000,
    description: "Detector width, unbinned pixels (field of view = pixel_scale × size; optional)",
  }),
  detector_height_px: NullableInteger({
    minimum: 1,
    maximum: 100_000,
    description: "Detector height, unbinned pixels (optional)",
  }),
  date_time_keyword: FitsKeyword("FITS keyword of the observation start date/time (default DATE-OBS)", 1),
  time_keyword: FitsKeyword(
    "FITS keyword of the start time when the date keyword holds only a date (default TIME-OBS)",
    0,
  ),
  exposure_time_keyword: FitsKeyword("FITS keyword of the exposure time, s (default EXPTIME)", 1),
  mode_recognition_keyword: FitsKeyword("FITS keyword naming the readout mode (default empty)", 0),
  additional_info: NullableString({ maxLength: 10000 }),
  bayer_bands: Type.Unsafe<Record<string, string> | string | null>({
    type: ["object", "string", "null"],
    maxLength: 500,
    maxProperties: 3,
    additionalProperties: { type: "string", maxLength: 50 },
    description:
      'One-shot-colour (Bayer) frames: the filter request each channel is calibrated to, e.g. {"R": "GaiaSP/R", ' +
      '"G": "GaiaSP/V", "B": "GaiaSP/B"} (the default; null restores it). One band per channel, distinct; a ' +
      "channel left out is not calibrated. A JSON string is accepted too (forms).",
  }),
  colour_terms: NullableBoolean(
    "Fit colour terms in this camera's calibrations (default true; false = the plain CPCS zero point; docs/colour.md)",
  ),
  unfiltered_band: NullableString({
    maxLength: 20,
    description:
      "Band that unfiltered frames (FITS FILTER Clear, C, CV, L, None or empty) are calibrated to: GaiaDR3/G (default) or one GaiaSP band, e.g. GaiaSP/R",
  }),
  colour_index: NullableString({
    maxLength: 10,
    description:
      "The colour the colour term is fitted in, for every band of this camera: B-V, g-r, BP-RP or J-K; null or empty (the default) = each band's own (B-V for Johnson, g-r for SDSS, BP-RP for Gaia and unfiltered, J-K for 2MASS; docs/colour.md)",
  }),
};

const optional = <T extends Record<string, TSchema>>(fields: T) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof T]: TOptional<T[K]>;
  };

const { name, lon, lat, ...observatoryOptional } = observatoryFields;
const { camera_name, ...cameraOptional } = cameraFields;

/** `POST /observatory/createObservatory/`: the observatory and its first camera. */
export const CreateObservatoryBody = Type.Object(
  { name, lon, lat, camera_name, ...optional(observatoryOptional), ...optional(cameraOptional) },
  { additionalProperties: false },
);
export type CreateObservatoryInput = Static<typeof CreateObservatoryBody>;

/** `PATCH /observatory/updateObservatory/`: `name` finds the observatory (it cannot rename). */
export const UpdateObservatoryBody = Type.Object(
  { name, ...optional({ lon, lat, ...observatoryOptional }) },
  { additionalProperties: false },
);
export type UpdateObservatoryInput = Static<typeof UpdateObservatoryBody>;

/** `PATCH /api/observatories/{name}/`: any observatory field; `name` renames (and every ONAME with it). */
export const PatchObservatoryBody = Type.Object(optional(observatoryFields), { additionalProperties: false });
export type PatchObservatoryInput = Static<typeof PatchObservatoryBody>;

export const CreateCameraBody = Type.Object(
  { camera_name, ...optional(cameraOptional) },
  { additionalProperties: false },
);
export type CreateCameraInput = Static<typeof CreateCameraBody>;

/** `PATCH /api/cameras/{oname}/`: any camera field; `camera_name` renames (and the ONAME with it). */
export const PatchCameraBody = Type.Object(optional(cameraFields), { additionalProperties: false });
export type PatchCameraInput = Static<typeof PatchCameraBody>;

/** A `created` bound (Django's parser: `2023-09-28T10:00:00Z`, `2023-09-28 10:00`, `2023-09-28`; naive = UTC). */
const DateTimeFilter = DateTimeFilterSchema("Bound of `created`, inclusive");
const AnyPage = PageField();

/** getObservatoryList filters; unknown keys are ignored, as BHTOM2 does. `null`/"" mean "no filter". */
export const ObservatoryListBody = Type.Object({
  name: Type.Optional(NullableString({ maxLength: 255, description: "Exact observatory name" })),
  lon: Type.Optional(NullableNumber({ description: "Exact longitude, deg" })),
  lat: Type.Optional(NullableNumber({ description: "Exact latitude, deg" })),
  active_flg: Type.Optional(
    NullableBoolean(
      "true: observatories with an active camera, listing only their active cameras; false: the same for inactive cameras",
    ),
  ),
  created_start: Type.Optional(DateTimeFilter),
  created_end: Type.Optional(DateTimeFilter),
  page: AnyPage,
});
export type ObservatoryListInput = Static<typeof ObservatoryListBody>;

const CameraRef = {
  observatory: Type.Optional(NullableString({ maxLength: 255, description: "Observatory name (exact)" })),
  camera: Type.Optional(
    NullableString({ maxLength: 255, description: "Camera name within that observatory" }),
  ),
  oname: Type.Optional(
    NullableString({
      maxLength: 255,
      description: "ONAME `<observatory>_<camera>`; wins over observatory + camera",
    }),
  ),
};

export const AddFavouriteBody = Type.Object(
  { ...CameraRef, comment: Type.Optional(NullableString({ maxLength: 10000 })) },
  { additionalProperties: false },
);
export type AddFavouriteInput = Static<typeof AddFavouriteBody>;

export const DeleteFavouriteBody = Type.Object(CameraRef, { additionalProperties: false });
export type DeleteFavouriteInput = Static<typeof DeleteFavouriteBody>;

/** getFavouriteObservatory filters; unknown keys are ignored. */
export const FavouriteListBody = Type.Object({
  user: Type.Optional(
    NullableString({
      maxLength: 150,
      description: "Username, or user id (staff only; others may name only themselves)",
    }),
  ),
  active_flg: Type.Optional(NullableBoolean("The favourite's own active flag")),
  camera: Type.Optional(NullableString({ maxLength: 255, description: "Camera name, ONAME, or camera id" })),
  created_start: Type.Optional(DateTimeFilter),
  created_end: Type.Optional(DateTimeFilter),
  page: AnyPage,
});
export type FavouriteListInput = Static<typeof FavouriteListBody>;

const DateTime = Type.String({ format: "date-time" });
const NullableOut = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** A camera as BHTOM2 serialises it (`user` and `observatory` are ids). */
export const CameraOut = Type.Object({
  id: Type.Integer(),
  user: NullableOut(Type.Integer()),
  observatory: Type.Integer(),
  camera_name: Type.String(),
  active_flg: Type.Boolean(),
  prefix: Type.String({ description: "ONAME `<observatory>_<camera>`" }),
  gain: Type.Number(),
  example_file: NullableOut(
    Type.String({ description: "Uploaded file: path under the data directory; else the file name given" }),
  ),
  readout_noise: Type.Number(),
  binning: Type.Integer(),
  saturation_level: Type.Number(),
  pixel_scale: Type.Number(),
  readout_speed: Type.Number(),
  pixel_size: Type.Number(),
  detector_width_px: NullableOut(Type.Integer()),
  detector_height_px: NullableOut(Type.Integer()),
  date_time_keyword: Type.String(),
  time_keyword: Type.String(),
  exposure_time_keyword: Type.String(),
  mode_recognition_keyword: Type.String(),
  additional_info: Type.String(),
  bayer_bands: Type.Record(Type.String(), Type.String(), {
    description: "The band each one-shot-colour channel is calibrated to (the default when not set)",
  }),
  colour_terms: Type.Boolean({ description: "Colour terms fitted in this camera's calibrations" }),
  unfiltered_band: Type.String({ description: "Band unfiltered frames are calibrated to" }),
  colour_index: NullableOut(
    Type.String({
      description:
        "The colour index of this camera's colour terms for every band (B-V, g-r, BP-RP, J-K); null = each band's own",
    }),
  ),
  learnt_colour_terms: Type.Array(
    Type.Object({
      survey: Type.String(),
      band: Type.String(),
      colour_index: Type.String({ description: "B-V, g-r, BP-RP or J-K" }),
      k: Type.Number({ description: "Learnt colour term, mag per mag of colour" }),
      k_err: Type.Number(),
      k_scatter: Type.Number({ description: "Robust scatter of the frames' k" }),
      n_frames: Type.Integer(),
    }),
    { description: "The camera's learnt colour term per band (docs/colour.md)" },
  ),
  created: DateTime,
  modified: DateTime,
});
export type CameraView = Static<typeof CameraOut>;

export const ObservatoryOut = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  lon: Type.Number(),
  lat: Type.Number(),
  altitude: Type.Number(),
  calibration_flg: Type.Boolean(),
  comment: NullableOut(Type.String()),
  approx_lim_mag: Type.Number(),
  origin: NullableOut(Type.String()),
  telescope: NullableOut(Type.String()),
  aperture: NullableOut(Type.Number()),
  focal_length: NullableOut(Type.Number()),
  seeing: Type.Number(),
  filters: Type.String(),
  created: DateTime,
  modified: DateTime,
  authors: NullableOut(Type.String()),
  acknowledgements: NullableOut(Type.String()),
  cameras: Type.Array(CameraOut),
});
export type ObservatoryView = Static<typeof ObservatoryOut>;

/** A favourite (BHTOM ObservatoryMatrix) with BHTOM's fields, plus `id`, `oname`, `observatory`, `camera_name`. */
export const FavouriteOut = Type.Object({
  id: Type.Integer(),
  user: Type.Integer(),
  camera: Type.Integer(),
  oname: Type.String(),
  observatory: Type.String(),
  camera_name: Type.String(),
  active_flg: Type.Boolean(),
  comment: NullableOut(Type.String()),
  created: DateTime,
  modified: DateTime,
  number_of_uploaded_file: Type.Integer(),
  file_size: Type.Number({ description: "Bytes uploaded through this favourite" }),
  last_file_process: NullableOut(DateTime),
});
export type FavouriteView = Static<typeof FavouriteOut>;

export const Envelope = <T extends TSchema>(item: T) =>
  Type.Object({
    count: Type.Integer(),
    num_pages: Type.Integer(),
    current_page: Type.Integer(),
    data: Type.Array(item),
  });
