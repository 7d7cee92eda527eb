/**
 * Input rules for observatories, cameras and favourites: BHTOM2's messages, the ONAME rule, the column
 * specs that map request fields to columns, and name cleaning (date-time filters: ../input.ts).
 * Pure helpers, no database access.
 */
import { checkColourIndex } from "../../astro/calibrate/colour.ts";
import { checkUnfilteredBand } from "../../astro/calibrate/unfiltered.ts";
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
  colour_terms: ["colourTerms", false],
  unfiltered_band: ["unfilteredBand", false],
  colour_index: ["colourIndex", true],
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
  if (typeof out.unfilteredBand === "string") {
    try {
      out.unfilteredBand = checkUnfilteredBand(out.unfilteredBand);
    } catch (e) {
      errors.unfiltered_band = [(e as Error).message];
    }
  }
  if (typeof out.colourIndex === "string") {
    try {
      out.colourIndex = checkColourIndex(out.colourIndex);
    } catch (e) {
      errors.colour_index = [(e as Error).message];
    }
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

export const present = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null && v !== "";
