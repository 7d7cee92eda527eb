// CI helper: create or drop a throwaway PostgreSQL database on 127.0.0.1:5432 (trust auth).
// `node scripts/ci-db.mjs create NAME` prints its URL, or nothing when PostgreSQL does not answer.
import pg from "pg";

const [, , action, name] = process.argv;
if (!/^[a-z_][a-z0-9_]*$/.test(name ?? "")) throw new Error("usage: ci-db.mjs create|drop NAME");
const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
try {
  await admin.connect();
} catch {
  process.exit(0); // no PostgreSQL here: the suite runs on the embedded database only
}
if (action === "create") {
  await admin.query(`CREATE DATABASE ${name}`);
  console.log(`postgres://postgres@127.0.0.1:5432/${name}`);
} else if (action === "drop") {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  // and the per-file test databases this run left behind (named `<name>_t_<random>`, test/helpers/db.ts);
  // other runs' databases on the same server are not touched
  const { rows } = await admin.query("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", [
    `${name}_t_`,
  ]);
  for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`);
}
await admin.end();
