/**
 * The network's night: for each target of importance ≥ min_importance, every active camera whose site
 * sees it above min_altitude in astronomical darkness on the night of `date` (local date at each site),
 * with the exposure reaching `snr` (at most max_exposure_s) at its best airmass and the S/N of that
 * exposure — from each camera's own calibration history (null without one or without a magnitude).
 */
import { airmassAt, altitudeGrid, altitudesOnGrid, windowsAbove } from "../../astro/altgrid.ts";
import { exposureForSnr, snrForExposure } from "../../astro/etc.ts";
import { computeNight, parseDateUtc, type Interval } from "../../astro/night.ts";
import { mjdFromDate } from "../../astro/time.ts";
import type { Executor } from "../../db/connection.ts";
import { ValidationError } from "../errors.ts";
import { observingPriority } from "../targets/derived.ts";
import { cameraModels, type CameraModel } from "./camera-model.ts";
import { magnitudeFor, predictMagnitudes } from "./magnitude.ts";
import { iso, nightMiddleMjd, siteOf } from "./night.ts";
import { roundExposure } from "./plan.ts";
import { groupBy } from "./group.ts";
import * as repo from "./repo.ts";
import type { NetworkPlanInput, NetworkPlanView } from "./schemas.ts";

const DEFAULTS = { min_importance: 5, min_altitude: 30, snr: 50, max_exposure_s: 600 } as const;
const r = (v: number, digits: number) => Number(v.toFixed(digits));

type CameraEntry = NetworkPlanView["targets"][number]["cameras"][number];

interface SiteInput {
  cameras: repo.CameraSite[];
  models: Map<number, CameraModel | null>;
  date: string;
}

/** One site's cameras for every target it sees tonight, appended to `byTarget`. */
function siteEntries(
  site: SiteInput,
  targets: repo.CandidateTarget[],
  pointsOf: Map<number, repo.CurvePoint[]>,
  s: typeof DEFAULTS,
  byTarget: Map<number, CameraEntry[]>,
): void {
  const observatory = site.cameras[0].observatory;
  const night = computeNight(siteOf(observatory), site.date);
  if (!night.dark) return;
  const middleMjd = nightMiddleMjd(night);
  const grid = altitudeGrid(siteOf(observatory), night.dark, 5);
  for (const t of targets) {
    const alts = altitudesOnGrid(grid, t.ra, t.dec);
    const windows = windowsAbove(grid, alts, s.min_altitude);
    if (!windows.length) continue;
    let best = 0;
    for (let k = 1; k < alts.length; k++) if (alts[k] > alts[best]) best = k;
    const bestAirmass = airmassAt(grid, alts, new Date(grid.timesMs[best])) ?? 1;
    const length = (w: Interval) => w.end.getTime() - w.start.getTime();
    const hours = windows.reduce((h, w) => h + length(w) / 3_600_000, 0);
    const longest = windows.reduce((a, w) => (length(w) > length(a) ? w : a));
    const mags = predictMagnitudes(pointsOf.get(t.id) ?? [], middleMjd, t);
    for (const c of site.cameras) {
      const model = site.models.get(c.camera.id) ?? null;
      const magnitude = magnitudeFor(mags, model?.filter ?? null);
      let exposureS: number | null = null;
      let snr: number | null = null;
      if (model && magnitude) {
        const needed = exposureForSnr(model.model, magnitude.predicted_mag, bestAirmass, s.snr);
        exposureS = Math.min(roundExposure(needed), s.max_exposure_s);
        snr = r(snrForExposure(model.model, magnitude.predicted_mag, bestAirmass, exposureS).snr, 1);
      }
      const entry: CameraEntry = {
        oname: c.camera.prefix,
        observatory: observatory.name,
        window: { start: iso(longest.start), end: iso(longest.end) },
        hours_observable: r(hours, 3),
        best_airmass: r(bestAirmass, 3),
        filter: model?.filter ?? magnitude?.filter ?? null,
        mag: magnitude ? r(magnitude.predicted_mag, 3) : null,
        exposure_s: exposureS,
        snr,
      };
      const list = byTarget.get(t.id);
      if (list) list.push(entry);
      else byTarget.set(t.id, [entry]);
    }
  }
}

export async function networkPlan(
  db: Executor,
  input: NetworkPlanInput,
  now: Date,
): Promise<NetworkPlanView> {
  const date = input.date ?? now.toISOString().slice(0, 10);
  if (!parseDateUtc(date))
    throw ValidationError.field(
      "date",
      "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
    );
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const s = { ...DEFAULTS, ...given } as typeof DEFAULTS;
  const targets = await repo.candidateTargets(db, s.min_importance);
  const nowMjd = mjdFromDate(now);
  const points = await repo.recentPoints(
    db,
    targets.map((t) => t.id),
    nowMjd + 2,
  );
  const pointsOf = groupBy(points, (p) => p.targetId);
  const sites = groupBy(await repo.activeCameras(db), (c) => c.observatory.id);
  const byTarget = new Map<number, CameraEntry[]>();
  for (const cameras of sites.values()) {
    const models = new Map<number, CameraModel | null>();
    for (const c of cameras)
      models.set(c.camera.id, cameraModels(await repo.cameraHistory(db, c.camera.id), c.camera)[0] ?? null);
    siteEntries({ cameras, models, date }, targets, pointsOf, s, byTarget);
  }
  const out: NetworkPlanView["targets"] = targets.map((t) => ({
    name: t.name,
    ra: t.ra,
    dec: t.dec,
    importance: t.importance,
    priority: r(observingPriority(t.importance, t.cadence, t.mjdLast, nowMjd).priority, 3),
    cameras: (byTarget.get(t.id) ?? []).sort(
      (a, b) => (b.snr ?? -1) - (a.snr ?? -1) || b.hours_observable - a.hours_observable,
    ),
  }));
  out.sort((a, b) => b.priority - a.priority || b.importance - a.importance || a.name.localeCompare(b.name));
  return { date, min_importance: s.min_importance, targets: out };
}
