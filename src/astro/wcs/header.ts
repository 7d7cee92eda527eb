/**
 * Reading and writing a TAN (+SIP) WCS from/to FITS header keywords.
 *
 * Linear part (Greisen & Calabretta 2002, Paper I §2.1–2.2, §6.1): `CDi_j` (deg/px), else `PCi_j` with
 * `CDELTi` (CD = diag(CDELT)·PC), else legacy `CDELTi` + `CROTA2` ρ:
 *   CD = [[CDELT1 cosρ, −CDELT2 sinρ], [CDELT1 sinρ, CDELT2 cosρ]]          (Paper II eq. 189)
 * Projection: `RA---TAN` / `DEC--TAN` (Calabretta & Greisen 2002, Paper II §5.1.3), with the `-SIP` suffix
 * for Shupe et al. 2005 distortion (`A_ORDER`, `A_p_q`, `B_ORDER`, `B_p_q`, optional `AP_*`, `BP_*`).
 * Frames: ICRS and FK5 J2000 are treated as the same (they differ by < 0.1″); FK4/B1950 is rejected.
 */
import type { SipDistortion, TanWcs } from "./tan.ts";

export type HeaderValue = number | string | boolean | undefined;
export type HeaderGetter = (key: string) => HeaderValue;

export type WcsFrame = "ICRS" | "FK5";

export type WcsFromHeaderResult =
  { ok: true; wcs: TanWcs; frame: WcsFrame; notes: string[] } | { ok: false; reason: string };

type Num = number | undefined | { bad: string };

/** Read a numeric card; numeric strings (incl. Fortran `D` exponents) are accepted. */
function readNum(get: HeaderGetter, key: string): Num {
  const v = get(key);
  if (v === undefined) return undefined;
  if (typeof v === "number") return Number.isFinite(v) ? v : { bad: `${key} is not finite` };
  if (typeof v === "string") {
    const t = v.trim().replace(/[dD]/, "E");
    const n = t === "" ? NaN : Number(t);
    return Number.isFinite(n) ? n : { bad: `${key} = '${v}' is not a number` };
  }
  return { bad: `${key} is a logical, expected a number` };
}

function readStr(get: HeaderGetter, key: string): string | undefined {
  const v = get(key);
  return typeof v === "string" ? v.trim().toUpperCase() : undefined;
}

class HeaderError extends Error {}

function need(get: HeaderGetter, key: string): number {
  const v = readNum(get, key);
  if (v === undefined) throw new HeaderError(`missing keyword ${key}`);
  if (typeof v === "object") throw new HeaderError(v.bad);
  return v;
}

function opt(get: HeaderGetter, key: string, dflt: number): number {
  const v = readNum(get, key);
  if (typeof v === "object") throw new HeaderError(v.bad);
  return v ?? dflt;
}

function has(get: HeaderGetter, key: string): boolean {
  return get(key) !== undefined;
}

interface AxisType {
  axis: "RA" | "DEC";
  proj: string;
  suffix: string;
}

function parseCtype(key: string, value: string | undefined): AxisType {
  if (value === undefined) throw new HeaderError(`missing keyword ${key}`);
  const m = /^(RA|DEC)-+([A-Z0-9]{3})(?:-([A-Z0-9]+))?$/.exec(value);
  if (!m) throw new HeaderError(`${key} = '${value}' is not an equatorial RA/DEC axis`);
  const [, axis, proj, suffix = ""] = m;
  if (proj !== "TAN") {
    throw new HeaderError(`projection ${proj} (${key} = '${value}') is not supported; only TAN and TAN-SIP`);
  }
  if (suffix !== "" && suffix !== "SIP") {
    throw new HeaderError(`distortion -${suffix} (${key} = '${value}') is not supported; only SIP`);
  }
  return { axis: axis as "RA" | "DEC", proj, suffix };
}

function readSipMatrix(get: HeaderGetter, prefix: string, order: number, size: number): number[][] {
  const m: number[][] = Array.from({ length: size + 1 }, () => new Array<number>(size + 1).fill(0));
  for (let p = 0; p <= order; p++) {
    for (let q = 0; p + q <= order; q++) m[p][q] = opt(get, `${prefix}_${p}_${q}`, 0);
  }
  return m;
}

function readOrder(get: HeaderGetter, key: string): number | undefined {
  const v = readNum(get, key);
  if (v === undefined) return undefined;
  if (typeof v === "object") throw new HeaderError(v.bad);
  if (!Number.isInteger(v) || v < 0 || v > 9) throw new HeaderError(`${key} = ${v} is not an order 0–9`);
  return v;
}

