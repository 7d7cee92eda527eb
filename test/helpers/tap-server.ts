/**
 * A local stand-in for the ESA Gaia archive's and CDS VizieR's TAP services (node:http on a random port),
 * answering synchronous ADQL cone queries with the stars of a seeded synthetic field in the archives' real
 * formats:
 *   - `POST {base}/sync`, form fields REQUEST=doQuery, LANG=ADQL, FORMAT, MAXREC, QUERY;
 *   - the SELECT list's columns, named as the archive names them (a `g.`/`s.` prefix dropped), in its order;
 *   - CSV as the Gaia archive writes it (header line, empty fields for nulls, quoted text when needed), or a
 *     VOTable 1.4 (RESOURCE type="results", INFO QUERY_STATUS OK, the archive's FIELD datatypes: source_id
 *     long, positions and proper motions double, magnitudes and fluxes float, GSPC flags short — as the
 *     archive serialises its byte columns — VizieR's `2MASS` char) in TABLEDATA or BINARY2;
 *   - errors as TAP services give them: a VOTable with INFO QUERY_STATUS ERROR (HTTP 400).
 * The stars: the field's reference catalogue (makeField) — GSPC fluxes made from its magnitudes and errors
 * (F = 10^(−0.4 m), σF = F·σm·ln10/2.5; a band left empty, as in the GSPC, where F/σF < 30), Gaia G/BP/RP with flux-over-error 2.5/(ln10·σm), 2MASS J/H/Ks;
 * Gaia positions moved back from the frame epoch to J2016.0 when proper motions are given.
 * `mode` switches the answers to faults (503, an HTML page, a truncated CSV, a refusal, no answer).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import type { Band } from "../../src/astro/calibrate/bands.ts";
import { angularSeparationDeg } from "../../src/astro/coords.ts";
import { julianYearFromMjd, propagatePosition } from "../../src/astro/propermotion.ts";
import type { SynthField } from "../../src/astro/synth/catalog.ts";

export type ReplayFormat = "csv" | "tabledata" | "binary2";
export type ReplayMode = "ok" | "down" | "html" | "truncated" | "refuse" | "hang" | "reset";

export interface ReplayOptions {
  /** Stars served (the field's reference catalogue). */
  field: SynthField;
  /** Proper motions per star, mas/yr (μα*, μδ); positions in `field` are then those at `fieldEpochMjd`. */
  pm?: { pmraMasYr: Float64Array; pmdecMasYr: Float64Array; fieldEpochMjd: number };
  /** Format of the Gaia archive's answers (default: as asked — csv, or a TABLEDATA VOTable). */
  gaiaFormat?: ReplayFormat;
  /** Format of VizieR's answers (default binary2). */
  vizierFormat?: ReplayFormat;
  /** GSPC flag per (star, band): default 1 (inside the validated range). */
  gspcFlag?: (star: number, band: Band) => 0 | 1;
  /** GSPC magnitude override (e.g. a wrong value where the flag is 0). */
  gspcMag?: (star: number, band: Band, mag: number) => number;
  gzip?: boolean;
  /** Time the archive takes to answer, ms (default 0). */
  delayMs?: number;
}

export interface ReplayRequest {
  service: "gaia" | "vizier";
  table: string;
  raDeg: number;
  decDeg: number;
  radiusDeg: number;
  top: number | null;
  format: string;
  rows: number;
}

interface Column {
  name: string;
  datatype: "long" | "double" | "float" | "short" | "char";
  arraysize?: string;
  value: (i: number) => number | string | null;
}

const GSPC_STEMS: [Band, string][] = [
  ["u", "u_sdss"],
  ["g", "g_sdss"],
  ["r", "r_sdss"],
  ["i", "i_sdss"],
  ["z", "z_sdss"],
  ["U", "u_jkc"],
  ["B", "b_jkc"],
  ["V", "v_jkc"],
  ["R", "r_jkc"],
  ["I", "i_jkc"],
];

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** 2MASS designation hhmmssss±ddmmsss of a position. */
function tmassName(ra: number, dec: number): string {
  const h = ra / 15;
  const hh = Math.floor(h);
  const mm = Math.floor((h - hh) * 60);
  const ss = ((h - hh) * 60 - mm) * 60;
  const a = Math.abs(dec);
  const dd = Math.floor(a);
  const dm = Math.floor((a - dd) * 60);
  const ds = ((a - dd) * 60 - dm) * 60;
  const p = (v: number, w: number) => String(v).padStart(w, "0");
  return `${p(hh, 2)}${p(mm, 2)}${p(Math.floor(ss * 100), 4)}${dec < 0 ? "-" : "+"}${p(dd, 2)}${p(dm, 2)}${p(Math.floor(ds * 10), 3)}`;
}

