/**
 * A data product's calibration runs as the API, the CLI and the web page show them (docs/calibration-runs.md):
 * one run's whole record (get-run), the differences between two runs (compare-runs), every run of a data
 * product with its ΔZP and Δmag from the current one, and making an earlier run current again (use-run).
 * Who sees a run: whoever sees the calibration (the uploader, the observers, superusers) and staff; making
 * a run current is for staff.
 */
import { eq, inArray } from "drizzle-orm";
import { inTransaction, type Database, type Executor } from "../../db/connection.ts";
import { calibrationRuns, dataProducts } from "../../db/schema/index.ts";
import { BadRequestError, ForbiddenError, NotFoundError } from "../errors.ts";
import { isStaff, isSystem, requireStaff, type Caller } from "../permissions.ts";
import {
  currentRunId,
  currentRunIds,
  makeRunCurrent,
  runBands,
  runsOf,
  type RunBandRow,
  type RunRow,
} from "./runs.ts";
import { canSee } from "./service.ts";
import { bandColour } from "./colour.ts";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

async function mayRead(db: Executor, caller: Caller, dataProductId: number): Promise<void> {
  if (isSystem(caller) || isStaff(caller)) return;
  const [dp] = await db
    .select({ userId: dataProducts.userId, observers: dataProducts.observers })
    .from(dataProducts)
    .where(eq(dataProducts.id, dataProductId));
  if (dp && canSee(caller, dp)) return;
  throw new ForbiddenError(
    "Only the uploader, the observers, staff and superusers may see this calibration.",
  );
}

/** A run the caller may see, or NotFound/Forbidden. */
async function readableRun(db: Executor, caller: Caller, id: number): Promise<RunRow> {
  const [run] = await db.select().from(calibrationRuns).where(eq(calibrationRuns.id, id));
  if (!run) throw new NotFoundError(`Calibration run ${id} does not exist.`);
  await mayRead(db, caller, run.dataProductId);
  return run;
}

function bandItem(b: RunBandRow) {
  return {
    survey: b.survey,
    band: b.band,
    zeropoint: b.zeropoint,
    zeropoint_err: b.zeropointErr,
    scatter: b.scatter,
    outlier_fraction: b.outlierFraction,
    npoints: b.npoints,
    passed: b.passed,
    chosen: b.chosen,
    reason: b.reason,
    ...bandColour(b),
  };
}

/** The whole record of one run, as get-run answers it. */
export function runRecord(run: RunRow, bands: RunBandRow[], currentRun: number | null) {
  return {
    id: run.id,
    dataproduct: run.dataProductId,
    /** One-shot-colour channel (R, G, B); "" for an ordinary frame. */
    channel: run.channel,
    current: currentRun === run.id,
    /** The data product's current run (of the channel): another one when this run failed, was a trial or was replaced. */
    current_run: currentRun,
    status: run.status,
    status_message: run.statusMessage,
    reason: run.reason,
    make_current: run.makeCurrent,
    requested_by: run.requestedBy,
    created: iso(run.created),
    finished: iso(run.finished),
    calibration_version: run.algorithmVersion,
    skytom_version: run.skytomVersion,
    inputs: {
      file_sha256: run.fileSha256,
      catalogue_sha256: run.catalogueSha256,
      filter_request: run.filterRequest,
      match_dist: run.matchDistRequested,
      target_ra: run.targetRa,
      target_dec: run.targetDec,
      epoch_mjd: run.epochMjd,
      reference: {
        surveys: run.referenceSurveys,
        cone_radius_deg: run.coneRadiusDeg,
        stars: run.referenceStars,
        sha256: run.referenceSha256,
      },
      cuts: run.cuts,
    },
    outputs: {
      mag: run.mag,
      mag_error: run.magError,
      is_limit: run.isLimit,
      zeropoint: run.zeropoint,
      zeropoint_err: run.zeropointErr,
      scatter: run.scatter,
      outlier_fraction: run.outlierFraction,
      npoints: run.npoints,
      best_filter: run.bestFilter,
      survey: run.survey,
      match_distans: run.matchDist,
      light_curve_filter: run.lightCurveFilter,
      rows: run.rowsTotal,
      rows_usable: run.rowsUsable,
      stars_matched: run.starsMatched,
      stars_kept: run.starsKept,
      calibration_plot: run.calibrationPlot,
      processing_time: run.processingTime,
      quality_flag: run.qualityFlag,
      colour_term: run.colourTerm ?? null,
      bands: bands.map(bandItem),
    },
  };
}
export type RunRecord = ReturnType<typeof runRecord>;

