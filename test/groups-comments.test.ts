import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";

describe.each(ENGINES)("target groups and comments on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let staff: TestUser;
  let groupA: number;

  beforeAll(async () => {
    t = await createTestApp(engine);
    alice = await t.user("alice");
    bob = await t.user("bob");
    staff = await t.user("staffer", { staff: true });
    for (const [i, name] of ["G1", "G2", "G3"].entries()) {
      const res = await t.call("POST", "/targets/createTarget/", { name, ra: 10 + i, dec: 0 }, alice.token);
      expect(res.statusCode).toBe(201);
    }
    const g = await t.call("POST", "/api/target-groups/", { name: "GroupA" }, alice.token);
    expect(g.statusCode).toBe(201);
    groupA = g.json().id;
  });
  afterAll(async () => t.close());

  describe("groups", () => {
    it("the creator adds targets; getTargetList filters by targetGroup; items list their groups", async () => {
      const add = await t.call(
        "POST",
        `/api/target-groups/${groupA}/targets/`,
        { targets: ["G1", "G2"] },
        alice.token,
      );
      expect(add.statusCode).toBe(200);
      expect(add.json()).toEqual({ added: 2 });
      const again = await t.call(
        "POST",
        `/api/target-groups/${groupA}/targets/`,
        { targets: ["G1"] },
        alice.token,
      );
      expect(again.json()).toEqual({ added: 0 });
      const list = (
        await t.call("POST", "/targets/getTargetList/", { targetGroup: "GroupA" }, bob.token)
      ).json();
      expect(list.data.map((d: { name: string }) => d.name)).toEqual(["G1", "G2"]);
      expect(list.data[0].groups).toEqual([["GroupA", groupA]]);
    });

    it("POST /targets/target-groups/ lists groups newest first with id, name, created", async () => {
      await t.call("POST", "/api/target-groups/", { name: "GroupB" }, bob.token);
      const res = await t.call("POST", "/targets/target-groups/", { page: 1 }, alice.token);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ count: 2, num_pages: 1, current_page: 1 });
      expect(body.data.map((g: { name: string }) => g.name)).toEqual(["GroupB", "GroupA"]);
      expect(Object.keys(body.data[0]).sort()).toEqual(["created", "id", "name"]);
    });

    it("POST /targets/targets-from-group/ by id or by name, with BHTOM's messages", async () => {
      const byId = await t.call("POST", "/targets/targets-from-group/", { id: groupA, page: 1 }, bob.token);
      expect(byId.statusCode).toBe(200);
      expect(byId.json()).toMatchObject({ count: 2, group: groupA });
      expect(byId.json().data.map((d: { name: string }) => d.name)).toEqual(["G1", "G2"]);
      const byName = await t.call("POST", "/targets/targets-from-group/", { name: "GroupA" }, bob.token);
      expect(byName.json().group).toBe("GroupA");
      const neither = await t.call("POST", "/targets/targets-from-group/", {}, bob.token);
      expect(neither.statusCode).toBe(400);
      expect(neither.json()).toEqual({ detail: "Please provide either 'id' or 'name' of the target group." });
      const both = await t.call(
        "POST",
        "/targets/targets-from-group/",
        { id: groupA, name: "GroupA" },
        bob.token,
      );
      expect(both.json()).toEqual({
        detail: "Please provide only one parameter: either 'id' or 'name', not both.",
      });
      const missing = await t.call("POST", "/targets/targets-from-group/", { id: 99999 }, bob.token);
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({ detail: "Target group not found." });
      await t.call("POST", "/api/target-groups/", { name: "GroupA" }, bob.token);
      const ambiguous = await t.call("POST", "/targets/targets-from-group/", { name: "GroupA" }, bob.token);
      expect(ambiguous.statusCode).toBe(400);
    });

    it("others may not change a group; staff may; unknown targets are named", async () => {
      const other = await t.call(
        "POST",
        `/api/target-groups/${groupA}/targets/`,
        { targets: ["G3"] },
        bob.token,
      );
      expect(other.statusCode).toBe(403);
      const unknown = await t.call(
        "POST",
        `/api/target-groups/${groupA}/targets/`,
        { targets: ["Nope", "G3"] },
        alice.token,
      );
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json()).toEqual({ targets: ["Unknown target(s): Nope"] });
      const removed = await t.call(
        "DELETE",
        `/api/target-groups/${groupA}/targets/`,
        { targets: ["G2"] },
        staff.token,
      );
      expect(removed.json()).toEqual({ removed: 1 });
      expect((await t.call("DELETE", `/api/target-groups/${groupA}/`, undefined, bob.token)).statusCode).toBe(
        403,
      );
      expect(
        (await t.call("DELETE", `/api/target-groups/${groupA}/`, undefined, alice.token)).statusCode,
      ).toBe(200);
      const list = (await t.call("POST", "/targets/getTargetList/", { name: "G1" }, bob.token)).json();
      expect(list.data[0].groups).toEqual([]);
    });
  });

  describe("POST /common/api/comments/", () => {
    beforeAll(async () => {
      const a = await t.call(
        "POST",
        "/api/targets/G1/comments/",
        { comment: "Rising fast, please observe" },
        bob.token,
      );
      expect(a.statusCode).toBe(201);
      expect(a.json()).toMatchObject({
        user_name: "bob",
        comment: "Rising fast, please observe",
        target_name: "G1",
      });
      expect(typeof a.json().target_id).toBe("string");
      await t.call("POST", "/api/targets/G2/comments/", { comment: "Flat" }, alice.token);
    });

    it("filters target, targetid, user, text; oldest first; target_id is a string", async () => {
      const byTarget = (await t.call("POST", "/common/api/comments/", { target: "G1" }, alice.token)).json();
      expect(byTarget.data.map((c: { comment: string }) => c.comment)).toEqual([
        expect.stringMatching(/^Target created by alice/),
        "Rising fast, please observe",
      ]);
      const id = byTarget.data[0].target_id;
      const byId = (await t.call("POST", "/common/api/comments/", { targetid: id }, alice.token)).json();
      expect(byId.count).toBe(2);
      const byUser = (await t.call("POST", "/common/api/comments/", { user: "bob" }, alice.token)).json();
      expect(byUser.data.map((c: { target_name: string }) => c.target_name)).toEqual(["G1"]);
      const byText = (await t.call("POST", "/common/api/comments/", { text: "OBSERVE" }, alice.token)).json();
      expect(byText.count).toBe(1);
    });

    it("date filters take YYYY-MM-DD (inclusive days) or ISO; anything else → 400 naming the field", async () => {
      const today = new Date().toISOString().slice(0, 10);
      const all = (await t.call("POST", "/common/api/comments/", {}, alice.token)).json().count;
      const day = (
        await t.call(
          "POST",
          "/common/api/comments/",
          { created_start: today, created_end: today },
          alice.token,
        )
      ).json();
      expect(day.count).toBe(all);
      const past = (
        await t.call("POST", "/common/api/comments/", { created_end: "2000-01-01" }, alice.token)
      ).json();
      expect(past.count).toBe(0);
      const iso = (
        await t.call("POST", "/common/api/comments/", { created_start: "2000-01-01T00:00:00Z" }, alice.token)
      ).json();
      expect(iso.count).toBe(all);
      const bad = await t.call("POST", "/common/api/comments/", { created_start: "last week" }, alice.token);
      expect(bad.statusCode).toBe(400);
      expect(Object.keys(bad.json())).toEqual(["created_start"]);
    });

    it("unknown target → 404; adding to an unknown target → 404; empty comment → 400", async () => {
      expect(
        (await t.call("POST", "/common/api/comments/", { target: "Nope" }, alice.token)).statusCode,
      ).toBe(404);
      expect(
        (await t.call("POST", "/api/targets/Nope/comments/", { comment: "x" }, alice.token)).statusCode,
      ).toBe(404);
      expect(
        (await t.call("POST", "/api/targets/G1/comments/", { comment: "" }, alice.token)).statusCode,
      ).toBe(400);
    });
  });
});

