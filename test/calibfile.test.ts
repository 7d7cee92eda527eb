/** POST /calibFile/ and the staff catalogue import endpoint, on the independent fixture. */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { multipart } from "./helpers/multipart.ts";
import { FIELD_DIR } from "./helpers/fixtures.ts";

const FIXTURE = FIELD_DIR;

describe("calibFile and catalogue import (pglite)", () => {
  let t: TestApp;
  let staff: TestUser;
  let alice: TestUser;
  const post = (
    url: string,
    fields: Record<string, string>,
    files: { field?: string; name: string; content: string | Buffer }[],
    who: TestUser,
  ) => {
    const { payload, contentType } = multipart(fields, files);
    return t.app.inject({
      method: "POST",
      url,
      headers: { "content-type": contentType, authorization: `Token ${who.token}` },
      payload,
    });
  };

  beforeAll(async () => {
    t = await createTestApp("pglite");
    staff = await t.user("staffer", { staff: true });
    alice = await t.user("alice");
  });
  afterAll(async () => t.close());

  it("staff import the fixture's GaiaSP catalogue; others → 403; a bad survey → 400", async () => {
    const csv = readFileSync(`${FIXTURE}/gaiasp-reference.csv`);
    expect(
      (
        await post(
          "/api/catalogues/",
          { survey: "GaiaSP" },
          [{ field: "file", name: "ref.csv", content: csv }],
          alice,
        )
      ).statusCode,
    ).toBe(403);
    const bad = await post(
      "/api/catalogues/",
      { survey: "Hipparcos" },
      [{ field: "file", name: "ref.csv", content: csv }],
      staff,
    );
    expect(bad.statusCode).toBe(400);
    const res = await post(
      "/api/catalogues/",
      { survey: "GaiaSP", name: "field-150p02" },
      [{ field: "file", name: "ref.csv", content: csv }],
      staff,
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      name: "field-150p02",
      survey: "GaiaSP",
      rows: csv.toString().trim().split("\n").length - 1,
    });
    const broken = await post(
      "/api/catalogues/",
      { survey: "GaiaSP", name: "broken" },
      [{ field: "file", name: "b.csv", content: "ra,dec,V,V_err\n1,2,x,0.1\n" }],
      staff,
    );
    expect(broken.statusCode).toBe(400);
    expect(broken.json().detail).toMatch(/line 2/);
  });

  it("calibFile: Source Extractor's catalogue of the fixture frame gives the target V = 15.80 within 3σ, with the plot", async () => {
    const cat = readFileSync(`${FIXTURE}/sextractor-reference.cat`);
    const res = await post(
      "/calibFile/",
      { ra: "150.012", dec: "1.991", survey: "GaiaSP", filter: "V", image_format: "png" },
      [{ field: "photometry_file", name: "sextractor-reference.cat", content: cat }],
      alice,
    );
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json();
    expect(r).toMatchObject({ status: "S", survey: "GaiaSP", best_filter: "V", standardised_to: "GaiaSP/V" });
    expect(Math.abs(r.mag - 15.8)).toBeLessThan(3 * r.mag_error);
    expect(r.plot).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    const noPlot = await post(
      "/calibFile/",
      { ra: "150.012", dec: "1.991", filter: "GaiaSP/V", no_plot: "True" },
      [{ field: "photometry_file", name: "c.cat", content: cat }],
      alice,
    );
    expect(noPlot.json().plot).toBeNull();
  });

  it("calibFile: missing file or coordinates → 400 naming the field", async () => {
    const noFile = await post("/calibFile/", { ra: "1", dec: "1" }, [], alice);
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json().detail).toMatch(/^photometry_file/);
    const noRa = await post(
      "/calibFile/",
      { dec: "1" },
      [{ field: "photometry_file", name: "c.cat", content: "x" }],
      alice,
    );
    expect(noRa.statusCode).toBe(400);
    expect(noRa.json()).toEqual({ ra: ["This field is required."] });
    const bad = await post(
      "/calibFile/",
      { ra: "east", dec: "91", match_dist: "far", no_plot: "maybe", image_format: "gif" },
      [{ field: "photometry_file", name: "c.cat", content: "x" }],
      alice,
    );
    expect(bad.statusCode).toBe(400);
    expect(Object.keys(bad.json()).sort()).toEqual(["dec", "image_format", "match_dist", "no_plot", "ra"]);
    expect(bad.json().dec).toEqual(["Ensure this value is less than or equal to 90."]);
  });
});
