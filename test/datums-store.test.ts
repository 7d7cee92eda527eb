/**
 * Storing light-curve points (src/domain/datums/store.ts): one identity rule, DATUM_IDENTITY, makes the
 * unique index and the inserts' conflict target; a point already on the light curve is skipped; a data
 * product's points are replaced; the target's derived fields follow.
 */
import { asc, eq } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataProducts, DATUM_IDENTITY, reducedDatums, targets } from "../src/db/schema/index.ts";
import { replaceDataProductPoints, storePoints, type NewPoint } from "../src/domain/datums/store.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./helpers/db.ts";

describe("the identity of a light-curve point", () => {
  it("the unique index reduced_datums_identity has exactly the columns of DATUM_IDENTITY, in order", () => {
    const index = getTableConfig(reducedDatums).indexes.find(
      (i) => i.config.name === "reduced_datums_identity",
    );
    expect(index?.config.unique).toBe(true);
    const columns = index!.config.columns.map((c) => (c as { name: string }).name);
    expect(columns).toEqual(DATUM_IDENTITY.map((key) => reducedDatums[key].name));
  });
});

describe.each(ENGINES)("storing points on %s", (engine) => {
  let tdb: TestDatabase;
  let targetId: number;
  let productId: number;
  const db = () => tdb.database.db;
  const point = (mjd: number, value: number, extra: Partial<NewPoint> = {}): NewPoint => ({
    mjd,
    value,
    error: 0.02,
    filter: "V(GaiaSP)",
    facility: "Obs_Cam",
    observer: "alice",
    ...extra,
  });
  const points = () =>
    db()
      .select({
        mjd: reducedDatums.mjd,
        value: reducedDatums.value,
        observer: reducedDatums.observer,
        dp: reducedDatums.dataProductId,
      })
      .from(reducedDatums)
      .where(eq(reducedDatums.targetId, targetId))
      .orderBy(asc(reducedDatums.mjd), asc(reducedDatums.id));
  const target = async () => (await db().select().from(targets).where(eq(targets.id, targetId)))[0];

  beforeAll(async () => {
    tdb = await createTestDatabase(engine);
    [{ id: targetId }] = await db()
      .insert(targets)
      .values({ name: "StoreT", ra: 10, dec: 20 })
      .returning({ id: targets.id });
    [{ id: productId }] = await db()
      .insert(dataProducts)
      .values({
        targetId,
        dataProductType: "photometry",
        data: "x.cat",
        originalName: "x.cat",
        sha256: "0".repeat(64),
      })
      .returning({ id: dataProducts.id });
  });
  afterAll(async () => tdb?.destroy());

  it("the migrated database has the same unique index (what ON CONFLICT infers)", async () => {
    const res = await tdb.database.pool.query<{ def: string }>(
      "select indexdef as def from pg_indexes where indexname = 'reduced_datums_identity'",
    );
    expect(res.rows[0].def).toMatch(
      /^CREATE UNIQUE INDEX reduced_datums_identity ON public\.reduced_datums USING btree \(target_id, mjd, value, error, filter, facility, observer\)$/,
    );
  });

  it("stores new points, skips those whose identity is stored (even with other non-identity fields), refreshes the target", async () => {
    expect(await storePoints(db(), targetId, [point(60000.5, 15.1), point(60001.5, 15.2)])).toBe(2);
    // Same identity, other source: skipped. Other observer: a different point.
    const again = [
      point(60000.5, 15.1, { sourceLocation: "elsewhere", dataProductId: productId }),
      point(60001.5, 15.2, { observer: "bob" }),
    ];
    expect(await storePoints(db(), targetId, again)).toBe(1);
    expect(await points()).toEqual([
      { mjd: 60000.5, value: 15.1, observer: "alice", dp: null },
      { mjd: 60001.5, value: 15.2, observer: "alice", dp: null },
      { mjd: 60001.5, value: 15.2, observer: "bob", dp: null },
    ]);
    expect(await target()).toMatchObject({ hasOptical: true, mjdLast: 60001.5, magLast: 15.2 });
  });

  it("more points than one INSERT takes are all stored, once", async () => {
    const many = Array.from({ length: 20_001 }, (_, i) => point(61000 + i / 10_000, 16, { observer: "many" }));
    expect(await storePoints(db(), targetId, many)).toBe(20_001);
    expect(await storePoints(db(), targetId, many)).toBe(0);
  });

  it("every column arrives as given (JSON, quotes, non-finite numbers, booleans), missing ones take the schema's defaults", async () => {
    const [{ id: other }] = await db()
      .insert(targets)
      .values({ name: "StoreColumns", ra: 1, dec: 2 })
      .returning({ id: targets.id });
    const given: NewPoint = {
      mjd: 60123.123456789,
      value: 0.1 + 0.2,
      error: Infinity,
      filter: 'g "ZTF", {x}',
      facility: "Ob's\\Cam",
      observer: "żółw, \"o\"",
      observers: ["a,b", 'c"d', "{e}"],
      extraData: { note: 'say "hi"', list: [1, null, "x"], nested: { deep: true } },
      dataType: "photometry",
      sourceName: "NULL",
      sourceLocation: "",
      valueUnit: "MILLIJANSKY",
      activeFlg: false,
      dataProductId: productId,
      qualityFlag: "low_zeropoint",
      channel: "G",
    };
    // Two of the same identity in one call: one stored.
    expect(await storePoints(db(), other, [given, { mjd: 60124, value: NaN, error: 0.1 }, given])).toBe(2);
    const rows = await db()
      .select()
      .from(reducedDatums)
      .where(eq(reducedDatums.targetId, other))
      .orderBy(asc(reducedDatums.mjd));
    expect(rows[0]).toMatchObject({ ...given, targetId: other });
    expect(rows[1]).toMatchObject({
      mjd: 60124,
      error: 0.1,
      filter: "",
      facility: "",
      observer: "",
      observers: null,
      extraData: null,
      dataType: "photometry",
      sourceName: "",
      sourceLocation: "",
      valueUnit: "MAG",
      activeFlg: true,
      dataProductId: null,
      calibrationRunId: null,
      qualityFlag: null,
      channel: "",
    });
    expect(rows[1].value).toBeNaN();
  });

  it("replaceDataProductPoints: the product's earlier points go, the new ones come, the last point follows", async () => {
    expect(await replaceDataProductPoints(db(), targetId, productId, [point(62000.5, 14.0)])).toBe(1);
    expect(await target()).toMatchObject({ mjdLast: 62000.5, magLast: 14.0 });
    expect(await replaceDataProductPoints(db(), targetId, productId, [point(62000.25, 14.5)])).toBe(1);
    const mine = (await points()).filter((p) => p.dp === productId);
    expect(mine).toEqual([{ mjd: 62000.25, value: 14.5, observer: "alice", dp: productId }]);
    expect(await replaceDataProductPoints(db(), targetId, productId, [])).toBe(0);
    expect((await points()).filter((p) => p.dp === productId)).toEqual([]);
    // The latest remaining point of the target is the last of the 20,001 above (MJD 61002.0).
    expect((await target()).mjdLast).toBeCloseTo(61002, 9);
  });
});
