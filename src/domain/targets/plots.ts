/** get-plots: light-curve figures of targets from their active magnitude points, cached per generation. */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import { reducedDatums } from "../../db/schema/index.ts";
import { lightCurveFigure, type LightCurvePoint, type PlotlyFigure } from "../../plots/lightcurve.ts";
import { cacheGeneration, GenerationCache } from "../cache.ts";
import { NotFoundError } from "../errors.ts";
import * as repo from "./repo.ts";

export const plotCache = new GenerationCache<PlotlyFigure | "None">(2000);

/** Active photometric (MAG) points of a target, ordered by (mjd, id); with MILLIJANSKY its radio fluxes. */
export async function lightCurvePoints(
  db: Executor,
  targetId: number,
  unit: "MAG" | "MILLIJANSKY" = "MAG",
): Promise<LightCurvePoint[]> {
  const rows = await db
    .select({
      id: reducedDatums.id,
      mjd: reducedDatums.mjd,
      mag: reducedDatums.value,
      error: reducedDatums.error,
      filter: reducedDatums.filter,
      facility: reducedDatums.facility,
      observer: reducedDatums.observer,
      qualityFlag: reducedDatums.qualityFlag,
      dataProductId: reducedDatums.dataProductId,
    })
    .from(reducedDatums)
    .where(
      and(
        eq(reducedDatums.targetId, targetId),
        eq(reducedDatums.activeFlg, true),
        eq(reducedDatums.dataType, "photometry"),
        eq(reducedDatums.valueUnit, unit),
      ),
    )
    .orderBy(asc(reducedDatums.mjd), asc(reducedDatums.id));
  return rows;
}

/** Figure of one target, or "None" when it has no light curve (BHTOM's answer). */
export async function targetPlot(db: Executor, name: string): Promise<PlotlyFigure | "None"> {
  const target = await repo.findByName(db, name);
  if (!target) throw new NotFoundError("Target does not exist in the database ");
  const generation = await cacheGeneration(db, "plots");
  const key = `${target.id}:${target.name}`;
  const cached = plotCache.get(key, generation);
  if (cached) return cached;
  const points = await lightCurvePoints(db, target.id);
  const figure = points.length ? lightCurveFigure(points, target.name) : ("None" as const);
  plotCache.set(key, generation, figure);
  return figure;
}

/** The radio panel of a target's page: its active mJy points against time, or null when it has none. */
export async function targetRadioPlot(
  db: Executor,
  targetId: number,
  name: string,
): Promise<PlotlyFigure | null> {
  const generation = await cacheGeneration(db, "plots");
  const key = `radio:${targetId}:${name}`;
  const cached = plotCache.get(key, generation);
  if (cached) return cached === "None" ? null : cached;
  const points = await lightCurvePoints(db, targetId, "MILLIJANSKY");
  const figure = points.length ? lightCurveFigure(points, `${name} (radio)`, "radio") : ("None" as const);
  plotCache.set(key, generation, figure);
  return figure === "None" ? null : figure;
}

/** One row of a target's "who observed" table: the points of one facility and observer. */
export interface PointsBySource {
  facility: string;
  observer: string;
  /** MAG or MILLIJANSKY. */
  valueUnit: string;
  points: number;
  filters: string[];
  firstMjd: number;
  lastMjd: number;
}

/**
 * The active points of a target per facility (observatory or survey) and observer, most points first:
 * who to acknowledge in a paper.
 */
export async function pointsBySource(db: Executor, targetId: number): Promise<PointsBySource[]> {
  const rows = await db
    .select({
      facility: reducedDatums.facility,
      observer: reducedDatums.observer,
      valueUnit: reducedDatums.valueUnit,
      points: sql<number>`count(*)::int`,
      filters: sql<string[]>`array_agg(distinct ${reducedDatums.filter} order by ${reducedDatums.filter})`,
      firstMjd: sql<number>`min(${reducedDatums.mjd})`,
      lastMjd: sql<number>`max(${reducedDatums.mjd})`,
    })
    .from(reducedDatums)
    .where(and(eq(reducedDatums.targetId, targetId), eq(reducedDatums.activeFlg, true)))
    .groupBy(reducedDatums.facility, reducedDatums.observer, reducedDatums.valueUnit)
    .orderBy(sql`count(*) desc`, asc(reducedDatums.facility), asc(reducedDatums.observer));
  return rows.map((r) => ({ ...r, firstMjd: Number(r.firstMjd), lastMjd: Number(r.lastMjd) }));
}
