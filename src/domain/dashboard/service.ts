/**
 * A signed-in observer's home page: the state of their recent uploads and the network's newest
 * light-curve points (tonight's plans for their favourite cameras come from src/domain/planning).
 */
import { desc, eq } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import {
  calibrations,
  cameras,
  dataProducts,
  reducedDatums,
  targets,
  primaryCalibrationOf,
} from "../../db/schema/index.ts";
import type { Status } from "../../vocabulary.ts";
import type { Actor } from "../permissions.ts";

export interface RecentUpload {
  id: number;
  target: string;
  fileName: string;
  type: string;
  oname: string | null;
  created: Date;
  status: Status;
  statusMessage: string;
  mag: number | null;
  magError: number | null;
  filter: string | null;
}

/** The caller's newest uploads with their processing state and calibrated magnitude. */
export async function recentUploads(db: Executor, actor: Actor, limit = 8): Promise<RecentUpload[]> {
  const rows = await db
    .select({
      id: dataProducts.id,
      target: targets.name,
      originalName: dataProducts.originalName,
      data: dataProducts.data,
      type: dataProducts.dataProductType,
      oname: cameras.prefix,
      created: dataProducts.created,
      status: dataProducts.status,
      statusMessage: dataProducts.statusMessage,
      mag: calibrations.mag,
      magError: calibrations.magError,
      survey: calibrations.survey,
      band: calibrations.bestFilter,
    })
    .from(dataProducts)
    .innerJoin(targets, eq(targets.id, dataProducts.targetId))
    .leftJoin(cameras, eq(cameras.id, dataProducts.cameraId))
    .leftJoin(calibrations, primaryCalibrationOf(dataProducts.id))
    .where(eq(dataProducts.userId, actor.id))
    .orderBy(desc(dataProducts.created), desc(dataProducts.id))
    .limit(limit);
  return rows.map((r) => ({
    id: r.id,
    target: r.target,
    fileName: r.originalName || r.data.split("/").pop() || "",
    type: r.type,
    oname: r.oname,
    created: r.created,
    status: r.status,
    statusMessage: r.statusMessage,
    mag: r.mag,
    magError: r.magError,
    filter: r.band && r.survey ? `${r.band}(${r.survey})` : null,
  }));
}

export interface LatestPoint {
  target: string;
  mjd: number;
  mag: number;
  error: number;
  filter: string;
  facility: string;
  observer: string;
}

/** The network's newest light-curve points (active magnitudes), newest stored first. */
export async function latestPoints(db: Executor, limit = 10): Promise<LatestPoint[]> {
  return db
    .select({
      target: targets.name,
      mjd: reducedDatums.mjd,
      mag: reducedDatums.value,
      error: reducedDatums.error,
      filter: reducedDatums.filter,
      facility: reducedDatums.facility,
      observer: reducedDatums.observer,
    })
    .from(reducedDatums)
    .innerJoin(targets, eq(targets.id, reducedDatums.targetId))
    .where(eq(reducedDatums.activeFlg, true))
    .orderBy(desc(reducedDatums.id))
    .limit(limit);
}
