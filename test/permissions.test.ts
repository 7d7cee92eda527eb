/**
 * The permission matrix (issue #10, part 4): every endpoint of the OpenAPI document × every kind of
 * caller → the status the spec gives (bhtom-behaviour.md §1.1, §1.9, §2 and DESIGN.md §4 "fix on
 * purpose"). Besides the status: a refused request changes nothing (database and stored files), a read
 * changes nothing either, an allowed write changes something, and no answer ever carries a password, a
 * password hash, a token hash, or a token other than the caller's own from a token endpoint.
 *
 * Columns: anonymous (no header), user (owns every object the row's setup makes), other (another plain
 * user), staff (is_staff), superuser. Three more callers get 401 on every row, even on the endpoints that
 * need no authentication (§1.1 "An invalid token header gives 401 even on endpoints that need no auth"):
 * an inactive user with a token issued before deactivation ("User inactive or deleted."), a well-formed
 * unknown 40-hex key ("Invalid token."), and the malformed headers `Token abc def` and `Token` (no key). A header with another
 * scheme (`Bearer <user's valid token>`) counts as anonymous (§1.1), so it must get the anonymous column.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import {
  FIXTURE,
  hex40,
  PRINCIPALS,
  UNAUTHENTICATED,
  World,
  type Principal,
  type Req,
} from "./helpers/permissions.ts";
import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { calibrations, dataProducts, fitsJobs } from "../src/db/schema/index.ts";

type Method = "GET" | "POST" | "PATCH" | "DELETE";
/** READ: one world per row, nothing may change. WRITE: fresh objects per caller; 2xx changes, refusals do not. */
type Kind = "READ" | "WRITE";
type Expect5 = [anonymous: number, user: number, other: number, staff: number, superuser: number];
type Check = (p: Principal, json: unknown) => void;

interface Row {
  method: Method;
  path: string;
  expect: Expect5;
  kind: Kind;
  setup: (w: World, p: Principal) => Promise<Req>;
  check?: Check;
  /** token-auth style: the answer carries the token of `Req.tokenOf`. */
  tokenEndpoint?: boolean;
}

const row = (
  method: Method,
  path: string,
  expect: Expect5,
  kind: Kind,
  setup: Row["setup"],
  extra: Pick<Row, "check" | "tokenEndpoint"> = {},
): Row => ({ method, path, expect, kind, setup, ...extra });

const ACCOUNT: Principal[] = ["user", "other", "staff", "superuser", "inactive"];

