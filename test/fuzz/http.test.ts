/**
 * Fuzz: request bodies through the whole HTTP app (`inject`), against every POST/PATCH/PUT/DELETE route
 * of the OpenAPI document, with a logged-in user's or a superuser's token so that requests get past
 * authentication. Bodies: random JSON values (built from the route's own field names), mutated valid
 * bodies, random bytes under each content type, random multipart uploads. Properties: never a 5xx, every
 * answer is JSON (or the route's documented CSV), and the app still answers /api/health/ afterwards.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { multipart } from "../helpers/multipart.ts";
import { fuzzParams, fuzzTimeout } from "./budget.ts";
import { applyEdits, applyTextEdits, byteEdits, textEdits } from "./mutate.ts";

interface Route {
  method: "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
  url: string;
  fields: string[];
  multipart: boolean;
}

const TARGET = "FuzzStar";
const ONAME = "Fuzz Obs_Cam";
let t: TestApp;
let tokens: string[];
let routes: Route[];
let groupId = 1;
/** The last unhandled error (logged by the app as a 500): shown in the failure message. */
let lastError: unknown;

/** Valid bodies to start mutations from (the route's documented examples, in short). */
const VALID: Record<string, unknown> = {
  "/api/token-auth/": { username: "fuzzer", password: "fuzzer-password" },
  "/api/users/": { username: "newbie", password: "long-enough-password", email: "n@example.org" },
  "/observatory/createObservatory/": { name: "Obs", lon: 10, lat: 10, camera_name: "C", altitude: 100 },
  "/targets/createTarget/": { name: "New1", ra: "17:45:40.04", dec: "-29:00:28.2", epoch: "J2000" },
  "/targets/updateTarget/{name}/": { description: "x", importance: 5, classification: "SN" },
  "/targets/getTargetList/": { coneSearchRaDecRadius: "150,2,1", raMin: "10", page: 2, hasOptical: "True" },
  "/targets/deleteTarget/": { name: "nope" },
  "/common/api/reducedDatum/": { target_name: TARGET, page: 1 },
  "/common/api/deleteReducedDatum/": {
    target_name: TARGET,
    mjd: 60000.5,
    mag: 15,
    magerr: 0.1,
    filter: "V",
    observer: "",
  },
  "/targets/download-photometry/": { name: TARGET },
  "/targets/get-downloaded-target-list/": { target: "Fuzz", created_from: "2024-01-01", download_type: "P" },
  "/common/api/data/": { target_name: TARGET, mjd_min: "1", status: "S", page: "1" },
  "/common/api/changeObservers/": { id: 1, observers: ["fuzzer", "nobody"] },
  "/calibration/get-calibration-res/": { calibid: [1, 2], getPlot: false },
  "/calibration/restart-calib-by-target/": {
    target_name: TARGET,
    mjd_min: 1,
    mjd_max: 99999,
    filter: "GaiaSP/V",
  },
  "/api/targets/{name}/aliases/": { source_name: "ZTF", name: "ZTF24abc", url: null },
  "/api/target-groups/": { name: "G" },
  "/api/target-groups/{id}/targets/": { targets: [TARGET] },
  "/api/targets/{name}/comments/": { comment: "hello" },
  "/common/api/comments/": { target: TARGET, created_start: "2024-01-01" },
  "/observatory/addFavouriteObservatory/": { observatory: ONAME, comment: "c" },
  "/api/observatories/{name}/cameras/": { camera_name: "C2", gain: 1.5 },
};

