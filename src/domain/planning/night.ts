/** The night of a date at an observatory, as planning answers give it: defaults, validation, views. */
import { computeNight, nightDateOf, parseDateUtc, type Night } from "../../astro/night.ts";
import type { Site } from "../../astro/sun.ts";
import { mjdFromDate } from "../../astro/time.ts";
import { ValidationError } from "../errors.ts";
import type { ObservatoryRow } from "../observatories/repo.ts";
import type { NightView } from "./schemas.ts";

export const siteOf = (o: ObservatoryRow): Site => ({ latDeg: o.lat, lonDeg: o.lon, heightM: o.altitude });

export const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
export const isoOrNull = (d: Date | null) => (d ? iso(d) : null);

function nextDate(dateYmd: string): string {
  const d = parseDateUtc(dateYmd) as Date;
  return new Date(d.getTime() + 86_400_000).toISOString().slice(0, 10);
}

/**
 * "Tonight" at a site: the night whose window holds `now`, or the next one once that night's sunrise
 * (or the end of its darkness) is past.
 */
export function tonight(site: Site, now: Date): string {
  const date = nightDateOf(now, site.lonDeg);
  const night = computeNight(site, date);
  const over = night.events.sunrise ?? night.dark?.end ?? night.window.end;
  return now.getTime() > over.getTime() ? nextDate(date) : date;
}

/** The requested date (checked: a real calendar date) or tonight. */
export function chosenDate(date: string | undefined, site: Site, now: Date, field = "date"): string {
  if (date === undefined) return tonight(site, now);
  if (!parseDateUtc(date)) {
    throw ValidationError.field(
      field,
      "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
    );
  }
  return date;
}

/** The middle of the night's darkness (or of its window), as MJD: the time predictions refer to. */
export function nightMiddleMjd(night: Night): number {
  const span = night.dark ?? night.nauticalDark ?? night.window;
  return mjdFromDate(new Date((span.start.getTime() + span.end.getTime()) / 2));
}

const REASON_KEYS: Record<string, string> = {
  sunset: "sunset",
  sunrise: "sunrise",
  civilDusk: "civil_dusk",
  civilDawn: "civil_dawn",
  nauticalDusk: "nautical_dusk",
  nauticalDawn: "nautical_dawn",
  astronomicalDusk: "astronomical_dusk",
  astronomicalDawn: "astronomical_dawn",
};

export function nightView(night: Night): NightView {
  const e = night.events;
  return {
    start: iso(night.window.start),
    end: iso(night.window.end),
    sunset: isoOrNull(e.sunset),
    sunrise: isoOrNull(e.sunrise),
    civil_dusk: isoOrNull(e.civilDusk),
    civil_dawn: isoOrNull(e.civilDawn),
    nautical_dusk: isoOrNull(e.nauticalDusk),
    nautical_dawn: isoOrNull(e.nauticalDawn),
    astronomical_dusk: isoOrNull(e.astronomicalDusk),
    astronomical_dawn: isoOrNull(e.astronomicalDawn),
    reasons: Object.fromEntries(
      Object.entries(night.reasons).map(([k, v]) => [REASON_KEYS[k] ?? k, v as string]),
    ),
  };
}
