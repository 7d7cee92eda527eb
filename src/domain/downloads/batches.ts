/**
 * The bulk read of photometry and radio downloads. PostgreSQL writes the CSV lines itself: each batch
 * (keyset pagination on (mjd, id) over the index (target_id, mjd, id), one short statement, no
 * connection held between batches) comes back as one row holding the batch's text, fetched in binary
 * so that it reaches the socket as the bytes PostgreSQL sent — no per-point objects or strings in Node.
 * On a PostgreSQL server two batches are built at once on two connections (the formatting is
 * PostgreSQL CPU, one core per backend); on the embedded database one at a time, the next read while
 * the current one is sent.
 *
 * Floats: PostgreSQL's float8 text (extra_float_digits ≥ 1, the default since PostgreSQL 12) is the
 * shortest round-trip digits, as Python's repr; positional forms need only Python's `.0`, and
 * `…e-NN` forms are identical. |x| ≥ 1e15 (PostgreSQL and Python switch to exponents at different
 * points), NaN and ±Infinity are flagged by comparing the numbers (no text searched), and a batch
 * holding one is formatted in Node with {@link pythonFloat} instead (csvLine): the bytes are the same.
 */
import type pg from "pg";
import type { Db } from "../../db/connection.ts";
import type { ValueUnit } from "../../vocabulary.ts";
import { rawClient } from "../cache.ts";
import { curveBatch } from "../datums/repo.ts";
import { csvLine } from "./csv.ts";

/**
 * A float column's Python repr, as SQL arguments of concat(): its text, and `.0` when it is integral.
 * Only for |x| < 1e15 (positional in both languages); larger values, NaN and ±Infinity are flagged by
 * {@link ODD} and never sent. The column is converted to text once (float8out is most of the cost).
 */
const pyFloat = (x: string) => `${x}::text, case when ${x} = trunc(${x}) then '.0' end`;
/** True for a row holding a float that pyFloat does not write as Python does (NaN compares above all). */
const ODD = "greatest(abs(r.mjd), abs(r.value), abs(r.error)) >= 1e15";
/**
 * Text columns go in as they are: a batch where one would need QUOTE_MINIMAL's quotes (a field holding
 * ; " CR or LF) is found on the whole text at once — a `"` or CR anywhere, or other than 5 `;` and one
 * LF per line — and formatted in Node instead, like a batch with an odd float.
 */
const LINE = `concat(${pyFloat("r.mjd")}, ';', ${pyFloat("r.value")}, ';', ${pyFloat("r.error")}, ';',
  r.facility, ';', r.filter, ';', r.observer, E'\\n')`;
const count = (body: string, c: string) => `octet_length(${body}) - octet_length(replace(${body}, ${c}, ''))`;
const NEEDS_NODE = `b.odd or strpos(b.body, '"') > 0 or strpos(b.body, E'\\r') > 0
  or ${count("b.body", "';'")} <> 5 * b.n or ${count("b.body", "E'\\n'")} <> b.n`;

const POINTS = `reduced_datums r where r.target_id = $1 and r.active_flg and r.data_type = 'photometry'
  and r.value_unit = $2`;
/** Key bounds from parameter $n on. */
const AFTER = (n: number) => `and (r.mjd, r.id) > ($${n}::float8, $${n + 1}::int4)`;
const UPTO = (n: number) => `and (r.mjd, r.id) <= ($${n}::float8, $${n + 1}::int4)`;

/**
 * One batch as one row: its text, count, odd flag and last key. Parameters: target, unit, then the limit
 * (without `upto`), the key after which it starts (with `after`), the key it ends at (with `upto`).
 */
const batchSql = (
  after: boolean,
  upto: boolean,
) => `select b.body, b.n::text as n, (${NEEDS_NODE})::text as odd, b.last
  from (select string_agg(${LINE}, '' order by r.mjd, r.id) as body, count(*) as n, bool_or(${ODD}) as odd,
      max(array[r.mjd, r.id::float8])::text as last
    from (select * from ${POINTS} ${after ? AFTER(upto ? 3 : 4) : ""}
          ${upto ? UPTO(after ? 5 : 3) : ""}
          order by r.mjd, r.id ${upto ? "" : "limit $3"}) r) b`;
const FIRST = batchSql(false, false);
const NEXT = batchSql(true, false);
const RANGE_FIRST = batchSql(false, true);
const RANGE_NEXT = batchSql(true, true);
const rangeSql = (after: boolean) => (after ? RANGE_NEXT : RANGE_FIRST);
/** The key of the `$3 + 1`-th point after the key (none: fewer points remain). */
const boundarySql = (after: boolean) => `select r.mjd::text as m, r.id from ${POINTS} ${after ? AFTER(4) : ""}
  order by r.mjd, r.id offset $3 limit 1`;

/** Every column as the raw bytes received (binary results: text is its UTF-8). */
const RAW: pg.CustomTypesConfig = { getTypeParser: () => (value: unknown) => value as never };

type Key = { mjd: string; id: number };

