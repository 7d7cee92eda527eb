/**
 * Reference surveys, their bands, and the "force filter" request strings of BHTOM uploads
 * (calibration.md §4.1 Catalog table and naming conventions, §4.2 which bands are tried).
 *
 * Active surveys only: GaiaSP (Gaia DR3 synthetic photometry, SDSS-like ugriz + Johnson–Kron–Cousins
 * UBVRI), GaiaDR3 (G, GBP, GRP), 2MASS (J, H, K). Request grammar:
 *   `no`                      every band of every survey ("Auto");
 *   `<survey>/any`            every band of that survey;
 *   `GaiaSP/ugriz`, `GaiaSP/UBVRI`   one GaiaSP family;
 *   `<survey>/<band>`         that band only;
 *   `any/<band>`              every survey having that band (legacy `useSurvey='any'`).
 * Case (calibration.md gives names only in canonical case; BHTOM forms send them so): survey names and
 * the keywords `no`, `any`, `ugriz`, `UBVRI` match case-insensitively (they are unambiguous). A band name
 * matches exactly first; otherwise a case-insensitive match is accepted only when it is unique in that
 * survey — so GaiaSP's u/U, g, r/R, i/I stay distinct, while `2MASS/k`, `GaiaDR3/gbp`, `GaiaSP/v` resolve.
 * `any/<band>` matches bands exactly (else `any/G` would also pick GaiaSP g). Whitespace is trimmed.
 */

export const SURVEYS = ["GaiaSP", "GaiaDR3", "2MASS"] as const;
export type Survey = (typeof SURVEYS)[number];

export const SURVEY_BANDS = {
  GaiaSP: ["u", "g", "r", "i", "z", "U", "B", "V", "R", "I"],
  GaiaDR3: ["G", "GBP", "GRP"],
  "2MASS": ["J", "H", "K"],
} as const satisfies Record<Survey, readonly string[]>;

export type Band = (typeof SURVEY_BANDS)[Survey][number];

/** GaiaSP band families selectable as one request. */
export const GAIASP_FAMILIES = {
  ugriz: ["u", "g", "r", "i", "z"],
  UBVRI: ["U", "B", "V", "R", "I"],
} as const;

/** Every request string offered by BHTOM's "force filter" list (calibration.md §4.1). */
export const FILTER_REQUESTS = [
  "no",
  "2MASS/J",
  "2MASS/H",
  "2MASS/K",
  "2MASS/any",
  ...SURVEY_BANDS.GaiaSP.map((b) => `GaiaSP/${b}` as const),
  "GaiaSP/any",
  "GaiaSP/ugriz",
  "GaiaSP/UBVRI",
  "GaiaDR3/any",
  "GaiaDR3/G",
  "GaiaDR3/GBP",
  "GaiaDR3/GRP",
] as const;

/** BHTOM default request (upload form and CCDPhotJob.use_catalog = 39). */
export const DEFAULT_FILTER_REQUEST = "GaiaSP/any";

export interface SurveyBand {
  survey: Survey;
  band: Band;
}

export interface FilterRequest {
  /** The request as given (trimmed). */
  text: string;
  /** Candidate bands in survey order, then band order of SURVEY_BANDS. */
  candidates: SurveyBand[];
  /** True when a single band was forced. */
  forced: boolean;
}

/** Error for a request string that names no known survey/band. */
export class FilterRequestError extends Error {
  readonly input: string;
  constructor(input: string, message: string) {
    super(message);
    this.name = "FilterRequestError";
    this.input = input;
  }
}

const surveyByLower = new Map<string, Survey>(SURVEYS.map((s) => [s.toLowerCase(), s]));

function allBands(survey: Survey): SurveyBand[] {
  return SURVEY_BANDS[survey].map((band) => ({ survey, band }));
}

