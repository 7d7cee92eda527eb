/**
 * The bulk read of photometry and radio downloads. Each point keeps its CSV line, written by PostgreSQL
 * when the point is stored (the generated column `download_line`, db/schema/dataproducts.ts), so a
 * download only concatenates stored text: each batch (keyset pagination on (mjd, id), an index-only
 * scan of reduced_datums_download_idx, which holds the lines; one short statement, no connection held
 * between batches) comes back as one row holding the batch's text — no per-point objects or strings in
 * Node.
 *
 * On a PostgreSQL server the batches are cut first (an index-only walk finds each one's last key) and
 * two are built at once on two connections (one backend, so one core, per connection). Each is read
 * with `COPY … TO STDOUT (FORMAT binary)`, which hands over the bytes PostgreSQL sent: pg decodes every
 * field of a query's result as a UTF-8 string (and a `binary` field back into bytes), which took more
 * Node time than all the rest of a download. On the embedded database one batch at a time, by query,
 * the next read while the current one is sent.
 *
 * A point whose line is null (a float PostgreSQL writes otherwise than Python's repr: |x| ≥ 1e15, NaN,
 * ±Infinity; or a text field that needs QUOTE_MINIMAL's quotes) makes its batch be formatted in Node
 * with csvLine instead: the bytes are the same.
 */
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import type { Db } from "../../db/connection.ts";
import type { ValueUnit } from "../../vocabulary.ts";
import { onServer, rawClient } from "../../db/raw.ts";
import { curveBatch } from "../datums/repo.ts";
import { csvLine } from "./csv.ts";

/** (mjd, id) of a point, mjd as PostgreSQL's exact text of the float. */
type Key = { mjd: string; id: number };

interface Batch {
  body: Buffer | string | null;
  odd: boolean;
  /** Points in the batch and the key of its last one (batches read by query only). */
  n?: number;
  last?: Key | null;
}

/** The points of a download (target $1, unit $2): reduced_datums_download_idx holds exactly these. */
const POINTS = `reduced_datums r where r.target_id = $1 and r.value_unit = $2 and r.active_flg
  and r.data_type = 'photometry'`;
const after = (m: string, id: string) => `and (r.mjd, r.id) > (${m}::float8, ${id}::int4)`;
const upto = (m: string, id: string) => `and (r.mjd, r.id) <= (${m}::float8, ${id}::int4)`;

/*
 * The ordered subquery feeds string_agg in (mjd, id) order: the plan is an index-only scan under a
 * limit or a key range, with nothing between it and the aggregate that could reorder rows (PostgreSQL's
 * documented way to order an aggregate's input; an `order by` inside string_agg would sort each batch
 * again on PostgreSQL 15, a third of the batch's time).
 */
const AGG = `bool_or(r.download_line is null) as odd, string_agg(r.download_line, '') as body`;

/** By query: the `$3` points after the key in $4, $5 (or from the start), with count and last key. */
const querySql = (from: boolean) => `select ${AGG}, count(*)::int as n,
    max(array[r.mjd, r.id::float8])::text as last
  from (select r.mjd, r.id, r.download_line from ${POINTS} ${from ? after("$4", "$5") : ""}
        order by r.mjd, r.id limit $3) r`;
const QUERY_FIRST = querySql(false);
const QUERY_NEXT = querySql(true);

/**
 * The key of the `$2 + 1`-th point of the target after the key in $3, $4 (none: fewer remain), counting
 * points of every type and unit: an index-only walk of the narrow index (target_id, mjd, id). A batch
 * cut this way holds at most `$2 + 1` points of the download.
 */
const boundarySql = (from: boolean) => `select r.mjd::text as m, r.id from reduced_datums r
  where r.target_id = $1 ${from ? after("$3", "$4") : ""} order by r.mjd, r.id offset $2 limit 1`;