/** POST /calibration/get-run/: one run's whole record. */
export async function getRun(db: Executor, caller: Caller, id: number): Promise<RunRecord> {
  const run = await readableRun(db, caller, id);
  return runRecord(run, await runBands(db, id), await currentRunId(db, run.dataProductId, run.channel));
}

const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);

/** POST /calibration/compare-runs/: b − a for the target and for every band either run fitted. */
export async function compareRuns(db: Executor, caller: Caller, a: number, b: number) {
  const [ra, rb] = [await readableRun(db, caller, a), await readableRun(db, caller, b)];
  const [ba, bb] = [await runBands(db, a), await runBands(db, b)];
  const key = (x: RunBandRow) => `${x.survey}/${x.band}`;
  const keys = [...new Set([...ba.map(key), ...bb.map(key)])];
  const bands = keys.map((k) => {
    const x = ba.find((r) => key(r) === k) ?? null;
    const y = bb.find((r) => key(r) === k) ?? null;
    return {
      survey: (x ?? y)!.survey,
      band: (x ?? y)!.band,
      zeropoint_a: x?.zeropoint ?? null,
      zeropoint_b: y?.zeropoint ?? null,
      delta_zeropoint: delta(x?.zeropoint ?? null, y?.zeropoint ?? null),
      scatter_a: x?.scatter ?? null,
      scatter_b: y?.scatter ?? null,
      npoints_a: x?.npoints ?? 0,
      npoints_b: y?.npoints ?? 0,
      passed_a: x?.passed ?? false,
      passed_b: y?.passed ?? false,
      chosen_a: x?.chosen ?? false,
      chosen_b: y?.chosen ?? false,
    };
  });
  const same = <T>(x: T, y: T) => JSON.stringify(x) === JSON.stringify(y);
  return {
    a,
    b,
    same_dataproduct: ra.dataProductId === rb.dataProductId,
    same_inputs: {
      file: ra.fileSha256 === rb.fileSha256 && ra.catalogueSha256 === rb.catalogueSha256,
      reference_stars: ra.referenceSha256 === rb.referenceSha256,
      filter_request: ra.filterRequest === rb.filterRequest,
      match_dist: ra.matchDistRequested === rb.matchDistRequested,
      cuts: same(ra.cuts, rb.cuts),
      calibration_version: ra.algorithmVersion === rb.algorithmVersion,
    },
    target: {
      status_a: ra.status,
      status_b: rb.status,
      mag_a: ra.mag,
      mag_b: rb.mag,
      delta_mag: delta(ra.mag, rb.mag),
      mag_error_a: ra.magError,
      mag_error_b: rb.magError,
      filter_a: ra.lightCurveFilter,
      filter_b: rb.lightCurveFilter,
      zeropoint_a: ra.zeropoint,
      zeropoint_b: rb.zeropoint,
      delta_zeropoint: delta(ra.zeropoint, rb.zeropoint),
      scatter_a: ra.scatter,
      scatter_b: rb.scatter,
      npoints_a: ra.npoints,
      npoints_b: rb.npoints,
    },
    bands,
  };
}

/** One run in a data product's list: its record's main fields and the differences from the current run. */
export interface RunListItem {
  run: RunRow;
  current: boolean;
  /** This run's ZP − the current run's (same band or not), mag; null when either has none. */
  deltaZeropoint: number | null;
  /** This run's target magnitude − the current run's, mag. */
  deltaMag: number | null;
}

