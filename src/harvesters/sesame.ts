/**
 * CDS Sesame (Schaaff et al., "Sesame: a name resolver", CDS; https://cds.unistra.fr/cgi-bin/Sesame):
 * `{base}/-oI/A?<name>` asks SIMBAD, NED and VizieR in turn (A = all) and answers in its plain-text
 * format: comment lines starting with `#` (`#=S=Simbad (via url):  1` when a database knows the name,
 * `#! …` when it does not or cannot be reached), `%J <ra> <dec> = <sexagesimal>` with the J2000 (ICRS)
 * position in degrees, `%I.0 <main identifier>` and, with `-oI`, one `%I <identifier>` line per other
 * identifier. The first `%J` is taken (SIMBAD answers first), as astropy's name_resolve does.
 */
import type { SourceFetcher } from "./fetcher.ts";
import { SourceError } from "./types.ts";

export interface Resolution {
  raDeg: number;
  decDeg: number;
  /** The main identifier first, then the others, as the resolver spells them (duplicates removed). */
  identifiers: string[];
}

/** Read a Sesame plain-text answer; null when no database gave a position. */
export function parseSesame(text: string): Resolution | null {
  let position: { raDeg: number; decDeg: number } | null = null;
  const identifiers: string[] = [];
  let section = 0;
  for (const raw of text.split(/\r\n|\n|\r/)) {
    const line = raw.trim();
    if (line.startsWith("#=")) section++;
    // Identifiers of the first database that knows the object, with its position.
    if (section > 1 && position) break;
    const j = /^%J\s+([0-9.]+)\s+([+-]?[0-9.]+)/.exec(line);
    if (j && !position) {
      const ra = Number(j[1]);
      const dec = Number(j[2]);
      if (ra >= 0 && ra < 360 && dec >= -90 && dec <= 90) position = { raDeg: ra, decDeg: dec };
      continue;
    }
    const id = /^%I(?:\.0)?\s+(.+)$/.exec(line);
    if (id) {
      const name = id[1].replace(/\s+/g, " ").trim();
      if (name && !identifiers.includes(name)) identifiers.push(name);
    }
  }
  return position ? { ...position, identifiers } : null;
}

export class SesameResolver {
  readonly title = "CDS Sesame (SIMBAD, NED, VizieR)";

  constructor(
    private readonly baseUrl: string,
    private readonly fetcher: SourceFetcher,
  ) {}

  /** The object's position and identifiers, or null when Sesame knows no such name. */
  async resolve(name: string): Promise<Resolution | null> {
    const url = `${this.baseUrl.replace(/\/+$/, "")}/-oI/A?${encodeURIComponent(name)}`;
    const answer = await this.fetcher.get(url);
    if (answer.status === 404) return null;
    const text = answer.body.toString("utf8");
    if (!/^\s*#/.test(text))
      throw new SourceError("Sesame", `${url}: the answer is not Sesame's text format`);
    return parseSesame(text);
  }
}
