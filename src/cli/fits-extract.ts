/**
 * `skytom fits extract FILES… [--out-dir D] [--jobs N]`: a drop-in for a batch of `source-extractor` runs.
 * Each FITS file (plain, .gz, .fz) gets the FITS job's catalogue (fits-extract-core.ts) as `<name>.cat`
 * beside it or in --out-dir. Files are measured by N worker threads (default: one per core, at most one
 * per file); a bad file is reported and the others go on; the exit code is 4 when any file failed.
 * On a terminal a progress bar runs on stderr; otherwise one line per file.
 */
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import cliProgress from "cli-progress";
import { Command } from "commander";
import { idleCores, startModuleWorker } from "../threads.ts";
import { basename, dirname, join } from "node:path";
// Types only: the extraction modules load when a file is measured, not with every CLI command.
import type { ExtractDefaults, ExtractedFile } from "./fits-extract-core.ts";
import { ExitCodeError, UsageError } from "./output.ts";

/** `dir/field.fits.fz` → `out/field.cat` (also .fit, .fts, .fits.gz; other names get `.cat` appended). */
export function cataloguePath(input: string, outDir?: string): string {
  const base = basename(input).replace(/(\.(fits?|fts))?(\.(fz|gz))?$/i, "");
  return join(outDir ?? dirname(input), `${base || basename(input)}.cat`);
}

export interface ExtractJob {
  input: string;
  output: string;
}

export type ExtractOutcome =
  { ok: true; file: ExtractedFile } | { ok: false; input: string; message: string };

type FromThread = { id: number; ok: true; file: ExtractedFile } | { id: number; ok: false; message: string };

/**
 * Threads for each file's extraction: the idle cores left to each of the files measured at once (one
 * file on an idle 2-core machine → 2; two or more files, or a busy machine → 1, the serial path, since
 * the cores are already in use: on a loaded machine the threads only wait for each other).
 */
export function extractThreadsPerFile(cores: number, filesAtOnce: number): number {
  return Math.max(1, Math.floor(cores / Math.max(1, filesAtOnce)));
}

/**
 * Measure every job with `threads` worker threads (0: on this thread), each file's extraction shared
 * among `extractThreads` threads; `onDone` after each file.
 */
export async function extractAll(
  jobs: readonly ExtractJob[],
  threads: number,
  defaults: ExtractDefaults,
  onDone: (o: ExtractOutcome) => void,
  extractThreads = 1,
): Promise<ExtractOutcome[]> {
  const outcomes: ExtractOutcome[] = new Array(jobs.length);
  const finish = (i: number, o: ExtractOutcome) => {
    outcomes[i] = o;
    onDone(o);
  };
  if (threads === 0) {
    const { extractFile } = await import("./fits-extract-core.ts");
    const { ExtractPool } = await import("../extract-pool.ts");
    const pool = extractThreads > 1 ? new ExtractPool(extractThreads) : undefined;
    try {
      for (const [i, j] of jobs.entries()) {
        await extractFile(j.input, j.output, defaults, pool).then(
          (file) => finish(i, { ok: true, file }),
          (err: Error) => finish(i, { ok: false, input: j.input, message: err.message }),
        );
      }
    } finally {
      await pool?.close();
    }
    return outcomes;
  }
  let next = 0;
  const lane = (): Promise<void> =>
    new Promise((resolve) => {
      let worker: Worker | null = null;
      let current = -1;
      const start = () => {
        worker = startModuleWorker(new URL("./fits-extract-thread.ts", import.meta.url), null);
        worker.on("message", (msg: FromThread) => {
          const j = jobs[msg.id];
          finish(msg.id, msg.ok ? msg : { ok: false, input: j.input, message: msg.message });
          take();
        });
        // A thread that dies (out of memory…) fails its file; a fresh thread takes the next one.
        worker.on("error", (err: Error) => crashed(err.message));
        worker.on("exit", (code) => crashed(`the measuring thread exited with code ${code}`));
      };
      const crashed = (message: string) => {
        if (current < 0 || outcomes[current]) return;
        finish(current, { ok: false, input: jobs[current].input, message });
        worker?.removeAllListeners();
        worker = null;
        take();
      };
      const take = () => {
        if (next >= jobs.length) {
          current = -1;
          const w = worker;
          worker = null;
          void w?.terminate().finally(resolve);
          if (!w) resolve();
          return;
        }
        current = next++;
        if (!worker) start();
        worker!.postMessage({ id: current, ...jobs[current], defaults, extractThreads });
      };
      take();
    });
  await Promise.all(Array.from({ length: Math.min(threads, jobs.length) }, lane));
  return outcomes;
}

