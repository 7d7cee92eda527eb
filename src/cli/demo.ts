/**
 * `skytom demo` (and `npm run demo`): a demo observer, observatory and variable target in a synthetic
 * field, a night of simulated FITS frames and SExtractor catalogues uploaded and calibrated, and the URL
 * of the target page (src/demo/). Works with or without a running server on the data directory.
 */
import { Command } from "commander";
import cliProgress from "cli-progress";
import { loadConfig } from "../config.ts";
import { ValidationError } from "../domain/errors.ts";
import type { DemoEvent, DemoProduct, DemoResult } from "../demo/run.ts";
import { withDatabase } from "./db.ts";

/** Exit code when fewer than 90 % of the exposures were calibrated (README: 3 = other failure). */
const EXIT_TOO_FEW_CALIBRATED = 3;

function integerOption(name: string, text: string, min: number, max: number): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isInteger(v) || v < min || v > max) {
    throw ValidationError.field(name, `"${text}" is not an integer from ${min} to ${max}`);
  }
  return v;
}

const f3 = (v: number) => v.toFixed(3);

function productLine(p: DemoProduct, index: number, total: number): string {
  const n = `[${String(index).padStart(String(total).length)}/${total}]`;
  const what =
    p.mag !== null && p.magErr !== null
      ? `${p.filter} ${f3(p.mag)} ± ${f3(p.magErr)} mag (injected ${f3(p.injectedMag)})`
      : `${p.status}: ${p.message}`;
  return `${n} ${p.fileName.padEnd(40)} ${what}`;
}

