/**
 * Visibility of a fixed (J2000) target from a site during one night: rise, transit and set, the altitude
 * and airmass every 10 minutes, the windows above an altitude limit in astronomical darkness, and the
 * Moon (altitude, illumination, separation from the target).
 *
 * Rise and set: the target crossing the horizon with standard refraction, as astronomy-engine
 * `SearchRiseSet` finds them for a star (`DefineStar`): geometric altitude −34′ · ρ(h), ρ(h) the U.S.
 * Standard Atmosphere (1976) density at the site's height relative to sea level. Transit: the upper
 * culmination (hour angle 0, `SearchHourAngle`) nearest the middle of the night window (night.ts); rise
 * is the last one before it and set the first one after it, so the three describe one pass, even when
 * the rise is before sunset or the set after sunrise. A circumpolar target (its lower culmination above
 * the rise/set altitude) has no rise or set; one that never rises (its upper culmination below it) has
 * none of the three — each null with its reason.
 *
 * Altitudes are geometric (airless) as astropy's AltAz frame without pressure gives them; the airmass uses
 * the apparent altitude (geometric + standard refraction, astronomy-engine `Refraction("normal")`).
 *
 * Airmass: Hardie (1962), "Photoelectric reductions", in Astronomical Techniques (ed. W. A. Hiltner, Univ.
 * of Chicago Press), p. 180 — a polynomial in sec z fitted to Bemporad's tables:
 *   X = sec z − 0.0018167 (sec z − 1) − 0.002875 (sec z − 1)² − 0.0008083 (sec z − 1)³,
 * z the apparent (refracted) zenith distance. Better than 0.1 % up to X = 6.8 and 1 % up to X = 10
 * (SLALIB `sla_AIRMAS`, which uses the same fit); beyond z = 87° the polynomial turns over, so, as in
 * SLALIB, z is held at 87° there (X ≈ 19.8). Below the horizon the airmass is null.
 *
 * The Moon is topocentric (astronomy-engine `Equator` with the observer: its parallax reaches ~1°).
 */
import {
  Atmosphere,
  Body,
  DefineStar,
  Equator,
  Horizon,
  Illumination,
  Refraction,
  SearchHourAngle,
  SearchRiseSet,
} from "astronomy-engine";
import { angularSeparationDeg } from "./coords.ts";
import { observerOf, type Interval, type Night } from "./night.ts";
import { altAzDeg, type Site } from "./sun.ts";

const MS_PER_MIN = 60_000;
const MS_PER_DAY = 86_400_000;
const SIDEREAL_DAY_MS = 86_164_091;
/** Step of the altitude samples, minutes. */
export const SAMPLE_STEP_MIN = 10;
/** astronomy-engine's refraction at the horizon (REFRACTION_NEAR_HORIZON), degrees at sea level. */
const HORIZON_REFRACTION_DEG = 34 / 60;
/** Star distance given to DefineStar, light-years: far enough that its parallax is nil. */
const FAR_LY = 1e6;

/** Hardie (1962) relative airmass at an apparent altitude in degrees (file comment); null below 0°. */
export function airmassHardie(apparentAltDeg: number): number | null {
  if (!Number.isFinite(apparentAltDeg) || apparentAltDeg < 0 || apparentAltDeg > 90) return null;
  const zDeg = Math.min(90 - apparentAltDeg, 87);
  const secz = 1 / Math.cos((zDeg * Math.PI) / 180);
  const s = secz - 1;
  return secz - 0.0018167 * s - 0.002875 * s * s - 0.0008083 * s * s * s;
}

/** Apparent altitude (standard refraction, astronomy-engine "normal") of a geometric altitude, degrees. */
export function apparentAltitudeDeg(altDeg: number): number {
  return altDeg + Refraction("normal", altDeg);
}

/** Geometric altitude of the rise/set crossing at a site's height, degrees (≈ −0.57° at sea level). */
export function riseSetAltitudeDeg(heightM: number): number {
  return -HORIZON_REFRACTION_DEG * Atmosphere(heightM).density;
}

/** Geometric altitude of a J2000 target, degrees (sun.ts altAzDeg). */
export function targetAltitudeDeg(raDeg: number, decDeg: number, when: Date, site: Site): number {
  return altAzDeg(raDeg, decDeg, when, site).altDeg;
}

/** The Moon seen from the site: geometric altitude and J2000 direction (topocentric), degrees. */
export function moonTopocentric(when: Date, site: Site): { altDeg: number; raDeg: number; decDeg: number } {
  const observer = observerOf(site);
  const ofDate = Equator(Body.Moon, when, observer, true, true);
  const j2000 = Equator(Body.Moon, when, observer, false, true);
  const hor = Horizon(when, observer, ofDate.ra, ofDate.dec);
  return { altDeg: hor.altitude, raDeg: j2000.ra * 15, decDeg: j2000.dec };
}