// prettier-ignore
const MATRIX: Row[] = [
  //  method    path                                             anon user other staff super
  // ── accounts ──
  row("GET",    "/api/health/",                                  [200, 200, 200, 200, 200], "READ",  async () => ({ url: "/api/health/" })),
  // §A.1: no auth; every caller logs in with its own credentials (anonymous with "user"'s).
  row("POST",   "/api/token-auth/",                              [200, 200, 200, 200, 200], "WRITE", async (w, p) => {
    const u = w.user(ACCOUNT.includes(p) ? p : "user");
    return { url: "/api/token-auth/", body: { username: u.username, password: u.password }, tokenOf: u.username };
  }, { tokenEndpoint: true }),
  // skytom addition: revokes the token the request carries (a fresh one of the same caller).
  row("DELETE", "/api/tokens/",                                  [401, 200, 200, 200, 200], "WRITE", async (w, p) => ({ url: "/api/tokens/", token: await w.freshToken(p) })),
  row("POST",   "/api/users/",                                   [401, 403, 403, 201, 201], "WRITE", async (w) => ({ url: "/api/users/", body: { username: `made${w.next()}`, password: "a-long-password" } })),
  row("PATCH",  "/api/users/{username}/",                        [401, 403, 403, 200, 200], "WRITE", async (w) => ({ url: `/api/users/${await w.victim()}/`, body: { first_name: "Changed" } })),
  // §G.7 staff; §7.19 + DESIGN §4: no password hashes.
  row("POST",   "/common/api/users/",                            [401, 403, 403, 200, 200], "READ",  async () => ({ url: "/common/api/users/", body: {} }), { check: (_p, json) => {
    for (const u of json as object[]) expect(Object.keys(u)).not.toContain("password");
  } }),
  // ── observatories ──
  row("POST",   "/observatory/createObservatory/",               [401, 201, 201, 201, 201], "WRITE", async (w) => ({ url: "/observatory/createObservatory/", body: { name: `NewObs${w.next()}`, lon: 1, lat: 2, camera_name: "C" } })),
  // §D.4 owner; skytom lets staff too (route doc "staff may update any observatory"; DESIGN §4 owner-or-staff rule).
  row("PATCH",  "/observatory/updateObservatory/",               [401, 201, 403, 201, 201], "WRITE", async (w) => ({ url: "/observatory/updateObservatory/", body: { name: (await w.observatory()).name, comment: "changed" } })),
  row("POST",   "/observatory/updateObservatory/",               [401, 201, 403, 201, 201], "WRITE", async (w) => ({ url: "/observatory/updateObservatory/", body: { name: (await w.observatory()).name, comment: "changed" } })),
  row("POST",   "/observatory/getObservatoryList/",              [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: "/observatory/getObservatoryList/", body: { name: (await w.observatory()).name } })),
  row("POST",   "/observatory/addFavouriteObservatory/",         [401, 201, 201, 201, 201], "WRITE", async (w) => ({ url: "/observatory/addFavouriteObservatory/", body: { oname: (await w.observatory(true)).oname } })),
  // §D.5 listed every user's favourites; §7.6/§8 leave the fix to us: only your own, staff may name anyone.
  row("POST",   "/observatory/getFavouriteObservatory/",         [401, 200, 403, 200, 200], "READ",  async (w) => (await w.favourite(), { url: "/observatory/getFavouriteObservatory/", body: { user: "owner" } })),
  // §D.6: deletes the caller's own favourite row, so only "user" has one to delete (404 for the rest);
  // BHTOM2's staff-only check is its bug (§7.7), any user may remove their own.
  row("DELETE", "/observatory/deleteFavouriteObservatory/",      [401, 200, 404, 404, 404], "WRITE", async (w) => ({ url: "/observatory/deleteFavouriteObservatory/", body: { oname: (await w.favourite()).oname } })),
  row("GET",    "/api/observatories/{name}/",                    [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: `/api/observatories/${(await w.observatory()).name}/` })),
  row("PATCH",  "/api/observatories/{name}/",                    [401, 200, 403, 200, 200], "WRITE", async (w) => ({ url: `/api/observatories/${(await w.observatory()).name}/`, body: { comment: "changed" } })),
  row("POST",   "/api/observatories/{name}/cameras/",            [401, 201, 403, 201, 201], "WRITE", async (w) => ({ url: `/api/observatories/${(await w.observatory()).name}/cameras/`, body: { camera_name: "CAM2" } })),
  row("PATCH",  "/api/cameras/{oname}/",                         [401, 200, 403, 200, 200], "WRITE", async (w) => ({ url: `/api/cameras/${(await w.observatory()).oname}/`, body: { gain: 3.5 } })),
  // §4.11: "an admin activates it" — staff only, even for the owner.
  row("POST",   "/api/cameras/{oname}/activate/",                [401, 403, 403, 200, 200], "WRITE", async (w) => ({ url: `/api/cameras/${(await w.observatory(false)).oname}/activate/` })),
  row("POST",   "/api/cameras/{oname}/deactivate/",              [401, 403, 403, 200, 200], "WRITE", async (w) => ({ url: `/api/cameras/${(await w.observatory(true)).oname}/deactivate/` })),
  // ── targets ──
  row("POST",   "/targets/createTarget/",                        [401, 201, 201, 201, 201], "WRITE", async (w) => ({ url: "/targets/createTarget/", body: w.targetBody() })),
  // DESIGN §4: "target update/delete limited to the creator or staff" (BHTOM2 had no check, §7.9).
  row("PATCH",  "/targets/updateTarget/{name}/",                 [401, 201, 403, 201, 201], "WRITE", async (w) => ({ url: `/targets/updateTarget/${(await w.target()).name}/`, body: { importance: 5 } })),
  row("DELETE", "/targets/deleteTarget/",                        [401, 200, 403, 200, 200], "WRITE", async (w) => ({ url: "/targets/deleteTarget/", body: { name: (await w.target()).name } })),
  row("POST",   "/targets/getTargetList/",                       [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: "/targets/getTargetList/", body: { name: (await w.target()).name } })),
  row("POST",   "/targets/get-plots/",                           [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: "/targets/get-plots/", body: { targetNames: [(await w.csvUpload()).target.name] } })),
  // §F.6/F.7 superuser (BHTOM2 answered others 500 "ERROR"; DESIGN §4: 403 JSON).
  row("POST",   "/targets/cleanTargetListCache/",                [401, 403, 403, 403, 200], "WRITE", async () => ({ url: "/targets/cleanTargetListCache/" })),
  row("POST",   "/targets/cleanTargetDetailCache/",              [401, 403, 403, 403, 200], "WRITE", async () => ({ url: "/targets/cleanTargetDetailCache/" })),
  row("POST",   "/targets/cleanTargetDetailsCache/",             [401, 403, 403, 403, 200], "WRITE", async () => ({ url: "/targets/cleanTargetDetailsCache/" })),
  // ── comments, groups, aliases ──
  row("POST",   "/common/api/comments/",                         [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: "/common/api/comments/", body: { target: (await w.target()).name } })),
  row("POST",   "/api/targets/{name}/comments/",                 [401, 201, 201, 201, 201], "WRITE", async (w) => ({ url: `/api/targets/${(await w.target()).name}/comments/`, body: { comment: "seen it" } })),
  row("POST",   "/targets/target-groups/",                       [401, 200, 200, 200, 200], "READ",  async (w) => (await w.group(), { url: "/targets/target-groups/", body: {} })),
  row("POST",   "/targets/targets-from-group/",                  [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: "/targets/targets-from-group/", body: { id: (await w.group()).id } })),
  row("POST",   "/api/target-groups/",                           [401, 201, 201, 201, 201], "WRITE", async (w) => ({ url: "/api/target-groups/", body: { name: `NewG${w.next()}` } })),
  row("POST",   "/api/target-groups/{id}/targets/",              [401, 200, 403, 200, 200], "WRITE", async (w) => {
    const g = await w.group();
    return { url: `/api/target-groups/${g.id}/targets/`, body: { targets: [(await w.target()).name] } };
  }),
  row("DELETE", "/api/target-groups/{id}/targets/",              [401, 200, 403, 200, 200], "WRITE", async (w) => {
    const g = await w.group();
    return { url: `/api/target-groups/${g.id}/targets/`, body: { targets: [g.target.name] } };
  }),
  row("DELETE", "/api/target-groups/{id}/",                      [401, 200, 403, 200, 200], "WRITE", async (w) => ({ url: `/api/target-groups/${(await w.group()).id}/` })),
  row("GET",    "/api/targets/{name}/aliases/",                  [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: `/api/targets/${(await w.aliased()).name}/aliases/` })),
  // Aliases are part of the target: creator or staff, as update (DESIGN §4).
  row("POST",   "/api/targets/{name}/aliases/",                  [401, 201, 403, 201, 201], "WRITE", async (w) => ({ url: `/api/targets/${(await w.target()).name}/aliases/`, body: { source_name: "TNS", name: `AT${w.next()}` } })),
  row("DELETE", "/api/targets/{name}/aliases/{source}/",         [401, 200, 403, 200, 200], "WRITE", async (w) => ({ url: `/api/targets/${(await w.aliased()).name}/aliases/ZTF/` })),
  // ── light-curve points ──
  row("POST",   "/common/api/reducedDatum/",                     [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: "/common/api/reducedDatum/", body: { target_name: (await w.csvUpload()).target.name } })),
  // §G.5/G.6 staff (BHTOM2: 302 to login; DESIGN §4: 403 JSON) — even the uploader.
  row("DELETE", "/common/api/deleteReducedDatum/",               [401, 403, 403, 200, 200], "WRITE", async (w) => ({ url: "/common/api/deleteReducedDatum/", body: (await w.datum()).match })),
  row("POST",   "/common/api/deactivateReducedDatum/",           [401, 403, 403, 200, 200], "WRITE", async (w) => ({ url: "/common/api/deactivateReducedDatum/", body: (await w.datum()).match })),
  row("POST",   "/common/api/activateReducedDatum/",             [401, 403, 403, 200, 200], "WRITE", async (w) => ({ url: "/common/api/activateReducedDatum/", body: (await w.inactiveDatum()).match })),
  row("POST",   "/api/datums/{id}/activate/",                    [401, 403, 403, 200, 200], "WRITE", async (w) => ({ url: `/api/datums/${(await w.inactiveDatum()).id}/activate/` })),
  row("POST",   "/api/datums/{id}/deactivate/",                  [401, 403, 403, 200, 200], "WRITE", async (w) => ({ url: `/api/datums/${(await w.datum()).id}/deactivate/` })),
  // ── downloads (§E: any user; each download is logged, so a write) ──
  row("POST",   "/targets/download-photometry/",                 [401, 200, 200, 200, 200], "WRITE", async (w) => ({ url: "/targets/download-photometry/", body: { name: (await w.csvUpload()).target.name } })),
  // Harvests: the test app's sources are offline, so a harvest changes nothing (READ).
  row("POST",   "/targets/harvest/",                             [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: "/targets/harvest/", body: { name: (await w.target()).name } })),
  row("GET",    "/api/targets/{name}/harvests/",                 [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: `/api/targets/${(await w.target()).name}/harvests/` })),
  row("POST",   "/targets/download-radio/",                      [401, 200, 200, 200, 200], "WRITE", async (w) => ({ url: "/targets/download-radio/", body: { name: (await w.target()).name } })),
  row("POST",   "/targets/download-high-energy/",                [401, 200, 200, 200, 200], "WRITE", async (w) => ({ url: "/targets/download-high-energy/", body: { name: (await w.target()).name } })),
  // §F.8 superuser, not staff (BHTOM2 answered others 404; DESIGN §4: 403 JSON).
  row("POST",   "/targets/get-downloaded-target-list/",          [401, 403, 403, 403, 200], "READ",  async () => ({ url: "/targets/get-downloaded-target-list/", body: {} })),
  row("POST",   "/targets/getDownloadedTargetList/",             [401, 403, 403, 403, 200], "READ",  async () => ({ url: "/targets/getDownloadedTargetList/", body: {} })),
  // ── data products ──
  // §G.2: everyone sees every upload.
  row("POST",   "/common/api/data/",                             [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: "/common/api/data/", body: { id: (await w.csvUpload()).dpId } })),
  // §G.3 staff; skytom lets the uploader delete their own too (route doc; DESIGN §4 owner-or-staff for targets).
  row("DELETE", "/common/api/deleteDataProduct/",                [401, 200, 403, 200, 200], "WRITE", async (w) => ({ url: "/common/api/deleteDataProduct/", body: { id: (await w.csvUpload()).dpId } })),
  // DESIGN §4: "changeObservers limited to the data product's owner or staff" (BHTOM2: anyone, §7.20).
  row("POST",   "/common/api/changeObservers/",                  [401, 200, 403, 200, 200], "WRITE", async (w) => ({ url: "/common/api/changeObservers/", body: { id: (await w.csvUpload()).dpId, observers: ["other"] } })),
  // §G.9 had no owner check; skytom applies get-calibration-res' rule (§C.1: the owner's data) plus the
  // observers and staff, so the raw file is not public while its calibration is private.
  row("POST",   "/common/api/downloadPhotometryFile/",           [401, 200, 403, 200, 200], "READ",  async (w) => ({ url: "/common/api/downloadPhotometryFile/", body: { id: (await w.calibrated()).dpId } })),
  row("GET",    "/common/api/downloadPhotometryFile/",           [401, 200, 403, 200, 200], "READ",  async (w) => ({ url: `/common/api/downloadPhotometryFile/?id=${(await w.calibrated()).dpId}` })),
  // ── calibration ──
  // §C.1: any user; per item, only the owner (and observers) and superusers see values — staff do not.
  row("POST",   "/calibration/get-calibration-res/",             [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: "/calibration/get-calibration-res/", body: { calibid: [(await w.calibrated()).dpId] } }), { check: (p, json) => {
    const [item] = (json as { data: Record<string, unknown>[] }).data;
    if (p === "user" || p === "superuser") expect(item.mag).toBe(16.25);
    else expect(item).toEqual({ "calib-res": "It's not your data", plot: null });
  } }),
  // §C.2–C.4 staff.
  row("POST",   "/calibration/restart-calib-by-id/",             [401, 403, 403, 200, 200], "WRITE", async (w) => {
    const c = await w.calibrated();
    return { url: "/calibration/restart-calib-by-id/", body: { id_from: c.calId, id_to: c.calId } };
  }),
  row("POST",   "/calibration/restart-calib-by-target/",         [401, 403, 403, 200, 200], "WRITE", async (w) => ({ url: "/calibration/restart-calib-by-target/", body: { target_name: (await w.calibrated()).target.name } })),
  row("POST",   "/calibration/restart-calib-by-dataproduct/",    [401, 403, 403, 200, 200], "WRITE", async (w) => ({ url: "/calibration/restart-calib-by-dataproduct/", body: { data_product_id: (await w.calibrated()).dpId } })),
  // Calibration runs (issue 17): recalibrating and switching runs are for staff; a run is seen by whoever sees the calibration, and staff.
  row("POST",   "/calibration/recalibrate/",                     [401, 403, 403, 200, 200], "WRITE", async (w) => ({ url: "/calibration/recalibrate/", body: { dataproduct_ids: [(await w.calibrated()).dpId], filter: "GaiaSP/V" } })),
  row("POST",   "/calibration/use-run/",                         [401, 403, 403, 200, 200], "WRITE", async (w) => ({ url: "/calibration/use-run/", body: { run: (await w.calibrationRun()).runId } })),
  row("POST",   "/calibration/get-run/",                         [401, 200, 403, 200, 200], "READ",  async (w) => ({ url: "/calibration/get-run/", body: { run: (await w.calibrationRun()).runId } })),
  row("POST",   "/observatory/camera-health/",                   [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: "/observatory/camera-health/", body: { oname: (await w.calibrated()).oname } })),
  row("POST",   "/calibration/list-runs/",                       [401, 200, 403, 200, 200], "READ",  async (w) => ({ url: "/calibration/list-runs/", body: { dataproduct: (await w.calibrationRun()).dpId } })),
  row("POST",   "/calibration/compare-runs/",                    [401, 200, 403, 200, 200], "READ",  async (w) => {
    const r = (await w.calibrationRun()).runId;
    return { url: "/calibration/compare-runs/", body: { a: r, b: r } };
  }),
  // §B.3: the upload service's calibFile, token auth; nothing is stored.
  row("POST",   "/calibFile/",                                   [401, 200, 200, 200, 200], "READ",  async () => ({ url: "/calibFile/", form: {
    fields: { ra: "150.012", dec: "1.991", survey: "GaiaSP", filter: "V", no_plot: "true" },
    files: [{ field: "photometry_file", name: "frame.cat", content: readFileSync(`${FIXTURE}/sextractor-reference.cat`) }],
  } }), { check: (_p, json) => expect(typeof (json as { mag: unknown }).mag).toBe("number") }),
  row("POST",   "/api/catalogues/",                              [401, 403, 403, 201, 201], "WRITE", async (w) => ({ url: "/api/catalogues/", form: {
    fields: { survey: "GaiaSP", name: `cat${w.next()}` },
    files: [{ field: "file", name: "c.csv", content: "ra,dec,V,V_err\n200.0,-30.0,15.0,0.01\n" }],
  } })),
  // §B.1: any user uploads, for any target.
  row("POST",   "/upload/",                                      [401, 201, 201, 201, 201], "WRITE", async (w) => {
    const tg = await w.target();
    return { url: "/upload/", form: {
      fields: { target: tg.name, data_product_type: "photometry_csv", observatory: "GOTO" },
      files: [{ name: "lc.csv", content: "time,filter,magnitude,error\n60000,V,15,0.1\n" }],
    } };
  }),
  // ── night planning (skytom additions): reads, for every user ──
  row("POST",   "/observatory/visibility/",                      [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: "/observatory/visibility/", body: { target: (await w.target()).name, observatory: (await w.observatory()).name, date: "2025-03-20" } })),
  row("POST",   "/observatory/exposure-time/",                   [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: "/observatory/exposure-time/", body: { oname: await cameraWithHistory(w), mag: 15, airmass: 1.2 } })),
  row("POST",   "/observatory/plan/",                            [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: "/observatory/plan/", body: { oname: (await w.observatory(true)).oname, date: "2025-03-20" } })),
  row("POST",   "/targets/network-plan/",                        [401, 200, 200, 200, 200], "READ",  async () => ({ url: "/targets/network-plan/", body: { date: "2025-03-20" } })),
  row("GET",    "/targets/{name}/finder.png",                    [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: `/targets/${(await w.target()).name}/finder.png` })),
  row("GET",    "/targets/{name}/finder.svg",                    [401, 200, 200, 200, 200], "READ",  async (w) => ({ url: `/targets/${(await w.target()).name}/finder.svg?fov_arcmin=5` })),
];

