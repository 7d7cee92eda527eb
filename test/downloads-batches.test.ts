/**
 * Downloads formatted by PostgreSQL (domain/downloads/batches.ts) give the bytes csvLine gives, also for
 * floats PostgreSQL writes differently from Python (exponents from e+15, 17-digit integers, NaN, ±inf),
 * which fall back to Node formatting batch by batch.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reducedDatums } from "../src/db/schema/index.ts";
import { csvLine, PHOTOMETRY_HEADER } from "../src/domain/downloads/csv.ts";
import { csvBatches, downloadParallelism } from "../src/domain/downloads/batches.ts";
import { csvChunks } from "../src/domain/downloads/service.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import type { Engine } from "../src/db/connection.ts";
import type { ValueUnit } from "../src/vocabulary.ts";

const VALUES = [
  12,
  15.582,
  1e-5,
  2.5e-10,
  1e15,
  1e15 + 0.125,
  9999999999999998,
  1e16,
  2.8772586035381242e17,
  1e22,
  -0.0,
  0.0001,
  9.999999999999999e-5,
  59000.123456789,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

/** A test app on `engine` with one target made through the API by a new user. */
async function appWithTarget(engine: Engine, user: string, name: string) {
  const t = await createTestApp(engine);
  const u = await t.user(user);
  const res = await t.call("POST", "/targets/createTarget/", { name, ra: 1, dec: 1 }, u.token);
  return { t, targetId: res.json().id as number };
}

/** The CSV lines (no header) csvBatches gives, as one string. */
async function batchesText(t: TestApp, targetId: number, unit: ValueUnit, batch: number, parallel: number) {
  let got = "";
  for await (const c of csvBatches(t.tdb.database.db, targetId, unit, batch, parallel)) got += c.toString();
  return got;
}

describe.each(ENGINES)("downloads formatted in the database on %s", (engine) => {
  let t: TestApp;
  let targetId: number;
  beforeAll(async () => {
    ({ t, targetId } = await appWithTarget(engine, "batcher", "Odd"));
    const rows = [];
    // Plain points first and last: batches without odd floats go through the database's formatting.
    for (let i = 0; i < 6; i++) rows.push({ mjd: 50000 + i, value: 10 + i / 8, error: 0.01 });
    VALUES.forEach((v, i) => rows.push({ mjd: 51000 + i, value: v, error: i % 2 ? v : 0.1 }));
    for (let i = 0; i < 6; i++) rows.push({ mjd: 52000 + i, value: 11, error: 1e-7, observer: 'a;"b"' });
    // Fields QUOTE_MINIMAL quotes for one character each, alone in their batches when the batch is small.
    for (const [i, observer] of ["x;y", "two\nlines", "cr\rhere", "plain"].entries()) {
      rows.push({ mjd: 53000 + i, value: 11, error: 0.5, observer });
    }
    await t.tdb.database.db.insert(reducedDatums).values(
      rows.map((r, i) => ({
        targetId,
        filter: "V",
        facility: "F",
        observer: "o",
        ...r,
        mjd: r.mjd,
        value: r.value,
        error: r.error,
        // distinct identities even for equal values
        sourceName: String(i),
      })),
    );
  });
  afterAll(async () => t.close());

  it("the same bytes as csvLine for every float, in batches of any size", async () => {
    const points = await t.tdb.database.pool.query(
      "select mjd, value, error, facility, filter, observer from reduced_datums where target_id = $1 order by mjd, id",
      [targetId],
    );
    const expected =
      csvLine([...PHOTOMETRY_HEADER]) +
      points.rows.map((r) => csvLine([r.mjd, r.value, r.error, r.facility, r.filter, r.observer])).join("");
    for (const batch of [1, 4, 7, 1000]) {
      let got = "";
      for await (const c of csvChunks(t.tdb.database.db, targetId, "photometry", batch)) got += c.toString();
      expect(got).toBe(expected);
    }
    expect(expected).toContain("1000000000000000.0;");
    expect(expected).toContain(";inf;");
  });

  it("builds batches one at a time or several at once with the same bytes", async () => {
    const db = t.tdb.database.db;
    expect(downloadParallelism(db)).toBe(engine === "postgresql" ? 2 : 1);
    const text = (batch: number, parallel: number) => batchesText(t, targetId, "MAG", batch, parallel);
    const serial = await text(1000, 1);
    expect(serial).not.toContain(";x;y\n");
    expect(serial).toContain(';"x;y"\n');
    expect(serial).toContain(';"two\nlines"\n');
    expect(serial).toContain(';"cr\rhere"\n');
    for (const batch of [1, 3, 5, 29, 1000]) {
      for (const parallel of [1, 2, 3]) expect(await text(batch, parallel)).toBe(serial);
    }
  });
});