export class TapReplayServer {
  readonly requests: ReplayRequest[] = [];
  mode: ReplayMode = "ok";
  /** Queries being answered now, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  private server!: http.Server;
  private origin = "";
  /** Gaia positions at J2016.0 (with pm) or as given. */
  private readonly ra2016: Float64Array;
  private readonly dec2016: Float64Array;

  constructor(readonly options: ReplayOptions) {
    const ref = options.field.reference;
    this.ra2016 = Float64Array.from(ref.raDeg);
    this.dec2016 = Float64Array.from(ref.decDeg);
    const pm = options.pm;
    if (pm) {
      const from = julianYearFromMjd(pm.fieldEpochMjd);
      for (let i = 0; i < ref.raDeg.length; i++) {
        const p = propagatePosition(
          ref.raDeg[i],
          ref.decDeg[i],
          pm.pmraMasYr[i],
          pm.pmdecMasYr[i],
          from,
          2016,
        );
        this.ra2016[i] = p.raDeg;
        this.dec2016[i] = p.decDeg;
      }
    }
  }

  /** Base URL of the Gaia archive stand-in (SKYTOM_GAIA_TAP_URL). */
  get gaiaUrl(): string {
    return `${this.origin}/tap-server/tap`;
  }
  /** Base URL of the VizieR stand-in (SKYTOM_VIZIER_TAP_URL). */
  get vizierUrl(): string {
    return `${this.origin}/TAPVizieR/tap`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = req.url ?? "";
    if (url === "/moved/tap/sync") {
      res.writeHead(301, { location: "/tap-server/tap/sync" }).end();
      return;
    }
    const service = url.startsWith("/tap-server/tap/sync")
      ? "gaia"
      : url.startsWith("/TAPVizieR/tap/sync")
        ? "vizier"
        : null;
    if (req.method !== "POST" || !service) {
      res
        .writeHead(404, { "content-type": "text/html" })
        .end("<html><head><title>404 Not Found</title></head></html>");
      return;
    }
    const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    const query = form.get("QUERY") ?? "";
    const circle = /CIRCLE\('ICRS',\s*([-\d.]+),\s*([-\d.]+),\s*([-\d.]+)\)/i.exec(query);
    const top = /SELECT\s+TOP\s+(\d+)/i.exec(query);
    const table = /\bFROM\s+("[^"]+"|\S+)/i.exec(query)?.[1] ?? "";
    const request: ReplayRequest = {
      service,
      table: query.includes("synthetic_photometry_gspc") ? "gaiadr3.synthetic_photometry_gspc" : table,
      raDeg: Number(circle?.[1]),
      decDeg: Number(circle?.[2]),
      radiusDeg: Number(circle?.[3]),
      top: top ? Number(top[1]) : null,
      format: form.get("FORMAT") ?? "",
      rows: 0,
    };
    this.requests.push(request);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on("close", () => this.inFlight--);
    if (this.options.delayMs) await new Promise((resolve) => setTimeout(resolve, this.options.delayMs));
    switch (this.mode) {
      case "hang":
        return; // never answers
      case "reset":
        req.socket.destroy();
        return;
      case "refuse":
        res
          .writeHead(400, { "content-type": "application/x-votable+xml" })
          .end(this.errorVotable('Cannot parse query: Encountered "FROM" at line 1'));
        return;
      case "down":
        res
          .writeHead(503, { "content-type": "text/html", "retry-after": "1" })
          .end(
            "<html><head><title>503 Service Unavailable</title></head><body>The archive is under maintenance</body></html>",
          );
        return;
      case "html":
        res
          .writeHead(200, { "content-type": "text/html" })
          .end(
            "<!DOCTYPE html><html><head><title>Gaia Archive - maintenance</title></head><body>Back soon</body></html>",
          );
        return;
    }
    if (!circle || form.get("REQUEST") !== "doQuery" || form.get("LANG") !== "ADQL") {
      res
        .writeHead(400, { "content-type": "application/x-votable+xml" })
        .end(this.errorVotable(`cannot run query: ${query}`));
      return;
    }
    const columns = this.columnsFor(service, query);
    const pos =
      service === "gaia"
        ? [this.ra2016, this.dec2016]
        : [this.options.field.reference.raDeg, this.options.field.reference.decDeg];
    const hit: number[] = [];
    for (let i = 0; i < pos[0].length && hit.length < (request.top ?? Infinity); i++) {
      if (angularSeparationDeg(request.raDeg, request.decDeg, pos[0][i], pos[1][i]) <= request.radiusDeg)
        hit.push(i);
    }
    request.rows = hit.length;
    const asked = request.format.toLowerCase();
    const format: ReplayFormat =
      (service === "gaia" ? this.options.gaiaFormat : this.options.vizierFormat) ??
      (service === "gaia" ? (asked === "csv" ? "csv" : "tabledata") : "binary2");
    let body = format === "csv" ? this.csv(columns, hit) : this.votable(columns, hit, format);
    let type = format === "csv" ? "text/csv" : "application/x-votable+xml";
    if (this.mode === "truncated") {
      body = body.slice(0, Math.floor(body.length * 0.6));
      type = "text/csv";
    }
    const headers: Record<string, string> = { "content-type": `${type}; charset=utf-8` };
    let payload: Buffer = Buffer.from(body, "utf8");
    if (this.options.gzip) {
      payload = gzipSync(payload);
      headers["content-encoding"] = "gzip";
    }
    res.writeHead(200, headers).end(payload);
  }

