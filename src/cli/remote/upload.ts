/**
 * `skytom upload FILES|DIR --target T --observatory ONAME`: one request per file, a few at a time, a progress
 * bar per file (bytes), then a summary table; `--wait` follows each data product to its calibration result.
 * A failed file does not stop the others; the exit code says what failed (4: some uploads failed).
 */
import { Option } from "commander";
import cliProgress from "cli-progress";
import { ApiError, ConnectionError, type SkytomClient, type UploadFields } from "../../client/index.ts";
import { DATA_PRODUCT_TYPES, type DataProductType } from "../../vocabulary.ts";
import { EXIT, ExitCodeError, UsageError } from "../output.ts";
import { connect, fixed, numberOption, observerCommand, printJson, table } from "./common.ts";
import type { RemoteFlags } from "./config.ts";
import { describeTypes, planFiles, type PlannedFile } from "./upload-plan.ts";
import { followDataProducts, type Calibrated } from "./upload-wait.ts";

interface UploadFlags extends RemoteFlags {
  target: string;
  observatory: string;
  type?: DataProductType;
  filter?: string;
  mjd?: string;
  observers?: string;
  comment?: string;
  matchDist?: string;
  dryRun?: boolean;
  wait?: boolean;
  waitTimeout: string;
  parallel: string;
  json?: boolean;
}

export interface FileOutcome {
  file: string;
  type: DataProductType;
  size_bytes: number;
  /** Data product id, when the server stored it. */
  id: number | null;
  /** C queued, P processing, S done, E error; "failed" when the upload itself failed. */
  status: string;
  message: string;
  points: number | null;
  /** The upload's failure kind: refused (4xx), unreachable (no answer or 5xx). */
  failure: "refused" | "unreachable" | null;
  calibration: Calibrated | null;
}

