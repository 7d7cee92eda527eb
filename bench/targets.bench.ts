/**
 * getTargetList on 1,000,000 targets in PostgreSQL (issue #10 targets: cone p50 < 5 ms, ≥ 2,000 req/s).
 *
 * 1. Latency, one request at a time through the real route in-process (`inject`: parsing, validation,
 *    auth, SQL, serialisation; no socket), each request different so nothing is served from the cache:
 *    cones of r = 0.5° and point cones (r = 3″ around existing targets), exact name, classification +
 *    importance range, a has-data flag. For the r = 0.5° cone also its phases: the token lookup alone
 *    and the list statement alone.
 * 2. Throughput: `skytom serve` as a child process (its own CPU, as deployed; LOG_LEVEL=warn) and
 *    autocannon in this process, 50 connections, token-authenticated, `Accept-Encoding: gzip, deflate` as
 *    Python requests sends it: the same first page of 200 targets again and again (the cached path), one
 *    target by name (cached, small), and random cones (the uncached path).
 * Needs PostgreSQL: SKYTOM_BENCH_DATABASE_URL (a server URL; default postgres://postgres@127.0.0.1:5432/postgres).
 * The generated database `skytom_bench_targets` is kept between runs (made again when the generator changes).
 * SKYTOM_BENCH_DURATION: seconds per autocannon run (default 10).
 */
import autocannon from "autocannon";
import { benchDatabaseUrl, datasetCurrent, markDataset, openBenchDatabase } from "./pg.ts";
import { startChildServer } from "./server.ts";
import { CLASSIFICATIONS } from "../src/vocabulary.ts";
import { buildApp } from "../src/app.ts";
import { createRng } from "../src/astro/synth/random.ts";
import { authenticateTokenWithGenerations, createUser, tokenForUser } from "../src/domain/users/service.ts";
import { targetListWhere } from "../src/domain/targets/list.ts";
import { listPage } from "../src/domain/targets/repo.ts";
import { measure } from "./stats.ts";
import { SYSTEM } from "../src/domain/permissions.ts";

const N = Number(process.env.SKYTOM_BENCH_TARGETS ?? 1_000_000);
const DURATION = Number(process.env.SKYTOM_BENCH_DURATION ?? 10);
const DB = "skytom_bench_targets";
/** Bump when the generated rows change. */
const GENERATOR = `targets-2:${N}`;

const opened = await openBenchDatabase(DB, "targets");
if (!opened) process.exit(0);
const database = opened;

if (!(await datasetCurrent(database, "targets", GENERATOR))) {
  const t0 = performance.now();
  await database.pool.query("truncate targets restart identity cascade");
  const classes = CLASSIFICATIONS.map((c) => `'${c.replace(/'/g, "''")}'`).join(",");
  // Uniform on the sphere; 1 % with optical data (the light-curve bench fills those), fewer with others.
  await database.pool.query(`
    insert into targets (name, ra, dec, cx, cy, cz, classification, importance, cadence, mag_last, created,
      has_optical, has_infrared, has_radio)
    select 'bench' || g, ra, dec, cos(radians(dec)) * cos(radians(ra)), cos(radians(dec)) * sin(radians(ra)), sin(radians(dec)),
      (array[${classes}])[1 + (g % ${CLASSIFICATIONS.length})], (g % 1000) / 100.0, 1 + g % 7, 12 + (g % 900) / 100.0,
      now() - ((${N} - g) || ' seconds')::interval, g % 100 = 0, g % 500 = 0, g % 2000 = 0
    from (select g, random() * 360 as ra, degrees(asin(2 * random() - 1)) as dec
          from generate_series(1, ${N}) g) s`);
  await database.pool.query("vacuum analyze targets");
  await markDataset(database, "targets", GENERATOR);
  console.log(
    JSON.stringify({
      bench: "targets: generate",
      rows: N,
      seconds: +((performance.now() - t0) / 1000).toFixed(1),
    }),
  );
}

