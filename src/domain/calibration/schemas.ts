/**
 * Request shapes of the calibration endpoints (API guide: get-calibration-res, restart-calib-by-*). The
 * selection rules that need more than a type (exactly one of target_name / target_id, a known filter
 * request) are in service.ts.
 */
import { Type, type Static } from "@sinclair/typebox";
import { IntegerLike, NumberLike, PageField } from "../input.ts";

const ID_PATTERN = "^\\s*[+-]?\\d+\\s*$";

/** One value or a list: BHTOM2 iterated what it was given; skytom takes a single value as a list of one. */
const OneOrMany = (item: Record<string, unknown>, description: string) =>
  Type.Optional(
    Type.Unsafe<unknown>({
      ...item,
      type: ["array", ...(item.type as string[]), "null"],
      items: item,
      maxItems: 1000,
      description,
    }),
  );

export const CalibrationResultsBody = Type.Object({
  calibid: OneOrMany(
    { type: ["integer", "string"], maxLength: 20, pattern: ID_PATTERN },
    "Data product ids (the ids /upload/ answers)",
  ),
  filename: OneOrMany({ type: ["string"], maxLength: 500 }, "Substrings of stored file names"),
  files: OneOrMany(
    { type: ["integer", "string"], maxLength: 500 },
    "get_calib_res.py's field: numbers are data product ids, strings file-name substrings",
  ),
  getPlot: Type.Optional(
    Type.Unsafe<boolean | string | number | null>({
      type: ["boolean", "string", "integer", "null"],
      maxLength: 10,
      description: "Add the calibration plot as a data URL (true/false, True/False, 1/0)",
    }),
  ),
  page: PageField(),
});
export type CalibrationResultsInput = Static<typeof CalibrationResultsBody>;

/** A text selector or setting; the guide's examples send integers for some (filter, oname, status). */
const Text = (description: string, maxLength = 100) =>
  Type.Optional(
    Type.Unsafe<string | number | null>({ type: ["string", "integer", "null"], maxLength, description }),
  );

export const RestartBody = Type.Object({
  id_from: Type.Optional(IntegerLike("First calibration id of the range (by-id)")),
  id_to: Type.Optional(IntegerLike("Last calibration id of the range (by-id)")),
  target_name: Text("Exact target name (by-target; or target_id)"),
  target_id: Type.Optional(IntegerLike("Target id (by-target; or target_name)")),
  data_product_id: Type.Optional(IntegerLike("Data product id (by-dataproduct)")),
  mjd_min: Type.Optional(NumberLike("Only calibrations at or after this MJD (by-target)")),
  mjd_max: Type.Optional(NumberLike("Only calibrations at or before this MJD (by-target)")),
  filter: Text("New filter request, e.g. GaiaSP/V"),
  old_filter: Text("Only calibrations that ran with this filter request"),
  match_dist: Type.Optional(NumberLike("New matching radius, arcsec (≤ 0 = automatic)")),
  oname: Text("Only data products of this camera (ONAME)"),
  comment: Text("A note (not stored)", 10_000),
  status: Text("Only calibrations with this status letter (C, P, S, E)", 1),
  status_message: Text("Only calibrations whose status message contains this", 500),
});
export type RestartInput = Static<typeof RestartBody>;

export const RecalibrateBody = Type.Object({
  target: Text("Only data products of this target (exact name)", 100),
  oname: Text("Only data products of this camera (ONAME)"),
  dataproduct_ids: Type.Optional(
    Type.Unsafe<unknown>({
      type: ["array", "integer", "string", "null"],
      items: { type: ["integer", "string"], maxLength: 20, pattern: ID_PATTERN },
      maxItems: 10_000,
      maxLength: 20,
      description: "Only these data products (ids; one or a list)",
    }),
  ),
  mjd_min: Type.Optional(NumberLike("Only data products observed at or after this MJD")),
  mjd_max: Type.Optional(NumberLike("Only data products observed at or before this MJD")),
  survey: Text("Only data products whose current calibration used this survey (GaiaSP, GaiaDR3, 2MASS)", 32),
  filter: Text("New filter request, e.g. GaiaSP/V (default: each product's current one)"),
  match_dist: Type.Optional(NumberLike("New matching radius, arcsec (≤ 0 = automatic)")),
  dry_run: Type.Optional(
    Type.Unsafe<boolean | string | number | null>({
      type: ["boolean", "string", "integer", "null"],
      maxLength: 10,
      description: "Trial runs: recorded and comparable (compare-runs), the points are not switched",
    }),
  ),
});
export type RecalibrateInput = Static<typeof RecalibrateBody>;

const RunId = (description: string) => IntegerLike(description);
export const RunBody = Type.Object({ run: RunId("Calibration run id") });
export const CompareRunsBody = Type.Object({
  a: RunId("First calibration run id"),
  b: RunId("Second calibration run id (differences are b − a)"),
});

export const ListRunsBody = Type.Object({
  dataproduct: Type.Optional(IntegerLike("The runs of this data product")),
  runs: Type.Optional(
    Type.Array(Type.Integer(), { maxItems: 10_000, description: "Or these runs (as recalibrate answered)" }),
  ),
});