function readSip(get: HeaderGetter, ctypeSays: boolean, notes: string[]): SipDistortion | undefined {
  const aOrder = readOrder(get, "A_ORDER");
  const bOrder = readOrder(get, "B_ORDER");
  if (aOrder === undefined && bOrder === undefined) {
    if (ctypeSays) throw new HeaderError("CTYPE has the -SIP suffix but A_ORDER/B_ORDER are missing");
    return undefined;
  }
  if (aOrder === undefined || bOrder === undefined)
    throw new HeaderError("SIP needs both A_ORDER and B_ORDER");
  if (!ctypeSays)
    notes.push("SIP coefficients present without the -SIP CTYPE suffix; applied (as astropy does)");
  const order = Math.max(aOrder, bOrder);
  const sip: SipDistortion = {
    a: readSipMatrix(get, "A", aOrder, order),
    b: readSipMatrix(get, "B", bOrder, order),
    order,
  };
  const apOrder = readOrder(get, "AP_ORDER");
  const bpOrder = readOrder(get, "BP_ORDER");
  if (apOrder !== undefined && bpOrder !== undefined) {
    const o = Math.max(apOrder, bpOrder);
    sip.ap = readSipMatrix(get, "AP", apOrder, o);
    sip.bp = readSipMatrix(get, "BP", bpOrder, o);
    sip.apOrder = o;
  }
  return sip;
}

/** CD matrix in header axis order (rows = world axes 1, 2; columns = pixel axes). */
function readLinear(
  get: HeaderGetter,
  swapped: boolean,
  notes: string[],
): [[number, number], [number, number]] {
  const cdKeys = ["CD1_1", "CD1_2", "CD2_1", "CD2_2"];
  const pcKeys = ["PC1_1", "PC1_2", "PC2_1", "PC2_2"];
  if (cdKeys.some((k) => has(get, k))) {
    // Paper I: missing CDi_j default to 0 when any CD is present.
    return [
      [opt(get, "CD1_1", 0), opt(get, "CD1_2", 0)],
      [opt(get, "CD2_1", 0), opt(get, "CD2_2", 0)],
    ];
  }
  const hasCdelt = has(get, "CDELT1") || has(get, "CDELT2");
  if (pcKeys.some((k) => has(get, k))) {
    if (!hasCdelt) throw new HeaderError("PCi_j present without CDELT1/CDELT2");
    const d1 = need(get, "CDELT1");
    const d2 = need(get, "CDELT2");
    return [
      [d1 * opt(get, "PC1_1", 1), d1 * opt(get, "PC1_2", 0)],
      [d2 * opt(get, "PC2_1", 0), d2 * opt(get, "PC2_2", 1)],
    ];
  }
  if (!hasCdelt) throw new HeaderError("no CDi_j, PCi_j or CDELTi keywords: the pixel scale is unknown");
  const d1 = need(get, "CDELT1");
  const d2 = need(get, "CDELT2");
  const hasRot = has(get, "CROTA2") || has(get, "CROTA1");
  const rhoDeg = has(get, "CROTA2") ? need(get, "CROTA2") : opt(get, "CROTA1", 0);
  if (has(get, "CROTA1") && !has(get, "CROTA2")) notes.push("CROTA1 used in place of the missing CROTA2");
  if (swapped && hasRot && rhoDeg !== 0) {
    throw new HeaderError("legacy CROTA with DEC as the first axis is ambiguous; use CD or PC keywords");
  }
  const r = (rhoDeg * Math.PI) / 180;
  const c = rhoDeg === 0 ? 1 : Math.cos(r);
  const s = rhoDeg === 0 ? 0 : Math.sin(r);
  return [
    [d1 * c, -d2 * s],
    [d1 * s, d2 * c],
  ];
}

function readFrame(get: HeaderGetter, notes: string[]): WcsFrame {
  const radesys = readStr(get, "RADESYS") ?? readStr(get, "RADECSYS");
  const eqv = readNum(get, "EQUINOX") ?? readNum(get, "EPOCH");
  if (typeof eqv === "object") throw new HeaderError(eqv.bad);
  if (radesys === undefined) {
    if (eqv === undefined) {
      notes.push("no RADESYS/EQUINOX: ICRS assumed");
      return "ICRS";
    }
    if (eqv < 1984)
      throw new HeaderError(`EQUINOX ${eqv} implies FK4 (B1950); only ICRS/FK5 J2000 supported`);
    if (eqv !== 2000) throw new HeaderError(`EQUINOX ${eqv} is not supported; only J2000`);
    return "FK5";
  }
  if (radesys === "ICRS") return "ICRS";
  if (radesys === "FK5") {
    if (eqv !== undefined && eqv !== 2000)
      throw new HeaderError(`FK5 EQUINOX ${eqv} is not supported; only J2000`);
    notes.push("FK5 J2000 treated as ICRS (difference < 0.1″)");
    return "FK5";
  }
  if (radesys.startsWith("FK4")) throw new HeaderError(`RADESYS ${radesys} (B1950) is not supported`);
  throw new HeaderError(`RADESYS ${radesys} is not supported; only ICRS and FK5`);
}