describe.each(ENGINES)("target aliases on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    t = await createTestApp(engine);
    alice = await t.user("alice");
    bob = await t.user("bob");
    await t.call("POST", "/targets/createTarget/", { name: "Gaia22bpl", ra: 285, dec: -12 }, alice.token);
  });
  afterAll(async () => t.close());

  it("one alias per source; found by coneSearchTarget; listed in getTargetList; creator only", async () => {
    const a = await t.call(
      "POST",
      "/api/targets/Gaia22bpl/aliases/",
      { source_name: "ZTF", name: "ZTF22aaabbbb" },
      alice.token,
    );
    expect(a.statusCode).toBe(201);
    const b = await t.call(
      "POST",
      "/api/targets/Gaia22bpl/aliases/",
      { source_name: "ZTF", name: "ZTF22aaacccc" },
      alice.token,
    );
    expect(b.json().name).toBe("ZTF22aaacccc");
    await t.call(
      "POST",
      "/api/targets/Gaia22bpl/aliases/",
      { source_name: "GAIA_ALERTS", name: "Gaia22bpl" },
      alice.token,
    );
    const list = (await t.call("GET", "/api/targets/Gaia22bpl/aliases/", undefined, bob.token)).json();
    expect(list.map((x: { source_name: string; name: string }) => [x.source_name, x.name])).toEqual([
      ["ZTF", "ZTF22aaacccc"],
      ["GAIA_ALERTS", "Gaia22bpl"],
    ]);
    const cone = (
      await t.call("POST", "/targets/getTargetList/", { coneSearchTarget: "ztf22aaacccc,0.1" }, bob.token)
    ).json();
    expect(cone.data[0]).toMatchObject({
      name: "Gaia22bpl",
      aliases: [
        ["ZTF", "ZTF22aaacccc"],
        ["GAIA_ALERTS", "Gaia22bpl"],
      ],
    });
    expect(
      (await t.call("POST", "/api/targets/Gaia22bpl/aliases/", { source_name: "TNS", name: "x" }, bob.token))
        .statusCode,
    ).toBe(403);
    const bad = await t.call(
      "POST",
      "/api/targets/Gaia22bpl/aliases/",
      { source_name: "Nope", name: "x" },
      alice.token,
    );
    expect(bad.statusCode).toBe(400);
    expect(
      (await t.call("DELETE", "/api/targets/Gaia22bpl/aliases/ZTF/", undefined, alice.token)).statusCode,
    ).toBe(200);
    expect(
      (await t.call("DELETE", "/api/targets/Gaia22bpl/aliases/ZTF/", undefined, alice.token)).statusCode,
    ).toBe(404);
  });
});
