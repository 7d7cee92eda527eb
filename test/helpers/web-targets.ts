/**
 * The targets the web target tests share: alice's SN2023ixf, Gaia21bty (alias ZZalias77, group
 * Microlensing, a 5-point light curve) and V404Cyg (also in Microlensing), and bob's 27 fillers F01…F27
 * along the equator at RA 11…37°.
 */
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import type { Engine } from "../../src/db/connection.ts";
import { reducedDatums, targets as targetsTable } from "../../src/db/schema/index.ts";
import { setAlias } from "../../src/domain/targets/aliases.ts";
import { addToGroup, createGroup } from "../../src/domain/targets/groups.ts";
import { refreshLastPoint } from "../../src/domain/targets/refresh.ts";
import { findUser, toActor } from "../../src/domain/users/service.ts";
import { createTestApp, type TestApp, type TestUser } from "./app.ts";
import { WebClient } from "./web.ts";

export interface TargetFixture {
  t: TestApp;
  alice: TestUser;
  bob: TestUser;
  staff: TestUser;
}

/** A test app with the users and targets above; target ids by name go into `ids`. */
export async function seedTargets(engine: Engine, ids: Record<string, number>): Promise<TargetFixture> {
  const t = await createTestApp(engine);
  const db = () => t.tdb.database.db;
  const alice = await t.user("alice");
  const bob = await t.user("bob");
  const staff = await t.user("staffer", { staff: true });
  // Three named targets with distinct fields, then 27 fillers "F01"… spread along the equator.
  const named: [string, number, number, number, string][] = [
    ["SN2023ixf", 210.910674, 54.31165, 9.5, "SN"],
    ["Gaia21bty", 266.416833, -29.007833, 3, "YSO"],
    ["V404Cyg", 306.01592, 33.86725, 7, "XRB"],
  ];
  for (const [name, ra, dec, importance, classification] of named) {
    const res = await t.call(
      "POST",
      "/targets/createTarget/",
      { name, ra, dec, importance, classification },
      alice.token,
    );
    expect(res.statusCode, res.body).toBe(201);
    ids[name] = res.json().id;
  }
  for (let i = 1; i <= 27; i++) {
    const name = `F${String(i).padStart(2, "0")}`;
    const res = await t.call(
      "POST",
      "/targets/createTarget/",
      { name, ra: 10 + i, dec: 0, importance: 1, classification: "Star" },
      bob.token,
    );
    expect(res.statusCode, res.body).toBe(201);
    ids[name] = res.json().id;
  }
  const aliceUser = await findUser(db(), "alice");
  await setAlias(db(), toActor(aliceUser), "Gaia21bty", { source_name: "GAIA_ALERTS", name: "ZZalias77" });
  const group = await createGroup(db(), toActor(aliceUser), "Microlensing");
  await addToGroup(db(), toActor(aliceUser), group.id, ["Gaia21bty", "V404Cyg"]);
  // Light curve of Gaia21bty: 3 V points (one a limit), 2 r points.
  await db()
    .insert(reducedDatums)
    .values(
      [
        [59000.5, 15.2, 0.05, "V"],
        [59001.5, 15.4, 0.06, "V"],
        [59002.5, 18.0, -1, "V"],
        [59000.7, 14.9, 0.04, "r"],
        [59003.25, 14.7, 0.03, "r"],
      ].map(([mjd, value, error, filter]) => ({
        targetId: ids.Gaia21bty,
        mjd: mjd as number,
        value: value as number,
        error: error as number,
        filter: filter as string,
        facility: "ROAD",
        observer: "john",
      })),
    );
  await db().update(targetsTable).set({ hasOptical: true }).where(eq(targetsTable.id, ids.Gaia21bty));
  await refreshLastPoint(db(), ids.Gaia21bty);
  return { t, alice, bob, staff };
}

/** Log in through the form; the client keeps the session. */
export async function webAs(t: TestApp, user: TestUser): Promise<WebClient> {
  const web = new WebClient(t.app);
  const res = await web.login(user.username, user.password);
  expect(res.statusCode).toBe(303);
  return web;
}

/** Names of the targets in the order the results table lists them. */
export function listedNames(html: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? "";
  return [...body.matchAll(/<a href="\/targets\/[^"]+\/"><strong>([^<]+)<\/strong>/g)].map((m) => m[1]);
}
