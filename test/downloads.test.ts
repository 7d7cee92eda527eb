/** CSV downloads (photometry, radio, high energy) and the download log. */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadedTargets, reducedDatums } from "../src/db/schema/index.ts";
import { csvLine, pythonFloat } from "../src/domain/downloads/csv.ts";
import { csvChunks } from "../src/domain/downloads/service.ts";
import { updateUser } from "../src/domain/users/service.ts";
import { contentDisposition } from "../src/http-kit/content-disposition.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { SYSTEM } from "../src/domain/permissions.ts";

type NewDatum = typeof reducedDatums.$inferInsert;

describe("Content-Disposition as Django writes it", () => {
  it('quoted ASCII name with \\ and " escaped; RFC 5987 filename* for other names', () => {
    expect(contentDisposition("target_LC_photometry.csv")).toBe(
      'attachment; filename="target_LC_photometry.csv"',
    );
    expect(contentDisposition('target_a"b\\c_radio.csv')).toBe(
      'attachment; filename="target_a\\"b\\\\c_radio.csv"',
    );
    expect(contentDisposition("target_Żółw 1_photometry.csv")).toBe(
      "attachment; filename*=utf-8''target_%C5%BB%C3%B3%C5%82w%201_photometry.csv",
    );
  });
});

describe("CSV formatting at the positional/scientific boundary (CPython repr)", () => {
  it("edges of the fast path and NaN as an empty field", () => {
    expect(pythonFloat(9.999999999999999e-5)).toBe("9.999999999999999e-05");
    expect(pythonFloat(-1e-4)).toBe("-0.0001");
    expect(pythonFloat(9999999999999998)).toBe("9999999999999998.0");
    expect(pythonFloat(-16)).toBe("-16.0");
    expect(csvLine([Number.NaN, 1, "x"])).toBe(";1.0;x\n");
  });
});

