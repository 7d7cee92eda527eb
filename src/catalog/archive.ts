/**
 * Reference stars for any field, on demand: the Gaia archive (GaiaSP, GaiaDR3) and CDS VizieR (2MASS)
 * over TAP, their answers cached in the database (cache.ts), imported catalogues taking part.
 *
 * For each survey asked, a cone is served from the database alone when
 *   - a cone the archive answered in full contains it (reference_cones), or
 *   - an imported catalogue of the survey has stars in it (an import is the operator's choice for a field;
 *     imported stars win over cached ones of the same star, see provider.ts), or
 *   - SKYTOM_OFFLINE=1 (cache and imports only; a cone with no stars at all is an error that says so).
 * Otherwise the archive is asked for a slightly larger cone (radius + 20 %, at most + 0.1°, rounded up to
 * 0.01°, so the next frames of the field — dithered, or a little larger — are inside it), in tiles of at most
 * `tileRadiusDeg`, and a tile whose answer reaches `maxRows` is split in smaller tiles (tiling.ts). Each
 * tile is stored with its cone in one transaction; the whole cone is recorded once every tile is in. Then
 * the stars are read back from the database (StoredCatalogueProvider), moved to the frame's epoch.
 *
 * Faults are the TAP service's (tap/client.ts): timeouts, retries with backoff, a bounded number of queries
 * at once per process; what cannot be had now is an ArchiveError with the time of the next try.
 * Concurrent requests in one process for cones inside a cone being fetched wait for that fetch.
 */
import pLimit from "p-limit";
import type { ReferenceCatalogue, Survey } from "../astro/calibrate/bands.ts";
import type { Cone } from "../astro/cone.ts";
import { capInsideCap, tilesCoveringCap, type Tile } from "../astro/tiling.ts";
import type { Database } from "../db/connection.ts";
import { archiveCatalogueId, coveringCone, importedStarsInCone, storeAnswer } from "./cache.ts";
import { ArchiveAnswerError, ReferenceStarsOfflineError } from "./errors.ts";
import {
  StoredCatalogueProvider,
  checkedCone,
  checkedSurveys,
  type ConeOptions,
  type ReferenceProvider,
} from "./provider.ts";
import { ARCHIVE_SURVEYS, type ArchiveServiceName } from "./surveys.ts";
import type { ArchiveSettings } from "./settings.ts";
import { TapService, type TapFormat } from "./tap/client.ts";

export interface ArchiveTuning {
  /** Largest cone asked in one query, deg (default 1; denser answers are split further). */
  tileRadiusDeg?: number;
  /** Most stars one query may return before its cone is split (default 100 000). */
  maxRows?: number;
  /** First backoff between attempts, ms (default 1000). */
  retryBaseMs?: number;
  /** Answer formats asked for (default: csv from the Gaia archive, votable from VizieR). */
  formats?: Partial<Record<ArchiveServiceName, TapFormat>>;
  /** Called before every HTTP attempt. */
  onAttempt?: (info: { service: string; attempt: number }) => void;
}

/** Smallest tile a dense answer is split down to, deg (18″). */
const MIN_TILE_DEG = 0.005;

/** Radius actually fetched for a cone of radius r (file comment). */
export function fetchRadiusDeg(radiusDeg: number): number {
  return Math.ceil((radiusDeg + Math.min(0.2 * radiusDeg, 0.1)) * 100 - 1e-9) / 100;
}

export interface TileProgress {
  survey: Survey;
  tile: Tile;
  /** Stars the archive answered for it; 0 when it was covered already (`skipped`). */
  rows: number;
  skipped: boolean;
}

export class ArchiveProvider implements ReferenceProvider {
  private readonly stored: StoredCatalogueProvider;
  private readonly services: Record<ArchiveServiceName, TapService>;
  private readonly tileRadiusDeg: number;
  private readonly maxRows: number;
  private readonly inflight: { survey: Survey; cone: Tile; done: Promise<unknown> }[] = [];

  constructor(
    private readonly database: Database,
    readonly settings: ArchiveSettings,
    tuning: ArchiveTuning = {},
  ) {
    this.stored = new StoredCatalogueProvider(database.db);
    this.tileRadiusDeg = tuning.tileRadiusDeg ?? 1;
    this.maxRows = tuning.maxRows ?? 100_000;
    const limit = pLimit(Math.max(1, settings.concurrency));
    const common = {
      connectTimeoutMs: settings.connectTimeoutMs,
      queryTimeoutMs: settings.queryTimeoutMs,
      retries: settings.retries,
      retryBaseMs: tuning.retryBaseMs,
      waitMs: settings.retryWaitSeconds * 1000,
      maxWaitMs: Math.max(settings.retryWaitSeconds * 1000, 3600_000),
      limit,
      onAttempt: tuning.onAttempt,
    };
    this.services = {
      gaia: new TapService({
        ...common,
        name: "the Gaia archive",
        baseUrl: settings.gaiaTapUrl,
        format: tuning.formats?.gaia ?? "csv",
      }),
      vizier: new TapService({
        ...common,
        name: "CDS VizieR",
        baseUrl: settings.vizierTapUrl,
        format: tuning.formats?.vizier ?? "votable",
      }),
    };
  }

