/**
 * What a target page's "Observe" panel and an observatory's "Tonight" show: a target's visibility and
 * exposure time at each of the viewer's favourite cameras, and each camera's plan for tonight — through
 * the same services as the API.
 */
import type { Executor } from "../../db/connection.ts";
import { BadRequestError, ValidationError } from "../errors.ts";
import type { Actor } from "../permissions.ts";
import { targetWithPosition } from "./common.ts";
import { planNight } from "./plan.ts";
import * as repo from "./repo.ts";
import type { ExposureTimeView, MagnitudeView, PlanView, VisibilityView } from "./schemas.ts";
import { exposureTime, visibility } from "./service.ts";

export interface ObserveRow {
  oname: string;
  observatory: string;
  visibility: VisibilityView;
  exposure: ExposureTimeView | null;
  /** Why there is no exposure (no calibrated frames, no magnitude). */
  exposureProblem: string | null;
}

export interface ObserveSummary {
  target: { name: string; ra: number; dec: number };
  magnitudes: MagnitudeView[];
  rows: ObserveRow[];
  /** The viewer has no (active) favourite cameras. */
  noFavourites: boolean;
}

const problem = (err: unknown): string => {
  if (err instanceof ValidationError) return Object.values(err.fields).flat().join(" ");
  if (err instanceof BadRequestError) return err.message;
  throw err;
};

/** The target at each of the viewer's favourite cameras, tonight (or on `date`). */
export async function observeTarget(
  db: Executor,
  actor: Actor,
  name: string,
  now: Date,
  opts: { date?: string; snr?: number } = {},
): Promise<ObserveSummary> {
  const target = await targetWithPosition(db, name);
  const cameras = await repo.favouriteCameras(db, actor.id);
  const byObservatory = new Map<string, VisibilityView>();
  const rows: ObserveRow[] = [];
  for (const { camera, observatory } of cameras) {
    let v = byObservatory.get(observatory.name);
    if (!v) {
      v = await visibility(db, { target: target.name, observatory: observatory.name, date: opts.date }, now);
      byObservatory.set(observatory.name, v);
    }
    let exposure: ExposureTimeView | null = null;
    let exposureProblem: string | null = null;
    try {
      exposure = await exposureTime(
        db,
        { oname: camera.prefix, target: target.name, date: v.date, snr: opts.snr },
        now,
      );
    } catch (err) {
      exposureProblem = problem(err);
    }
    rows.push({
      oname: camera.prefix,
      observatory: observatory.name,
      visibility: v,
      exposure,
      exposureProblem,
    });
  }
  const magnitudes = rows[0]?.visibility.magnitudes ?? [];
  return {
    target: { name: target.name, ra: target.ra, dec: target.dec },
    magnitudes,
    rows,
    noFavourites: cameras.length === 0,
  };
}

/** Tonight's plan of each camera given by ONAME (a camera's error becomes its `problem`). */
export async function plansFor(
  db: Executor,
  onames: string[],
  now: Date,
  date?: string,
): Promise<{ oname: string; plan: PlanView | null; problem: string | null }[]> {
  const out = [];
  for (const oname of onames) {
    try {
      out.push({ oname, plan: await planNight(db, { oname, date }, now), problem: null });
    } catch (err) {
      out.push({ oname, plan: null, problem: problem(err) });
    }
  }
  return out;
}

/** ONAMEs of the viewer's active favourite cameras. */
export async function favouriteOnames(db: Executor, actor: Actor): Promise<string[]> {
  return (await repo.favouriteCameras(db, actor.id)).map((c) => c.camera.prefix);
}
