/**
 * Harvests (docs/harvesters.md): survey light curves stored beside the network's own points. For each
 * source that applies to a target, the harvester fetches its points (outside any transaction: a slow
 * source holds no connection), then one transaction stores the new ones — filter `<band>(<source>)`,
 * facility = the source's name, source_name = the source's object id — and records the harvest's state.
 * A point is new when the target has no point of the same (source, object id, MJD, band): a source that
 * revises a magnitude does not duplicate its point. The network's own points are never read for this,
 * never changed and never removed. A failing source is recorded on the target (time and error) and
 * never stops the other sources or the caller.
 */
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db, Executor } from "../../db/connection.ts";
import type { JobQueue } from "../../db/queue.ts";
import { harvestStates, reducedDatums, targetAliases, targets } from "../../db/schema/index.ts";
import {
  SOURCES,
  SourceError,
  type Harvest,
  type HarvesterSet,
  type HarvestTarget,
  type SourceName,
} from "../../harvesters/index.ts";
import { storePoints, type NewPoint } from "../datums/store.ts";
import { settleBulkLoad } from "../datums/settle.ts";
import { BadRequestError } from "../errors.ts";

type TargetRow = typeof targets.$inferSelect;

export interface SourceOutcome {
  source: SourceName;
  /** ok: asked and stored; error: the source failed (recorded); skipped: does not apply, or offline. */
  status: "ok" | "error" | "skipped";
  objectId: string | null;
  /** Points the source returned. */
  returned: number;
  /** Of those, points not already on the light curve, now stored. */
  added: number;
  message: string;
}

/** The filter a harvested point is stored with: `<band>(<source>)`, e.g. `G(GaiaAlerts)`. */
export const harvestedFilter = (band: string, source: SourceName) => `${band}(${source})`;

/** The source names asked for, checked against the known sources; all when none are given. */
export function checkSources(requested: readonly string[] | undefined): SourceName[] {
  if (!requested || requested.length === 0) return [...SOURCES];
  const unknown = requested.filter((s) => !(SOURCES as readonly string[]).includes(s));
  if (unknown.length)
    throw new BadRequestError(
      `sources: unknown source(s) ${unknown.join(", ")}; known: ${SOURCES.join(", ")}`,
    );
  return [...new Set(requested)] as SourceName[];
}

async function harvestTargetOf(db: Executor, target: TargetRow): Promise<HarvestTarget> {
  const aliases = await db
    .select({ name: targetAliases.name })
    .from(targetAliases)
    .where(eq(targetAliases.targetId, target.id));
  return { name: target.name, aliases: aliases.map((a) => a.name), raDeg: target.ra, decDeg: target.dec };
}

/** Store a harvest's new points and its state, in one transaction; returns how many points were added. */
async function storeHarvest(db: Db, targetId: number, harvest: Harvest): Promise<number> {
  return db.transaction(async (tx) => {
    const existing = await tx
      .select({
        id: reducedDatums.id,
        objectId: reducedDatums.sourceName,
        mjd: reducedDatums.mjd,
        filter: reducedDatums.filter,
        error: reducedDatums.error,
      })
      .from(reducedDatums)
      .where(and(eq(reducedDatums.targetId, targetId), eq(reducedDatums.facility, harvest.source)));
    const seen = new Map(existing.map((p) => [`${p.objectId}|${p.mjd}|${p.filter}`, p]));
    const fresh: NewPoint[] = [];
    // Points stored without an error (Gaia Alerts before its error model) get the source's error now.
    const errorsToFill: { id: number; error: number }[] = [];
    for (const p of harvest.points) {
      const filter = harvestedFilter(p.band, harvest.source);
      const objectId = (p.objectId ?? harvest.objectId).slice(0, 100);
      const key = `${objectId}|${p.mjd}|${filter}`;
      const known = seen.get(key);
      if (known) {
        if (known.error === 0 && p.error > 0 && known.id > 0) {
          errorsToFill.push({ id: known.id, error: p.error });
          known.error = p.error;
        }
        continue;
      }
      seen.set(key, { id: 0, objectId, mjd: p.mjd, filter, error: p.error });
      fresh.push({
        dataType: "photometry",
        sourceName: objectId,
        sourceLocation: harvest.url.slice(0, 200),
        mjd: p.mjd,
        observer: "",
        facility: harvest.source,
        value: p.value,
        error: p.error,
        valueUnit: p.unit,
        filter,
      });
    }
    const added = fresh.length ? await storePoints(tx, targetId, fresh) : 0;
    for (const f of errorsToFill)
      await tx.update(reducedDatums).set({ error: f.error }).where(eq(reducedDatums.id, f.id));
    await recordState(tx, targetId, harvest.source, {
      objectId: harvest.objectId,
      lastAttempt: harvest.queriedAt,
      lastSuccess: harvest.queriedAt,
      lastError: null,
      pointsAdded: added,
      pointsReturned: harvest.points.length,
    });
    return added;
  });
}