  async cone(
    raDeg: number,
    decDeg: number,
    radiusDeg: number,
    survey?: Survey | readonly Survey[],
    options: ConeOptions = {},
  ): Promise<ReferenceCatalogue> {
    const surveys = checkedSurveys(survey);
    const cone = checkedCone(raDeg, decDeg, radiusDeg);
    if (!this.settings.offline) for (const s of surveys) await this.ensure(s, cone);
    const catalogue = await this.stored.cone(raDeg, decDeg, radiusDeg, surveys, options);
    if (this.settings.offline && catalogue.raDeg.length === 0) {
      throw new ReferenceStarsOfflineError(
        `no ${surveys.join("/")} reference stars within ${radiusDeg.toFixed(3)}° of ` +
          `(${raDeg.toFixed(4)}, ${decDeg.toFixed(4)}) in the cache or an imported catalogue, and ` +
          "SKYTOM_OFFLINE=1 keeps the archives out of reach: import a catalogue of the field, or prefetch it " +
          "with `skytom catalog fetch` where the archives can be reached",
      );
    }
    return catalogue;
  }

  /** Makes sure the survey's stars in the cone are in the database (file comment). */
  private async ensure(survey: Survey, cone: Cone): Promise<void> {
    for (;;) {
      const db = this.database.db;
      if (await coveringCone(db, survey, cone)) return;
      if (await importedStarsInCone(db, survey, cone)) return;
      const running = this.inflight.find(
        (f) => f.survey === survey && capInsideCap(cone.raDeg, cone.decDeg, cone.radiusDeg, f.cone),
      );
      if (!running) break;
      await running.done.catch(() => undefined);
    }
    const wanted: Tile = {
      raDeg: cone.raDeg,
      decDeg: cone.decDeg,
      radiusDeg: Math.min(fetchRadiusDeg(cone.radiusDeg), 89),
    };
    const done = this.fetchRegion(survey, wanted.raDeg, wanted.decDeg, wanted.radiusDeg);
    const entry = { survey, cone: wanted, done };
    this.inflight.push(entry);
    try {
      await done;
    } finally {
      this.inflight.splice(this.inflight.indexOf(entry), 1);
    }
  }

  /**
   * Fetches the survey's stars in a cap into the cache, tile by tile, skipping tiles covered already, then
   * records the whole cap: the prefetch of `skytom catalog fetch` (interrupted, it resumes where it
   * stopped) and the on-demand fetch alike. Returns the stars the archive answered.
   */
  async fetchRegion(
    survey: Survey,
    raDeg: number,
    decDeg: number,
    radiusDeg: number,
    o: { tileRadiusDeg?: number; onTile?: (p: TileProgress, done: number, total: number) => void } = {},
  ): Promise<number> {
    const a = ARCHIVE_SURVEYS[survey];
    const service = this.services[a.service];
    const catalogueId = await archiveCatalogueId(this.database.db, survey, service.options.baseUrl);
    const whole = checkedCone(raDeg, decDeg, radiusDeg);
    if (await coveringCone(this.database.db, survey, whole)) {
      o.onTile?.({ survey, tile: { raDeg, decDeg, radiusDeg }, rows: 0, skipped: true }, 1, 1);
      return 0;
    }
    const tiles = tilesCoveringCap(raDeg, decDeg, radiusDeg, o.tileRadiusDeg ?? this.tileRadiusDeg);
    let rows = 0;
    for (let k = 0; k < tiles.length; k++) {
      const tile = tiles[k];
      const covered = await coveringCone(
        this.database.db,
        survey,
        checkedCone(tile.raDeg, tile.decDeg, tile.radiusDeg),
      );
      const n = covered ? 0 : await this.fetchTile(survey, catalogueId, tile);
      rows += n;
      o.onTile?.({ survey, tile, rows: n, skipped: covered !== null }, k + 1, tiles.length);
    }
    if (tiles.length > 1) {
      await storeAnswer(this.database, {
        survey,
        catalogueId,
        cone: { raDeg, decDeg, radiusDeg },
        stars: null,
        service: service.options.baseUrl,
        rows,
      });
    }
    return rows;
  }

  /** One tile: asked, split when too dense, stored with its cone. Returns the stars answered. */
  private async fetchTile(survey: Survey, catalogueId: number, tile: Tile): Promise<number> {
    const a = ARCHIVE_SURVEYS[survey];
    const service = this.services[a.service];
    const table = await service.query(
      a.adql(tile.raDeg, tile.decDeg, tile.radiusDeg, this.maxRows + 1),
      this.maxRows + 1,
      a.columns,
    );
    if (table.rows.length > this.maxRows || table.overflow) {
      if (tile.radiusDeg / 2 < MIN_TILE_DEG) {
        throw new ArchiveAnswerError(
          service.label,
          `${service.label} has more than ${this.maxRows} ${survey} stars within ${(tile.radiusDeg * 3600).toFixed(0)}″ of (${tile.raDeg.toFixed(5)}, ${tile.decDeg.toFixed(5)}): too dense to fetch`,
          service.recordFailure(),
        );
      }
      let rows = 0;
      for (const sub of tilesCoveringCap(tile.raDeg, tile.decDeg, tile.radiusDeg, tile.radiusDeg / 2)) {
        rows += await this.fetchTile(survey, catalogueId, sub);
      }
      await storeAnswer(this.database, {
        survey,
        catalogueId,
        cone: tile,
        stars: null,
        service: service.options.baseUrl,
        rows,
      });
      return rows;
    }
    let stars;
    try {
      stars = a.read(table);
    } catch (err) {
      throw new ArchiveAnswerError(
        service.label,
        `${service.label} answered a table that cannot be read: ${(err as Error).message}`,
        service.recordFailure(),
      );
    }
    await storeAnswer(this.database, {
      survey,
      catalogueId,
      cone: tile,
      stars,
      service: service.options.baseUrl,
      rows: table.rows.length,
    });
    return table.rows.length;
  }
}