describe.each(ENGINES)("CSV downloads on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let staff: TestUser;
  let root: TestUser;
  const ids: Record<string, number> = {};

  const db = () => t.tdb.database.db;
  const point = (
    target: string,
    mjd: number,
    value: number,
    error: number,
    extra: Partial<NewDatum> = {},
  ) => ({
    targetId: ids[target],
    mjd,
    value,
    error,
    filter: "V",
    facility: "F",
    observer: "o",
    ...extra,
  });
  const download = (kind: string, name: unknown, token?: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: "POST",
      url: `/targets/download-${kind}/`,
      headers: { ...(token ? { authorization: `Token ${token}` } : {}), ...headers },
      payload: name === undefined ? {} : { name },
    });

  beforeAll(async () => {
    t = await createTestApp(engine);
    alice = await t.user("alice");
    bob = await t.user("bob");
    staff = await t.user("staffer", { staff: true });
    root = await t.user("root", { superuser: true });
    await updateUser(db(), SYSTEM, "alice", { first_name: "Alice", last_name: "Liddell" });
    for (const [name, ra] of [
      ["LC", 10],
      ["Empty", 20],
      ["Żółw", 30],
      ["HE", 40],
      ["Big", 50],
    ] as const) {
      const res = await t.call("POST", "/targets/createTarget/", { name, ra, dec: 0 }, alice.token);
      ids[name] = res.json().id;
    }
    // Inserted out of MJD order; the two points at 58000.0 are in id order in the file (not by value).
    await db()
      .insert(reducedDatums)
      .values([
        point("LC", 59000.123456789, 15.2, 0.05, { facility: "ROAD", filter: "GaiaSP/V", observer: "john" }),
        point("LC", 58000.0, 16.0, -1.0, { facility: "Gaia", filter: "G(Gaia)", observer: "Gaia" }),
        point("LC", 58000.0, 15.0, 0.1, { facility: "X", filter: "V", observer: "" }),
        point("LC", 58500.5, 17.25, 0.2, { facility: "a;b", filter: "r", observer: 'x "y"' }),
        point("LC", 58600, 12, 0.1, { activeFlg: false }),
        point("LC", 59100, 12, 1e-5, { facility: "T", filter: "I", observer: "line\nbreak" }),
        point("LC", 58700, 1.5, 0.1, {
          valueUnit: "MILLIJANSKY",
          facility: "VLA",
          filter: "5GHz",
          observer: "r",
        }),
        point("LC", 58800, 2.25, -1, {
          valueUnit: "MILLIJANSKY",
          facility: "VLA",
          filter: "5GHz",
          observer: "r",
        }),
        point("LC", 58750, 9, 0.1, { valueUnit: "MILLIJANSKY", activeFlg: false }),
        point("LC", 58650, 14, 0.1, { dataType: "spectroscopy" }),
        point("Żółw", 60000, 13, 0.01),
      ]);
    await db()
      .insert(reducedDatums)
      .values([
        point("HE", 60001, 5, 1, { valueUnit: "COUNTS", facility: "Swift", filter: "XRT", observer: "s" }),
        point("HE", 60001, 2e-12, 1e-13, {
          valueUnit: "FLUX",
          facility: "Swift",
          filter: "XRT",
          observer: "s",
        }),
        point("HE", 60000, 7, 2, { valueUnit: "COUNTS", facility: "Swift", filter: "XRT", observer: "s" }),
        point("HE", 60001, 3e-12, 2e-13, {
          valueUnit: "FLUX",
          facility: "Fermi",
          filter: "LAT",
          observer: "f",
        }),
        point("HE", 60002, 4, 1, { valueUnit: "COUNTS", facility: "A", filter: "b", observer: "c" }),
        point("HE", 60002, 6, 1, { valueUnit: "COUNTS", facility: "A", filter: "b", observer: "c" }),
        point("HE", 60002, 1e-12, 1e-13, { valueUnit: "FLUX", facility: "A", filter: "b", observer: "c" }),
        point("HE", 60003, 16, 0.1, { facility: "A", filter: "b", observer: "c" }),
      ]);
  });
  afterAll(async () => t.close());

  const PHOTOMETRY =
    "MJD;Magnitude;Error;Facility;Filter;Observer\n" +
    "58000.0;16.0;-1.0;Gaia;G(Gaia);Gaia\n" +
    "58000.0;15.0;0.1;X;V;\n" +
    '58500.5;17.25;0.2;"a;b";r;"x ""y"""\n' +
    "59000.123456789;15.2;0.05;ROAD;GaiaSP/V;john\n" +
    '59100.0;12.0;1e-05;T;I;"line\nbreak"\n';

  describe("POST /targets/download-photometry/", () => {
    it("user → the CSV byte for byte: sorted by (mjd, id), limits in, inactive/radio/spectra out", async () => {
      const res = await download("photometry", "LC", alice.token);
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toBe("text/csv");
      expect(res.headers["content-disposition"]).toBe('attachment; filename="target_LC_photometry.csv"');
      expect(res.body).toBe(PHOTOMETRY);
    });

    it("the same file when read in batches of 1, 2 and 3 points (keyset pages across MJD ties)", async () => {
      for (const batch of [1, 2, 3]) {
        let text = "";
        for await (const chunk of csvChunks(db(), ids.LC, "photometry", batch)) text += chunk;
        expect(text, `batch ${batch}`).toBe(PHOTOMETRY);
      }
    });

    it("an empty light curve → the header line alone", async () => {
      const res = await download("photometry", "Empty", alice.token);
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe("MJD;Magnitude;Error;Facility;Filter;Observer\n");
    });

    it("a non-ASCII name → RFC 5987 filename*", async () => {
      const res = await download("photometry", "Żółw", alice.token);
      expect(res.headers["content-disposition"]).toBe(
        "attachment; filename*=utf-8''target_%C5%BB%C3%B3%C5%82w_photometry.csv",
      );
      expect(res.body).toBe("MJD;Magnitude;Error;Facility;Filter;Observer\n60000.0;13.0;0.01;F;V;o\n");
    });

    it("anonymous → 401; missing or blank name → 400 naming it; unknown or alias-cased name → 404 JSON", async () => {
      expect((await download("photometry", "LC")).statusCode).toBe(401);
      for (const name of [undefined, ""]) {
        const res = await download("photometry", name, alice.token);
        expect(res.statusCode).toBe(400);
        expect(Object.keys(res.json())).toEqual(["name"]);
      }
      for (const name of ["Nope", "lc"]) {
        const res = await download("photometry", name, alice.token);
        expect(res.statusCode).toBe(404);
        expect(res.json()).toEqual({ detail: `Target ${name} does not exist.` });
      }
    });
  });

  describe("POST /targets/download-radio/ and /targets/download-high-energy/", () => {
    it("radio → mJy points only, limits in, inactive out", async () => {
      const res = await download("radio", "LC", bob.token);
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-disposition"]).toBe('attachment; filename="target_LC_radio.csv"');
      expect(res.body).toBe(
        "MJD;mJy;Error;Facility;Filter;Observer\n58700.0;1.5;0.1;VLA;5GHz;r\n58800.0;2.25;-1.0;VLA;5GHz;r\n",
      );
    });

    const HIGH_ENERGY =
      "MJD;COUNTS;COUNTS_Error;FLUX;FLUX_Error;Facility;Band;Observer\n" +
      "60000.0;7.0;2.0;;;Swift;XRT;s\n" +
      "60001.0;;;3e-12;2e-13;Fermi;LAT;f\n" +
      "60001.0;5.0;1.0;2e-12;1e-13;Swift;XRT;s\n" +
      "60002.0;4.0;1.0;1e-12;1e-13;A;b;c\n" +
      "60002.0;6.0;1.0;1e-12;1e-13;A;b;c\n";

    it("high energy → COUNTS and FLUX merged on (mjd, facility, band, observer), as pandas' outer merge", async () => {
      const res = await download("high-energy", "HE", alice.token);
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-disposition"]).toBe('attachment; filename="target_HE_highenergy.csv"');
      expect(res.body).toBe(HIGH_ENERGY);
      for (const batch of [1, 2, 3, 5]) {
        let text = "";
        for await (const chunk of csvChunks(db(), ids.HE, "highenergy", batch)) text += chunk;
        expect(text, `batch ${batch}`).toBe(HIGH_ENERGY);
      }
    });
  });

  describe("DownloadedTarget records", () => {
    it("each download is recorded with its type and the first X-Forwarded-For entry (else the peer address)", async () => {
      await db().delete(downloadedTargets);
      await download("photometry", "LC", bob.token, { "x-forwarded-for": "203.0.113.7, 10.0.0.1" });
      await download("radio", "Empty", bob.token);
      await download("high-energy", "HE", bob.token, { "x-forwarded-for": "2001:db8::1".padEnd(80, "f") });
      await download("photometry", "Nope", bob.token, { "x-forwarded-for": "198.51.100.1" });
      const rows = await db().select().from(downloadedTargets).orderBy(downloadedTargets.id);
      expect(rows.map((r) => [r.targetId, r.downloadType, r.ipAddress])).toEqual([
        [ids.LC, "P", "203.0.113.7"],
        [ids.Empty, "R", "127.0.0.1"],
        [ids.HE, "H", "2001:db8::1".padEnd(45, "f")],
      ]);
    });
  });

  describe("POST /targets/get-downloaded-target-list/", () => {
    const url = "/targets/get-downloaded-target-list/";
    beforeAll(async () => {
      await db().delete(downloadedTargets);
      await download("photometry", "LC", alice.token, { "x-forwarded-for": "192.0.2.10" });
      await download("radio", "LC", bob.token);
      await download("photometry", "Żółw", bob.token);
      await db()
        .update(downloadedTargets)
        .set({ created: sql`'2023-06-01T12:00:00.123456Z'::timestamptz` })
        .where(eq(downloadedTargets.ipAddress, "192.0.2.10"));
    });

    it("anonymous → 401; user and staff → 403 JSON", async () => {
      expect((await t.call("POST", url, {})).statusCode).toBe(401);
      for (const who of [alice, staff]) {
        const res = await t.call("POST", url, {}, who.token);
        expect(res.statusCode).toBe(403);
        expect(res.json()).toEqual({ detail: "Access denied. You must be a superuser." });
      }
    });

    it("superuser → every download, newest first, BHTOM's item fields", async () => {
      const res = await t.call("POST", url, {}, root.token);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ count: 3, num_pages: 1, current_page: 1 });
      expect(
        body.data.map((d: { target_name: string; download_type: string }) => [
          d.target_name,
          d.download_type,
        ]),
      ).toEqual([
        ["Żółw", "P"],
        ["LC", "R"],
        ["LC", "P"],
      ]);
      const old = body.data[2];
      expect(Object.keys(old)).toEqual([
        "id",
        "user",
        "user_name",
        "target",
        "target_name",
        "created",
        "modified",
        "download_type",
        "ip_address",
      ]);
      expect(old).toMatchObject({
        user: "alice",
        user_name: "Alice Liddell",
        target: ids.LC,
        created: "2023-06-01T12:00:00.123Z",
        ip_address: "192.0.2.10",
      });
      expect(body.data[0].user_name).toBe("");
    });

    it("filters: target and user contain (case-insensitive), download_type, created_from/created_to", async () => {
      const names = async (body: Record<string, unknown>) =>
        (await t.call("POST", url, body, root.token))
          .json()
          .data.map((d: { target_name: string; user: string }) => `${d.target_name}/${d.user}`);
      expect(await names({ target: "lc" })).toEqual(["LC/bob", "LC/alice"]);
      expect(await names({ user: "ALI" })).toEqual(["LC/alice"]);
      expect(await names({ download_type: "R" })).toEqual(["LC/bob"]);
      expect(await names({ download_type: "", target: "", user: null })).toHaveLength(3);
      expect(await names({ created_to: "2023-06-01T12:00:00.123456Z" })).toEqual(["LC/alice"]);
      expect(await names({ created_to: "2023-06-01T12:00:00.123455Z" })).toEqual([]);
      expect(await names({ created_to: "2023-06-01 14:00+02:00" })).toEqual([]);
      expect(await names({ created_to: "2023-06-01 14:01+02:00" })).toEqual(["LC/alice"]);
      expect(await names({ created_from: "2023-06-02" })).toEqual(["Żółw/bob", "LC/bob"]);
      expect(await names({ created_from: "2023-06-01", created_to: "2023-6-1T23:59:59" })).toEqual([
        "LC/alice",
      ]);
    });

    it("a bad date or download type → 400 naming the field", async () => {
      for (const [field, value] of [
        ["created_from", "yesterday"],
        ["created_to", "2023-02-30"],
        ["created_to", "2023-01-01T25:00"],
        ["download_type", "X"],
      ]) {
        const res = await t.call("POST", url, { [field]: value }, root.token);
        expect(res.statusCode, `${field}=${value}`).toBe(400);
        expect(Object.keys(res.json())).toEqual([field]);
      }
    });

    it("pages clamp (200 per page); the guide's spelling getDownloadedTargetList works too", async () => {
      for (const page of [99, 0, "abc"]) {
        const res = await t.call("POST", "/targets/getDownloadedTargetList/", { page }, root.token);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ count: 3, current_page: 1 });
      }
    });
  });

  describe("a 200,000-point light curve", () => {
    it("downloads whole, in order, across 20 batches with MJD ties at batch edges", async () => {
      // mjd repeats three times, values count up with the id: the file must list values 1…N in order.
      const n = 200_000;
      await db().execute(sql`
        insert into reduced_datums (target_id, mjd, value, error, filter, facility, observer)
        select ${ids.Big}, 50000 + floor(g / 3), g, 0.01, 'V', 'F', 'o' from generate_series(1, ${n}) g`);
      const res = await download("photometry", "Big", alice.token);
      expect(res.statusCode).toBe(200);
      const lines = res.body.split("\n");
      expect(lines).toHaveLength(n + 2);
      expect(lines[0]).toBe("MJD;Magnitude;Error;Facility;Filter;Observer");
      expect(lines[n + 1]).toBe("");
      expect(lines[1]).toBe("50000.0;1.0;0.01;F;V;o");
      expect(lines[n]).toBe(`${50000 + Math.floor(n / 3)}.0;${n}.0;0.01;F;V;o`);
      let inOrder = true;
      for (let i = 1; i <= n; i++) if (lines[i].split(";")[1] !== `${i}.0`) inOrder = false;
      expect(inOrder).toBe(true);
    });
  });
});