/** The first `limit` points after `from` (or from the start), by query. */
async function queryBatch(db: Db, targetId: number, unit: string, from: Key | null, limit: number) {
  type Raw = { body: string | null; odd: boolean | null; n: number; last: string | null };
  const values: unknown[] = [targetId, unit, limit];
  if (from) values.push(from.mjd, from.id);
  const res = await rawClient(db).query<Raw>(from ? QUERY_NEXT : QUERY_FIRST, values);
  const row = res.rows[0];
  const last = row.last ? row.last.slice(1, -1).split(",") : null;
  return {
    body: row.body,
    odd: row.odd === true,
    n: row.n,
    last: last ? { mjd: last[0], id: Number(last[1]) } : null,
  } satisfies Batch;
}

/**
 * A float's text as an SQL literal: only text PostgreSQL itself wrote for a float8 is let through.
 * COPY takes no parameters, so a batch's values are written into its statement.
 */
function floatLiteral(text: string): string {
  if (!/^(-?\d+(\.\d+)?(e[-+]\d+)?|-?Infinity|NaN)$/.test(text)) throw new Error(`not a float: ${text}`);
  return pg.escapeLiteral(text);
}
function intLiteral(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
}

/** By COPY: the points after `from` (or from the start) up to `to` (or to the end). */
async function copyBatch(db: Db, targetId: number, unit: string, from: Key | null, to: Key | null) {
  const sql = `copy (select ${AGG} from (select r.download_line
      from ${POINTS.replace("$1", intLiteral(targetId)).replace("$2", pg.escapeLiteral(unit))}
      ${from ? after(floatLiteral(from.mjd), intLiteral(from.id)) : ""}
      ${to ? upto(floatLiteral(to.mjd), intLiteral(to.id)) : ""}
      order by r.mjd, r.id) r) to stdout (format binary)`;
  const client = await (rawClient(db) as pg.Pool).connect();
  let released = false;
  try {
    const parts: Buffer[] = [];
    for await (const chunk of client.query(copyTo(sql))) parts.push(chunk as Buffer);
    const [odd, body] = copyFields(Buffer.concat(parts), 2);
    return { odd: odd?.[0] === 1, body } satisfies Batch;
  } catch (err) {
    // The connection is in an unknown state of the COPY protocol: close it rather than reuse it.
    released = true;
    client.release(err instanceof Error ? err : true);
    throw err;
  } finally {
    if (!released) client.release();
  }
}

/** PGCOPY's signature: `PGCOPY\n\377\r\n\0`. */
const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

/**
 * The fields of the one row of a binary COPY (PostgreSQL documentation, COPY, "Binary Format"): the
 * signature, flags and header extension, then a field count and each field as length (−1: null) and
 * bytes, then the trailer −1. Fields are views of `data`, not copies.
 */
export function copyFields(data: Buffer, count: number): Array<Buffer | null> {
  const fail = (what: string): never => {
    throw new Error(`unexpected binary COPY data: ${what}`);
  };
  if (data.length < 21 || !data.subarray(0, 11).equals(SIGNATURE)) fail("no signature");
  let at = 15 + 4 + data.readUInt32BE(15);
  if (data.readInt16BE(at) !== count) fail(`not ${count} fields`);
  at += 2;
  const fields: Array<Buffer | null> = [];
  for (let i = 0; i < count; i++) {
    const len = data.readInt32BE(at);
    at += 4;
    if (len < 0) fields.push(null);
    else {
      if (at + len > data.length) fail("a field runs past the end");
      fields.push(data.subarray(at, at + len));
      at += len;
    }
  }
  if (at + 2 !== data.length || data.readInt16BE(at) !== -1) fail("not one row");
  return fields;
}

/** The key of the `skip + 1`-th point after `from`; null when fewer points remain. */
async function boundary(db: Db, targetId: number, from: Key | null, skip: number): Promise<Key | null> {
  const values: unknown[] = [targetId, skip];
  if (from) values.push(from.mjd, from.id);
  const res = await rawClient(db).query<{ m: string; id: number }>(boundarySql(!!from), values);
  const row = res.rows[0];
  return row ? { mjd: row.m, id: row.id } : null;
}

/**
 * How many batches to build at once: 2 on a PostgreSQL server (one backend, so one core, per
 * connection), 1 on the embedded database (one session: parallel statements would only queue).
 */
