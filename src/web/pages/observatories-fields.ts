/**
 * The fields of the observatory and camera forms (labels with units, help, input hints), the values an
 * edit form starts from, and the form → API-input steps the TypeBox schemas do not cover (clearing a
 * nullable field, emptying an optional FITS keyword). Names are the API's (src/domain/observatories/schemas.ts).
 */
import { NotFoundError } from "../../domain/errors.ts";
import { isStaff, type Actor } from "../../domain/permissions.ts";
import { LAT_LIMIT_DEG, LON_LIMIT_DEG } from "../../domain/observatories/schemas.ts";
import type { CameraView, ObservatoryView } from "../../domain/observatories/schemas.ts";

export interface FormField {
  name: string;
  label: string;
  type?: "text" | "number" | "textarea" | "checkbox";
  help?: string;
  required?: boolean;
  step?: string;
  placeholder?: string;
  inputmode?: string;
}

const num = (name: string, label: string, help?: string, placeholder?: string): FormField => ({
  name,
  label,
  type: "text",
  inputmode: "decimal",
  help,
  placeholder,
});

/** Location: name, longitude, latitude, altitude. */
export const LOCATION_FIELDS: FormField[] = [
  {
    name: "name",
    label: "Observatory name",
    required: true,
    help: "Unique. Cameras are named <observatory>_<camera> (the ONAME).",
  },
  num("lon", "Longitude (deg, east positive)", `−${LON_LIMIT_DEG} to ${LON_LIMIT_DEG}; west is negative.`),
  num(
    "lat",
    "Latitude (deg)",
    `North positive. Accepted −${LAT_LIMIT_DEG} to ${LAT_LIMIT_DEG} as BHTOM does; real sites are −90 to 90.`,
  ),
  num("altitude", "Altitude (m above sea level)", "−500 to 10 000.", "0"),
].map((f) => (f.name === "lon" || f.name === "lat" ? { ...f, required: true } : f));

/** Everything else about the observatory. */
export const OBSERVATORY_FIELDS: FormField[] = [
  {
    name: "calibration_flg",
    label: "Calibration only",
    type: "checkbox",
    help: "Only instrumental photometry is uploaded from this observatory, no FITS files.",
  },
  num("approx_lim_mag", "Approximate limiting magnitude (mag)", undefined, "18"),
  { name: "filters", label: "Filters", help: "Comma-separated.", placeholder: "V,R,I" },
  { name: "telescope", label: "Telescope" },
  num("aperture", "Aperture (m)"),
  num("focal_length", "Focal length (mm)"),
  num("seeing", "Typical seeing (arcsec)", undefined, "0"),
  { name: "origin", label: "Origin" },
  { name: "authors", label: "Authors" },
  { name: "acknowledgements", label: "Acknowledgements" },
  { name: "comment", label: "Comment", type: "textarea" },
];