interface Batch {
  body: Buffer | null;
  n: number;
  odd: boolean;
  /** (mjd, id) of the last point, mjd as exact text. */
  last: Key | null;
}

/**
 * The batch after `after`: its first `limit` points, or (with `upto`) every point up to that key.
 * The text is built on whichever pooled connection is free.
 */
async function readBatch(
  db: Db,
  targetId: number,
  unit: string,
  after: Key | null,
  limit: number,
  upto: Key | null = null,
): Promise<Batch> {
  type Raw = { body: Buffer | null; n: Buffer; odd: Buffer | null; last: Buffer | null };
  const values: unknown[] = [targetId, unit];
  if (!upto) values.push(limit);
  if (after) values.push(after.mjd, after.id);
  if (upto) values.push(upto.mjd, upto.id);
  // `binary` is a query option of pg that its types do not list.
  const config = {
    text: upto ? rangeSql(!!after) : after ? NEXT : FIRST,
    values,
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

/** The key of the `skip + 1`-th point after `after`; null when fewer points remain. */
async function boundary(db: Db, targetId: number, unit: string, after: Key | null, skip: number) {
  const values: unknown[] = [targetId, unit, skip];
  if (after) values.push(after.mjd, after.id);
  const res = await rawClient(db).query<{ m: string; id: number }>(boundarySql(!!after), values);
  const row = res.rows[0];
  return row ? { mjd: row.m, id: row.id } : null;
}

/**
 * True when this database writes float8 as the shortest round-trip digits (extra_float_digits ≥ 1);
 * otherwise downloads take the path that formats every number in Node.
 */
export async function shortestFloatText(db: Db): Promise<boolean> {
  const res = await rawClient(db).query<{ v: string }>("select current_setting('extra_float_digits') as v");
  return Number(res.rows[0]?.v) >= 1;
}

/**
 * How many batches to build at once: 2 on a PostgreSQL server (one backend, so one core, per
 * connection), 1 on the embedded database (one session: parallel statements would only queue).
 */
export function downloadParallelism(db: Db): number {
  const pool = rawClient(db) as Partial<pg.Pool>;
  return pool.options?.connectionString ? 2 : 1;
}

/** The batch formatted in Node (a float PostgreSQL writes otherwise than Python): same points, same bytes. */
async function nodeBatch(
  db: Db,
  targetId: number,
  unit: ValueUnit,
  after: Key | null,
  upto: Key | null,
  n: number,
) {
  const key = after ? { mjd: Number(after.mjd), id: after.id } : null;
  const end = upto ? { mjd: Number(upto.mjd), id: upto.id } : null;
  const rows = await curveBatch(db, targetId, [unit], key, upto ? n + 1 : n);
  let out = "";
  for (const r of rows) {
    if (end && (r.mjd > end.mjd || (r.mjd === end.mjd && r.id > end.id))) break;
    out += csvLine([r.mjd, r.value, r.error, r.facility, r.filter, r.observer]);
  }
  return out;
}

/**
 * The CSV lines (no header) of the target's active points in `unit`, one Buffer or string per batch,
 * in order. With `parallel` > 1 the batches are cut first (a cheap index walk finds each batch's last
 * key) and up to `parallel` of them are built at once on separate connections; with 1, each batch's
 * statement also returns where the next one starts, and the next is read while one is sent.
 */
export async function* csvBatches(
  db: Db,
  targetId: number,
  unit: ValueUnit,
  batchSize: number,
  parallel = 1,
): AsyncGenerator<Buffer | string> {
  if (parallel > 1) {
    yield* parallelBatches(db, targetId, unit, batchSize, parallel);
    return;
  }
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
    if (batch.odd) yield await nodeBatch(db, targetId, unit, after, null, batchSize);
    else if (batch.body) yield batch.body;
    after = batch.last;
  }
}

async function* parallelBatches(
  db: Db,
  targetId: number,
  unit: ValueUnit,
  batchSize: number,
  parallel: number,
): AsyncGenerator<Buffer | string> {
  const queue: Array<{ after: Key | null; upto: Key | null; batch: Promise<Batch> }> = [];
  let after: Key | null = null;
  let ended = false;
  // Cut batches (one boundary statement each) and start them until `parallel` are being built.
  const fill = async () => {
    while (!ended && queue.length < parallel) {
      const upto = await boundary(db, targetId, unit, after, batchSize - 1);
      const batch = readBatch(db, targetId, unit, after, batchSize, upto);
      batch.catch(() => undefined); // the client may go away with this still running
      queue.push({ after, upto, batch });
      if (upto) after = upto;
      else ended = true;
    }
  };
  let filling = fill();
  filling.catch(() => undefined);
  for (;;) {
    await filling;
    const item = queue.shift();
    if (!item) return;
    filling = fill();
    filling.catch(() => undefined);
    const batch = await item.batch;
    if (batch.odd) yield await nodeBatch(db, targetId, unit, item.after, item.upto, batchSize);
    else if (batch.body) yield batch.body;
  }
}
