/** `skytom upload --wait`: follow data products until they are done (S) or failed (E), or time runs out. */
import type { DataProductItem, SkytomClient } from "../../client/index.ts";

export interface Calibrated {
  /** Calibrated magnitude, mag (null when the product has no calibration, e.g. a light-curve CSV). */
  mag: number | null;
  magErr: number | null;
  /** The band it was standardised to, e.g. GaiaSP/V, or the requested filter. */
  band: string;
  mjd: number | null;
}

export interface Followed {
  id: number;
  status: string;
  message: string;
  calibration: Calibrated | null;
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);

export function calibratedOf(item: DataProductItem): Calibrated | null {
  const c = item.calibration_data;
  if (!c || c.magnitude === "" || c.magnitude === null || c.magnitude === undefined) return null;
  return {
    mag: num(c.magnitude),
    magErr: num(c.mag_error),
    band: c.standardised_to || c.calib_survey_filter || "",
    mjd: num(c.mjd),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Poll `common/api/data` for each id (one request per pending id per round; 1 s between rounds, growing to
 * 5 s) until every id is S or E or `timeoutMs` passes. `onChange` is called when an id's status changes.
 */
export async function followDataProducts(
  client: SkytomClient,
  ids: number[],
  timeoutMs: number,
  onChange?: (f: Followed) => void,
): Promise<Map<number, Followed>> {
  const state = new Map<number, Followed>();
  const deadline = Date.now() + timeoutMs;
  let pause = 1000;
  for (;;) {
    const pending = ids.filter((id) => !["S", "E"].includes(state.get(id)?.status ?? ""));
    if (pending.length === 0) return state;
    for (const id of pending) {
      const page = await client.listDataProducts({ id });
      const item = page.data[0];
      const next: Followed = item
        ? { id, status: item.status, message: item.status_message, calibration: calibratedOf(item) }
        : { id, status: "E", message: "data product no longer exists", calibration: null };
      const prev = state.get(id);
      state.set(id, next);
      if (!prev || prev.status !== next.status) onChange?.(next);
    }
    if (ids.every((id) => ["S", "E"].includes(state.get(id)?.status ?? ""))) return state;
    if (Date.now() + pause > deadline) return state;
    await sleep(pause);
    pause = Math.min(pause * 1.5, 5000);
  }
}