/** Progress: a bar on a terminal, else one line per finished exposure. */
function progressPrinter(out: NodeJS.WriteStream): { onEvent: (e: DemoEvent) => void; stop: () => void } {
  const write = (s: string) => out.write(`${s}\n`);
  if (!out.isTTY) {
    let announced = false;
    return {
      onEvent(e) {
        if (e.kind === "seeded") write(e.what);
        else if (e.kind === "processing")
          write(e.by === "server" ? "processing by the running server's workers" : "processing here");
        else if (e.kind === "uploaded" && !announced) {
          announced = true;
          write(`uploading ${e.total} exposures…`);
        } else if (e.kind === "done") write(productLine(e.product, e.index, e.total));
      },
      stop() {},
    };
  }
  const bars = new cliProgress.MultiBar(
    {
      stream: out,
      format: " {label} |{bar}| {value}/{total} {last}",
      hideCursor: true,
      clearOnComplete: false,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  let uploaded: cliProgress.SingleBar | null = null;
  let done: cliProgress.SingleBar | null = null;
  return {
    onEvent(e) {
      if (e.kind === "seeded") bars.log(`${e.what}\n`);
      else if (e.kind === "processing")
        bars.log(e.by === "server" ? "processing by the running server's workers\n" : "processing here\n");
      else if (e.kind === "uploaded") {
        uploaded ??= bars.create(e.total, 0, { label: "uploaded  ", last: "" });
        done ??= bars.create(e.total, 0, { label: "calibrated", last: "" });
        uploaded.update(e.index, { last: e.exposure.fileName });
      } else if (e.kind === "done") {
        done ??= bars.create(e.total, 0, { label: "calibrated", last: "" });
        const p = e.product;
        done.update(e.index, {
          last: p.mag !== null ? `${p.fileName} ${f3(p.mag)} mag` : `${p.fileName} ${p.status}`,
        });
        if (p.mag === null) bars.log(`${productLine(p, e.index, e.total)}\n`);
      }
    },
    stop() {
      bars.stop();
    },
  };
}

/** True when something answers HTTP at the base URL within a second (is the server up?). */
async function serverAnswers(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/api/openapi.json`, { signal: AbortSignal.timeout(1000) });
    return res.status < 500;
  } catch {
    return false;
  }
}

function printSummary(r: DemoResult, serverUp: boolean): void {
  const s = r.summary;
  const v = r.variable;
  const sign = (x: number) => (x >= 0 ? "+" : "−") + Math.abs(x).toFixed(3);
  const fits = r.products.filter((p) => p.kind === "fits").length;
  console.log("");
  console.log(
    `Night of ${r.night.date} (MJD ${r.night.startMjd.toFixed(3)}–${r.night.endMjd.toFixed(3)}) on ${r.target.name} ` +
      `(RA ${r.target.raDeg.toFixed(5)}°, Dec ${r.target.decDeg.toFixed(5)}°), a simulated variable ` +
      `V = ${v.meanMag.toFixed(2)} − ${v.amplitudeMag.toFixed(2)} sin(2π(t − T₀)/${v.periodDays.toFixed(4)} d)`,
  );
  console.log(
    `  calibrated: ${s.calibrated}/${s.total} exposures (${Math.round(100 * s.calibratedFraction)} %; ` +
      `${fits} FITS frame${fits === 1 ? "" : "s"}, ${s.total - fits} SExtractor catalogue${s.total - fits === 1 ? "" : "s"}) by ${r.processedBy === "server" ? "the server's" : "the demo's"} workers`,
  );
  for (const f of s.failed) console.log(`  failed: data product ${f.id} ${f.fileName} — ${f.reason}`);
  if (s.nightMagRange) {
    console.log(
      `  light curve V(GaiaSP): ${f3(s.nightMagRange[0])} … ${f3(s.nightMagRange[1])} mag this night; ` +
        `${s.lightCurvePoints} points in all` +
        (s.lightCurveMagRange
          ? ` (${f3(s.lightCurveMagRange[0])} … ${f3(s.lightCurveMagRange[1])} mag)`
          : ""),
    );
  }
  if (s.residualRmsMag !== null && s.residualMeanMag !== null) {
    console.log(
      `  calibrated − injected: rms ${f3(s.residualRmsMag)} mag, mean ${sign(s.residualMeanMag)} mag, ` +
        `χ²/N ${s.chi2PerPoint?.toFixed(2)} (largest ${s.maxAbsResidualSigma?.toFixed(1)}σ)`,
    );
  }
  console.log("");
  console.log(`Target page: ${r.target.url}`);
  console.log(`Log in as ${r.user.username}, password ${r.user.password}`);
  console.log(
    serverUp
      ? "The server is running: open the page."
      : "Start the server first: npm start   (or: npx skytom serve)",
  );
  if (!s.ok) console.log(`\nerror: fewer than 90 % of the exposures were calibrated`);
}

export function demoCommand(): Command {
  return new Command("demo")
    .description(
      "fill this instance with a demo: an observer, an observatory with an active camera, a variable target in a " +
        "synthetic field with its reference catalogue, and a night of simulated FITS frames and SExtractor " +
        "catalogues, uploaded and calibrated; prints the target page's URL (env: SKYTOM_DATA, DATABASE_URL, HOST, PORT)",
    )
    .option("--frames <n>", "FITS frames in the night (1 to 200)", "20")
    .option(
      "--catalogues <n>",
      "SExtractor instrumental catalogues in the night (0 to 50; default 4, 2 below 10 frames)",
    )
    .option("--target <name>", "name of the demo target (made on the first run, reused after)", "DemoVar-1")
    .option("--json", "print a machine-readable summary (progress goes to stderr)")
    .addHelpText(
      "after",
      "\nExamples:\n  $ npx skytom demo                 # 20 frames + 4 catalogues, about half a minute\n" +
        "  $ npx skytom demo --frames 6 --json\n  $ npm start                       # then open the printed URL\n" +
        "\nRunning it again simulates the previous night (new points on the same light curve) and gives the demo\n" +
        "observer a new password. Exit code 0 when at least 90 % of the exposures were calibrated, 3 otherwise.",
    )
    .action(async (o: { frames: string; catalogues?: string; target: string; json?: boolean }) => {
      const frames = integerOption("--frames", o.frames, 1, 200);
      const catalogues =
        o.catalogues === undefined ? undefined : integerOption("--catalogues", o.catalogues, 0, 50);
      const config = loadConfig();
      const progress = progressPrinter(o.json ? process.stderr : process.stdout);
      const { runDemo } = await import("../demo/run.ts"); // the whole app: loaded only for the demo
      const result = await withDatabase((database) =>
        runDemo(database, config.dataDir, {
          frames,
          catalogues,
          targetName: o.target.trim(),
          host: config.host,
          port: config.port,
          onEvent: progress.onEvent,
        }),
      ).finally(progress.stop);
      const serverUp = await serverAnswers(result.target.url.replace(/\/targets\/.*$/, ""));
      if (o.json) {
        console.log(
          JSON.stringify({
            ...result,
            server_running: serverUp,
            start_command: serverUp ? null : "npm start",
          }),
        );
      } else printSummary(result, serverUp);
      if (!result.summary.ok) process.exitCode = EXIT_TOO_FEW_CALIBRATED;
    });
}