  /** The SELECT list's columns with their values (file comment). */
  private columnsFor(service: "gaia" | "vizier", query: string): Column[] {
    const list = /SELECT\s+(?:TOP\s+\d+\s+)?(.*?)\s+FROM\s/is.exec(query)?.[1] ?? "";
    const names = list.split(",").map((c) =>
      c
        .trim()
        .replace(/^[a-z]\./, "")
        .replace(/^"(.*)"$/, "$1"),
    );
    return names.map((name) => this.column(service, name));
  }

  private column(service: "gaia" | "vizier", name: string): Column {
    const ref = this.options.field.reference;
    const band = (b: Band) => ref.bands[b];
    const f32 = (v: number) => (Number.isFinite(v) ? Math.fround(v) : null);
    if (service === "vizier") {
      const tm: Record<string, Column> = {
        "2MASS": {
          name,
          datatype: "char",
          arraysize: "17",
          value: (i) => tmassName(ref.raDeg[i], ref.decDeg[i]),
        },
        RAJ2000: { name, datatype: "double", value: (i) => ref.raDeg[i] },
        DEJ2000: { name, datatype: "double", value: (i) => ref.decDeg[i] },
      };
      for (const b of ["J", "H", "K"] as Band[]) {
        tm[`${b}mag`] = { name: `${b}mag`, datatype: "float", value: (i) => f32(band(b)?.mag[i] ?? NaN) };
        tm[`e_${b}mag`] = { name: `e_${b}mag`, datatype: "float", value: (i) => f32(band(b)?.err[i] ?? NaN) };
      }
      const c = tm[name];
      if (!c) throw new Error(`the VizieR stand-in has no column ${name}`);
      return c;
    }
    const pm = this.options.pm;
    switch (name) {
      case "source_id":
        return { name, datatype: "long", value: (i) => (4295806720n + BigInt(i) * 34359738368n).toString() };
      case "ra":
        return { name, datatype: "double", value: (i) => this.ra2016[i] };
      case "dec":
        return { name, datatype: "double", value: (i) => this.dec2016[i] };
      case "pmra":
        return { name, datatype: "double", value: (i) => (pm ? pm.pmraMasYr[i] : null) };
      case "pmdec":
        return { name, datatype: "double", value: (i) => (pm ? pm.pmdecMasYr[i] : null) };
      case "ref_epoch":
        return { name, datatype: "double", value: () => 2016.0 };
    }
    for (const [b, stem] of GSPC_STEMS) {
      if (!name.startsWith(`${stem}_`)) continue;
      const what = name.slice(stem.length + 1);
      const flag = (i: number) => this.options.gspcFlag?.(i, b) ?? 1;
      // The GSPC holds a band only where F/σF > 30, i.e. σm < 2.5/(30 ln 10) = 0.036 mag.
      const listed = (i: number) => (band(b)?.err[i] ?? NaN) < 2.5 / (30 * Math.LN10);
      const mag = (i: number) => {
        const m = listed(i) ? (band(b)?.mag[i] ?? NaN) : NaN;
        return this.options.gspcMag && Number.isFinite(m) ? this.options.gspcMag(i, b, m) : m;
      };
      const flux = (i: number) => 10 ** (-0.4 * mag(i));
      switch (what) {
        case "mag":
          return { name, datatype: "float", value: (i) => f32(mag(i)) };
        case "flux":
          return { name, datatype: "float", value: (i) => f32(flux(i)) };
        case "flux_error":
          return {
            name,
            datatype: "float",
            value: (i) => f32((flux(i) * (band(b)?.err[i] ?? NaN) * Math.LN10) / 2.5),
          };
        case "flag":
          return { name, datatype: "short", value: (i) => (Number.isFinite(mag(i)) ? flag(i) : 0) };
      }
    }
    const dr3: Record<string, Band> = { g: "G", bp: "GBP", rp: "GRP" };
    const m = /^phot_(g|bp|rp)_mean_(mag|flux_over_error)$/.exec(name);
    if (m) {
      const b = dr3[m[1]];
      return m[2] === "mag"
        ? { name, datatype: "float", value: (i) => f32(band(b)?.mag[i] ?? NaN) }
        : { name, datatype: "float", value: (i) => f32(2.5 / Math.LN10 / (band(b)?.err[i] ?? NaN)) };
    }
    throw new Error(`the Gaia archive stand-in has no column ${name}`);
  }

