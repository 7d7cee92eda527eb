/** get-plots: light-curve figures of targets from their active magnitude points, cached per generation. */
import { and, asc, eq } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import { reducedDatums } from "../../db/schema/index.ts";
import { lightCurveFigure, type LightCurvePoint, type PlotlyFigure } from "../../plots/lightcurve.ts";
import { cacheGeneration, GenerationCache } from "../cache.ts";
import { NotFoundError } from "../errors.ts";
import * as repo from "./repo.ts";

export const plotCache = new GenerationCache<PlotlyFigure | "None">(2000);

/** Active photometric (MAG) points of a target, ordered by (mjd, id). */
export async function lightCurvePoints(db: Executor, targetId: number): Promise<LightCurvePoint[]> {
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
        eq(reducedDatums.valueUnit, "MAG"),
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