describe.each(ENGINES)("download batches among other points on %s", (engine) => {
  let t: TestApp;
  let targetId: number;
  beforeAll(async () => {
    ({ t, targetId } = await appWithTarget(engine, "mixer", "Mixed"));
    // Batches are cut by counting every point of the target: inactive points, other units and other
    // data types sit between the photometry, in runs longer than a batch too.
    const rows = [];
    for (let i = 0; i < 300; i++) {
      const kind = i < 40 ? 1 : i > 260 ? 0 : i % 5;
      rows.push({
        targetId,
        mjd: 58000 + Math.floor(i / 3) / 7,
        value: 14 + (i % 13) / 17,
        error: 0.02,
        filter: kind === 3 ? "radio" : "g(ZTF)",
        facility: "Cam",
        observer: `obs${i % 4}`,
        sourceName: String(i),
        activeFlg: kind !== 1,
        valueUnit: kind === 3 ? ("MILLIJANSKY" as const) : ("MAG" as const),
        dataType: kind === 4 ? "spectroscopy" : "photometry",
      });
    }
    await t.tdb.database.db.insert(reducedDatums).values(rows);
  });
  afterAll(async () => t.close());

  const expectedCsv = async (unit: string) => {
    const points = await t.tdb.database.pool.query(
      `select mjd, value, error, facility, filter, observer from reduced_datums
       where target_id = $1 and active_flg and data_type = 'photometry' and value_unit = $2 order by mjd, id`,
      [targetId, unit],
    );
    return points.rows
      .map((r) => csvLine([r.mjd, r.value, r.error, r.facility, r.filter, r.observer]))
      .join("");
  };
  const text = (unit: ValueUnit, batch: number, parallel: number) =>
    batchesText(t, targetId, unit, batch, parallel);

  it("holds exactly the active points of the unit, in order, however the batches are cut", async () => {
    for (const unit of ["MAG", "MILLIJANSKY"] as const) {
      const expected = await expectedCsv(unit);
      expect(expected.split("\n").length).toBeGreaterThan(unit === "MAG" ? 100 : 30);
      for (const batch of [1, 2, 7, 50, 1000]) {
        for (const parallel of [1, 2]) expect(await text(unit, batch, parallel)).toBe(expected);
      }
    }
  });

  it("keeps each stored line equal to csvLine when a point changes", async () => {
    const pool = t.tdb.database.pool;
    await pool.query(
      `update reduced_datums set observer = 'semi;colon', value = 1e15 where target_id = $1 and source_name = '100'`,
      [targetId],
    );
    await pool.query(
      `update reduced_datums set error = 0.5, filter = 'r(ZTF)' where target_id = $1 and source_name = '101'`,
      [targetId],
    );
    const rows = await pool.query(
      `select mjd, value, error, facility, filter, observer, download_line from reduced_datums where target_id = $1`,
      [targetId],
    );
    let plain = 0;
    for (const r of rows.rows) {
      const line = csvLine([r.mjd, r.value, r.error, r.facility, r.filter, r.observer]);
      if (r.download_line === null) expect(line.includes('"') || /[ei]/.test(line.split(";")[1])).toBe(true);
      else {
        expect(r.download_line).toBe(line);
        plain++;
      }
    }
    expect(plain).toBe(rows.rows.length - 1);
    expect(await text("MAG", 7, 2)).toBe(await expectedCsv("MAG"));
  });
});
