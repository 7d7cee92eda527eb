/**
 * Greedy scheduling of one night: visits in priority order, each placed where it is observable, free,
 * and as close as possible to its preferred time (its transit: the lowest airmass), never overlapping.
 *
 * For each visit in turn (priority, then the tie-break, both descending; then the key): the free time
 * (darkness minus the visits already placed) is intersected with the visit's observable windows; in
 * each piece at least as long as the visit, the best start puts the visit's middle nearest the
 * preferred time (clamped into the piece); the piece giving the nearest middle wins. A visit that fits
 * nowhere is left out with the reason. Greedy is not optimal (a long low-priority visit may block two
 * short ones), but it is predictable: a more important target is never displaced by a less important one.
 */
import type { Interval } from "../../astro/night.ts";

export interface VisitRequest {
  key: string;
  priority: number;
  tieBreak: number;
  /** Where the whole visit may lie. */
  windows: Interval[];
  durationMs: number;
  /** Preferred time of the visit's middle, ms since 1970. */
  preferredMs: number;
}

export interface PlacedVisit {
  key: string;
  start: Date;
  end: Date;
}

export interface Schedule {
  placed: PlacedVisit[];
  unplaced: { key: string; reason: string }[];
}

interface Span {
  s: number;
  e: number;
}

/** Free parts of `dark` outside the busy spans (sorted). */
function freeSpans(dark: Span, busy: Span[]): Span[] {
  const out: Span[] = [];
  let cursor = dark.s;
  for (const b of busy) {
    if (b.s > cursor) out.push({ s: cursor, e: Math.min(b.s, dark.e) });
    cursor = Math.max(cursor, b.e);
  }
  if (cursor < dark.e) out.push({ s: cursor, e: dark.e });
  return out.filter((x) => x.e > x.s);
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

export function scheduleNight(requests: VisitRequest[], dark: Interval): Schedule {
  const order = [...requests].sort(
    (a, b) => b.priority - a.priority || b.tieBreak - a.tieBreak || a.key.localeCompare(b.key),
  );
  const darkSpan = { s: dark.start.getTime(), e: dark.end.getTime() };
  const busy: Span[] = [];
  const placed: PlacedVisit[] = [];
  const unplaced: Schedule["unplaced"] = [];
  for (const r of order) {
    const windows = r.windows.map((w) => ({
      s: Math.max(w.start.getTime(), darkSpan.s),
      e: Math.min(w.end.getTime(), darkSpan.e),
    }));
    if (!windows.some((w) => w.e - w.s >= r.durationMs)) {
      const longest = Math.max(0, ...windows.map((w) => w.e - w.s));
      unplaced.push({
        key: r.key,
        reason: `observable for ${minutes(longest)}, shorter than the visit (${minutes(r.durationMs)})`,
      });
      continue;
    }
    let best: { start: number; distance: number } | null = null;
    for (const f of freeSpans(darkSpan, busy)) {
      for (const w of windows) {
        const s = Math.max(f.s, w.s);
        const e = Math.min(f.e, w.e);
        if (e - s < r.durationMs) continue;
        const start = Math.min(Math.max(r.preferredMs - r.durationMs / 2, s), e - r.durationMs);
        const distance = Math.abs(start + r.durationMs / 2 - r.preferredMs);
        if (!best || distance < best.distance) best = { start, distance };
      }
    }
    if (!best) {
      unplaced.push({ key: r.key, reason: "no free time left in its observable window" });
      continue;
    }
    const span = { s: best.start, e: best.start + r.durationMs };
    busy.push(span);
    busy.sort((a, b) => a.s - b.s);
    placed.push({ key: r.key, start: new Date(span.s), end: new Date(span.e) });
  }
  placed.sort((a, b) => a.start.getTime() - b.start.getTime());
  return { placed, unplaced };
}
