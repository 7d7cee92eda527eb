/**
 * The harvester interface (docs/harvesters.md): one file per survey source, all alike. A harvester says
 * which targets it applies to (an alias pattern or a position) and fetches their points with provenance.
 * Harvesters sit below the domain: they know nothing of the database; src/domain/harvests stores what
 * they return (filter `<band>(<source>)`, facility = the source's name).
 */

/** The sources skytom harvests, one list (the request schema and the docs derive from it). */
export const SOURCES = ["GaiaAlerts", "ZTF", "GaiaDR3"] as const;
export type SourceName = (typeof SOURCES)[number];
/** Every service this floor asks: the light-curve sources and the name resolvers. */
export type ServiceName = SourceName | "Sesame" | "GaiaAlertsIndex";

/** What a harvester reads of a target. */
export interface HarvestTarget {
  name: string;
  /** Every alias name of the target. */
  aliases: readonly string[];
  raDeg: number | null;
  decDeg: number | null;
}

/** One point of a survey light curve. */
export interface HarvestedPoint {
  mjd: number;
  /** Magnitude (MAG) or flux density in mJy (MILLIJANSKY). */
  value: number;
  /** Error in the value's unit; 0 when the source gives none; −1 marks an upper limit. */
  error: number;
  unit: "MAG" | "MILLIJANSKY";
  /** The source's band name (G, g, r, BP, …); stored as `<band>(<source>)`. */
  band: string;
  /** The source's object id of this point, when it differs from the harvest's (ZTF: one oid per band). */
  objectId?: string;
}

/** A source's answer for one object, with its provenance. */
export interface Harvest {
  source: SourceName;
  /** The source's own identifier of the object (alert name, ZTF object id, Gaia source_id). */
  objectId: string;
  /** Where the points were read. */
  url: string;
  queriedAt: Date;
  points: HarvestedPoint[];
  /** Rows the source marked unusable and that were skipped (untrusted, null, flagged). */
  skipped: number;
  /** Why there are no points when the source has nothing for the object ("no Gaia DR3 source within 1″"). */
  note?: string;
}

export interface Harvester {
  readonly name: SourceName;
  /** In words, for pages and messages ("Gaia Science Alerts"). */
  readonly title: string;
  /** The object to ask the source for (an alias matching its pattern, a position), or null. */
  appliesTo(target: HarvestTarget): string | null;
  /** The object's points; a SourceError when the source cannot answer now or answers nonsense. */
  fetch(objectKey: string): Promise<Harvest>;
}

/** A source could not give the points now (after its retries), or answered something unreadable. */
export class SourceError extends Error {
  constructor(
    readonly source: ServiceName,
    message: string,
  ) {
    super(message);
  }
}

/** The source does not know the object (HTTP 404, an empty answer where the object should be). */
export class SourceNotFoundError extends SourceError {}