/** Reject TAN headers that carry TPV-style PVi_j polynomials (SCAMP); identity values are allowed. */
function checkPv(get: HeaderGetter): void {
  for (const i of [1, 2]) {
    for (let j = 0; j < 40; j++) {
      const v = readNum(get, `PV${i}_${j}`);
      if (v === undefined) continue;
      const identity = j === 1 ? 1 : 0;
      if (v !== identity)
        throw new HeaderError(`PV${i}_${j} = ${String(v)}: TPV/PV distortion is not supported`);
    }
  }
}

function checkUnit(get: HeaderGetter, key: string): void {
  const u = readStr(get, key);
  if (u !== undefined && u !== "" && u !== "DEG")
    throw new HeaderError(`${key} = '${u}': only degrees supported`);
}

/**
 * Build a TAN WCS from a header accessor (`get(key)` returns the card's value or undefined). Never throws:
 * unsupported or broken headers give `{ ok: false, reason }` naming the keyword.
 */
export function wcsFromHeader(get: HeaderGetter): WcsFromHeaderResult {
  const notes: string[] = [];
  try {
    const t1 = parseCtype("CTYPE1", readStr(get, "CTYPE1"));
    const t2 = parseCtype("CTYPE2", readStr(get, "CTYPE2"));
    if (t1.axis === t2.axis) throw new HeaderError(`CTYPE1 and CTYPE2 are both ${t1.axis}`);
    if (t1.suffix !== t2.suffix) throw new HeaderError("CTYPE1 and CTYPE2 disagree on the -SIP suffix");
    const swapped = t1.axis === "DEC";
    if (swapped) notes.push("axes swapped (DEC first): CD rows and CRVAL reordered");
    checkUnit(get, "CUNIT1");
    checkUnit(get, "CUNIT2");
    const crpix: [number, number] = [need(get, "CRPIX1"), need(get, "CRPIX2")];
    const crval1 = need(get, "CRVAL1");
    const crval2 = need(get, "CRVAL2");
    const m = readLinear(get, swapped, notes);
    const r = swapped ? [m[1], m[0]] : m;
    // `+ 0` turns −0 (e.g. CDELT1 < 0 times sin 0) into 0.
    const cd: [[number, number], [number, number]] = [
      [r[0][0] + 0, r[0][1] + 0],
      [r[1][0] + 0, r[1][1] + 0],
    ];
    const det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0];
    if (!(Math.abs(det) > 0)) throw new HeaderError("the CD matrix is singular");
    const crvalDeg: [number, number] = swapped ? [crval2, crval1] : [crval1, crval2];
    if (Math.abs(crvalDeg[1]) > 90) throw new HeaderError(`declination CRVAL ${crvalDeg[1]} outside ±90°`);
    const frame = readFrame(get, notes);
    checkPv(get);
    const wcs: TanWcs = { crpix, crvalDeg, cd };
    const lonpole = readNum(get, "LONPOLE");
    if (typeof lonpole === "object") throw new HeaderError(lonpole.bad);
    if (lonpole !== undefined) wcs.lonpoleDeg = lonpole;
    const sip = readSip(get, t1.suffix === "SIP", notes);
    if (sip) wcs.sip = sip;
    return { ok: true, wcs, frame, notes };
  } catch (e) {
    if (e instanceof HeaderError) return { ok: false, reason: e.message };
    throw e;
  }
}

function sipCards(out: Record<string, number | string>, prefix: string, m: number[][], order: number): void {
  out[`${prefix}_ORDER`] = order;
  for (let p = 0; p <= order; p++) {
    for (let q = 0; p + q <= order; q++) {
      const v = m[p]?.[q] ?? 0;
      if (v !== 0) out[`${prefix}_${p}_${q}`] = v;
    }
  }
}

/** Header cards (keyword → value, in writing order) describing `wcs` with a CD matrix, RADESYS = ICRS. */
export function wcsToHeaderCards(wcs: TanWcs): Record<string, number | string> {
  const sip = wcs.sip;
  const out: Record<string, number | string> = {
    WCSAXES: 2,
    CTYPE1: sip ? "RA---TAN-SIP" : "RA---TAN",
    CTYPE2: sip ? "DEC--TAN-SIP" : "DEC--TAN",
    CUNIT1: "deg",
    CUNIT2: "deg",
    CRPIX1: wcs.crpix[0],
    CRPIX2: wcs.crpix[1],
    CRVAL1: wcs.crvalDeg[0],
    CRVAL2: wcs.crvalDeg[1],
    CD1_1: wcs.cd[0][0],
    CD1_2: wcs.cd[0][1],
    CD2_1: wcs.cd[1][0],
    CD2_2: wcs.cd[1][1],
    RADESYS: "ICRS",
  };
  if (wcs.lonpoleDeg !== undefined) out.LONPOLE = wcs.lonpoleDeg;
  if (sip) {
    sipCards(out, "A", sip.a, sip.order);
    sipCards(out, "B", sip.b, sip.order);
    if (sip.ap && sip.bp) {
      const o = sip.apOrder ?? sip.ap.length - 1;
      sipCards(out, "AP", sip.ap, o);
      sipCards(out, "BP", sip.bp, o);
    }
  }
  return out;
}
