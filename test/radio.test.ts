/**
 * Radio fluxes: a `photometry_csv` upload with flux columns becomes MILLIJANSKY points with the frequency
 * band as the filter, sets has_radio, and round-trips through /common/api/reducedDatum/ and
 * /targets/download-radio/ in BHTOM's column layout (bhtom-behaviour.md §5).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLightCurveCsv } from "../src/domain/dataproducts/lightcurve-csv.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { multipart, type FilePart } from "./helpers/multipart.ts";
import { webAs } from "./helpers/web-targets.ts";

describe("radio light-curve CSV (parser)", () => {
  it("flux in uJy and Jy (unit column) → mJy; negative error → limit; frequency as the filter", () => {
    const r = parseLightCurveCsv(
      "mjd,frequency,flux,flux_error,unit\n60000.5,1.28GHz,250,20,uJy\n60001.5,5GHz,0.002,0.0001,Jy\n" +
        "60002.5,1.28GHz,0.1,-1,mJy\n60003.5,1.28GHz,3,0.1,MJy\n",
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rows.map((x) => [x.mjd, x.filter, x.value, x.error, x.valueUnit])).toEqual([
      [60000.5, "1.28GHz", 0.25, 0.02, "MILLIJANSKY"],
      [60001.5, "5GHz", 2, 0.1, "MILLIJANSKY"],
      [60002.5, "1.28GHz", 0.1, -1, "MILLIJANSKY"],
    ]);
    expect(r.rejected).toEqual([{ line: 5, reason: 'unit: "MJy" is not one of mJy, uJy or Jy' }]);
  });

  it("`error` serves as the flux error; the unit comes from the form when there is no column", () => {
    const r = parseLightCurveCsv("time,filter,flux,error\n60000,3GHz,1.5,0.2\n", { unit: "Jy" });
    expect(r.ok && r.rows.map((x) => [x.value, x.error])).toEqual([[1500, 200]]);
  });

  it("no unit anywhere, an unknown form unit, and magnitude + flux in one file are refused", () => {
    const noUnit = parseLightCurveCsv("time,filter,flux,error\n60000,3GHz,1.5,0.2\n");
    expect(noUnit.ok || noUnit.error).toMatch(/flux values need a unit \(mJy, uJy or Jy\)/);
    const badUnit = parseLightCurveCsv("time,filter,flux,error\n60000,3GHz,1.5,0.2\n", { unit: "W/m2" });
    expect(badUnit.ok || badUnit.error).toMatch(/unit: "W\/m2" is not one of/);
    const both = parseLightCurveCsv("time,filter,magnitude,error,flux\n60000,V,15,0.1,2\n");
    expect(both.ok || both.error).toMatch(/both a magnitude column \(magnitude\) and a flux column \(flux\)/);
  });
});

describe.each(ENGINES)("radio uploads and downloads on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;

  const upload = (fields: Record<string, string>, files: FilePart[]) => {
    const { payload, contentType } = multipart(fields, files);
    return t.app.inject({
      method: "POST",
      url: "/upload/",
      headers: { "content-type": contentType, authorization: `Token ${alice.token}` },
      payload,
    });
  };

  beforeAll(async () => {
    t = await createTestApp(engine);
    alice = await t.user("alice");
    for (const [name, ra] of [
      ["SN2024radio", 10],
      ["Optical1", 40],
    ] as const) {
      const res = await t.call("POST", "/targets/createTarget/", { name, ra, dec: -5 }, alice.token);
      expect(res.statusCode, res.body).toBe(201);
    }
  });
  afterAll(async () => t.close());

  it("an upload with flux + unit field → mJy points, has_radio, reducedDatum and download-radio in BHTOM's layout", async () => {
    const res = await upload(
      { target: "SN2024radio", data_product_type: "photometry_csv", observatory: "MeerKAT", unit: "uJy" },
      [
        {
          name: "radio.csv",
          content: "mjd,filter,flux,flux_error\n60100.5,1.28GHz,1500,30\n60090.25,1.28GHz,90,-1\n",
        },
      ],
    );
    expect(res.statusCode).toBe(201);
    expect(res.json().data[0]).toMatchObject({ status: "S", points: 2 });

    const [item] = (
      await t.call("POST", "/targets/getTargetList/", { name: "SN2024radio" }, alice.token)
    ).json().data;
    expect(item).toMatchObject({ has_radio: true, has_optical: false });

    const datums = await t.call(
      "POST",
      "/common/api/reducedDatum/",
      { target_name: "SN2024radio" },
      alice.token,
    );
    expect(datums.statusCode).toBe(200);
    const points = (datums.json().data as Array<Record<string, unknown>>).map((d) => [
      d.mjd,
      d.value,
      d.error,
      d.value_unit,
      d.filter,
      d.facility,
    ]);
    expect(points).toEqual(
      expect.arrayContaining([
        [60100.5, 1.5, 0.03, "MILLIJANSKY", "1.28GHz", "MeerKAT"],
        [60090.25, 0.09, -1, "MILLIJANSKY", "1.28GHz", "MeerKAT"],
      ]),
    );

    const dl = await t.call("POST", "/targets/download-radio/", { name: "SN2024radio" }, alice.token);
    expect(dl.statusCode).toBe(200);
    expect(dl.body).toBe(
      "MJD;mJy;Error;Facility;Filter;Observer\n60090.25;0.09;-1.0;MeerKAT;1.28GHz;alice\n60100.5;1.5;0.03;MeerKAT;1.28GHz;alice\n",
    );
    const phot = await t.call("POST", "/targets/download-photometry/", { name: "SN2024radio" }, alice.token);
    expect(phot.body).toBe("MJD;Magnitude;Error;Facility;Filter;Observer\n");
  });

  it("magnitude and flux columns in one file → 400 naming both, nothing stored", async () => {
    const res = await upload({ target: "Optical1", data_product_type: "photometry_csv" }, [
      { name: "mixed.csv", content: "mjd,filter,mag,error,flux\n60000,V,15,0.1,2\n" },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/both a magnitude column \(mag\) and a flux column \(flux\)/);
    const datums = await t.call(
      "POST",
      "/common/api/reducedDatum/",
      { target_name: "Optical1" },
      alice.token,
    );
    expect(datums.json().data).toEqual([]);
  });

  it("an unknown unit field → 400 naming the field", async () => {
    const res = await upload({ target: "Optical1", data_product_type: "photometry_csv", unit: "MJy" }, [
      { name: "r.csv", content: "mjd,filter,flux,error\n60000,5GHz,2,0.1\n" },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toBe('unit: "MJy" is not one of mJy, uJy or Jy');
  });

  it("the target page shows a radio panel (flux vs time, mJy) and links its CSV; an optical-only target has none", async () => {
    const web = await webAs(t, alice);
    const page = await web.get("/targets/SN2024radio/");
    expect(page.statusCode).toBe(200);
    const island = /<script type="application\/json" id="radiocurve-data">([\s\S]*?)<\/script>/.exec(
      page.body,
    );
    expect(island).not.toBeNull();
    const figure = JSON.parse(island?.[1] ?? "{}") as {
      data: Array<{ name: string; y: number[] }>;
      layout: { yaxis: { title: { text: string } } };
    };
    expect(figure.layout.yaxis.title.text).toBe("Flux density (mJy)");
    expect(figure.data.map((d) => [d.name, d.y])).toEqual([
      ["1.28GHz", [1.5]],
      ["1.28GHz limit", [0.09]],
    ]);
    expect(page.body).not.toContain('id="lightcurve-data"');
    const csv = await web.get("/targets/SN2024radio/radio.csv");
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toMatch(/^MJD;mJy;Error;Facility;Filter;Observer\n60090\.25;0\.09;-1\.0;MeerKAT/);
    expect((await web.get("/targets/Optical1/")).body).not.toContain('id="radiocurve-data"');
  });
});
