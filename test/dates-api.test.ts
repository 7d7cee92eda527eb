/**
 * Every date and date-time field of the API reads what Django reads (src/domain/dateparse.ts) and
 * refuses the rest with a 400 naming the field: createTarget/updateTarget's discovery_date, and the
 * created filters of comments, common/api/data, getObservatoryList, getFavouriteObservatory,
 * get-downloaded-target-list and common/api/users.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";

const DATETIME =
  "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";

describe.each(ENGINES)("dates in requests on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let root: TestUser;
  let n = 0;
  const create = (discovery_date: unknown) =>
    t.call(
      "POST",
      "/targets/createTarget/",
      { name: `D${++n}`, ra: 10 + n, dec: -20, discovery_date },
      alice.token,
    );

  beforeAll(async () => {
    t = await createTestApp(engine);
    alice = await t.user("alice");
    root = await t.user("root", { superuser: true, staff: true });
  });
  afterAll(async () => t.close());

  it("createTarget takes Django's date-times: one-digit hour (create_target.py's default), no seconds, a space, µs and an offset, a date", async () => {
    const cases: [string, string][] = [
      ["2023-01-01T0:00:01Z", "2023-01-01T00:00:01.000Z"],
      ["2023-09-28T10:00", "2023-09-28T10:00:00.000Z"],
      ["2023-09-28 10:00", "2023-09-28T10:00:00.000Z"],
      ["2023-09-28T10:00:00.123456+02:00", "2023-09-28T08:00:00.123Z"],
      ["2023-09-28", "2023-09-28T00:00:00.000Z"],
      ["2023-09-28T10", "2023-09-28T10:00:00.000Z"],
      ["20230928T101500", "2023-09-28T10:15:00.000Z"],
    ];
    for (const [given, stored] of cases) {
      const res = await create(given);
      expect(res.statusCode, `${given}: ${res.body}`).toBe(201);
      expect(res.json().discovery_date, given).toBe(stored);
    }
  });

  it("createTarget and updateTarget refuse what Django refuses, impossible dates included", async () => {
    for (const bad of ["2023-02-30", "2023-02-30T10:00", "2023-1-5", "yesterday", "2023-09-28T24:00"]) {
      const res = await create(bad);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json(), bad).toEqual({ discovery_date: [DATETIME] });
    }
    expect((await create(null)).statusCode).toBe(201);
    const upd = await t.call(
      "PATCH",
      `/targets/updateTarget/D1/`,
      { discovery_date: "2023-04-31T00:00:00Z" },
      alice.token,
    );
    expect(upd.statusCode).toBe(400);
    expect(upd.json()).toEqual({ discovery_date: [DATETIME] });
  });

  it("comments: an impossible date is a 400 (it matched everything), one-digit fields and a space work", async () => {
    const bad = await t.call("POST", "/common/api/comments/", { created_start: "2023-02-30" }, alice.token);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ created_start: [DATETIME] });
    const all = (await t.call("POST", "/common/api/comments/", {}, alice.token)).json().count;
    expect(all).toBeGreaterThan(0);
    const ok = await t.call(
      "POST",
      "/common/api/comments/",
      { created_start: "2000-1-2 3:04", created_end: "2999-12-31" },
      alice.token,
    );
    expect(ok.statusCode).toBe(200);
    expect(ok.json().count).toBe(all);
  });

  it("every created filter refuses impossible dates with a 400 naming the field", async () => {
    const endpoints: [string, Record<string, string>, string][] = [
      ["/common/api/data/", { created_end: "2023-02-29" }, "created_end"],
      ["/observatory/getObservatoryList/", { created_start: "2023-06-31" }, "created_start"],
      ["/observatory/getFavouriteObservatory/", { created_end: "2023-13-01" }, "created_end"],
      ["/targets/get-downloaded-target-list/", { created_from: "2023-02-30T00:00:00Z" }, "created_from"],
    ];
    for (const [url, body, field] of endpoints) {
      const res = await t.call("POST", url, body, root.token);
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toEqual({ [field]: [DATETIME] });
    }
    const users = await t.call("POST", "/common/api/users/", { created: "2023-02-30" }, root.token);
    expect(users.statusCode).toBe(400);
    expect(users.json()).toEqual({
      created: ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
    });
  });

  it("filters take what Django's DateTimeField takes: parse_date's one-digit month and day too", async () => {
    const users = await t.call("POST", "/common/api/users/", { created: "2000-1-5" }, root.token);
    expect(users.statusCode).toBe(200);
    expect(users.json().length).toBe(2);
    const data = await t.call("POST", "/common/api/data/", { created_start: "2000-1-5" }, root.token);
    expect(data.statusCode).toBe(200);
    const observatories = await t.call(
      "POST",
      "/observatory/getObservatoryList/",
      { created_start: "2000-01-05 0:00:00.5 +01" },
      root.token,
    );
    expect(observatories.statusCode).toBe(200);
  });
});