async function recordState(
  db: Executor,
  targetId: number,
  source: SourceName,
  state: Partial<typeof harvestStates.$inferInsert> & { lastAttempt: Date },
): Promise<void> {
  await db
    .insert(harvestStates)
    .values({ targetId, source, ...state })
    .onConflictDoUpdate({ target: [harvestStates.targetId, harvestStates.source], set: state });
}

/**
 * Harvest the given sources (all by default) for one target. Never throws for a source's failure: the
 * outcome says what happened, and the target's harvest state records it.
 */
export async function harvestTarget(
  db: Db,
  set: HarvesterSet,
  target: TargetRow,
  sources: readonly SourceName[] = SOURCES,
): Promise<SourceOutcome[]> {
  const wanted = set.harvesters.filter((h) => sources.includes(h.name));
  const who = await harvestTargetOf(db, target);
  const outcomes: SourceOutcome[] = [];
  for (const harvester of wanted) {
    const base = { source: harvester.name, returned: 0, added: 0 };
    const key = harvester.appliesTo(who);
    if (key === null) {
      outcomes.push({
        ...base,
        status: "skipped",
        objectId: null,
        message: `does not apply to ${target.name}`,
      });
      continue;
    }
    if (set.offline) {
      outcomes.push({
        ...base,
        status: "skipped",
        objectId: key,
        message: "offline (SKYTOM_OFFLINE=1): not asked",
      });
      continue;
    }
    const attempt = new Date();
    try {
      const harvest = await harvester.fetch(key);
      const added = await storeHarvest(db, target.id, harvest);
      await settleBulkLoad(db, added);
      const skipped = harvest.skipped ? `; ${harvest.skipped} unusable rows skipped` : "";
      const note = harvest.note ? ` (${harvest.note})` : "";
      outcomes.push({
        ...base,
        status: "ok",
        objectId: harvest.objectId,
        returned: harvest.points.length,
        added,
        message: `${harvest.points.length} points, ${added} new${skipped}${note}`,
      });
    } catch (err) {
      if (!(err instanceof SourceError)) throw err;
      await recordState(db, target.id, harvester.name, {
        objectId: key,
        lastAttempt: attempt,
        lastError: err.message,
      });
      outcomes.push({ ...base, status: "error", objectId: key, message: err.message });
    }
  }
  return outcomes;
}

/**
 * The daily harvest: one queued harvest job per target (so that no single job runs for hours; a target
 * whose harvest still waits is not queued twice: queueHarvest). Returns how many were sent.
 */
export async function queueAllHarvests(db: Executor, queue: JobQueue): Promise<number> {
  const rows = await db.select({ id: targets.id }).from(targets).orderBy(asc(targets.id));
  for (const row of rows) await queueHarvest(queue, row.id);
  return rows.length;
}

/** Harvest every target, one after another (scripts, tests); returns the outcomes that failed. */
export async function harvestAllTargets(
  db: Db,
  set: HarvesterSet,
): Promise<{ targets: number; failures: { target: string; outcome: SourceOutcome }[] }> {
  const failures: { target: string; outcome: SourceOutcome }[] = [];
  const rows = await db.select().from(targets).orderBy(asc(targets.id));
  for (const row of rows) {
    for (const outcome of await harvestTarget(db, set, row)) {
      if (outcome.status === "error") failures.push({ target: row.name, outcome });
    }
  }
  return { targets: rows.length, failures };
}

export type HarvestStateRow = typeof harvestStates.$inferSelect;

/** The last harvest of each source for these targets. */
export async function harvestStatesOf(
  db: Executor,
  targetIds: readonly number[],
): Promise<HarvestStateRow[]> {
  if (targetIds.length === 0) return [];
  return db
    .select()
    .from(harvestStates)
    .where(inArray(harvestStates.targetId, [...targetIds]))
    .orderBy(asc(harvestStates.targetId), asc(harvestStates.source));
}

/** The job that harvests a new target's survey light curves (src/jobs registers its handler). */
export const HARVEST_JOB = "targets.harvest";

export interface HarvestJobData {
  targetId: number;
}

/**
 * Queue a harvest of every source for a target (after its creation, and daily): the request does not wait
 * for it. A target whose harvest is still waiting is not queued again (one waiting job per target's key).
 */
export async function queueHarvest(queue: JobQueue, targetId: number): Promise<void> {
  await queue.declareOnePerKey(HARVEST_JOB);
  await queue.send(HARVEST_JOB, { targetId } satisfies HarvestJobData, {
    singletonKey: `harvest-${targetId}`,
    retryLimit: 0,
  });
}

/** The queued harvest: the target by id (gone since → nothing to do). */
export async function runHarvestJob(
  db: Db,
  set: HarvesterSet,
  data: HarvestJobData,
): Promise<SourceOutcome[]> {
  const [row] = await db.select().from(targets).where(eq(targets.id, data.targetId));
  return row ? harvestTarget(db, set, row) : [];
}
