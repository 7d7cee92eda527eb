/**
 * ASCII spectra (`spectroscopy`, calibration.md §2.5): an optional header `wavelength flux`, whitespace-
 * or comma-separated pairs, and comment lines `# DATE-OBS: <ISO time>` and `# FACILITY: <name>`.
 * Units: Å and erg/s/cm²/Å unless the file says otherwise.
 */
import { mjdFromIso, normaliseTimeToMjd } from "../../astro/time.ts";
import type { Rejected } from "./lightcurve-csv.ts";

export type SpectrumParse =
  | {
      ok: true;
      wavelength: number[];
      flux: number[];
      mjd: number | null;
      facility: string | null;
      rejected: Rejected[];
    }
  | { ok: false; error: string };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parseSpectrum(text: string, maxPoints = 2_000_000): SpectrumParse {
  if (text.includes("\u0000")) return { ok: false, error: "the file is binary, not an ASCII spectrum" };
  const wavelength: number[] = [];
  const flux: number[] = [];
  const rejected: Rejected[] = [];
  let mjd: number | null = null;
  let facility: string | null = null;
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i].trim();
    if (!s) continue;
    if (s.startsWith("#")) {
      const m = /^#\s*([A-Za-z_-]+)\s*[:=]\s*(.+)$/.exec(s);
      if (m && m[1].toUpperCase() === "DATE-OBS") {
        const v = m[2].trim();
        const t = NUMBER.test(v) ? normaliseTimeToMjd(Number(v)) : mjdFromIso(v);
        if (!t.ok) return { ok: false, error: `line ${i + 1}: DATE-OBS: ${t.error}` };
        mjd = t.mjd;
      } else if (m && m[1].toUpperCase() === "FACILITY") facility = m[2].trim().slice(0, 100);
      continue;
    }
    const f = s.split(/[\s,;]+/);
    if (f.length >= 2 && /^[a-z]/i.test(f[0]) && wavelength.length === 0) continue; // header line
    if (f.length < 2 || !NUMBER.test(f[0]) || !NUMBER.test(f[1])) {
      rejected.push({ line: i + 1, reason: "expected two numbers: wavelength flux" });
      continue;
    }
    const [w, v] = [Number(f[0]), Number(f[1])];
    if (!Number.isFinite(w) || !Number.isFinite(v)) {
      // "1e400" matches the number syntax but is Infinity: not storable, not plottable.
      rejected.push({ line: i + 1, reason: "wavelength and flux must be finite numbers" });
      continue;
    }
    if (wavelength.length >= maxPoints) return { ok: false, error: `more than ${maxPoints} points` };
    wavelength.push(w);
    flux.push(v);
  }
  if (wavelength.length === 0) return { ok: false, error: "no wavelength/flux pairs found" };
  return { ok: true, wavelength, flux, mjd, facility, rejected };
}
