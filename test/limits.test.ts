/**
 * Limits on everything a user can make large: body size, file size, files/fields per multipart request,
 * page numbers, cone radius, string lengths, array lengths, numbers out of range, NUL characters. Each
 * answers a 4xx JSON message that names the field or the limit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { multipart } from "./helpers/multipart.ts";

const MAX_LEN = (n: number) => [`Ensure this field has no more than ${n} characters.`];
const MAX_ITEMS = (n: number) => [`Ensure this field has no more than ${n} elements.`];
const CSV = "MJD;Magnitude;Error;Facility;Filter;Observer\n60000.5;15.2;0.02;T1;V;alice\n";

describe.each(ENGINES)("limits on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let admin: TestUser;
  const upload = (fields: Record<string, string | string[]>, files: { name: string; content: string }[]) => {
    const body = multipart(
      { target: "LimitStar", data_product_type: "photometry_csv", observatory: "T1", ...fields },
      files,
    );
    return t.app.inject({
      method: "POST",
      url: "/upload/",
      headers: { authorization: `Token ${alice.token}`, "content-type": body.contentType },
      payload: body.payload,
    });
  };

  beforeAll(async () => {
    t = await createTestApp(engine, { bodyLimitBytes: 64 * 1024, maxUploadFileBytes: 4096 });
    alice = await t.user("alice");
    admin = await t.user("root", { superuser: true, staff: true });
    const res = await t.call(
      "POST",
      "/targets/createTarget/",
      { name: "LimitStar", ra: 150, dec: 2 },
      alice.token,
    );
    expect(res.statusCode, res.body).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("body size: a JSON body over SKYTOM_BODY_LIMIT → 413 JSON", async () => {
    const res = await t.call("POST", "/targets/getTargetList/", { name: "x".repeat(70 * 1024) }, alice.token);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ detail: "Request body is too large." });
  });

  it("file size: an uploaded file over SKYTOM_MAX_UPLOAD_BYTES → 413 naming the file and the limit", async () => {
    const res = await upload({}, [
      { name: "big.csv", content: CSV + "60001.5;15.2;0.02;T1;V;alice\n".repeat(200) },
    ]);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ detail: "big.csv: larger than 4096 bytes" });
  });

  it("files per request: 21 files on /upload/ → 413 (limit 20)", async () => {
    const files = Array.from({ length: 21 }, (_, i) => ({ name: `f${i}.csv`, content: CSV }));
    const res = await upload({ dry_run: "True" }, files);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ detail: "more than 20 files in one request" });
  });

  it("multipart fields per request: 501 fields → 413 (limit 500)", async () => {
    const fields = Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`f${i}`, "x"]));
    const res = await upload(fields, [{ name: "a.csv", content: CSV }]);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ detail: "more than 500 form fields in one request" });
  });

  it("multipart field size: a comment over 1 MiB → 413 naming the field (never silently truncated)", async () => {
    const res = await upload({ comment: "c".repeat(1024 * 1024 + 1) }, [{ name: "a.csv", content: CSV }]);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ detail: "comment: longer than the 1048576 bytes allowed for a form field" });
  });

  it("page numbers: page 10^12 on a clamping list → the last page at once; '1e12' → page 1", async () => {
    const t0 = performance.now();
    const huge = await t.call("POST", "/targets/getTargetList/", { page: 1e12 }, alice.token);
    expect(huge.statusCode).toBe(200);
    expect(huge.json()).toMatchObject({ count: 1, num_pages: 1, current_page: 1 });
    expect(performance.now() - t0).toBeLessThan(2000);
    const text = await t.call("POST", "/targets/getTargetList/", { page: "1e12" }, alice.token);
    expect(text.json().current_page).toBe(1);
    const big = await t.call("POST", "/targets/getTargetList/", { page: "9".repeat(40) }, alice.token);
    expect(big.json().current_page).toBe(1);
  });

  it("page numbers: page 10^12 on a strict list (reducedDatum) → 400 Invalid page number", async () => {
    const res = await t.call(
      "POST",
      "/common/api/reducedDatum/",
      { target_name: "LimitStar", page: 1e12 },
      alice.token,
    );
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: "Invalid page number." });
  });

  it("cone radius: above 180 deg or not finite → 400 naming the field and the range", async () => {
    for (const cone of ["150,2,180.5", "150,2,0", "150,2,-1"]) {
      const res = await t.call(
        "POST",
        "/targets/getTargetList/",
        { coneSearchRaDecRadius: cone },
        alice.token,
      );
      expect(res.statusCode).toBe(400);
      expect(res.json().detail).toBe(
        "Wrong format: coneSearchRaDecRadius radius must be in (0, 180] degrees",
      );
    }
    const inf = await t.call(
      "POST",
      "/targets/getTargetList/",
      { coneSearchTarget: "LimitStar,1e400" },
      alice.token,
    );
    expect(inf.statusCode).toBe(400);
    expect(inf.json().detail).toMatch(/^Wrong format: could not convert string to float/);
    const ok = await t.call(
      "POST",
      "/targets/getTargetList/",
      { coneSearchRaDecRadius: "150,2,180" },
      alice.token,
    );
    expect(ok.json().count).toBe(1);
  });

  const strings: [string, string, string, Record<string, unknown>, string, number][] = [
    ["createTarget name", "POST", "/targets/createTarget/", { ra: 1, dec: 1 }, "name", 100],
    [
      "createTarget description",
      "POST",
      "/targets/createTarget/",
      { name: "S1", ra: 1, dec: 1 },
      "description",
      200,
    ],
    ["updateTarget description", "PATCH", "/targets/updateTarget/LimitStar/", {}, "description", 200],
    ["deleteTarget name", "DELETE", "/targets/deleteTarget/", {}, "name", 100],
    ["getTargetList name filter", "POST", "/targets/getTargetList/", {}, "name", 200],
    ["getTargetList description filter", "POST", "/targets/getTargetList/", {}, "description", 200],
    ["getTargetList numeric string", "POST", "/targets/getTargetList/", {}, "raMin", 64],
    ["comment text", "POST", "/api/targets/LimitStar/comments/", {}, "comment", 10_000],
    ["comments filter", "POST", "/common/api/comments/", {}, "text", 200],
    ["target group name", "POST", "/api/target-groups/", {}, "name", 200],
    ["alias name", "POST", "/api/targets/LimitStar/aliases/", { source_name: "ZTF" }, "name", 100],
    ["data products filter", "POST", "/common/api/data/", {}, "target_name", 200],
    ["download target name", "POST", "/targets/download-photometry/", {}, "name", 100],
    ["user first_name (as admin)", "PATCH", "/api/users/alice/", {}, "first_name", 150],
    ["users filter (as admin)", "POST", "/common/api/users/", {}, "username", 150],
    ["token-auth password", "POST", "/api/token-auth/", { username: "alice" }, "password", 4096],
    [
      "observatory comment",
      "POST",
      "/observatory/createObservatory/",
      { name: "O", lon: 1, lat: 1, camera_name: "C" },
      "comment",
      10_000,
    ],
  ];
  it.each(strings)(
    "string length: %s → 400 naming the field and the limit",
    async (_what, method, url, base, field, limit) => {
      const token = _what.includes("(as admin)") ? admin.token : alice.token;
      const res = await t.call(method as "POST", url, { ...base, [field]: "a".repeat(limit + 1) }, token);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toEqual({ [field]: MAX_LEN(limit) });
    },
  );

  const arrays: [string, string, Record<string, unknown>, string, number][] = [
    ["get-plots targetNames", "/targets/get-plots/", {}, "targetNames", 500],
    ["group targets", "/api/target-groups/1/targets/", {}, "targets", 10_000],
  ];
  it.each(arrays)(
    "array length: %s → 400 naming the field and the limit",
    async (_what, url, base, field, limit) => {
      const res = await t.call(
        "POST",
        url,
        { ...base, [field]: Array.from({ length: limit + 1 }, () => "a") },
        alice.token,
      );
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toEqual({ [field]: MAX_ITEMS(limit) });
    },
  );

  it("array length: changeObservers observers → 400 naming the limit", async () => {
    const observers = Array.from({ length: 101 }, () => "a");
    const res = await t.call("POST", "/common/api/changeObservers/", { id: 1, observers }, alice.token);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toEqual({
      observers: [
        "A list of usernames (at most 100) or a comma-separated string (at most 15000 characters) is required.",
      ],
    });
  });

  it("numbers out of range: 1e400, 'NaN', 'Infinity' → 400 naming the field", async () => {
    const raw = (payload: string) =>
      t.app.inject({
        method: "POST",
        url: "/targets/createTarget/",
        headers: { authorization: `Token ${alice.token}`, "content-type": "application/json" },
        payload,
      });
    const big = await raw('{"name": "N1", "ra": 1e400, "dec": 2}');
    expect(big.statusCode, big.body).toBe(400);
    expect(Object.keys(big.json())).toEqual(["ra"]);
    for (const bad of ["NaN", "Infinity", "-Infinity", "1e400"]) {
      const res = await t.call(
        "POST",
        "/targets/createTarget/",
        { name: "N2", ra: 1, dec: bad },
        alice.token,
      );
      expect(res.statusCode, bad).toBe(400);
      expect(Object.keys(res.json())).toEqual(["dec"]);
      const imp = await t.call(
        "POST",
        "/targets/createTarget/",
        { name: "N3", ra: 1, dec: 1, importance: bad },
        alice.token,
      );
      expect(imp.statusCode, bad).toBe(400);
      expect(imp.json()).toEqual({ importance: ["A valid number is required."] });
      const cad = await t.call(
        "POST",
        "/targets/createTarget/",
        { name: "N4", ra: 1, dec: 1, cadence: bad },
        alice.token,
      );
      expect(cad.json()).toEqual({ cadence: ["A valid number is required."] });
    }
    const filter = await t.call("POST", "/targets/getTargetList/", { raMin: "1e400" }, alice.token);
    expect(filter.statusCode).toBe(400);
    expect(filter.json().detail).toBe("Wrong format: could not convert string to float: '1e400'");
  });

  it("NUL characters (not storable in PostgreSQL text) → 400 naming the field, in JSON, forms and paths", async () => {
    const json = await t.call("POST", "/targets/getTargetList/", { name: "a\u0000b" }, alice.token);
    expect(json.statusCode).toBe(400);
    expect(json.json()).toEqual({ name: ["Null characters are not allowed."] });
    const form = await t.app.inject({
      method: "POST",
      url: "/targets/createTarget/",
      headers: { authorization: `Token ${alice.token}`, "content-type": "application/x-www-form-urlencoded" },
      payload: "name=x%00y&ra=1&dec=1",
    });
    expect(form.statusCode).toBe(400);
    expect(form.json()).toEqual({ name: ["Null characters are not allowed."] });
    const path = await t.call("PATCH", "/targets/updateTarget/a%00b/", { description: "d" }, alice.token);
    expect(path.statusCode).toBe(400);
    expect(path.json()).toEqual({ name: ["Null characters are not allowed."] });
    const up = await upload({ comment: "a\u0000b" }, [{ name: "a.csv", content: CSV }]);
    expect(up.statusCode).toBe(400);
    expect(up.json()).toEqual({ comment: ["Null characters are not allowed."] });
  });
});
