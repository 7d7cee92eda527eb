/**
 * The network's night: for each target of importance ≥ min_importance, every active camera whose site
 * sees it above min_altitude in astronomical darkness on the night of `date` (local date at each site),
 * with the exposure reaching `snr` (at most max_exposure_s) at its best airmass and the S/N of that
 * exposure — from each camera's own calibration history (null without one or without a magnitude).
 */
import { airmassAt, altitudeGrid, altitudesOnGrid, windowsAbove } from "../../astro/altgrid.ts";
import { exposureForSnr, snrForExposure } from "../../astro/etc.ts";
import { computeNight, parseDateUtc } from "../../astro/night.ts";
import { mjdFromDate } from "../../astro/time.ts";
import type { Executor } from "../../db/connection.ts";
import { ValidationError } from "../errors.ts";
import { observingPriority } from "../targets/derived.ts";
import { cameraModels, type CameraModel } from "./camera-model.ts";
import { magnitudeFor, predictMagnitudes } from "./magnitude.ts";
import { iso, nightMiddleMjd, siteOf } from "./night.ts";
import { roundExposure } from "./plan.ts";
import * as repo from "./repo.ts";
import type { NetworkPlanInput, NetworkPlanView } from "./schemas.ts";

const DEFAULTS = { min_importance: 5, min_altitude: 30, snr: 50, max_exposure_s: 600 } as const;
const r = (v: number, digits: number) => Number(v.toFixed(digits));

type CameraEntry = NetworkPlanView["targets"][number]["cameras"][number];

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
  const s = {
    ...DEFAULTS,
    ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)),
  } as typeof DEFAULTS;
  const targets = await repo.candidateTargets(db, s.min_importance);
  const cameras = await repo.activeCameras(db);
  const nowMjd = mjdFromDate(now);
  const points = await repo.recentPoints(
    db,
    targets.map((t) => t.id),
    nowMjd + 2,
  );
  const pointsOf = new Map<number, repo.CurvePoint[]>();
  for (const p of points) pointsOf.set(p.targetId, [...(pointsOf.get(p.targetId) ?? []), p]);

  const byTarget = new Map<number, CameraEntry[]>();
  const sites = new Map<number, repo.CameraSite[]>();
  for (const c of cameras) sites.set(c.observatory.id, [...(sites.get(c.observatory.id) ?? []), c]);
  for (const siteCameras of sites.values()) {
    const observatory = siteCameras[0].observatory;
    const site = siteOf(observatory);
    const night = computeNight(site, date);
    if (!night.dark) continue;
    const middleMjd = nightMiddleMjd(night);
    const grid = altitudeGrid(site, night.dark, 5);
    const models = new Map<number, CameraModel | null>();
    for (const c of siteCameras) {
      models.set(c.camera.id, cameraModels(await repo.cameraHistory(db, c.camera.id), c.camera)[0] ?? null);
    }
    for (const t of targets) {
      const alts = altitudesOnGrid(grid, t.ra, t.dec);
      const windows = windowsAbove(grid, alts, s.min_altitude);
      if (!windows.length) continue;
      let best = 0;
      for (let k = 1; k < alts.length; k++) if (alts[k] > alts[best]) best = k;
      const bestAirmass = airmassAt(grid, alts, new Date(grid.timesMs[best])) ?? 1;
      const hours = windows.reduce((h, w) => h + (w.end.getTime() - w.start.getTime()) / 3_600_000, 0);
      const longest = windows.reduce((a, w) =>
        w.end.getTime() - w.start.getTime() > a.end.getTime() - a.start.getTime() ? w : a,
      );
      const mags = predictMagnitudes(pointsOf.get(t.id) ?? [], middleMjd, t);
      for (const c of siteCameras) {
        const model = models.get(c.camera.id) ?? null;
        const magnitude = magnitudeFor(mags, model?.filter ?? null);
        let exposureS: number | null = null;
        let snr: number | null = null;
        if (model && magnitude) {
          exposureS = Math.min(
            roundExposure(exposureForSnr(model.model, magnitude.predicted_mag, bestAirmass, s.snr)),
            s.max_exposure_s,
          );
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
        byTarget.set(t.id, [...(byTarget.get(t.id) ?? []), entry]);
      }
    }
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
