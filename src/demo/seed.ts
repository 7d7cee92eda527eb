/**
 * What `skytom demo` needs in the database before it uploads anything, each step idempotent (reused
 * when present, created otherwise), all through the domain services a user or operator would go through:
 * the demo observer (a fresh password each run, printed), the demo observatory with an active camera
 * that accepts FITS images, the observer's favourite of it, the variable target, and the synthetic
 * GaiaSP reference catalogue of its field (imported like `skytom catalog import`).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { and, eq } from "drizzle-orm";
import { importCatalogue } from "../catalog/import.ts";
import type { Database, Db } from "../db/connection.ts";
import { cameras, favourites, referenceCatalogues } from "../db/schema/index.ts";
import { NotFoundError, ValidationError } from "../domain/errors.ts";
import { SYSTEM, type Actor } from "../domain/permissions.ts";
import * as observatoryService from "../domain/observatories/service.ts";
import * as targetService from "../domain/targets/service.ts";
import * as targetsRepo from "../domain/targets/repo.ts";
import * as userService from "../domain/users/service.ts";
import { findUserByUsername } from "../domain/users/repo.ts";
import { storedPath } from "../storage.ts";
import { DEMO_CAMERA, DEMO_OSC_SIZE_PX, demoField, referenceCsv, type VariableStar } from "./night.ts";

/** Marks the accounts, targets and catalogues the demo made, so that a rerun reuses them and nothing else. */
export const DEMO_EMAIL = "demo@skytom.invalid";
export const DEMO_DESCRIPTION_PREFIX = "skytom demo:";
export const DEMO_OBSERVATORY = {
  name: "skytom-demo",
  camera: "CCD1",
  /** A dark site (the Roque de los Muchachos), east-positive lon, deg; m. */
  lonDeg: -17.8792,
  latDeg: 28.7606,
  altitudeM: 2326,
} as const;
export const DEMO_ONAME = observatoryService.onameOf(DEMO_OBSERVATORY.name, DEMO_OBSERVATORY.camera);
/** The demo observatory's one-shot-colour (Bayer RGGB) camera: its channels calibrated to R, V and B. */
export const DEMO_OSC_CAMERA = "OSC1";
export const DEMO_OSC_ONAME = observatoryService.onameOf(DEMO_OBSERVATORY.name, DEMO_OSC_CAMERA);

/** A 32-bit seed from a text (the target name), so that a name always gives the same field and star. */
export function seedOf(text: string): number {
  return createHash("sha256").update(text).digest().readUInt32LE(0);
}

export interface DemoUser {
  actor: Actor;
  username: string;
  password: string;
  created: boolean;
}

/**
 * The demo observer: `demo` (or `demo-2`, … when `demo` is somebody else's account), active, with a new
 * random password on every run (the only way to print it: passwords are stored hashed).
 */
export async function ensureDemoUser(db: Db, base = "demo"): Promise<DemoUser> {
  const password = randomBytes(9).toString("base64url");
  for (let k = 1; k <= 50; k++) {
    const username = k === 1 ? base : `${base}-${k}`;
    const existing = await findUserByUsername(db, username);
    if (existing && existing.email !== DEMO_EMAIL) continue;
    if (existing) {
      await userService.updateUser(db, SYSTEM, username, { password, is_active: true });
    } else {
      await userService.createUser(db, SYSTEM, {
        username,
        password,
        email: DEMO_EMAIL,
        first_name: "Demo",
        last_name: "Observer",
        is_active: true,
      });
    }
    const row = await userService.findUser(db, username);
    return { actor: userService.toActor(row), username, password, created: !existing };
  }
  throw new Error(`no free demo username (${base}, ${base}-2, …, ${base}-50 belong to other people)`);
}

export interface DemoObservatory {
  name: string;
  oname: string;
  cameraId: number;
  created: boolean;
}

/**
 * The demo observatory and its camera (ONAME `skytom-demo_CCD1`, detector values of DEMO_CAMERA), made
 * active, and the demo observer's favourite of it.
 */