  private csv(columns: Column[], rows: number[]): string {
    const cell = (v: number | string | null) => {
      if (v === null || (typeof v === "number" && !Number.isFinite(v))) return "";
      const s = String(v);
      return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    const lines = [columns.map((c) => c.name).join(",")];
    for (const i of rows) lines.push(columns.map((c) => cell(c.value(i))).join(","));
    return `${lines.join("\n")}\n`;
  }

  private votable(columns: Column[], rows: number[], format: "tabledata" | "binary2"): string {
    const fields = columns
      .map(
        (c) =>
          `<FIELD datatype="${c.datatype}"${c.arraysize ? ` arraysize="${c.arraysize}"` : ""} name="${c.name}"/>`,
      )
      .join("\n");
    let data: string;
    if (format === "tabledata") {
      const td = (v: number | string | null) =>
        v === null || (typeof v === "number" && !Number.isFinite(v))
          ? "<TD></TD>"
          : `<TD>${escapeXml(String(v))}</TD>`;
      data = `<TABLEDATA>\n${rows.map((i) => `<TR>${columns.map((c) => td(c.value(i))).join("")}</TR>`).join("\n")}\n</TABLEDATA>`;
    } else {
      const parts: Buffer[] = [];
      const maskBytes = Math.ceil(columns.length / 8);
      for (const i of rows) {
        const mask = Buffer.alloc(maskBytes);
        const cells: Buffer[] = [];
        columns.forEach((c, k) => {
          let v = c.value(i);
          if (v === null || (typeof v === "number" && !Number.isFinite(v))) {
            mask[k >> 3] |= 0x80 >> (k & 7);
            v = null;
          }
          let b: Buffer;
          switch (c.datatype) {
            case "long":
              b = Buffer.alloc(8);
              b.writeBigInt64BE(v === null ? 0n : BigInt(v));
              break;
            case "double":
              b = Buffer.alloc(8);
              b.writeDoubleBE(v === null ? NaN : Number(v));
              break;
            case "float":
              b = Buffer.alloc(4);
              b.writeFloatBE(v === null ? NaN : Number(v));
              break;
            case "short":
              b = Buffer.alloc(2);
              b.writeInt16BE(v === null ? 0 : Number(v));
              break;
            default: {
              const text = Buffer.from(v === null ? "" : String(v), "latin1");
              const n = Number(c.arraysize);
              b = Buffer.alloc(n);
              text.copy(b, 0, 0, n);
            }
          }
          cells.push(b);
        });
        parts.push(mask, ...cells);
      }
      data = `<BINARY2>\n<STREAM encoding='base64'>\n${Buffer.concat(parts)
        .toString("base64")
        .replace(/(.{64})/g, "$1\n")}\n</STREAM>\n</BINARY2>`;
    }
    return `<?xml version="1.0" encoding="UTF-8"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<RESOURCE type="results">
<INFO name="QUERY_STATUS" value="OK"/>
<COOSYS ID="GAIADR3" epoch="J2016.0" system="ICRS"/>
<TABLE>
${fields}
<DATA>
${data}
</DATA>
</TABLE>
</RESOURCE>
</VOTABLE>
`;
  }

  private errorVotable(message: string): string {
    return `<?xml version="1.0" encoding="UTF-8"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
<RESOURCE type="results">
<INFO name="QUERY_STATUS" value="ERROR">${escapeXml(message)}</INFO>
</RESOURCE>
</VOTABLE>
`;
  }
}
