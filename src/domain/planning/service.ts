/**
 * Night planning (issue #19): a target's visibility from an observatory, its predicted magnitude, and the
 * exposure a camera needs — from the camera's own calibration history. Each camera's plan is in plan.ts,
 * the network view in network.ts, finder charts in finder.ts; all are re-exported here.
 */
import { exposureForSnr, limitingMag, saturationExposureS, snrForExposure } from "../../astro/etc.ts";
import { computeNight, sunAltitudeDeg } from "../../astro/night.ts";
import { computeVisibility } from "../../astro/visibility.ts";
import type { Executor } from "../../db/connection.ts";
import { ValidationError } from "../errors.ts";
import { bandOf, type CameraModel } from "./camera-model.ts";
import {
  bestAirmass,
  cameraByOname,
  cameraModelView,
  modelFor,
  observatoryByName,
  requireCameraModels,
  targetMagnitudes,
  targetWithPosition,
} from "./common.ts";
import { magnitudeFor } from "./magnitude.ts";
import { chosenDate, iso, isoOrNull, nightMiddleMjd, nightView, siteOf } from "./night.ts";
import type {
  ExposureTimeInput,
  ExposureTimeView,
  MagnitudeView,
  VisibilityInput,
  VisibilityView,
} from "./schemas.ts";

export { networkPlan } from "./network.ts";
export { planNight } from "./plan.ts";
export { planCsv, planText } from "./exports.ts";
export { finderChart } from "./finder.ts";

const DEFAULT_MIN_ALTITUDE_DEG = 30;
const DEFAULT_SNR = 50;
const r = (v: number, digits: number) => Number(v.toFixed(digits));

export async function visibility(db: Executor, input: VisibilityInput, now: Date): Promise<VisibilityView> {
  const target = await targetWithPosition(db, input.target);
  const observatory = await observatoryByName(db, input.observatory);
  const site = siteOf(observatory);
  const date = chosenDate(input.date, site, now);
  const minAltitude = input.min_altitude ?? DEFAULT_MIN_ALTITUDE_DEG;
  const night = computeNight(site, date);
  const v = computeVisibility(target.ra, target.dec, site, night, minAltitude, (t) =>
    sunAltitudeDeg(t, site),
  );
  const reasons: Record<string, string> = { ...v.pass.reasons };
  if (v.reason) reasons.hours_observable = v.reason;
  return {
    date,
    min_altitude: minAltitude,
    observatory: {
      name: observatory.name,
      lon: observatory.lon,
      lat: observatory.lat,
      altitude: observatory.altitude,
    },
    night: nightView(night),
    target: {
      name: target.name,
      ra: target.ra,
      dec: target.dec,
      rise: isoOrNull(v.pass.rise),
      transit: isoOrNull(v.pass.transit),
      set: isoOrNull(v.pass.set),
      max_altitude_deg: r(v.maxAltitudeNightDeg, 3),
      culmination_altitude_deg: r(v.pass.culminationAltDeg, 3),
      hours_observable: r(v.hoursObservable, 3),
      windows: v.windows.map((w) => ({ start: iso(w.start), end: iso(w.end) })),
      circumpolar: v.pass.circumpolar,
      never_rises: v.pass.neverRises,
      reasons,
    },
    moon: {
      illumination: r(v.moon.illumination, 3),
      min_separation_deg: v.moon.minSeparationDeg === null ? null : r(v.moon.minSeparationDeg, 2),
    },
    samples: v.samples.map((s) => ({
      time: iso(s.time),
      altitude_deg: r(s.altDeg, 3),
      airmass: s.airmass === null ? null : r(s.airmass, 3),
      moon_altitude_deg: r(s.moonAltDeg, 3),
      moon_separation_deg: r(s.moonSeparationDeg, 2),
      sun_altitude_deg: r(s.sunAltDeg, 3),
    })),
    magnitudes: await targetMagnitudes(db, target, nightMiddleMjd(night)),
  };
}

export async function exposureTime(
  db: Executor,
  input: ExposureTimeInput,
  now: Date,
): Promise<ExposureTimeView> {
  if (input.mag === undefined && input.target === undefined) {
    throw new ValidationError({ mag: ["Give a target or a mag."], target: ["Give a target or a mag."] });
  }
  const { camera, observatory } = await cameraByOname(db, input.oname);
  const models = await requireCameraModels(db, camera);
  const site = siteOf(observatory);
  const date = chosenDate(input.date, site, now);
  const night = computeNight(site, date);
  const target = input.target === undefined ? null : await targetWithPosition(db, input.target);
  const magnitudes = target ? await targetMagnitudes(db, target, nightMiddleMjd(night)) : [];

  let model: CameraModel | null;
  if (input.filter !== undefined) {
    model = modelFor(models, input.filter);
    if (!model) {
      throw ValidationError.field(
        "filter",
        `${camera.prefix} has no calibrated frames in ${input.filter}; it has ${models.map((m) => m.filter).join(", ")}.`,
      );
    }
  } else {
    model = models.find((m) => magnitudes.some((g) => bandOf(g.filter) === bandOf(m.filter))) ?? models[0];
  }
  let magnitude: MagnitudeView | null = null;
  let mag = input.mag;
  if (mag === undefined) {
    magnitude = magnitudeFor(magnitudes, model.filter);
    if (!magnitude) {
      throw ValidationError.field("target", `${target?.name} has no magnitude to predict from; give a mag.`);
    }
    mag = magnitude.predicted_mag;
  }

  let airmass = input.airmass ?? null;
  let airmassSource = "given";
  if (airmass === null && target) {
    const v = computeVisibility(target.ra, target.dec, site, night, 0, (t) => sunAltitudeDeg(t, site));
    airmass = bestAirmass(v);
    airmassSource = "best tonight";
  }
  if (airmass === null) {
    airmass = 1;
    airmassSource = "default";
  }
  const snr = input.snr ?? DEFAULT_SNR;
  const exposureS = exposureForSnr(model.model, mag, airmass, snr);
  const saturationS = saturationExposureS(model.model, mag, airmass);
  const given =
    input.exposure_s === undefined ? null : snrForExposure(model.model, mag, airmass, input.exposure_s);
  return {
    oname: camera.prefix,
    filter: model.filter,
    mag: r(mag, 4),
    magnitude,
    airmass: r(airmass, 4),
    airmass_source: airmassSource,
    snr,
    exposure_s: r(exposureS, 3),
    saturation_exposure_s: r(saturationS, 3),
    saturated: exposureS > saturationS,
    limiting_mag_5sigma: r(limitingMag(model.model, airmass, exposureS), 3),
    given_exposure:
      given && input.exposure_s !== undefined
        ? {
            exposure_s: input.exposure_s,
            snr: r(given.snr, 3),
            mag_error: r(given.magErr, 5),
            saturated: given.saturated,
          }
        : null,
    model: cameraModelView(model),
  };
}