export function downloadParallelism(db: Db): number {
  return onServer(db) ? 2 : 1;
}

/** The batch formatted in Node (a point without its line): same points, same bytes. */
async function nodeBatch(
  db: Db,
  targetId: number,
  unit: ValueUnit,
  from: Key | null,
  to: Key | null,
  n: number,
) {
  const key = from ? { mjd: Number(from.mjd), id: from.id } : null;
  const end = to ? { mjd: Number(to.mjd), id: to.id } : null;
  const rows = await curveBatch(db, targetId, [unit], key, to ? n + 1 : n);
  let out = "";
  for (const r of rows) {
    if (end && (r.mjd > end.mjd || (r.mjd === end.mjd && r.id > end.id))) break;
    out += csvLine([r.mjd, r.value, r.error, r.facility, r.filter, r.observer]);
  }
  return out;
}

/**
 * The CSV lines (no header) of the target's active points in `unit`, one Buffer or string per batch,
 * in order. With `parallel` > 1 (a PostgreSQL server) the batches are cut first and up to `parallel`
 * of them are read at once by COPY on separate connections; with 1, each batch's statement also
 * returns where the next one starts, and the next is read while one is sent.
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
  let from: Key | null = null;
  let pending: Promise<Batch> | null = queryBatch(db, targetId, unit, null, batchSize);
  while (pending) {
    const batch: Batch = await pending;
    pending = null;
    if (batch.n === batchSize && batch.last) {
      pending = queryBatch(db, targetId, unit, batch.last, batchSize);
      // Handled here too: when the client goes away the generator is dropped with this still running.
      pending.catch(() => undefined);
    }
    if (batch.odd) yield await nodeBatch(db, targetId, unit, from, null, batchSize);
    else if (batch.body) yield batch.body;
    from = batch.last ?? null;
  }
}

/** Batches read ahead of the one being sent, built or being built (up to `parallel` at once). */
const READ_AHEAD = 2;

async function* parallelBatches(
  db: Db,
  targetId: number,
  unit: ValueUnit,
  batchSize: number,
  parallel: number,
): AsyncGenerator<Buffer | string> {
  const noop = () => undefined; // for promises the client may leave behind when it goes away
  const queue: Array<{ from: Key | null; to: Key | null; batch: Promise<Batch> }> = [];
  let from: Key | null = null;
  let ended = false;
  let building = 0;
  let failure: { err: unknown } | null = null;
  // The next cut is always being looked for while batches are built.
  let nextCut = boundary(db, targetId, null, batchSize - 1);
  nextCut.catch(noop);
  const canStart = () => !ended && !failure && building < parallel && queue.length < parallel + READ_AHEAD;
  // Cut batches (one boundary statement each) and start them while there is room: `parallel` being
  // built at once, and a few built ahead so that PostgreSQL keeps working while a slow client reads.
  const fill = async () => {
    while (canStart()) {
      const to = await nextCut;
      if (to) {
        nextCut = boundary(db, targetId, to, batchSize - 1);
        nextCut.catch(noop);
      }
      const batch = copyBatch(db, targetId, unit, from, to);
      building++;
      batch.then(noop, noop).finally(() => {
        building--;
        kick();
      });
      queue.push({ from, to, batch });
      if (to) from = to;
      else ended = true;
    }
  };
  let filling: Promise<void> | null = null;
  const kick = () => {
    if (filling || !canStart()) return;
    filling = fill()
      .catch((err: unknown) => void (failure = { err }))
      .finally(() => {
        filling = null;
        kick(); // room may have been made while the last cut was awaited
      });
  };
  for (;;) {
    kick();
    if (!queue.length && filling) await filling;
    const failed = failure as { err: unknown } | null; // set in a callback: not narrowed
    if (failed) throw failed.err;
    const item = queue.shift();
    if (!item) return;
    kick();
    const batch = await item.batch;
    if (batch.odd) yield await nodeBatch(db, targetId, unit, item.from, item.to, batchSize);
    else if (batch.body) yield batch.body;
  }
}