export const CAMERA_FIELDS: FormField[] = [
  { name: "camera_name", label: "Camera name", required: true, help: "Unique within the observatory." },
  num("gain", "Gain (e⁻/ADU)", undefined, "2"),
  num("readout_noise", "Readout noise (e⁻)", undefined, "2"),
  { name: "binning", label: "Binning (pixels per side)", inputmode: "numeric", placeholder: "1" },
  num("saturation_level", "Saturation level (ADU)", undefined, "63000"),
  num("pixel_scale", "Pixel scale (arcsec/pixel)", undefined, "0.8"),
  num("readout_speed", "Readout speed (µs/pixel)", undefined, "9999"),
  num("pixel_size", "Pixel size (µm)", undefined, "13.5"),
  {
    name: "detector_width_px",
    label: "Detector width (pixels)",
    inputmode: "numeric",
    help: "Unbinned; with the pixel scale it gives the field of view drawn on finder charts.",
  },
  { name: "detector_height_px", label: "Detector height (pixels)", inputmode: "numeric" },
  { name: "date_time_keyword", label: "Date/time FITS keyword", placeholder: "DATE-OBS" },
  {
    name: "time_keyword",
    label: "Time FITS keyword",
    help: "When the date keyword holds only a date.",
    placeholder: "TIME-OBS",
  },
  { name: "exposure_time_keyword", label: "Exposure time FITS keyword", placeholder: "EXPTIME" },
  { name: "mode_recognition_keyword", label: "Readout mode FITS keyword", help: "Optional." },
  {
    name: "bayer_bands",
    label: "One-shot-colour bands",
    help:
      "Bayer (one-shot-colour) frames: the band each colour channel is calibrated to, as JSON. Empty = the " +
      "default. One band per channel, all different; a channel left out is not calibrated.",
    placeholder: '{"R": "GaiaSP/R", "G": "GaiaSP/V", "B": "GaiaSP/B"}',
  },
  { name: "additional_info", label: "Additional information", type: "textarea" },
  {
    name: "colour_terms",
    label: "Colour terms",
    type: "checkbox",
    help: "Fit the colour term m_inst − m_cat = ZP + k·(c − c₀) and correct the target for its colour (recommended; off gives the plain zero point).",
  },
  {
    name: "unfiltered_band",
    label: "Band for unfiltered frames",
    help: "FITS frames with FILTER Clear, C, CV, L, None or empty are calibrated to this band: GaiaDR3/G, or one GaiaSP band such as GaiaSP/R.",
    placeholder: "GaiaDR3/G",
  },
  {
    name: "colour_index",
    label: "Colour index of the colour terms",
    help: "The colour k multiplies, for every band: B-V, g-r, BP-RP or J-K. Empty = each band's own (B-V for Johnson, g-r for SDSS, BP-RP for Gaia and unfiltered frames, J-K for 2MASS).",
    placeholder: "each band's own",
  },
];

/** A new camera form's starting values (the model defaults that a form cannot leave out). */
export const NEW_CAMERA_VALUES: Record<string, string> = { colour_terms: "true" };

const str = (v: unknown) =>
  v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);

/** An edit form's starting values. */
export function observatoryValues(o: ObservatoryView): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of [...LOCATION_FIELDS, ...OBSERVATORY_FIELDS])
    out[f.name] = str((o as unknown as Record<string, unknown>)[f.name]);
  return out;
}

export function cameraValues(c: CameraView): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of CAMERA_FIELDS) out[f.name] = str((c as unknown as Record<string, unknown>)[f.name]);
  return out;
}

/** Observatory fields a user may empty in the edit form (nullable columns): "" → null. */
const NULLABLE_OBSERVATORY = [
  "comment",
  "origin",
  "telescope",
  "aperture",
  "focal_length",
  "authors",
  "acknowledgements",
];
/** Camera fields that may be empty strings, and those an empty field clears to null. */
const EMPTYABLE_CAMERA = ["time_keyword", "mode_recognition_keyword", "additional_info"];
const NULLABLE_CAMERA = ["detector_width_px", "detector_height_px", "bayer_bands", "colour_index"];

/**
 * After `checkForm` (which treats an empty field as not given): fields the edit form sent empty are
 * cleared, where the API allows it.
 */
export function withClearedFields<T extends object>(
  input: T,
  values: Record<string, string>,
  kind: "observatory" | "camera",
): T {
  const out = { ...input } as Record<string, unknown>;
  const keys = kind === "observatory" ? NULLABLE_OBSERVATORY : [...EMPTYABLE_CAMERA, ...NULLABLE_CAMERA];
  for (const k of keys) {
    if (values[k] !== undefined && values[k].trim() === "")
      out[k] = kind === "observatory" || NULLABLE_CAMERA.includes(k) ? null : "";
  }
  return out as T;
}

/** An observatory id from the URL; anything but a positive integer is a 404. */
export function observatoryId(raw: string): number {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw new NotFoundError("Observatory not found.");
  return Number(raw);
}

/** The owner of the observatory or staff may change it (the domain checks again on every write). */
export function canEdit(actor: Actor, ownerId: number | null | undefined): boolean {
  return isStaff(actor) || (ownerId !== null && ownerId !== undefined && ownerId === actor.id);
}
