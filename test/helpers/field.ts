/** A target and an observatory with active cameras, as the calibration tests need them before uploading. */
import { cameras, observatories } from "../../src/db/schema/index.ts";
import type { TestApp } from "./app.ts";

type CameraRow = typeof cameras.$inferInsert;

/**
 * Create target `target` (through the API, as `token`'s user) at `ra`/`dec`, and observatory `observatory`
 * (lon 20, lat 50) with the given active cameras (prefix `<observatory>_<cameraName>` unless given).
 */
export async function seedField(
  t: TestApp,
  token: string,
  spec: {
    target: string;
    ra: number;
    dec: number;
    observatory: string;
    cameras: (Omit<CameraRow, "observatoryId" | "prefix"> & { prefix?: string })[];
  },
): Promise<void> {
  const created = await t.call(
    "POST",
    "/targets/createTarget/",
    { name: spec.target, ra: spec.ra, dec: spec.dec },
    token,
  );
  if (created.statusCode !== 201) throw new Error(`createTarget: ${created.statusCode} ${created.body}`);
  const db = t.tdb.database.db;
  const [obs] = await db
    .insert(observatories)
    .values({ name: spec.observatory, lon: 20, lat: 50, altitude: 300 })
    .returning();
  await db.insert(cameras).values(
    spec.cameras.map((c) => ({
      activeFlg: true,
      ...c,
      observatoryId: obs.id,
      prefix: c.prefix ?? `${spec.observatory}_${c.cameraName}`,
    })),
  );
}
