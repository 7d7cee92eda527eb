/**
 * `skytom calib recalibrate …` (staff) and `skytom calib runs DATAPRODUCT`: calibration runs on the server
 * (docs/calibration-runs.md). recalibrate queues new runs and, unless --no-wait, follows them with a progress
 * bar until every one has finished.
 */
import cliProgress from "cli-progress";
import type { Command } from "commander";
import type { JsonBody, RunSummary, SkytomClient } from "../../client/index.ts";
import { UsageError } from "../output.ts";
import { connect, fixed, numberOption, observerSubcommand, printJson, table } from "./common.ts";
import type { RemoteFlags } from "./config.ts";

interface RecalibrateFlags extends RemoteFlags {
  target?: string;
  oname?: string;
  ids?: string;
  mjdMin?: string;
  mjdMax?: string;
  survey?: string;
  filter?: string;
  matchDist?: string;
  dryRun?: boolean;
  wait: boolean;
  json?: boolean;
}

/** Data product ids from "1,2,3". */
function idList(text: string): number[] {
  return text.split(",").map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--ids: not a data product id: ${s}`);
    return n;
  });
}

const finished = (r: RunSummary) => r.status === "S" || r.status === "E";

/** Poll the runs until all have finished; a bar on a terminal, one line at the end otherwise. */
async function follow(client: SkytomClient, runs: number[], pollMs = 2000): Promise<RunSummary[]> {
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: "calibrating {bar} {value}/{total} runs ({failed} failed)", hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(runs.length, 0, { failed: 0 });
  let last: RunSummary[] = [];
  try {
    for (;;) {
      last = [];
      for (let i = 0; i < runs.length; i += 1000)
        last.push(...(await client.listRuns({ runs: runs.slice(i, i + 1000) })));
      const done = last.filter(finished).length;
      bar?.update(done, { failed: last.filter((r) => r.status === "E").length });
      if (done >= runs.length) break;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  } finally {
    bar?.stop();
  }
  return last;
}

function runsTable(runs: RunSummary[]): string {
  const t = table([
    "run",
    "dp",
    "cur",
    "status",
    "filter req",
    "mag",
    "err",
    "band",
    "zp",
    "ΔZP",
    "Δmag",
    "when",
  ]);
  for (const r of runs) {
    t.push([
      String(r.id),
      String(r.dataproduct),
      r.current ? "*" : "",
      r.status,
      r.filter_request,
      fixed(r.mag, 3),
      fixed(r.mag_error, 3),
      r.light_curve_filter ?? "",
      fixed(r.zeropoint, 3),
      fixed(r.delta_zeropoint, 3),
      fixed(r.delta_mag, 3),
      (r.finished ?? r.created).slice(0, 19).replace("T", " "),
    ]);
  }
  return t.toString();
}

/** Add `recalibrate` and `runs` under `skytom calib`. */
export function addRunCommands(calib: Command): void {
  const recal = calib
    .command("recalibrate")
    .description("recalibrate selected data products as new calibration runs (staff)")
    .option("--target <name>", "only data products of this target")
    .option("--oname <oname>", "only data products of this camera")
    .option("--ids <list>", "only these data product ids (comma-separated)")
    .option("--mjd-min <mjd>", "observed at or after this MJD")
    .option("--mjd-max <mjd>", "observed at or before this MJD")
    .option("--survey <survey>", "only products whose current calibration used this survey")
    .option("--filter <request>", "new filter request, e.g. GaiaSP/V")
    .option("--match-dist <arcsec>", "new matching radius (≤ 0 = automatic)")
    .option("--dry-run", "trial runs: recorded and compared, the light curve is not switched")
    .option("--no-wait", "queue and return (do not follow the runs)")
    .option("--json", "print the runs as JSON");
  observerSubcommand(recal, [
    "skytom calib recalibrate --target Gaia24abc --filter GaiaSP/V",
    "skytom calib recalibrate --oname MyObs_Cam --mjd-min 60400 --mjd-max 60410 --dry-run",
  ]);
  // The parent `calib` has --json and the remote flags too: commander gives them to it, so read both.
  recal.action(async (_o: RecalibrateFlags, command: Command) => {
    const o = command.optsWithGlobals<RecalibrateFlags>();
    const client = connect(o);
    const body: JsonBody<"/calibration/recalibrate/", "post"> = {
      target: o.target,
      oname: o.oname,
      dataproduct_ids: o.ids ? idList(o.ids) : undefined,
      mjd_min: numberOption(o.mjdMin, "--mjd-min"),
      mjd_max: numberOption(o.mjdMax, "--mjd-max"),
      survey: o.survey,
      filter: o.filter,
      match_dist: numberOption(o.matchDist, "--match-dist"),
      dry_run: o.dryRun ?? false,
    };
    const queued = await client.recalibrate(body);
    if (!o.wait) {
      if (o.json) return printJson(queued);
      console.log(
        `queued ${queued.queued} run(s)${queued.dry_run ? " (dry run)" : ""}: ${queued.runs.join(" ")}`,
      );
      return;
    }
    const runs = queued.runs.length ? await follow(client, queued.runs) : [];
    if (o.json) return printJson(runs);
    console.log(runsTable(runs));
    const failed = runs.filter((r) => r.status === "E").length;
    console.log(
      `${runs.length} run(s) finished, ${failed} failed${queued.dry_run ? " (dry run: nothing switched)" : ""}`,
    );
  });

  const runs = calib
    .command("runs")
    .description(
      "every calibration run of a data product (* = current), with ΔZP and Δmag from the current one",
    )
    .argument("<dataproduct>", "data product id")
    .option("--json", "print the runs as JSON");
  observerSubcommand(runs, ["skytom calib runs 42", "skytom calib runs 42 --json"]);
  runs.action(async (raw: string, _o: unknown, command: Command) => {
    const o = command.optsWithGlobals<RemoteFlags & { json?: boolean }>();
    const id = Number(raw);
    if (!Number.isInteger(id) || id < 1) throw new UsageError(`not a data product id: ${raw}`);
    const list = await connect(o).listRuns({ dataproduct: id });
    if (o.json) return printJson(list);
    console.log(list.length ? runsTable(list) : `data product ${id} has no calibration runs`);
  });
}
