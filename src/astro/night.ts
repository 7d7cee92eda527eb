/**
 * The night at a site: Sun set and rise, civil, nautical and astronomical twilight, for "the local night
 * starting on a date".
 *
 * Night window. The night of local date D runs from local mean noon of D to local mean noon of D + 1:
 *   start = D 12:00 UT − λ / 15 h,   end = start + 24 h,   λ the east-positive longitude in degrees,
 * so every event of one night (sunset … sunrise) falls inside one window, at any longitude, without time
 * zones or daylight-saving rules.
 *
 * Events (astronomy-engine 2.x, D. Cross; Sun from truncated VSOP87, IAU 2006 precession, topocentric):
 *  - sunset / sunrise: the Sun's upper limb crossing the horizon with standard refraction, as
 *    astronomy-engine `SearchRiseSet` defines it — the centre at −(34′ · ρ(h)) − semi-diameter, ρ(h) the
 *    U.S. Standard Atmosphere (1976) density at the site's height relative to sea level;
 *  - dusk / dawn of each twilight: the Sun's centre crossing −6° (civil), −12° (nautical), −18°
 *    (astronomical) geometric altitude, no refraction (astronomy-engine `SearchAltitude`; the usual
 *    convention, e.g. the Astronomical Almanac).
 * An event that does not happen inside the window is null, with a reason: polar day (the Sun never sets),
 * polar night (it never rises), white nights (the Sun never gets 18° below the horizon), or the Sun already
 * below a twilight altitude at local noon.
 */
import { Body, Observer, SearchAltitude, SearchHourAngle, SearchRiseSet } from "astronomy-engine";
import type { AstroTime } from "astronomy-engine";
import { altAzDeg, sunPositionDeg, type Site } from "./sun.ts";

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

/** Sun altitude of each twilight's dusk and dawn, degrees (geometric, centre of the disc). */
export const TWILIGHT_SUN_ALT_DEG = { civil: -6, nautical: -12, astronomical: -18 } as const;
export type Twilight = keyof typeof TWILIGHT_SUN_ALT_DEG;

export type NightEvent =
  | "sunset"
  | "sunrise"
  | "civilDusk"
  | "civilDawn"
  | "nauticalDusk"
  | "nauticalDawn"
  | "astronomicalDusk"
  | "astronomicalDawn";

/** A time interval, UTC. */
export interface Interval {
  start: Date;
  end: Date;
}

export interface Night {
  /** Local mean noon of the date and of the next day (the window every event is searched in). */
  window: Interval;
  events: Record<NightEvent, Date | null>;
  /** Why each null event is null. */
  reasons: Partial<Record<NightEvent, string>>;
  /**
   * Times in the window with the Sun below −18° (astronomical darkness): none (white nights, polar day),
   * or one interval, from astronomical dusk (or the window's start in polar night) to dawn (or its end).
   */
  dark: Interval | null;
  /** The same for the Sun below −12° and −6°. */
  nauticalDark: Interval | null;
  civilDark: Interval | null;
}

/** Parse `YYYY-MM-DD` (a real calendar date) to its UT midnight; null when malformed. */
export function parseDateUtc(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text ? d : null;
}

/** The night window of local date `dateYmd` at east-positive longitude `lonDeg` (file comment). */
export function nightWindow(dateYmd: string, lonDeg: number): Interval {
  const day = parseDateUtc(dateYmd);
  if (!day) throw new RangeError(`not a date (YYYY-MM-DD): ${dateYmd}`);
  const start = new Date(day.getTime() + 12 * MS_PER_HOUR - (lonDeg / 15) * MS_PER_HOUR);
  return { start, end: new Date(start.getTime() + MS_PER_DAY) };
}

/** The local date (YYYY-MM-DD) whose night window holds `when` at longitude `lonDeg`. */
export function nightDateOf(when: Date, lonDeg: number): string {
  const localMs = when.getTime() + (lonDeg / 15) * MS_PER_HOUR - 12 * MS_PER_HOUR;
  return new Date(localMs).toISOString().slice(0, 10);
}

export function observerOf(site: Site): Observer {
  return new Observer(site.latDeg, site.lonDeg, site.heightM);
}

/** Geometric (airless) altitude of the Sun's centre at a site, degrees (geocentric direction; the solar
 * parallax, ≤ 9″, is neglected). */
export function sunAltitudeDeg(when: Date, site: Site): number {
  const sun = sunPositionDeg(when, "J2000");
  return altAzDeg(sun.raDeg, sun.decDeg, when, site).altDeg;
}

const days = (ms: number) => ms / MS_PER_DAY;
const inWindow = (t: AstroTime | null, w: Interval): Date | null =>
  t && t.date.getTime() >= w.start.getTime() && t.date.getTime() <= w.end.getTime() ? t.date : null;

