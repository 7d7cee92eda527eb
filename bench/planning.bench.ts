/**
 * Night planning over a large target list (issue #19), on the embedded database (a fresh PGlite data
 * directory in /tmp): 5,000 targets spread over the sky, each with 20 light-curve points in V, and one camera
 * with 100 calibrated FITS frames of history. Measured: a camera's plan (`planNight`: altitudes of every
 * target on a 5-minute grid, predicted magnitudes of the observable ones, exposures, the greedy schedule),
 * the network view over 5 cameras at 5 sites, one target's visibility, and a finder chart (PNG) from 2,000
 * reference stars.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng } from "../src/astro/synth/random.ts";
import { openDatabase, runMigrations } from "../src/db/connection.ts";
import { SyntheticProvider } from "../src/catalog/provider.ts";
import { finderChart, networkPlan, planNight, visibility } from "../src/domain/planning/service.ts";
import { measure } from "./stats.ts";

const TARGETS = 5000;
const POINTS = 20;
const FRAMES = 100;
const NOW = new Date("2025-03-20T12:00:00Z");

const dataDir = mkdtempSync(join(tmpdir(), "skytom-bench-planning-"));
const database = await openDatabase({ dataDir, databaseUrl: undefined }, { forceHost: true });
try {
  await runMigrations(database);
  const q = (text: string, values: unknown[] = []) => database.pool.query(text, values);
  const rng = createRng(19);
  const t0 = performance.now();
  const sites = [
    ["La Palma", 28.76, -17.88],
    ["Krakow", 50.06, 19.94],
    ["Paranal", -24.63, -70.4],
    ["Mauna Kea", 19.82, -155.47],
    ["Siding Spring", -31.27, 149.06],
  ] as const;
  for (const [i, [name, lat, lon]] of sites.entries()) {
    const o = await q(
      "insert into observatories (name, lat, lon, altitude) values ($1, $2, $3, 2000) returning id",
      [name, lat, lon],
    );
    await q(
      "insert into cameras (observatory_id, camera_name, prefix, active_flg, detector_width_px, detector_height_px) values ($1, 'CCD', $2, true, 2048, 2048)",
      [o.rows[0].id, `${name.replace(/ /g, "")}_CCD${i}`],
    );
  }
  for (let i = 0; i < TARGETS; i++) {
    const ra = rng.uniform(0, 360);
    const dec = (Math.asin(rng.uniform(-1, 1)) * 180) / Math.PI;
    const cx = Math.cos((dec * Math.PI) / 180) * Math.cos((ra * Math.PI) / 180);
    const cy = Math.cos((dec * Math.PI) / 180) * Math.sin((ra * Math.PI) / 180);
    const cz = Math.sin((dec * Math.PI) / 180);
    await q(
      "insert into targets (name, ra, dec, cx, cy, cz, importance, cadence, mjd_last) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      [`T${i}`, ra, dec, cx, cy, cz, rng.uniform(0, 10), rng.uniform(0.5, 10), 60700 + rng.uniform(0, 50)],
    );
  }
  await q(
    `insert into reduced_datums (target_id, mjd, value, error, filter)
     select t.id, 60700 + g * 2.5 + (t.id % 7) * 0.01, 12 + (t.id % 80) / 10.0 + sin(g) * 0.2, 0.02, 'V(GaiaSP)'
     from targets t, generate_series(1, ${POINTS}) g`,
  );
  const [cam] = (await q("select id from cameras where prefix = 'LaPalma_CCD0'")).rows;
  const [tg] = (await q("select id from targets limit 1")).rows;
  for (let k = 0; k < FRAMES; k++) {
    const dp = await q(
      "insert into data_products (target_id, camera_id, data, sha256, data_product_type, status) values ($1, $2, $3, $4, 'fits_file', 'S') returning id",
      [tg.id, cam.id, `f${k}.fits`, k.toString(16).padStart(64, "0")],
    );
    const id = dp.rows[0].id;
    await q(
      "insert into calibrations (data_product_id, status, mjd, exp_time, zeropoint, survey, best_filter, mag, mag_error) values ($1, 'S', $2, 60, $3, 'GaiaSP', 'V', 15, 0.01)",
      [id, 60740 + k * 0.05, -0.8 + rng.gaussian(0, 0.05)],
    );
    await q(
      "insert into fits_jobs (data_product_id, status, fits_fwhm_av, fits_airmass, fits_background_adu, fits_aperture_radius_px, fits_aperture_correction_mag, fits_pixscale) values ($1, 'D', 2.6, $2, 350, 2.6, -0.3, 0.8)",
      [id, 1 + rng.uniform(0, 1)],
    );
  }
  console.log(
    JSON.stringify({
      bench: "planning: generate",
      targets: TARGETS,
      points: TARGETS * POINTS,
      frames: FRAMES,
      seconds: +((performance.now() - t0) / 1000).toFixed(1),
    }),
  );
  const db = database.db;
  let scheduled = 0;
  let observable = 0;
  await measure(
    "planning: plan of one camera (5,000 targets)",
    async () => {
      const p = await planNight(db, { oname: "LaPalma_CCD0", date: "2025-03-20" }, NOW);
      scheduled = p.summary.scheduled;
      observable = p.summary.observable;
    },
    { runs: 5, warmup: 1 },
  );
  console.log(JSON.stringify({ bench: "planning: plan contents", observable, scheduled }));
  await measure(
    "planning: network view (importance ≥ 5, 5 cameras at 5 sites)",
    () => networkPlan(db, { date: "2025-03-20" }, NOW),
    { runs: 3, warmup: 1 },
  );
  await measure(
    "planning: visibility of one target",
    () => visibility(db, { target: "T1", observatory: "La Palma", date: "2025-03-20" }, NOW),
    { runs: 20 },
  );
  const [t1] = (await q("select ra, dec from targets where name = 'T1'")).rows;
  const near = new SyntheticProvider({
    seed: 3,
    nStars: 2000,
    centerRaDeg: t1.ra,
    centerDecDeg: t1.dec,
    halfWidthDeg: 0.3,
    magRange: [10, 20],
  });
  await measure(
    "planning: finder chart PNG (2,000 stars, 30′)",
    () => finderChart(db, "T1", { fov_arcmin: 30, mag_limit: 20 }, "png", { provider: near, dataDir }),
    { runs: 5, warmup: 1 },
  );
} finally {
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });
}