/** Resolves a band name within a survey (case rule above); undefined if unknown. */
export function resolveBand(survey: Survey, name: string, exactOnly = false): Band | undefined {
  const bands: readonly Band[] = SURVEY_BANDS[survey];
  const exact = bands.find((b) => b === name);
  if (exact || exactOnly) return exact;
  const folded = bands.filter((b) => b.toLowerCase() === name.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

/**
 * Parses a force-filter request (`GaiaSP/any`, `GaiaSP/V`, `2MASS/J`, `no`, …) into candidate bands.
 * Throws FilterRequestError with a message naming the bad part.
 */
export function parseFilterRequest(input: string): FilterRequest {
  const text = input.trim();
  if (text.toLowerCase() === "no") {
    return { text, candidates: SURVEYS.flatMap(allBands), forced: false };
  }
  const parts = text.split("/");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
    throw new FilterRequestError(
      input,
      `filter "${input}": expected "SURVEY/FILTER" (e.g. "GaiaSP/V") or "no"`,
    );
  }
  const [surveyText, bandText] = parts.map((p) => p.trim());
  const known = `known surveys: ${SURVEYS.join(", ")}`;

  if (surveyText.toLowerCase() === "any") {
    if (bandText.toLowerCase() === "any")
      return { text, candidates: SURVEYS.flatMap(allBands), forced: false };
    const candidates = SURVEYS.flatMap((s) => {
      const band = resolveBand(s, bandText, true);
      return band ? [{ survey: s, band }] : [];
    });
    if (candidates.length === 0) {
      throw new FilterRequestError(input, `filter "${input}": no survey has band "${bandText}"`);
    }
    return { text, candidates, forced: candidates.length === 1 };
  }

  const survey = surveyByLower.get(surveyText.toLowerCase());
  if (!survey)
    throw new FilterRequestError(input, `filter "${input}": unknown survey "${surveyText}" (${known})`);
  if (bandText.toLowerCase() === "any") return { text, candidates: allBands(survey), forced: false };
  if (survey === "GaiaSP") {
    for (const [family, bands] of Object.entries(GAIASP_FAMILIES)) {
      if (bandText.toLowerCase() === family.toLowerCase()) {
        return { text, candidates: bands.map((band) => ({ survey, band })), forced: false };
      }
    }
  }
  const band = resolveBand(survey, bandText);
  if (!band) {
    throw new FilterRequestError(
      input,
      `filter "${input}": unknown band "${bandText}" for ${survey} (bands: ${SURVEY_BANDS[survey].join(" ")}, or any)`,
    );
  }
  return { text, candidates: [{ survey, band }], forced: true };
}

/**
 * The surveys a force-filter request needs reference stars from, in SURVEYS order (`GaiaSP/V` → GaiaSP;
 * `no` and `any/…` → every survey with a candidate band). A request that does not parse needs every survey:
 * the calibration reports the bad request itself.
 */
export function surveysOfRequest(input: string): Survey[] {
  let candidates: SurveyBand[];
  try {
    candidates = parseFilterRequest(input).candidates;
  } catch (err) {
    if (err instanceof FilterRequestError) return [...SURVEYS];
    throw err;
  }
  return SURVEYS.filter((s) => candidates.some((c) => c.survey === s));
}

/** Light-curve filter name `BAND(SURVEY)`, e.g. `V(GaiaSP)` (calibration.md §4.1; ReducedDatum.filter). */
export function lightCurveFilterName(survey: Survey, band: Band): string {
  return `${band}(${survey})`;
}

/** Inverse of lightCurveFilterName (regex `(\w+)\((\w+)\)`); undefined for other names. */
export function parseLightCurveFilterName(name: string): SurveyBand | undefined {
  const m = /^(\w+)\((\w+)\)$/.exec(name.trim());
  if (!m) return undefined;
  const survey = SURVEYS.find((s) => s === m[2]);
  if (!survey) return undefined;
  const band = SURVEY_BANDS[survey].find((b: string) => b === m[1]);
  return band ? { survey, band } : undefined;
}

/** `SURVEY/BAND` as shown in "standardised_to" (e.g. `GaiaSP/R`). */
export function standardisedToName(survey: Survey, band: Band): string {
  return `${survey}/${band}`;
}

/** One band of a reference catalogue: magnitudes and 1σ errors aligned with the catalogue positions. */
export interface ReferenceBand {
  survey: Survey;
  mag: Float64Array;
  err: Float64Array;
}

/**
 * Reference catalogue for one frame (e.g. the GaiaSP cone around the field centre). Positions in deg
 * (ICRS, epoch of the survey); missing magnitudes are NaN.
 */
export interface ReferenceCatalogue {
  raDeg: Float64Array;
  decDeg: Float64Array;
  bands: Partial<Record<Band, ReferenceBand>>;
}

/** `GaiaSP`, `gaiasp`, … → the canonical survey name; undefined when unknown. */
export function parseSurvey(text: string): Survey | undefined {
  return SURVEYS.find((s) => s.toLowerCase() === text.trim().toLowerCase());
}