export async function ensureDemoObservatory(
  db: Db,
  user: DemoUser,
  dataDir: string,
): Promise<DemoObservatory> {
  const o = DEMO_OBSERVATORY;
  const camera = {
    camera_name: o.camera,
    gain: DEMO_CAMERA.gainEPerAdu,
    readout_noise: DEMO_CAMERA.readNoiseE,
    saturation_level: DEMO_CAMERA.saturationAdu,
    pixel_scale: DEMO_CAMERA.pixelScaleArcsec,
    binning: 1,
    detector_width_px: DEMO_CAMERA.widthPx,
    detector_height_px: DEMO_CAMERA.heightPx,
  };
  let created = false;
  const existing = await observatoryService
    .getObservatory(db, o.name)
    .catch((e: unknown) => (e instanceof NotFoundError ? null : Promise.reject(e)));
  if (!existing) {
    await observatoryService.createObservatory(
      db,
      user.actor,
      {
        name: o.name,
        lon: o.lonDeg,
        lat: o.latDeg,
        altitude: o.altitudeM,
        calibration_flg: false,
        telescope: "0.5 m reflector (simulated)",
        aperture: 0.5,
        approx_lim_mag: 19.5,
        filters: "V",
        comment: "Made by `skytom demo`: a simulated observatory for trying skytom.",
        ...camera,
      },
      { dataDir },
    );
    created = true;
  } else if (!existing.cameras.some((c) => c.prefix === DEMO_ONAME)) {
    await observatoryService.addCamera(db, SYSTEM, o.name, camera, { dataDir });
  }
  await observatoryService.setCameraActive(db, SYSTEM, DEMO_ONAME, true);
  if (
    !(await observatoryService.getObservatory(db, o.name)).cameras.some((c) => c.prefix === DEMO_OSC_ONAME)
  ) {
    await observatoryService.addCamera(
      db,
      SYSTEM,
      o.name,
      {
        ...camera,
        camera_name: DEMO_OSC_CAMERA,
        detector_width_px: DEMO_OSC_SIZE_PX,
        detector_height_px: DEMO_OSC_SIZE_PX,
        additional_info: "A one-shot-colour (Bayer RGGB) camera: each frame gives R, V and B points.",
        bayer_bands: { R: "GaiaSP/R", G: "GaiaSP/V", B: "GaiaSP/B" },
      },
      { dataDir },
    );
  }
  await observatoryService.setCameraActive(db, SYSTEM, DEMO_OSC_ONAME, true);
  const [cam] = await db.select().from(cameras).where(eq(cameras.prefix, DEMO_ONAME));
  const [fav] = await db
    .select()
    .from(favourites)
    .where(and(eq(favourites.userId, user.actor.id), eq(favourites.cameraId, cam.id)));
  if (!fav?.activeFlg) {
    await observatoryService.addFavourite(db, user.actor, {
      oname: DEMO_ONAME,
      comment: "the demo observer's camera",
    });
  }
  return { name: o.name, oname: DEMO_ONAME, cameraId: cam.id, created };
}

/** Greenwich mean sidereal time, deg, at a UTC MJD (Meeus 1998, eq. 12.4; good to 0.1 s over centuries). */
export function gmstDeg(mjd: number): number {
  const d = mjd - 51544.5; // days from J2000.0
  const g = 280.46061837 + 360.98564736629 * d;
  return ((g % 360) + 360) % 360;
}

/**
 * The demo variable for a target name: its light-curve parameters (period 0.28–0.36 d, semi-amplitude
 * 0.22–0.32 mag, mean V 15.2–15.6) from the name's seed, and — for a new target — a position that
 * culminates near local midnight of `nightMidMjd` at the demo site, ~15° south of the zenith.
 */