function numberOption(name: string, text: string, min: number, integer = false): number {
  const v = Number(text);
  if (String(text).trim() === "" || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v)))
    throw new UsageError(`${name} "${text}" must be ${integer ? "an integer" : "a number"} ≥ ${min}`);
  return v;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function fitsExtractCommand(): Command {
  return new Command("extract")
    .description(
      "measure the sources of FITS images and write Source Extractor ASCII_HEAD catalogues (the FITS job's " +
        "columns: NUMBER ALPHA_J2000 DELTA_J2000 XWIN_IMAGE YWIN_IMAGE MAG_AUTO MAGERR_AUTO), FILE.cat each",
    )
    .argument("<files...>", "FITS files (.fits, .fit, .fts, also gzip-compressed or tile-compressed .fz)")
    .option("--out-dir <dir>", "write the catalogues here (default: beside each image)")
    .option("--jobs <n>", "worker threads measuring files in parallel (default: one per core; 0: none)")
    .option(
      "--threads <n>",
      "threads sharing each file's extraction (default: the idle cores left to each file measured at " +
        "once — all of them for one file on an idle machine, 1 when there are as many files as cores; " +
        "1: on one thread)",
    )
    .option("--gain <e/adu>", "gain when the header has no GAIN, e⁻/ADU", "2")
    .option("--read-noise <e>", "read noise when the header has no RDNOISE/READNOIS, e⁻", "2")
    .option("--saturation <adu>", "saturation level when the header has no SATURATE, ADU", "63000")
    .option("--no-progress", "no progress bar (one line per file instead)")
    .addHelpText(
      "after",
      "\nPositions (ALPHA/DELTA) come from the header's WCS; without one they are `nan` (said per file).\n" +
        "Exit code 4 when some files could not be measured (each is named on stderr; the others are written).\n" +
        "\nExamples:\n  $ skytom fits extract night/*.fits --out-dir cats\n" +
        "  $ skytom fits extract frame.fits.fz --gain 1.3 --saturation 60000 --jobs 1",
    )
    .action(async (files: string[], o) => {
      const defaults: ExtractDefaults = {
        gainEPerAdu: numberOption("--gain", o.gain, 1e-6),
        readNoiseE: numberOption("--read-noise", o.readNoise, 0),
        saturationAdu: numberOption("--saturation", o.saturation, 1),
      };
      const threads =
        o.jobs === undefined
          ? Math.min(availableParallelism(), files.length)
          : numberOption("--jobs", o.jobs, 0, true);
      const extractThreads =
        o.threads === undefined
          ? extractThreadsPerFile(idleCores(), Math.max(1, Math.min(threads, files.length)))
          : numberOption("--threads", o.threads, 1, true);
      const jobs = files.map((input) => ({ input, output: cataloguePath(input, o.outDir) }));
      const seen = new Map<string, string>();
      for (const j of jobs) {
        const other = seen.get(j.output);
        if (other !== undefined)
          throw new UsageError(
            `${other} and ${j.input} would both write ${j.output}: rename one or use --out-dir`,
          );
        seen.set(j.output, j.input);
      }
      const useBar = o.progress !== false && process.stderr.isTTY === true && jobs.length > 1;
      const bar = useBar
        ? new cliProgress.SingleBar(
            { format: "{bar} {value}/{total} files | {eta_formatted} left | {last}", hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
      bar?.start(jobs.length, 0, { last: "" });
      const failures: string[] = [];
      const t0 = performance.now();
      const outcomes = await extractAll(
        jobs,
        threads,
        defaults,
        (r) => {
          const line = r.ok
            ? `${r.file.input} → ${r.file.output}: ${r.file.sources} sources (read ${seconds(r.file.ms.read)}, ` +
              `extract ${seconds(r.file.ms.extract)})` +
              (r.file.wcs ? "" : `; no WCS in the header (${r.file.wcsReason}): ALPHA/DELTA are nan`)
            : `${r.input}: FAILED: ${r.message}`;
          if (!r.ok) failures.push(line);
          if (bar)
            bar.increment({ last: r.ok ? `${r.file.output} (${r.file.sources})` : `FAILED ${r.input}` });
          else if (r.ok) console.log(line);
          else console.error(line);
        },
        extractThreads,
      );
      bar?.stop();
      if (bar) for (const f of failures) console.error(f);
      const ok = outcomes.filter((r) => r.ok).length;
      const elapsed = performance.now() - t0;
      console.log(
        `${ok} catalogue${ok === 1 ? "" : "s"} written, ${failures.length} failed, in ${seconds(elapsed)}` +
          ` (${threads === 0 ? "no worker threads" : `${Math.min(threads, jobs.length)} threads`}` +
          `${extractThreads > 1 ? `, ${extractThreads} threads per file` : ""})`,
      );
      if (failures.length > 0)
        throw new ExitCodeError(`${failures.length} of ${jobs.length} files could not be measured`, 4);
    });
}