/** Illuminated fraction of the Moon's disc, 0–1 (astronomy-engine `Illumination().phase_fraction`). */
export function moonIlluminatedFraction(when: Date): number {
  return Illumination(Body.Moon, when).phase_fraction;
}

export type PassEvent = "rise" | "transit" | "set";

export interface TargetPass {
  rise: Date | null;
  transit: Date | null;
  set: Date | null;
  /** Geometric altitude at the upper and lower culmination, degrees. */
  culminationAltDeg: number;
  lowerCulminationAltDeg: number;
  circumpolar: boolean;
  neverRises: boolean;
  reasons: Partial<Record<PassEvent, string>>;
}

/** Rise, transit and set of the pass nearest the middle of `window` (file comment). */
export function targetPass(raDeg: number, decDeg: number, site: Site, window: Interval): TargetPass {
  const observer = observerOf(site);
  const ra = ((raDeg % 360) + 360) % 360;
  DefineStar(Body.Star1, ra / 15 >= 24 ? 0 : ra / 15, decDeg, FAR_LY);
  const middle = window.start.getTime() + (window.end.getTime() - window.start.getTime()) / 2;
  const first = SearchHourAngle(Body.Star1, observer, 0, new Date(middle - SIDEREAL_DAY_MS / 2), +1);
  const transit = first.time.date;
  const culminationAltDeg = targetAltitudeDeg(raDeg, decDeg, transit, site);
  const lowerCulminationAltDeg = targetAltitudeDeg(
    raDeg,
    decDeg,
    new Date(transit.getTime() + SIDEREAL_DAY_MS / 2),
    site,
  );
  const horizonDeg = riseSetAltitudeDeg(site.heightM);
  const base = { culminationAltDeg, lowerCulminationAltDeg, circumpolar: false, neverRises: false };
  if (culminationAltDeg < horizonDeg) {
    const reason = `never rises: it culminates ${(-culminationAltDeg).toFixed(1)}° below the horizon`;
    return {
      ...base,
      rise: null,
      transit: null,
      set: null,
      neverRises: true,
      reasons: { rise: reason, transit: reason, set: reason },
    };
  }
  if (lowerCulminationAltDeg > horizonDeg) {
    const reason = `circumpolar: at its lowest it is ${lowerCulminationAltDeg.toFixed(1)}° above the horizon`;
    return {
      ...base,
      rise: null,
      transit,
      set: null,
      circumpolar: true,
      reasons: { rise: reason, set: reason },
    };
  }
  const rise = SearchRiseSet(Body.Star1, observer, +1, transit, -1)?.date ?? null;
  const set = SearchRiseSet(Body.Star1, observer, -1, transit, +1)?.date ?? null;
  const reasons: TargetPass["reasons"] = {};
  if (!rise) reasons.rise = "no rise found within a day before the transit";
  if (!set) reasons.set = "no set found within a day after the transit";
  return { ...base, rise, transit, set, reasons };
}

/**
 * Intervals of [from, to] where f(t) ≥ 0: f sampled every `stepMin` minutes (and at `extra` times, e.g.
 * a culmination, so a short grazing pass is not missed), each sign change refined by bisection to 1 s.
 */
export function intervalsWhere(
  f: (t: Date) => number,
  from: Date,
  to: Date,
  stepMin = 5,
  extra: Date[] = [],
): Interval[] {
  const t0 = from.getTime();
  const t1 = to.getTime();
  if (!(t1 > t0)) return [];
  const times = new Set<number>([t0, t1]);
  for (let t = t0 + stepMin * MS_PER_MIN; t < t1; t += stepMin * MS_PER_MIN) times.add(t);
  for (const e of extra) if (e.getTime() > t0 && e.getTime() < t1) times.add(e.getTime());
  const ts = [...times].sort((a, b) => a - b);
  const refine = (lo: number, hi: number, loInside: boolean) => {
    while (hi - lo > 1000) {
      const mid = (lo + hi) / 2;
      if (f(new Date(mid)) >= 0 === loInside) lo = mid;
      else hi = mid;
    }
    return Math.round((lo + hi) / 2);
  };
  const out: Interval[] = [];
  let prevT = ts[0];
  let prevIn = f(new Date(prevT)) >= 0;
  let start: number | null = prevIn ? prevT : null;
  for (let k = 1; k < ts.length; k++) {
    const t = ts[k];
    const inside = f(new Date(t)) >= 0;
    if (inside !== prevIn) {
      const cross = refine(prevT, t, prevIn);
      if (inside) start = cross;
      else if (start !== null) {
        out.push({ start: new Date(start), end: new Date(cross) });
        start = null;
      }
    }
    prevT = t;
    prevIn = inside;
  }
  if (start !== null) out.push({ start: new Date(start), end: new Date(t1) });
  return out.filter((i) => i.end.getTime() > i.start.getTime());
}

