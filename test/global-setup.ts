import { existsSync } from "node:fs";
import pg from "pg";
import { CHROMIUM } from "./helpers/chromium.ts";
import { ensurePgTemplate, ensureTemplate } from "./helpers/template.ts";

/**
 * What CI requires must be there: with SKYTOM_REQUIRE_PG=1 a missing or unreachable PostgreSQL, and
 * with SKYTOM_REQUIRE_BROWSER=1 a missing Chromium, fail the run instead of skipping their tests.
 */
async function checkRequirements(): Promise<void> {
  if (process.env.SKYTOM_REQUIRE_PG === "1") {
    const url = process.env.SKYTOM_TEST_DATABASE_URL;
    if (!url) throw new Error("SKYTOM_REQUIRE_PG=1 but SKYTOM_TEST_DATABASE_URL is not set");
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query("select 1");
    } catch (err) {
      throw new Error(
        `SKYTOM_REQUIRE_PG=1 but PostgreSQL at SKYTOM_TEST_DATABASE_URL does not answer: ${String(err)}`,
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  if (process.env.SKYTOM_REQUIRE_BROWSER === "1" && !existsSync(CHROMIUM)) {
    throw new Error(`SKYTOM_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install chromium)`);
  }
}

export default async function setup(): Promise<void> {
  await checkRequirements();
  await ensureTemplate();
  const url = process.env.SKYTOM_TEST_DATABASE_URL;
  if (url) await ensurePgTemplate(url);
}