export function demoStar(
  name: string,
  nightMidMjd: number,
  position?: { raDeg: number; decDeg: number },
): VariableStar {
  const seed = seedOf(name);
  const u = (k: number) => ((seed >>> (4 * k)) & 0xf) / 15; // deterministic fractions in [0, 1]
  const lst = gmstDeg(nightMidMjd) + DEMO_OBSERVATORY.lonDeg;
  return {
    raDeg: position?.raDeg ?? (((lst + 10 * (u(0) - 0.5)) % 360) + 360) % 360,
    decDeg: position?.decDeg ?? DEMO_OBSERVATORY.latDeg - 15 + 6 * (u(1) - 0.5),
    meanMag: 15.2 + 0.4 * u(2),
    amplitudeMag: 0.22 + 0.1 * u(3),
    periodDays: 0.28 + 0.08 * u(4),
    epochMjd: 60000 + 0.3 * u(5),
  };
}

export interface DemoTarget {
  id: number;
  name: string;
  star: VariableStar;
  created: boolean;
}

/**
 * The demo target: reused when it exists and was made by the demo (its description starts with
 * "skytom demo:"); any other existing target of that name is refused — the demo never adds simulated
 * data to a real target.
 */
export async function ensureDemoTarget(
  db: Db,
  user: DemoUser,
  name: string,
  nightMidMjd: number,
): Promise<DemoTarget> {
  const existing = await targetsRepo.findByName(db, name);
  if (existing) {
    if (
      !existing.description?.startsWith(DEMO_DESCRIPTION_PREFIX) ||
      existing.ra === null ||
      existing.dec === null
    ) {
      throw ValidationError.field(
        "--target",
        `a target named ${JSON.stringify(name)} exists and was not made by skytom demo; choose another name`,
      );
    }
    return {
      id: existing.id,
      name,
      star: demoStar(name, nightMidMjd, { raDeg: existing.ra, decDeg: existing.dec }),
      created: false,
    };
  }
  const star = demoStar(name, nightMidMjd);
  const description =
    `${DEMO_DESCRIPTION_PREFIX} simulated RRc-like variable, V = ${star.meanMag.toFixed(2)} − ` +
    `${star.amplitudeMag.toFixed(2)} sin(2π(t − ${star.epochMjd.toFixed(4)}) / ${star.periodDays.toFixed(4)} d)`;
  const row = await targetService.createTarget(db, user.actor, {
    name,
    ra: +star.raDeg.toFixed(7),
    dec: +star.decDeg.toFixed(7),
    classification: "RR Lyrae Variable",
    description,
    importance: 5,
    cadence: 1,
  });
  return {
    id: row.id,
    name,
    star: { ...star, raDeg: row.ra as number, decDeg: row.dec as number },
    created: true,
  };
}

export interface DemoCatalogue {
  name: string;
  stars: number;
  created: boolean;
}

/**
 * The GaiaSP reference catalogue of the target's field (`demo-<target>`), written as CSV and imported
 * with importCatalogue (the path `skytom catalog import` takes); kept when already imported.
 */
export async function ensureDemoCatalogue(
  database: Database,
  dataDir: string,
  target: DemoTarget,
): Promise<DemoCatalogue> {
  const name = `demo-${target.name}`;
  const [existing] = await database.db
    .select()
    .from(referenceCatalogues)
    .where(and(eq(referenceCatalogues.name, name), eq(referenceCatalogues.state, "ready")));
  if (existing && existing.rowCount > 0) return { name, stars: existing.rowCount, created: false };
  const field = demoField({
    raDeg: target.star.raDeg,
    decDeg: target.star.decDeg,
    seed: seedOf(target.name),
  });
  const folder = `tmp/demo-${randomBytes(6).toString("hex")}`;
  const file = `${folder}/${name.replace(/[^A-Za-z0-9_-]+/g, "_")}.csv`;
  await mkdir(storedPath(dataDir, folder), { recursive: true });
  try {
    await writeFile(storedPath(dataDir, file), referenceCsv(field));
    const result = await importCatalogue(database, storedPath(dataDir, file), {
      survey: "GaiaSP",
      name,
      replace: true,
    });
    return { name, stars: result.rows, created: true };
  } finally {
    await rm(storedPath(dataDir, folder), { recursive: true, force: true });
  }
}