/** Run `fn` over `items`, at most `limit` at a time, in order of start. */
async function pool<T>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const human = (bytes: number) =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 ** 2
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/** One bar per file on a terminal; nothing otherwise (a line per finished file goes to stderr instead). */
function progressDisplay(files: PlannedFile[], enabled: boolean) {
  const width = Math.min(40, Math.max(...files.map((f) => f.name.length)));
  const multibar = enabled
    ? new cliProgress.MultiBar(
        {
          clearOnComplete: false,
          hideCursor: true,
          barsize: 24,
          format: (options, params, payload: { name: string; note: string }) => {
            const bar = cliProgress.Format.BarFormat(params.progress, options);
            const pct = `${Math.round(params.progress * 100)}`.padStart(3);
            return `${payload.name.padEnd(width).slice(0, width)} ${bar} ${pct}% ${human(params.value).padStart(10)} / ${human(params.total).padEnd(10)} ${payload.note}`;
          },
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  return {
    bar(file: PlannedFile) {
      const b = multibar?.create(Math.max(file.sizeBytes, 1), 0, { name: file.name, note: "waiting" });
      return {
        progress: (sent: number) => b?.update(sent, { note: "sending" }),
        done: (note: string) => {
          if (b) b.update(Math.max(file.sizeBytes, 1), { note });
          else process.stderr.write(`${file.name}: ${note}\n`);
        },
        failed: (note: string) => {
          if (b) b.update({ note: `FAILED: ${note}` });
          else process.stderr.write(`${file.name}: FAILED: ${note}\n`);
        },
      };
    },
    stop: () => multibar?.stop(),
  };
}

async function uploadAll(
  client: SkytomClient,
  files: PlannedFile[],
  fields: Omit<UploadFields, "data_product_type">,
  parallel: number,
  bars: boolean,
): Promise<FileOutcome[]> {
  const display = progressDisplay(files, bars);
  const handles = files.map((f) => display.bar(f));
  const outcomes: FileOutcome[] = [];
  try {
    await pool(files, parallel, async (file, i) => {
      const h = handles[i];
      const base = { file: file.path, type: file.type, size_bytes: file.sizeBytes, calibration: null };
      try {
        const answer = await client.upload(
          { ...fields, data_product_type: file.type },
          file.path,
          h.progress,
        );
        const item = answer.data[0];
        if (!item) throw new Error("the server answered without a data product");
        const rejected = item.rejected_rows?.length ? `; ${item.rejected_rows.length} row(s) rejected` : "";
        outcomes[i] = {
          ...base,
          id: item.id,
          status: item.status,
          message: (item.status_message || "") + rejected,
          points: item.points ?? null,
          failure: null,
        };
        h.done(`id ${item.id} (${item.status})`);
      } catch (err) {
        const failure =
          err instanceof ApiError && !err.serverFault
            ? "refused"
            : err instanceof ApiError || err instanceof ConnectionError
              ? "unreachable"
              : "refused";
        const message =
          err instanceof ApiError
            ? `${err.detail} (HTTP ${err.status})`
            : err instanceof Error
              ? err.message
              : String(err);
        outcomes[i] = { ...base, id: null, status: "failed", message, points: null, failure };
        h.failed(message);
      }
    });
  } finally {
    display.stop();
  }
  return outcomes;
}

function summary(outcomes: FileOutcome[], waited: boolean): string {
  const head = [
    "file",
    "type",
    "id",
    "status",
    "points",
    ...(waited ? ["mag", "err", "band"] : []),
    "message",
  ];
  const t = table(head);
  for (const o of outcomes) {
    const c = o.calibration;
    t.push([
      o.file,
      o.type,
      o.id === null ? "" : String(o.id),
      o.status,
      o.points === null ? "" : String(o.points),
      ...(waited ? [fixed(c?.mag, 3), fixed(c?.magErr, 3), c?.band ?? ""] : []),
      o.message.length > 80 ? `${o.message.slice(0, 79)}…` : o.message,
    ]);
  }
  return t.toString();
}

export function uploadCommand() {
  return observerCommand(
    "upload",
    "upload FITS images, instrumental catalogues, light-curve CSVs or spectra (one request per file)",
    [
      "skytom upload night1/ --target Gaia22bpl --observatory MyObs_CCD1 --wait",
      "skytom upload lc.csv --target Gaia22bpl --observatory 'My telescope'",
      "skytom upload frame.cat --type photometry --mjd 60123.41 --target Gaia22bpl --observatory MyObs_CCD1",
      "skytom upload *.fits --target Gaia22bpl --observatory MyObs_CCD1 --filter GaiaSP/V --dry-run --json",
    ],
  )
    .argument("<files...>", "files, or directories (their files, not recursive, sorted by name)")
    .requiredOption("--target <name>", "target name, alias or id")
    .requiredOption(
      "--observatory <oname>",
      "camera ONAME <observatory>_<camera> (a facility name for CSVs/spectra)",
    )
    .addOption(
      new Option(
        "--type <type>",
        "data product type (default: from the extension — .fits/.fit/.fts/.fz/.gz fits_file, .csv photometry_csv, .cat/.txt/.dat photometry)",
      ).choices([...DATA_PRODUCT_TYPES]),
    )
    .option("--filter <survey/band>", "calibration filter, e.g. GaiaSP/V (server default GaiaSP/any)")
    .option("--mjd <mjd>", "MJD of the observation (required for photometry catalogues)")
    .option("--observers <a,b>", "observers: registered usernames, comma-separated")
    .option("--comment <text>", "comment stored with each data product")
    .option("--match-dist <arcsec>", "cross-match radius, arcsec (default automatic)")
    .option("--dry-run", "processed and calibrated, but not added to the light curve")
    .option(
      "--wait",
      "follow each data product until done (S) or failed (E), showing the calibrated magnitude",
    )
    .option("--wait-timeout <s>", "give up waiting after this many seconds", "600")
    .option("--parallel <n>", "files uploaded at once", "3")
    .option("--json", "print the outcomes as JSON instead of a table")
    .action(async (args: string[], o: UploadFlags) => {
      const parallel = numberOption(o.parallel, "--parallel")!;
      if (!Number.isInteger(parallel) || parallel < 1 || parallel > 16)
        throw new UsageError("--parallel: a whole number from 1 to 16");
      const waitTimeout = numberOption(o.waitTimeout, "--wait-timeout")!;
      if (!(waitTimeout > 0)) throw new UsageError("--wait-timeout: a positive number of seconds");
      const mjd = numberOption(o.mjd, "--mjd");
      const matchDist = numberOption(o.matchDist, "--match-dist");
      const files = planFiles(args, o.type);
      const catalogues = files.filter((f) => f.type === "photometry");
      if (catalogues.length && mjd === undefined)
        throw new UsageError(`--mjd is required for photometry catalogues (${catalogues[0].name})`);
      if (catalogues.length > 1)
        throw new UsageError("each photometry catalogue needs its own --mjd: upload them one at a time");

      const client = connect(o);
      // One cheap authenticated read first: a bad token or an unreachable server is one clear error, not N.
      await client.listTargets({ name: o.target, page: 1 });

      const bars = Boolean(process.stdout.isTTY && process.stderr.isTTY) && !o.json;
      const total = files.reduce((s, f) => s + f.sizeBytes, 0);
      console.error(`uploading ${files.length} file(s), ${human(total)}: ${describeTypes(files)}`);
      const fields: Omit<UploadFields, "data_product_type"> = {
        target: o.target,
        observatory: o.observatory,
        ...(o.filter ? { filter: o.filter } : {}),
        ...(mjd !== undefined ? { mjd } : {}),
        ...(o.observers
          ? {
              observers: o.observers
                .split(",")
                .map((s) => s.trim())
                .filter(Boolean),
            }
          : {}),
        ...(o.comment !== undefined ? { comment: o.comment } : {}),
        ...(matchDist !== undefined ? { match_dist: matchDist } : {}),
        ...(o.dryRun ? { dry_run: true } : {}),
      };
      const outcomes = await uploadAll(client, files, fields, parallel, bars);

      let timedOut = 0;
      if (o.wait) {
        const ids = outcomes.filter((x) => x.id !== null).map((x) => x.id!);
        if (ids.length) {
          console.error(`waiting for ${ids.length} data product(s) (up to ${waitTimeout} s)…`);
          const state = await followDataProducts(client, ids, waitTimeout * 1000, (f) => {
            if (!bars && (f.status === "S" || f.status === "E"))
              process.stderr.write(`data product ${f.id}: ${f.status} ${f.message}\n`);
          });
          for (const x of outcomes) {
            const f = x.id === null ? undefined : state.get(x.id);
            if (!f) continue;
            x.status = f.status;
            x.message = f.message || x.message;
            x.calibration = f.calibration;
            if (f.status !== "S" && f.status !== "E") timedOut++;
          }
        }
      }

      if (o.json) printJson(outcomes);
      else console.log(summary(outcomes, Boolean(o.wait)));

      const failed = outcomes.filter((x) => x.failure !== null);
      const errored = o.wait ? outcomes.filter((x) => x.status === "E").length : 0;
      if (failed.length === outcomes.length && failed.every((x) => x.failure === "unreachable"))
        throw new ExitCodeError(`every upload failed: ${failed[0].message}`, EXIT.unreachable);
      const problems = [
        failed.length ? `${failed.length} of ${outcomes.length} upload(s) failed` : "",
        errored ? `${errored} data product(s) ended in error (E)` : "",
        timedOut ? `${timedOut} still processing after ${waitTimeout} s` : "",
      ].filter(Boolean);
      if (problems.length) throw new ExitCodeError(problems.join("; "), EXIT.uploadsFailed);
      if (!o.json) console.error(`${outcomes.length} file(s) uploaded`);
    });
}