/** The Sun's lowest geometric altitude in the window (its lower culmination), degrees. */
function lowestSunAltitudeDeg(observer: Observer, w: Interval, site: Site): number {
  const lower = SearchHourAngle(Body.Sun, observer, 12, w.start, +1).time.date;
  return sunAltitudeDeg(lower, site);
}

/** The Sun's highest geometric altitude in the window (upper culmination at the window's noon), degrees. */
function highestSunAltitudeDeg(observer: Observer, w: Interval, site: Site): number {
  const upper = SearchHourAngle(Body.Sun, observer, 0, new Date(w.start.getTime() - MS_PER_DAY / 4), +1);
  return sunAltitudeDeg(upper.time.date, site);
}

interface Crossing {
  down: Date | null;
  up: Date | null;
  reasonDown?: string;
  reasonUp?: string;
}

/** A descending then an ascending crossing of the Sun through a level inside the window, with reasons. */
function crossings(
  search: (direction: number, from: Date, limitDays: number) => AstroTime | null,
  w: Interval,
  what: { level: string; below: () => boolean; lowest: () => number; highest: () => number; altDeg: number },
): Crossing {
  const down = inWindow(search(-1, w.start, 1), w);
  const from = down ?? w.start;
  const up = inWindow(search(+1, from, days(w.end.getTime() - from.getTime())), w);
  const out: Crossing = { down, up };
  if (!down) {
    if (what.lowest() > what.altDeg) {
      out.reasonDown = `the Sun stays above ${what.level} all night`;
      if (!up) out.reasonUp = out.reasonDown;
    } else if (what.below()) {
      out.reasonDown = `the Sun is already below ${what.level} at local noon`;
    } else out.reasonDown = `the Sun does not go below ${what.level} before the next local noon`;
  }
  if (!up && !out.reasonUp) {
    out.reasonUp =
      what.highest() < what.altDeg
        ? `the Sun stays below ${what.level} all day`
        : `the Sun does not come back above ${what.level} before the next local noon`;
  }
  return out;
}

/** Sun events and darkness of the night of local date `dateYmd` at `site` (file comment). */
export function computeNight(site: Site, dateYmd: string): Night {
  const w = nightWindow(dateYmd, site.lonDeg);
  const observer = observerOf(site);
  let lowest: number | undefined;
  let highest: number | undefined;
  const lowestAlt = () => (lowest ??= lowestSunAltitudeDeg(observer, w, site));
  const highestAlt = () => (highest ??= highestSunAltitudeDeg(observer, w, site));
  const startAlt = sunAltitudeDeg(w.start, site);

  const events = {} as Record<NightEvent, Date | null>;
  const reasons: Partial<Record<NightEvent, string>> = {};
  const put = (down: NightEvent, up: NightEvent, c: Crossing) => {
    events[down] = c.down;
    events[up] = c.up;
    if (c.reasonDown) reasons[down] = c.reasonDown;
    if (c.reasonUp) reasons[up] = c.reasonUp;
  };

  // Sunset/sunrise: SearchRiseSet's level is about −0.83° for the centre; for the reasons, −0.83° will do.
  const horizon = crossings((dir, from, lim) => SearchRiseSet(Body.Sun, observer, dir, from, lim), w, {
    level: "the horizon",
    below: () => startAlt < -0.83,
    lowest: lowestAlt,
    highest: highestAlt,
    altDeg: -0.83,
  });
  if (!horizon.down && lowestAlt() > -0.83)
    horizon.reasonDown = horizon.reasonUp = "polar day: the Sun does not set";
  if (highestAlt() < -0.83) {
    if (!horizon.down) horizon.reasonDown = "polar night: the Sun does not rise";
    if (!horizon.up) horizon.reasonUp = "polar night: the Sun does not rise";
  }
  put("sunset", "sunrise", horizon);

  const darkness: Partial<Record<Twilight, Interval | null>> = {};
  for (const [name, altDeg] of Object.entries(TWILIGHT_SUN_ALT_DEG) as [Twilight, number][]) {
    const c = crossings((dir, from, lim) => SearchAltitude(Body.Sun, observer, dir, from, lim, altDeg), w, {
      level: `${altDeg}°`.replace("-", "−"),
      below: () => startAlt < altDeg,
      lowest: lowestAlt,
      highest: highestAlt,
      altDeg,
    });
    if (name === "astronomical" && !c.down && lowestAlt() > altDeg)
      c.reasonDown = c.reasonUp = "no astronomical darkness: the Sun stays above −18° all night";
    put(`${name}Dusk`, `${name}Dawn`, c);
    const start = c.down ?? (startAlt < altDeg ? w.start : null);
    const end = c.up ?? (start && sunAltitudeDeg(w.end, site) < altDeg ? w.end : null);
    darkness[name] = start && end && end > start ? { start, end } : null;
  }
  return {
    window: w,
    events,
    reasons,
    dark: darkness.astronomical ?? null,
    nauticalDark: darkness.nautical ?? null,
    civilDark: darkness.civil ?? null,
  };
}
