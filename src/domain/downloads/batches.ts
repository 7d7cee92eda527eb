/**
 * The bulk read of photometry and radio downloads. PostgreSQL writes the CSV lines itself: each batch
 * (keyset pagination on (mjd, id) over the index (target_id, mjd, id), one short statement, no
 * connection held between batches) comes back as one row holding the batch's text, fetched in binary
 * so that it reaches the socket as the bytes PostgreSQL sent — no per-point objects or strings in Node.
 * The next batch is read while the current one is sent.
 *
 * Floats: PostgreSQL's float8 text (extra_float_digits ≥ 1, the default since PostgreSQL 12) is the
 * shortest round-trip digits, as Python's repr; positional forms need only Python's `.0`, and
 * `…e-NN` forms are identical. Forms with `e+` (|x| ≥ 1e15: PostgreSQL and Python switch to exponents
 * at different points), NaN and ±Infinity are flagged, and a batch holding one is formatted in Node
 * with {@link pythonFloat} instead (csvLine): the bytes are the same either way.
 */
import type pg from "pg";
import type { Db } from "../../db/connection.ts";
import type { ValueUnit } from "../../vocabulary.ts";
import { rawClient } from "../cache.ts";
import { curveBatch } from "../datums/repo.ts";
import { csvLine } from "./csv.ts";

/** A float column's Python repr, as SQL over its text `t` (a flagged form gives 'X', never sent). */
const pyFloat = (t: string) =>
  `(case when strpos(${t}, '.') > 0 and strpos(${t}, 'e+') = 0 or strpos(${t}, 'e-') > 0 then ${t}
    when strpos(${t}, 'e') = 0 and strpos(${t}, 'N') = 0 and strpos(${t}, 'I') = 0 then ${t} || '.0' else 'X' end)`;
/** The forms pyFloat leaves to Node. */
const odd = (t: string) => `(strpos(${t}, 'e+') > 0 or strpos(${t}, 'N') > 0 or strpos(${t}, 'I') > 0)`;
/** A text column as QUOTE_MINIMAL writes it (fields holding ; " CR or LF quoted, quotes doubled). */
const csvText = (c: string) =>
  `(case when strpos(${c}, ';') + strpos(${c}, '"') + strpos(${c}, E'\\n') + strpos(${c}, E'\\r') > 0
    then '"' || replace(${c}, '"', '""') || '"' else ${c} end)`;

const LINE = `${pyFloat("f.m")} || ';' || ${pyFloat("f.v")} || ';' || ${pyFloat("f.e")} || ';' ||
  ${csvText("r.facility")} || ';' || ${csvText("r.filter")} || ';' || ${csvText("r.observer")} || E'\\n'`;

const batchSql = (after: boolean) => `select string_agg(${LINE}, '' order by r.mjd, r.id) as body,
    count(*)::text as n, bool_or(${odd("f.m")} or ${odd("f.v")} or ${odd("f.e")})::text as odd,
    max(array[r.mjd, r.id::float8])::text as last
  from (select * from reduced_datums r where r.target_id = $1 and r.active_flg and r.data_type = 'photometry'
        and r.value_unit = $2 ${after ? "and (r.mjd, r.id) > ($4::float8, $5::int4)" : ""}
        order by r.mjd, r.id limit $3) r
  cross join lateral (select r.mjd::text as m, r.value::text as v, r.error::text as e) f`;
const FIRST = batchSql(false);
const NEXT = batchSql(true);

/** Every column as the raw bytes received (binary results: text is its UTF-8). */
const RAW: pg.CustomTypesConfig = { getTypeParser: () => (value: unknown) => value as never };

interface Batch {
  body: Buffer | null;
  n: number;
  odd: boolean;
  /** (mjd, id) of the last point, mjd as exact text. */
  last: { mjd: string; id: number } | null;
}

async function readBatch(
  db: Db,
  targetId: number,
  unit: string,
  after: Batch["last"],
  limit: number,
): Promise<Batch> {
  type Raw = { body: Buffer | null; n: Buffer; odd: Buffer | null; last: Buffer | null };
  // `binary` is a query option of pg that its types do not list.
  const config = {
    text: after ? NEXT : FIRST,
    values: after ? [targetId, unit, limit, after.mjd, after.id] : [targetId, unit, limit],
    binary: true,
    types: RAW,
  } as pg.QueryConfig;
  const res = await rawClient(db).query<Raw>(config);
  const row = res.rows[0];
  const last = row.last ? row.last.toString().slice(1, -1).split(",") : null;
  return {
    body: row.body,
    n: Number(row.n.toString()),
    odd: row.odd?.toString() === "true",
    last: last ? { mjd: last[0], id: Number(last[1]) } : null,
  };
}

/**
 * True when this database writes float8 as the shortest round-trip digits (extra_float_digits ≥ 1);
 * otherwise downloads take the path that formats every number in Node.
 */
export async function shortestFloatText(db: Db): Promise<boolean> {
  const res = await rawClient(db).query<{ v: string }>("select current_setting('extra_float_digits') as v");
  return Number(res.rows[0]?.v) >= 1;
}

/** The CSV lines (no header) of the target's active points in `unit`, one Buffer or string per batch. */
export async function* csvBatches(
  db: Db,
  targetId: number,
  unit: ValueUnit,
  batchSize: number,
): AsyncGenerator<Buffer | string> {
  let after: Batch["last"] = null;
  let pending: Promise<Batch> | null = readBatch(db, targetId, unit, null, batchSize);
  while (pending) {
    const batch: Batch = await pending;
    pending = null;
    if (batch.n === batchSize && batch.last) {
      pending = readBatch(db, targetId, unit, batch.last, batchSize);
      // Handled here too: when the client goes away the generator is dropped with this still running.
      pending.catch(() => undefined);
    }
    if (batch.odd) {
      // The same points, formatted in Node (keyset from the previous batch's end).
      const key = after ? { mjd: Number(after.mjd), id: after.id } : null;
      const rows = await curveBatch(db, targetId, [unit], key, batchSize);
      let out = "";
      for (const r of rows) out += csvLine([r.mjd, r.value, r.error, r.facility, r.filter, r.observer]);
      yield out;
    } else if (batch.body) {
      yield batch.body;
    }
    after = batch.last;
  }
}