/** A camera of "user" with one calibrated FITS frame (the exposure-time calculator's history). */
async function cameraWithHistory(w: World): Promise<string> {
  const c = await w.calibrated();
  const db = w.t.tdb.database.db;
  await db.update(dataProducts).set({ dataProductType: "fits_file" }).where(eq(dataProducts.id, c.dpId));
  await db.update(calibrations).set({ zeropoint: -0.8, expTime: 60 }).where(eq(calibrations.id, c.calId));
  await db.insert(fitsJobs).values({
    dataProductId: c.dpId,
    status: "D",
    fitsFwhmAv: 2.5,
    fitsAirmass: 1.1,
    fitsBackgroundAdu: 300,
    fitsApertureRadiusPx: 2.5,
    fitsApertureCorrectionMag: -0.3,
  });
  return c.oname;
}

const opKey = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

function expected(r: Row, p: Principal | "otherScheme"): number {
  switch (p) {
    case "anonymous":
    case "otherScheme":
      return r.expect[0];
    case "user":
      return r.expect[1];
    case "other":
      return r.expect[2];
    case "staff":
      return r.expect[3];
    case "superuser":
      return r.expect[4];
    default:
      return 401;
  }
}

describe.each(ENGINES)("permission matrix on %s", (engine) => {
  let t: TestApp;
  let w: World;

  beforeAll(async () => {
    t = await createTestApp(engine, { queue: true });
    w = new World(t);
    await w.init();
  });

  afterAll(async () => {
    // Every body of the whole run (the world's building requests too): no password, hash or stored key.
    const { rows: users } = await t.tdb.database.pool.query<{ password: string }>(
      "select password from users",
    );
    const { rows: keys } = await t.tdb.database.pool.query<{ key_hash: string }>(
      "select key_hash from api_tokens",
    );
    const secrets = [
      ...users.map((u) => u.password),
      ...keys.map((k) => k.key_hash),
      ...[...w.users.values()].map((u) => u.password),
    ];
    expect(users.length).toBeGreaterThanOrEqual(5);
    for (const u of users) expect(u.password).toMatch(/^scrypt\$/);
    expect(t.bodies.length).toBeGreaterThan(0);
    for (const body of t.bodies) {
      expect(body).not.toMatch(/scrypt\$/);
      for (const s of secrets) expect(body.includes(s), `a body contains the secret ${s}`).toBe(false);
    }
    await t?.close();
  });

  it("every operation of the OpenAPI document has exactly one row, and every row an operation", async () => {
    const doc = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ["get", "post", "put", "patch", "delete"].includes(m))
        .map((m) => opKey(m, path)),
    );
    const rows = MATRIX.map((r) => opKey(r.method, r.path));
    expect(new Set(rows).size, "a duplicate row").toBe(rows.length);
    expect(
      documented.filter((k) => !rows.includes(k)),
      "endpoints without a row in MATRIX",
    ).toEqual([]);
    expect(
      rows.filter((k) => !documented.includes(k)),
      "rows for endpoints not in the document",
    ).toEqual([]);
    expect(documented.length).toBe(MATRIX.length);
  });

  for (const r of MATRIX) {
    it(`${r.method} ${r.path}`, async () => {
      const got: Record<string, number> = {};
      const want: Record<string, number> = {};
      const problems: string[] = [];
      const callers = [...PRINCIPALS, "otherScheme"] as const;
      for (const p of callers) want[p] = expected(r, p);
      const refusedCallers = callers.filter((p) => want[p] >= 400);
      const allowedCallers = callers.filter((p) => want[p] < 400);

      const call = async (p: Principal | "otherScheme", req: Req) => {
        const as = p === "otherScheme" ? "anonymous" : p;
        const { res } = await w.send(r.method, req, w.header(p, req.token));
        got[p] = res.statusCode;
        if (res.statusCode >= 400) {
          if (!/^application\/json/.test(String(res.headers["content-type"])))
            problems.push(`${p}: ${res.statusCode} not JSON: ${res.headers["content-type"]}`);
          if (res.statusCode === 401) {
            if (res.headers["www-authenticate"] !== "Token")
              problems.push(`${p}: 401 without WWW-Authenticate: Token`);
            if (res.json().detail !== UNAUTHENTICATED[as])
              problems.push(`${p}: 401 ${res.body}, expected ${UNAUTHENTICATED[as]}`);
          }
          if (res.statusCode === 403 && typeof res.json().detail !== "string")
            problems.push(`${p}: 403 body ${res.body}`);
        } else if (r.check && res.statusCode === want[p]) {
          const type = String(res.headers["content-type"]);
          r.check(as, type.startsWith("application/json") ? res.json() : res.body);
        }
        // Tokens: only a token endpoint's answer may carry one, and only the token of the account it logged in.
        let own = 0;
        for (const key of hex40(res.body)) {
          const owner = await w.tokenOwner(key);
          if (owner === undefined) continue;
          if (r.tokenEndpoint && owner === req.tokenOf) {
            w.tokens.set(key, owner);
            own++;
          } else problems.push(`${p}: the answer carries a token of ${owner}`);
        }
        if (r.tokenEndpoint && res.statusCode < 300 && own !== 1)
          problems.push(`${p}: ${own} tokens of ${req.tokenOf}`);
        return res.statusCode;
      };
      const changes = (a: Record<string, string>, b: Record<string, string>) =>
        Object.keys(b).filter((k) => a[k] !== b[k]);

      // The callers that must be refused share one world: a wrong success shows as a change.
      const shared = await r.setup(w, "anonymous");
      const start = await w.fingerprint();
      for (const p of refusedCallers) await call(p, shared);
      let now = await w.fingerprint();
      const changed = changes(start, now);
      if (changed.length)
        problems.push(`refused callers (${refusedCallers.join(", ")}) changed ${changed.join(", ")}`);

      // A read shares that world with everyone and changes nothing; a write gives each caller fresh
      // objects, and then a success must change something and a refusal nothing.
      for (const p of allowedCallers) {
        const req = r.kind === "READ" ? shared : await r.setup(w, p === "otherScheme" ? "anonymous" : p);
        const before = r.kind === "READ" ? now : await w.fingerprint();
        const status = await call(p, req);
        if (r.kind === "READ") continue;
        now = await w.fingerprint();
        const diff = changes(before, now);
        if (status >= 400 && diff.length) problems.push(`${p}: ${status} changed ${diff.join(", ")}`);
        if (status < 400 && !diff.length) problems.push(`${p}: ${status} but nothing changed`);
      }
      if (r.kind === "READ") {
        const diff = changes(start, await w.fingerprint());
        if (diff.length) problems.push(`a read changed ${diff.join(", ")}`);
      }
      expect(got, `${r.method} ${r.path}`).toEqual(want);
      expect(problems).toEqual([]);
    });
  }

  // The user administration endpoints are skytom's own (BHTOM2 did this in Django's admin). Staff manage
  // accounts, but the superuser level above them (§1.9: cache clearing, the download log with callers' IP
  // addresses) would mean nothing if staff could grant it or take over a superuser's account.
  it("staff cannot grant superuser or change a superuser's account; a superuser can", async () => {
    const victim = () => w.victim();
    const newUser = (flags: object) => ({
      username: `made${w.next()}`,
      password: "a-long-password",
      ...flags,
    });
    // prettier-ignore
    const cases: Array<[Principal, "POST" | "PATCH", () => Promise<Req>, number]> = [
      ["staff",     "PATCH", async () => ({ url: "/api/users/staffer/", body: { is_superuser: true } }), 403],
      ["staff",     "PATCH", async () => ({ url: `/api/users/${await victim()}/`, body: { is_superuser: true } }), 403],
      ["staff",     "PATCH", async () => ({ url: "/api/users/root/", body: { password: "taken-over-now" } }), 403],
      ["staff",     "PATCH", async () => ({ url: "/api/users/root/", body: { is_active: false } }), 403],
      ["staff",     "POST",  async () => ({ url: "/api/users/", body: newUser({ is_superuser: true }) }), 403],
      ["staff",     "POST",  async () => ({ url: "/api/users/", body: newUser({ is_staff: true }) }), 201],
      ["staff",     "PATCH", async () => ({ url: `/api/users/${await victim()}/`, body: { is_staff: true, password: "a-new-password" } }), 200],
      ["superuser", "PATCH", async () => ({ url: `/api/users/${await victim()}/`, body: { is_superuser: true } }), 200],
      ["superuser", "POST",  async () => ({ url: "/api/users/", body: newUser({ is_superuser: true }) }), 201],
    ];
    const got: number[] = [];
    for (const [p, method, setup, status] of cases) {
      const req = await setup();
      const before = await w.fingerprint();
      const { res } = await w.send(method, req, w.header(p));
      got.push(res.statusCode);
      const after = await w.fingerprint();
      if (status === 403) expect(after, `${p} ${method} ${req.url}`).toEqual(before);
    }
    expect(got).toEqual(cases.map((c) => c[3]));
  });
});
