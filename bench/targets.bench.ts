/**
 * getTargetList on 1,000,000 targets in PostgreSQL: cone searches and a filtered page, through the real
 * route (inject: HTTP parsing, auth, SQL, serialisation), each request different so no cache hits.
 * Needs PostgreSQL: SKYTOM_BENCH_DATABASE_URL (a server URL; default postgres://postgres@127.0.0.1:5432/postgres).
 * The generated database `skytom_bench_targets` is kept between runs (delete it to regenerate).
 */
import { openBenchDatabase } from "./pg.ts";
import { CLASSIFICATIONS } from "../src/vocabulary.ts";
import { buildApp } from "../src/http/app.ts";
import { createRng } from "../src/astro/synth/random.ts";
import { tokenForUser, createUser } from "../src/domain/users/service.ts";
import { measure } from "./stats.ts";

const N = Number(process.env.SKYTOM_BENCH_TARGETS ?? 1_000_000);
const DB = "skytom_bench_targets";

const opened = await openBenchDatabase(DB, "targets");
if (!opened) process.exit(0);
const database = opened;

const have = (await database.pool.query("select count(*)::int as n from targets")).rows[0].n as number;
if (have < N) {
  const t0 = performance.now();
  const classes = CLASSIFICATIONS.map((c) => `'${c.replace(/'/g, "''")}'`).join(",");
  await database.pool.query(`
    insert into targets (name, ra, dec, cx, cy, cz, classification, importance, cadence, mag_last, created)
    select 'bench' || g, ra, dec, cos(radians(dec)) * cos(radians(ra)), cos(radians(dec)) * sin(radians(ra)), sin(radians(dec)),
      (array[${classes}])[1 + (g % ${CLASSIFICATIONS.length})], (g % 1000) / 100.0, 1 + g % 7, 12 + (g % 900) / 100.0,
      now() - (g || ' seconds')::interval
    from (select g, random() * 360 as ra, degrees(asin(2 * random() - 1)) as dec
          from generate_series(${have + 1}, ${N}) g) s`);
  await database.pool.query("analyze targets");
  console.log(
    JSON.stringify({
      bench: "targets: generate",
      rows: N - have,
      seconds: +((performance.now() - t0) / 1000).toFixed(1),
    }),
  );
}

if (!(await database.pool.query("select 1 from users where username = 'bench'")).rowCount) {
  await createUser(database.db, null, { username: "bench", password: "bench-password" });
}
const token = await tokenForUser(database.db, "bench");
const app = await buildApp({ database, dataDir: "/tmp/skytom-bench", logger: false });
const rng = createRng(11);
const call = async (body: Record<string, unknown>) => {
  const res = await app.inject({
    method: "POST",
    url: "/targets/getTargetList/",
    headers: { authorization: `Token ${token}` },
    payload: body,
  });
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json() as { count: number };
};

let found = 0;
await measure(
  `getTargetList cone r=0.5deg, ${N} targets (postgresql)`,
  async () => {
    const ra = rng.uniform(0, 360);
    const dec = (Math.asin(rng.uniform(-1, 1)) * 180) / Math.PI;
    found += (await call({ coneSearchRaDecRadius: `${ra},${dec},0.5` })).count;
  },
  { runs: 200, warmup: 20, extra: { targets: N } },
);
console.log(JSON.stringify({ bench: "cone mean matches", per_cone: +(found / 220).toFixed(1) }));
await measure(
  `getTargetList cone r=0.05deg (point lookup), ${N} targets (postgresql)`,
  () => call({ coneSearchRaDecRadius: `${rng.uniform(0, 360)},${rng.uniform(-80, 80)},0.05` }),
  { runs: 200, warmup: 20, extra: { targets: N } },
);
await measure(
  `getTargetList classification + importance range, page 3 of ~50, ${N} targets (postgresql)`,
  () =>
    call({
      classification: CLASSIFICATIONS[Math.floor(rng.uniform(0, CLASSIFICATIONS.length))],
      importanceMin: 2,
      importanceMax: 2 + rng.uniform(3, 6),
      page: 3,
    }),
  { runs: 100, warmup: 10, extra: { targets: N } },
);
await measure(
  `getTargetList by exact name, ${N} targets (postgresql)`,
  () => call({ name: `bench${Math.floor(rng.uniform(1, N))}` }),
  { runs: 200, warmup: 20, extra: { targets: N } },
);
const plan = await database.pool.query(
  "explain (format json) select id from targets where cz between 0.1 and 0.11 and cx between 0.5 and 0.6 and cy between 0.1 and 0.2",
);
console.log(
  JSON.stringify({
    bench: "cone plan",
    node: JSON.stringify(plan.rows[0]["QUERY PLAN"][0].Plan).match(
      /"(Index[^"]*|Bitmap[^"]*|Seq Scan)"/,
    )?.[1],
  }),
);
await app.close();
await database.close();