if (!(await database.pool.query("select 1 from users where username = 'bench'")).rowCount) {
  await createUser(database.db, SYSTEM, { username: "bench", password: "bench-password" });
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
const randomCone = (radius: number) => {
  const ra = rng.uniform(0, 360);
  const dec = (Math.asin(rng.uniform(-1, 1)) * 180) / Math.PI;
  return { coneSearchRaDecRadius: `${ra},${dec},${radius}` };
};
const extra = { targets: N };

let found = 0;
let cones = 0;
await measure(
  `getTargetList cone r=0.5deg, ${N} targets (postgresql, in-process)`,
  async () => {
    found += (await call(randomCone(0.5))).count;
    cones++;
  },
  { runs: 300, warmup: 30, extra },
);
console.log(JSON.stringify({ bench: "cone r=0.5deg mean matches", per_cone: +(found / cones).toFixed(1) }));

// Phases of the same request: the token lookup (with the cache generations) and the list statement.
await measure(
  "phase: token lookup + cache generations (one statement)",
  () => authenticateTokenWithGenerations(database.db, token),
  { runs: 300, warmup: 30 },
);
await measure(
  "phase: count + page statement of a cone r=0.5deg",
  async () => {
    const where = await targetListWhere(database.db, randomCone(0.5));
    await listPage(database.db, where, 0, 200);
  },
  { runs: 300, warmup: 30 },
);

const ids = (
  await database.pool.query<{ ra: number; dec: number }>(
    "select ra, dec from targets where id in (select 1 + floor(random() * $1)::int from generate_series(1, 400))",
    [N],
  )
).rows;
let point = 0;
let pointFound = 0;
await measure(
  `getTargetList point cone r=3arcsec at a target, ${N} targets (postgresql, in-process)`,
  async () => {
    const { ra, dec } = ids[point++ % ids.length];
    pointFound += (await call({ coneSearchRaDecRadius: `${ra},${dec},${3 / 3600}` })).count;
  },
  { runs: 300, warmup: 30, extra },
);
if (pointFound < 300) throw new Error("point cones missed their targets");
await measure(
  `getTargetList by exact name, ${N} targets (postgresql, in-process)`,
  () => call({ name: `bench${Math.floor(rng.uniform(1, N))}` }),
  { runs: 300, warmup: 30, extra },
);
await measure(
  `getTargetList classification + importance range, page 3 (~17k matches), ${N} targets (postgresql, in-process)`,
  () =>
    call({
      classification: CLASSIFICATIONS[Math.floor(rng.uniform(0, CLASSIFICATIONS.length))],
      importanceMin: 2,
      importanceMax: 2 + rng.uniform(3, 6),
      page: 3,
    }),
  { runs: 100, warmup: 10, extra },
);
await measure(
  `getTargetList hasOptical=true (has-data flag, 1% of targets), random page (uncached), ${N} targets (postgresql, in-process)`,
  // A random lastMagMax above every magnitude: the same answer, but no cache hits.
  () =>
    call({
      hasOptical: true,
      lastMagMax: 50 + rng.uniform(0, 1),
      page: 1 + Math.floor(rng.uniform(0, N / 100 / 200)),
    }),
  { runs: 100, warmup: 10, extra },
);
await measure(
  `getTargetList same body again (cached answer), ${N} targets (postgresql, in-process)`,
  () => call({ page: 1 }),
  { runs: 300, warmup: 30, extra },
);
await app.close();
await database.close();

// Throughput against a separate server process.
const server = await startChildServer(benchDatabaseUrl(DB));
try {
  const run = async (name: string, opts: Partial<autocannon.Options>) => {
    const result = await autocannon({
      url: `${server.url}/targets/getTargetList/`,
      method: "POST",
      connections: 50,
      duration: DURATION,
      // As Python requests sends them (BHTOM clients): gzip accepted.
      headers: {
        authorization: `Token ${token}`,
        "content-type": "application/json",
        "accept-encoding": "gzip, deflate",
      },
      ...opts,
    });
    console.log(
      JSON.stringify({
        bench: name,
        connections: 50,
        seconds: DURATION,
        req_per_s: Math.round(result.requests.average),
        p50_ms: result.latency.p50,
        p99_ms: result.latency.p99,
        kb_per_response: +(result.throughput.average / Math.max(1, result.requests.average) / 1024).toFixed(
          1,
        ),
        non_2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        server: "child process (skytom serve, LOG_LEVEL=warn)",
      }),
    );
  };
  await run(`autocannon getTargetList first page (200 targets, cached answer), ${N} targets`, {
    body: JSON.stringify({ page: 1 }),
  });
  await run(`autocannon getTargetList one target by name (cached answer), ${N} targets`, {
    body: JSON.stringify({ name: "bench123456" }),
  });
  const crng = createRng(5);
  await run(`autocannon getTargetList random cones r=0.5deg (uncached), ${N} targets`, {
    requests: [
      {
        setupRequest: (req) => {
          const ra = crng.uniform(0, 360);
          const dec = (Math.asin(crng.uniform(-1, 1)) * 180) / Math.PI;
          return { ...req, body: JSON.stringify({ coneSearchRaDecRadius: `${ra},${dec},0.5` }) };
        },
      },
    ],
  });
} finally {
  await server.stop();
}