export interface AltitudeSample {
  time: Date;
  /** Geometric altitude of the target, degrees. */
  altDeg: number;
  /** Hardie airmass at the apparent altitude; null below the horizon. */
  airmass: number | null;
  moonAltDeg: number;
  /** Target–Moon separation (topocentric Moon), degrees. */
  moonSeparationDeg: number;
  sunAltDeg: number;
}

/** Samples every SAMPLE_STEP_MIN minutes on the UTC 10-minute marks inside [from, to]. */
export function sampleAltitudes(
  raDeg: number,
  decDeg: number,
  site: Site,
  from: Date,
  to: Date,
  sunAltitude: (t: Date) => number,
): AltitudeSample[] {
  const step = SAMPLE_STEP_MIN * MS_PER_MIN;
  const out: AltitudeSample[] = [];
  for (let t = Math.ceil(from.getTime() / step) * step; t <= to.getTime(); t += step) {
    const time = new Date(t);
    const altDeg = targetAltitudeDeg(raDeg, decDeg, time, site);
    const moon = moonTopocentric(time, site);
    out.push({
      time,
      altDeg,
      airmass: airmassHardie(apparentAltitudeDeg(altDeg)),
      moonAltDeg: moon.altDeg,
      moonSeparationDeg: angularSeparationDeg(raDeg, decDeg, moon.raDeg, moon.decDeg),
      sunAltDeg: sunAltitude(time),
    });
  }
  return out;
}

export interface Visibility {
  pass: TargetPass;
  /** Windows in astronomical darkness with the target at or above the altitude limit. */
  windows: Interval[];
  hoursObservable: number;
  /** Highest geometric altitude between sunset and sunrise (or over the window without them), degrees. */
  maxAltitudeNightDeg: number;
  samples: AltitudeSample[];
  moon: { illumination: number; minSeparationDeg: number | null };
  /** Why `windows` is empty, when it is. */
  reason: string | null;
}

/** The target's visibility during `night` above `minAltitudeDeg` (geometric) in astronomical darkness. */
export function computeVisibility(
  raDeg: number,
  decDeg: number,
  site: Site,
  night: Night,
  minAltitudeDeg: number,
  sunAltitude: (t: Date) => number,
): Visibility {
  const pass = targetPass(raDeg, decDeg, site, night.window);
  const from = night.events.sunset ?? night.window.start;
  const to = night.events.sunrise ?? night.window.end;
  const samples = sampleAltitudes(raDeg, decDeg, site, from, to, sunAltitude);
  const altitude = (t: Date) => targetAltitudeDeg(raDeg, decDeg, t, site);
  const extra = pass.transit ? [pass.transit] : [];
  const windows = night.dark
    ? intervalsWhere((t) => altitude(t) - minAltitudeDeg, night.dark.start, night.dark.end, 5, extra)
    : [];
  const hoursObservable = windows.reduce((h, w) => h + (w.end.getTime() - w.start.getTime()) / 3_600_000, 0);
  let maxAlt = Math.max(...samples.map((s) => s.altDeg), altitude(from), altitude(to));
  if (pass.transit && pass.transit >= from && pass.transit <= to)
    maxAlt = Math.max(maxAlt, pass.culminationAltDeg);
  const middle = night.dark
    ? new Date((night.dark.start.getTime() + night.dark.end.getTime()) / 2)
    : new Date((from.getTime() + to.getTime()) / 2);
  const darkSamples = night.dark
    ? samples.filter((s) => s.time >= night.dark!.start && s.time <= night.dark!.end)
    : samples;
  let reason: string | null = null;
  if (!windows.length) {
    if (!night.dark) reason = night.reasons.astronomicalDusk ?? "no astronomical darkness this night";
    else if (pass.neverRises) reason = pass.reasons.transit ?? "never rises";
    else reason = `not ${minAltitudeDeg}° above the horizon during astronomical darkness`;
  }
  return {
    pass,
    windows,
    hoursObservable,
    maxAltitudeNightDeg: maxAlt,
    samples,
    moon: {
      illumination: moonIlluminatedFraction(middle),
      minSeparationDeg: darkSamples.length ? Math.min(...darkSamples.map((s) => s.moonSeparationDeg)) : null,
    },
    reason,
  };
}

export { MS_PER_DAY };
