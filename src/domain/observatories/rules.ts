/**
 * Input rules for observatories, cameras and favourites: BHTOM2's messages, the ONAME rule, the column
 * specs that map request fields to columns, name cleaning, and date-time parsing for list filters.
 * Pure helpers, no database access.
 */
import { ValidationError, type FieldErrors } from "../errors.ts";
import { ONAME_MAX_LENGTH } from "./schemas.ts";

/** BHTOM2's messages (§D.2), kept word for word; plus skytom's own for cases BHTOM2 answered with a 500. */
export const MESSAGES = {
  cameraRequired: "Either (Observatory and Camera) or ONAME is required",
  noObservatory: "Observatory with this name does not exist",
  noCamera: "Camera with this name does not exist for this observatory",
  notActive: "Observatory is not active",
  alreadyFavourite: "This observatory already exists in yours favourite list",
  notFavourite: "This observatory is not in your favourite list",
  noOname: "Camera with this ONAME does not exist",
  duplicateName: "observatory with this Observatory name already exists.",
  duplicateCamera: "This observatory already has a camera with this name.",
} as const;

const DATETIME_MESSAGE =
  "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";

/** The ONAME of a camera. */
export function onameOf(observatoryName: string, cameraName: string): string {
  return `${observatoryName}_${cameraName}`;
}

// ------------------------------------------------------------------------------------------------ input rules

type ColumnSpec = Readonly<Record<string, readonly [column: string, nullable: boolean]>>;

export const OBSERVATORY_COLUMNS = {
  lon: ["lon", false],
  lat: ["lat", false],
  altitude: ["altitude", false],
  calibration_flg: ["calibrationFlg", false],
  comment: ["comment", true],
  approx_lim_mag: ["approxLimMag", false],
  filters: ["filters", false],
  origin: ["origin", true],
  telescope: ["telescope", true],
  aperture: ["aperture", true],
  focal_length: ["focalLength", true],
  seeing: ["seeing", false],
  authors: ["authors", true],
  acknowledgements: ["acknowledgements", true],
} as const satisfies ColumnSpec;

export const CAMERA_COLUMNS = {
  gain: ["gain", false],
  readout_noise: ["readoutNoise", false],
  binning: ["binning", false],
  saturation_level: ["saturationLevel", false],
  pixel_scale: ["pixelScale", false],
  readout_speed: ["readoutSpeed", false],
  pixel_size: ["pixelSize", false],
  detector_width_px: ["detectorWidthPx", true],
  detector_height_px: ["detectorHeightPx", true],
  date_time_keyword: ["dateTimeKeyword", false],
  time_keyword: ["timeKeyword", false],
  exposure_time_keyword: ["exposureTimeKeyword", false],
  mode_recognition_keyword: ["modeRecognitionKeyword", false],
  additional_info: ["additionalInfo", false],
} as const satisfies ColumnSpec;

/** Present fields → column values; `null` only where the column may be empty. */
export function columnsFrom(input: object, spec: ColumnSpec, errors: FieldErrors): Record<string, unknown> {
  const values = input as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, [column, nullable]] of Object.entries(spec)) {
    const v = values[key];
    if (v === undefined) continue;
    if (v === null && !nullable) errors[key] = ["This field may not be null."];
    else out[column] = v;
  }
  return out;
}

function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A name as DRF's CharField cleans it (surrounding whitespace trimmed); undefined after an error. */
export function cleanName(
  value: string | null | undefined,
  key: string,
  errors: FieldErrors,
): string | undefined {
  if (value === undefined) {
    errors[key] = ["This field is required."];
    return undefined;
  }
  if (value === null) {
    errors[key] = ["This field may not be null."];
    return undefined;
  }
  const name = value.trim();
  if (!name) errors[key] = ["This field may not be blank."];
  else if (hasControlCharacters(name)) errors[key] = ["Control characters are not allowed."];
  else return name;
  return undefined;
}

export function checkOnameLength(oname: string, key: string, errors: FieldErrors): void {
  if (oname.length > ONAME_MAX_LENGTH) {
    errors[key] = [
      `The ONAME "<observatory>_<camera>" would have ${oname.length} characters; at most ${ONAME_MAX_LENGTH} are allowed.`,
    ];
  }
}

export function throwIfAny(errors: FieldErrors): void {
  if (Object.keys(errors).length) throw new ValidationError(errors);
}

const DATETIME_RE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * An ISO 8601 date-time as Django parses it: `2023-09-28T10:00:00Z`, `2023-09-28T10:00:00.123+02:00`,
 * `2023-09-28 10:00`, `2023-01-01T0:00:01Z`, or a bare date (midnight). Naive times are UTC. Null if invalid.
 */
export function parseDateTime(text: string): Date | null {
  const m = DATETIME_RE.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0));
  const ms = Number(((m[7] ?? "") + "000").slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (new Date(t).getUTCDate() !== day) return null; // 31 April, 29 February of a common year
  let offsetMin = 0;
  const tz = m[8];
  if (tz && tz.toUpperCase() !== "Z") {
    const digits = tz.slice(1).replace(":", "");
    const hh = Number(digits.slice(0, 2));
    const mm = Number(digits.slice(2) || 0);
    if (hh > 23 || mm > 59) return null;
    offsetMin = (tz[0] === "-" ? -1 : 1) * (hh * 60 + mm);
  }
  return new Date(t - offsetMin * 60_000);
}

/** A date-time filter: null, "" and absent mean no filter. */
export function dateFilter(
  value: string | null | undefined,
  key: string,
  errors: FieldErrors,
): Date | undefined {
  if (value === undefined || value === null || value.trim() === "") return undefined;
  const d = parseDateTime(value);
  if (!d) errors[key] = [DATETIME_MESSAGE];
  return d ?? undefined;
}

export const present = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null && v !== "";