/** Every run of a data product (oldest first) with ΔZP and Δmag from the current run. */
export async function listRuns(db: Executor, caller: Caller, dataProductId: number): Promise<RunListItem[]> {
  await mayRead(db, caller, dataProductId);
  const runs = await runsOf(db, dataProductId);
  // One current run per channel ("" for an ordinary frame); deltas are from the same channel's.
  const currentIds = await currentRunIds(db, dataProductId);
  return runs.map((run) => {
    const currentId = currentIds.get(run.channel);
    const cur = runs.find((r) => r.id === currentId) ?? null;
    return {
      run,
      current: run.id === currentId,
      deltaZeropoint: cur ? delta(cur.zeropoint, run.zeropoint) : null,
      deltaMag: cur ? delta(cur.mag, run.mag) : null,
    };
  });
}

/** A run list item as the API answers it (list-runs). */
export function runSummary(i: RunListItem) {
  const r = i.run;
  return {
    id: r.id,
    dataproduct: r.dataProductId,
    channel: r.channel,
    current: i.current,
    status: r.status,
    status_message: r.statusMessage,
    reason: r.reason,
    make_current: r.makeCurrent,
    created: iso(r.created),
    finished: iso(r.finished),
    calibration_version: r.algorithmVersion,
    filter_request: r.filterRequest,
    mag: r.mag,
    mag_error: r.magError,
    light_curve_filter: r.lightCurveFilter,
    zeropoint: r.zeropoint,
    scatter: r.scatter,
    npoints: r.npoints,
    delta_zeropoint: i.deltaZeropoint,
    delta_mag: i.deltaMag,
  };
}

/**
 * POST /calibration/list-runs/: the runs of one data product (`dataproduct`), or the runs named in `runs`
 * (what a recalibration answered: to follow their progress), each with ΔZP and Δmag from its product's
 * current run. Runs the caller may not see are left out of a `runs` list.
 */
export async function listRunSummaries(
  db: Executor,
  caller: Caller,
  q: { dataproduct?: number; runs?: number[] },
) {
  if (q.dataproduct !== undefined) return (await listRuns(db, caller, q.dataproduct)).map(runSummary);
  if (!q.runs) throw new BadRequestError("Give 'dataproduct' (a data product id) or 'runs' (run ids).");
  const rows = q.runs.length
    ? await db.select().from(calibrationRuns).where(inArray(calibrationRuns.id, q.runs))
    : [];
  const byProduct = new Map<number, RunListItem[]>();
  const out = [];
  for (const run of rows.sort((a, b) => a.id - b.id)) {
    let items = byProduct.get(run.dataProductId);
    if (!items) {
      try {
        items = await listRuns(db, caller, run.dataProductId);
      } catch (err) {
        if (err instanceof ForbiddenError) items = [];
        else throw err;
      }
      byProduct.set(run.dataProductId, items);
    }
    const item = items.find((i) => i.run.id === run.id);
    if (item) out.push(runSummary(item));
  }
  return out;
}

/**
 * POST /calibration/use-run/ (staff): make a finished run its data product's current one again — the
 * calibration row, per-band table and light-curve point get exactly that run's values, in one transaction.
 */
export async function useRun(database: Database, caller: Caller, id: number): Promise<RunRecord> {
  requireStaff(caller);
  return inTransaction(database, async (tx) => {
    const run = await readableRun(tx, caller, id);
    if (run.status === "E")
      throw new BadRequestError(
        `Calibration run ${id} failed (${run.statusMessage || "no message"}): a failed run cannot be made current.`,
      );
    if (run.status !== "S")
      throw new BadRequestError(`Calibration run ${id} has not finished (status ${run.status}).`);
    await makeRunCurrent(tx, run);
    return runRecord(run, await runBands(tx, id), id);
  });
}
