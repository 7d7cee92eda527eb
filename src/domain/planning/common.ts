/** Lookups and views shared by the planning services: targets, observatories, cameras, models. */
import type { Visibility } from "../../astro/visibility.ts";
import type { Executor } from "../../db/connection.ts";
import { BadRequestError, NotFoundError, ValidationError } from "../errors.ts";
import * as observatoryRepo from "../observatories/repo.ts";
import { MESSAGES } from "../observatories/rules.ts";
import * as targets from "../targets/service.ts";
import { bandOf, cameraModels, type CameraModel } from "./camera-model.ts";
import { predictMagnitudes } from "./magnitude.ts";
import * as repo from "./repo.ts";
import type { CameraModelView, MagnitudeView } from "./schemas.ts";

const r = (v: number, digits: number) => Number(v.toFixed(digits));

/** A target with a position, or 404 / 400. */
export async function targetWithPosition(db: Executor, name: string, field = "target") {
  const target = await targets.findTargetByNameOrAlias(db, name);
  if (!target) throw new NotFoundError(`Target ${JSON.stringify(name)} does not exist.`);
  if (target.ra === null || target.dec === null) {
    throw ValidationError.field(field, `Target ${target.name} has no position.`);
  }
  return { ...target, ra: target.ra, dec: target.dec };
}

/** An observatory by name, or the observatory of a camera given by its ONAME. */
export async function observatoryByName(db: Executor, name: string): Promise<observatoryRepo.ObservatoryRow> {
  const byName = await observatoryRepo.findObservatoryByName(db, name);
  if (byName) return byName;
  const camera = await observatoryRepo.findCameraWithObservatory(db, name, false);
  if (camera) return camera.observatory;
  throw new NotFoundError(`Observatory ${JSON.stringify(name)} does not exist.`);
}

/** A camera with its observatory by ONAME (active or not), or 404. */
export async function cameraByOname(db: Executor, oname: string) {
  const row = await observatoryRepo.findCameraWithObservatory(db, oname, false);
  if (!row) throw new NotFoundError(MESSAGES.noOname);
  return row;
}

/** Predicted magnitudes of one target at an MJD. */
export async function targetMagnitudes(
  db: Executor,
  target: { id: number; magLast: number; filterLast: string; mjdLast: number },
  atMjd: number,
): Promise<MagnitudeView[]> {
  const points = await repo.recentPoints(db, [target.id], atMjd);
  return predictMagnitudes(points, atMjd, target);
}

/** The lowest airmass inside the observable windows (samples and the transit), or null. */
export function bestAirmass(v: Visibility): number | null {
  const inside = (t: Date) => v.windows.some((w) => t >= w.start && t <= w.end);
  const values = v.samples
    .filter((s) => inside(s.time) && s.airmass !== null)
    .map((s) => s.airmass as number);
  return values.length ? Math.min(...values) : null;
}

export function cameraModelView(m: CameraModel): CameraModelView {
  return {
    filter: m.filter,
    frames: m.frames,
    last_frame_mjd: m.lastFrameMjd,
    zero_point_mag: r(m.model.zeroPointMag, 4),
    zero_point_scatter_mag: r(m.zeroPointScatterMag, 4),
    extinction_mag_per_airmass: r(m.model.extinctionMagPerAirmass, 4),
    extinction_source: m.extinctionSource,
    sky_adu_per_px_per_s: r(m.model.skyAduPerPxPerS, 4),
    fwhm_px: r(m.model.fwhmPx, 3),
    fwhm_arcsec: m.fwhmArcsec === null ? null : r(m.fwhmArcsec, 3),
    aperture_radius_px: r(m.model.apertureRadiusPx, 3),
    aperture_correction_mag: r(m.model.apertureCorrectionMag, 4),
    gain: m.model.gainEPerAdu,
    read_noise: m.model.readNoiseE,
    saturation_level: m.model.saturationAdu,
  };
}

/** The camera's models (most observed filter first); 400 when it has no calibrated FITS frames yet. */
export async function requireCameraModels(
  db: Executor,
  camera: observatoryRepo.CameraRow,
): Promise<CameraModel[]> {
  const models = cameraModels(await repo.cameraHistory(db, camera.id), camera);
  if (!models.length) {
    throw new BadRequestError(
      `${camera.prefix} has no calibrated FITS frames yet: the exposure-time calculator learns each camera's ` +
        "zero point, sky and seeing from its own frames. Upload a few FITS images through it first.",
    );
  }
  return models;
}

/** The model for a filter: the same filter, else the same band of another survey; null when none. */
export function modelFor(models: CameraModel[], filter: string): CameraModel | null {
  return (
    models.find((m) => m.filter === filter) ?? models.find((m) => bandOf(m.filter) === bandOf(filter)) ?? null
  );
}
