/**
 * Data products as the upload and data product pages show them: one flat view object per product
 * (target link, type, file, observatory, status, calibrated magnitude), from the dataproducts domain.
 */
import type { Executor } from "../../db/connection.ts";
import { listUploads, type UploadRow } from "../../domain/dataproducts/service.ts";
import type { Actor } from "../../domain/permissions.ts";

export const TYPE_NAMES: Record<string, string> = {
  photometry_csv: "Light curve CSV",
  photometry: "Instrumental catalogue",
  fits_file: "FITS image",
  spectroscopy: "Spectrum",
};

export interface UploadView {
  id: number;
  url: string;
  target: string;
  targetUrl: string;
  type: string;
  typeName: string;
  fileName: string;
  observatory: string;
  status: string;
  statusMessage: string;
  /** Calibrated magnitude, mag (status S with a calibration). */
  mag: number | null;
  /** mag error, mag; −1 = upper limit. */
  magErr: number | null;
  /** `survey/band`, e.g. GaiaSP/V. */
  band: string;
  created: Date;
  dryRun: boolean;
  pending: boolean;
}

export function uploadView(r: UploadRow): UploadView {
  const dp = r.dp;
  const c = r.cal;
  return {
    id: dp.id,
    url: `/dataproducts/${dp.id}/`,
    target: r.targetName,
    targetUrl: `/targets/${encodeURIComponent(r.targetName)}/`,
    type: dp.dataProductType,
    typeName: TYPE_NAMES[dp.dataProductType] ?? dp.dataProductType,
    fileName: dp.originalName || dp.data.split("/").pop() || "",
    observatory: r.observatoryName ?? (r.oname || dp.facility || ""),
    status: dp.status,
    statusMessage: dp.statusMessage,
    mag: c?.status === "S" ? c.mag : null,
    magErr: c?.status === "S" ? c.magError : null,
    band: c?.survey && c?.bestFilter ? `${c.survey}/${c.bestFilter}` : "",
    created: dp.created,
    dryRun: dp.dryRun,
    pending: dp.status === "C" || dp.status === "P",
  };
}

/** These data products (visible to every signed-in user, as in the API's list), newest first. */
export async function listUploadsByIds(db: Executor, actor: Actor, ids: number[]): Promise<UploadView[]> {
  const { rows } = await listUploads(db, actor, { ids }, () => ({ offset: 0, limit: 100 }));
  return rows.map(uploadView);
}

/** `?ids=1,2,3` → [1, 2, 3] (positive integers, at most 100). */
export function parseIds(raw: unknown): number[] {
  return String(raw ?? "")
    .split(",")
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0)
    .slice(0, 100);
}