/** Interesting JSON values: huge/odd numbers, numeric and sexagesimal strings, long strings, nesting. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: "small" },
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    null,
    "",
    " ",
    "True",
    "nan",
    "inf",
    "1e400",
    "-1e400",
    1e308,
    -1e308,
    2 ** 53 + 1,
    -1,
    0,
    "0",
    "999999999999999999999999",
    "17:45:40.04",
    "-29:00:28.2",
    "2024-02-30",
    TARGET,
    ONAME,
    "fuzzer",
    "GaiaSP/V",
    "V(GaiaSP)",
    "../../etc/passwd",
    "%00",
    "\u0000",
    "<script>",
    "x".repeat(5000),
    [TARGET, TARGET],
    Array.from({ length: 300 }, (_, i) => i),
  ),
);

function fill(path: string): string {
  return path
    .replace("{name}", encodeURIComponent(path.startsWith("/api/observatories") ? "Fuzz Obs" : TARGET))
    .replace("{oname}", encodeURIComponent(ONAME))
    .replace("{username}", "fuzzer")
    .replace("{id}", String(groupId))
    .replace("{source}", "ZTF");
}

function checkAnswer(
  res: { statusCode: number; body: string; headers: Record<string, unknown> },
  what: string,
) {
  const cause = res.statusCode >= 500 ? String((lastError as Error)?.stack ?? lastError).slice(0, 600) : "";
  expect(res.statusCode, `${what} → ${res.statusCode} ${res.body.slice(0, 300)} ${cause}`).toBeLessThan(500);
  const type = String(res.headers["content-type"] ?? "");
  if (type.startsWith("text/csv")) return;
  expect(type, what).toMatch(/^application\/json/);
  expect(() => JSON.parse(res.body), what).not.toThrow();
}

const inject = (r: Route, token: string, payload: string | Buffer, contentType?: string) =>
  t.app.inject({
    method: r.method,
    url: r.url,
    headers: {
      authorization: `Token ${token}`,
      ...(contentType ? { "content-type": contentType } : {}),
    },
    payload,
  });

beforeAll(async () => {
  t = await createTestApp("pglite", { queue: true });
  t.app.addHook("onError", async (_request, _reply, error) => {
    lastError = error;
  });
  const user = await t.user("fuzzer");
  const boss = await t.user("fuzzboss", { superuser: true, staff: true });
  tokens = [user.token, boss.token];
  const ok = async (method: "POST", url: string, body: unknown, token = user.token) => {
    const res = await t.call(method, url, body, token);
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json();
  };
  await ok("POST", "/targets/createTarget/", { name: TARGET, ra: 150, dec: 2 });
  await ok("POST", "/observatory/createObservatory/", {
    name: "Fuzz Obs",
    lon: 10,
    lat: 10,
    camera_name: "Cam",
  });
  groupId = (await ok("POST", "/api/target-groups/", { name: "fuzz group" })).id;
  await t.app.ready();
  const spec = t.app.swagger() as {
    paths: Record<
      string,
      Record<string, { requestBody?: { content?: Record<string, { schema?: { properties?: object } }> } }>
    >;
  };
  routes = [];
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [m, op] of Object.entries(ops)) {
      const method = m.toUpperCase();
      if (!["POST", "PATCH", "PUT", "DELETE"].includes(method)) continue;
      const content = op.requestBody?.content ?? {};
      const schema = content["application/json"]?.schema ?? content["multipart/form-data"]?.schema;
      routes.push({
        method: method as Route["method"],
        path,
        url: fill(path),
        fields: Object.keys(schema?.properties ?? {}),
        multipart: "multipart/form-data" in content || path === "/upload/" || path === "/api/catalogues/",
      });
    }
  }
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe("HTTP bodies under fuzz: never a 5xx, always JSON, the process stays up", () => {
  it("the route table covers every write route of the OpenAPI document", () => {
    expect(routes.length).toBeGreaterThanOrEqual(50);
    for (const p of ["/targets/createTarget/", "/upload/", "/calibFile/", "/common/api/deleteReducedDatum/"])
      expect(routes.map((r) => r.path)).toContain(p);
  });

  it(
    "random JSON objects built from each route's field names",
    async () => {
      const body = (r: Route) =>
        fc.dictionary(
          fc.oneof(fc.constantFrom(...(r.fields.length ? r.fields : ["x"])), fc.string({ maxLength: 8 })),
          value,
          {
            maxKeys: 6,
          },
        );
      const arb = fc.tuple(fc.nat(), fc.nat({ max: 1 })).chain(([i, tk]) => {
        const r = routes[i % routes.length];
        return fc.tuple(fc.constant(r), fc.constant(tokens[tk]), fc.oneof(body(r), value));
      });
      await fc.assert(
        fc.asyncProperty(arb, async ([r, token, b]) => {
          const res = await inject(r, token, JSON.stringify(b), "application/json");
          checkAnswer(res, `${r.method} ${r.path} ${JSON.stringify(b).slice(0, 200)}`);
        }),
        fuzzParams("httpJson"),
      );
    },
    fuzzTimeout("httpJson", 15),
  );

  it(
    "mutated valid bodies (JSON text edits), as JSON and as a form",
    async () => {
      const withValid = () => routes.filter((r) => VALID[r.path] !== undefined);
      const arb = fc.tuple(fc.nat(), fc.nat({ max: 1 }), textEdits, fc.boolean());
      await fc.assert(
        fc.asyncProperty(arb, async ([i, tk, edits, form]) => {
          const list = withValid();
          const r = list[i % list.length];
          const valid = VALID[r.path] as Record<string, unknown>;
          const payload = form
            ? applyTextEdits(
                new URLSearchParams(
                  Object.entries(valid).map(([k, v]): [string, string] => [k, String(v)]),
                ).toString(),
                edits,
              )
            : applyTextEdits(JSON.stringify(valid), edits);
          const type = form ? "application/x-www-form-urlencoded" : "application/json";
          const res = await inject(r, tokens[tk], payload, type);
          checkAnswer(res, `${r.method} ${r.path} ${type} ${payload.slice(0, 200)}`);
        }),
        fuzzParams("httpMutated"),
      );
    },
    fuzzTimeout("httpMutated", 15),
  );

  it(
    "random bytes under every content type (JSON, form, multipart, text, none)",
    async () => {
      const types = [
        "application/json",
        "application/json; charset=latin1",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=XyZ",
        "multipart/form-data",
        "text/plain",
        "application/octet-stream",
        undefined,
      ];
      const arb = fc.tuple(
        fc.nat(),
        fc.nat({ max: 1 }),
        fc.constantFrom(...types),
        fc.uint8Array({ maxLength: 400 }),
      );
      await fc.assert(
        fc.asyncProperty(arb, async ([i, tk, type, bytes]) => {
          const r = routes[i % routes.length];
          const res = await inject(r, tokens[tk], Buffer.from(bytes), type);
          checkAnswer(
            res,
            `${r.method} ${r.path} ${type} ${Buffer.from(bytes).toString("hex").slice(0, 100)}`,
          );
        }),
        fuzzParams("httpBytes"),
      );
    },
    fuzzTimeout("httpBytes", 15),
  );

  it(
    "random multipart uploads (/upload/, /calibFile/, /api/catalogues/, createObservatory)",
    async () => {
      const csv = "MJD;Magnitude;Error;Facility;Filter;Observer\n60000.5;15.2;0.02;T1;V;alice\n";
      const cat = "1 150.0 2.0 10.5 20.25 -8.123 0.012\n";
      const targets = routes.filter((r) => r.multipart || r.path === "/observatory/createObservatory/");
      const fieldValue = fc.oneof(
        fc.constantFrom(
          TARGET,
          ONAME,
          "photometry_csv",
          "spectroscopy",
          "photometry",
          "fits_file",
          "True",
          "GaiaSP/V",
          "60000.5",
          "-1",
          "1e400",
          "GaiaSP",
          "",
        ),
        fc.string({ maxLength: 20 }),
      );
      const fields = fc.dictionary(
        fc.constantFrom(
          "target",
          "data_product_type",
          "observatory",
          "filter",
          "dry_run",
          "mjd",
          "observers",
          "match_dist",
          "comment",
          "survey",
          "ra",
          "dec",
          "name",
          "lon",
          "lat",
          "camera_name",
          "catalogue",
        ),
        fieldValue,
        { maxKeys: 8 },
      );
      const file = fc.record({
        field: fc.constantFrom("files", "file", "fits", "example_file", "x"),
        name: fc.constantFrom("a.csv", "b.cat", "c.fits", "d.txt", "../e.csv", "", 'f".csv'),
        base: fc.constantFrom(csv, cat, "4000 1e-15\n4001 2e-15\n", "SIMPLE  =                    T"),
        edits: byteEdits,
      });
      const arb = fc.tuple(
        fc.nat(),
        fc.nat({ max: 1 }),
        fields,
        fc.array(file, { maxLength: 3 }),
        fc.boolean(),
      );
      await fc.assert(
        fc.asyncProperty(arb, async ([i, tk, f, files, cut]) => {
          const r = targets[i % targets.length];
          const body = multipart(
            f,
            files.map((x) => ({
              field: x.field,
              name: x.name,
              content: Buffer.from(applyEdits(Buffer.from(x.base), x.edits)),
            })),
          );
          const payload = cut ? body.payload.subarray(0, Math.floor(body.payload.length / 2)) : body.payload;
          const res = await inject(r, tokens[tk], payload, body.contentType);
          checkAnswer(
            res,
            `${r.method} ${r.path} ${JSON.stringify(f)} ${files.length} files${cut ? " (cut)" : ""}`,
          );
        }),
        fuzzParams("httpMultipart"),
      );
    },
    fuzzTimeout("httpMultipart", 30),
  );

  it("after all of it the app still answers", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/health/" });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe("ok");
  });
});
