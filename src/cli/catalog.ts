/** `skytom catalog import|info|fetch|synth`: reference catalogues for the calibration (src/catalog/). */
import { createWriteStream } from "node:fs";
import { Command } from "commander";
import { parseSurvey, SURVEYS } from "../astro/calibrate/bands.ts";
import type { ImportProgress } from "../catalog/import.ts";
import { ValidationError } from "../domain/errors.ts";
import { catalogFetchCommand } from "./catalog-fetch.ts";
import { withDatabase } from "./db.ts";
import { printTable } from "./output.ts";

function numberOption(name: string, text: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v))
    throw ValidationError.field(name, `"${text}" is not a number`);
  return v;
}

/** Progress on stderr: a rewritten line on a terminal, else a line per 10 % of the file. */
function progressPrinter(): { update: (p: ImportProgress) => void; done: () => void } {
  const tty = process.stderr.isTTY;
  let lastTenth = -1;
  const text = (p: ImportProgress) =>
    `imported ${p.rows} stars (${p.totalBytes > 0 ? Math.min(100, Math.round((100 * p.bytesRead) / p.totalBytes)) : 100} % of the file)`;
  return {
    update(p) {
      if (tty) process.stderr.write(`\r${text(p)}`);
      else {
        const tenth = p.totalBytes > 0 ? Math.floor((10 * p.bytesRead) / p.totalBytes) : 10;
        if (tenth > lastTenth) process.stderr.write(`${text(p)}\n`);
        lastTenth = tenth;
      }
    },
    done() {
      if (tty) process.stderr.write("\n");
    },
  };
}

export function catalogCommand(): Command {
  const cmd = new Command("catalog").description("reference catalogues for the calibration");

  cmd
    .command("import")
    .description(
      "import a reference catalogue from CSV (ra, dec, <band>, <band>_err columns) or a FITS table",
    )
    .argument("<file>", "CSV file or FITS binary table (.fits, .fits.gz)")
    .requiredOption("--survey <survey>", `survey of the magnitudes: ${SURVEYS.join(" | ")}`)
    .option("--name <name>", "catalogue name (default: the file name without extension)")
    .option("--replace", "replace a catalogue of the same name")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  $ skytom catalog import gaiasp-field.csv --survey GaiaSP\n" +
        "  $ skytom catalog import 2mass.fits --survey 2MASS --name 2mass-m67",
    )
    .action(async (file: string, o) => {
      const survey = parseSurvey(String(o.survey));
      if (!survey) {
        throw ValidationError.field(
          "--survey",
          `unknown survey "${o.survey}" (known: ${SURVEYS.join(", ")})`,
        );
      }
      const progress = progressPrinter();
      const { importCatalogue } = await import("../catalog/import.ts");
      const result = await withDatabase((database) =>
        importCatalogue(database, file, {
          survey,
          name: o.name,
          replace: Boolean(o.replace),
          onProgress: progress.update,
        }),
      ).finally(progress.done);
      if (o.json) console.log(JSON.stringify(result));
      else {
        console.log(
          `imported ${result.rows} stars into catalogue "${result.name}" (id ${result.catalogueId}, ${result.survey}, ` +
            `bands ${result.bands.join(" ")})`,
        );
        if (result.ignoredColumns.length > 0)
          console.log(`ignored columns: ${result.ignoredColumns.join(", ")}`);
      }
    });

  cmd
    .command("info")
    .description(
      "list the reference catalogues (imported, and the archive caches with the cones they cover): stars, bands, sky",
    )
    .option("--json", "print JSON")
    .action(async (o) => {
      const { listCatalogues } = await import("../catalog/info.ts");
      const list = await withDatabase(({ db }) => listCatalogues(db));
      if (o.json) {
        console.log(JSON.stringify(list));
        return;
      }
      const f = (v: number, d: number) => v.toFixed(d);
      printTable(
        list.map((c) => ({
          id: c.id,
          name: c.name,
          survey: c.survey,
          origin: c.origin,
          stars: c.rows,
          bands: Object.entries(c.bands)
            .filter(([, k]) => (k ?? 0) > 0)
            .map(([b]) => b)
            .join(" "),
          "centre RA,Dec [deg]": c.coverage
            ? `${f(c.coverage.centreRaDeg, 4)},${f(c.coverage.centreDecDeg, 4)}`
            : "",
          "radius [deg]": c.coverage ? f(c.coverage.radiusDeg, 4) : "",
          "Dec range [deg]": c.coverage ? `${f(c.coverage.decMinDeg, 4)}…${f(c.coverage.decMaxDeg, 4)}` : "",
          source: c.sourceFile,
        })),
        [
          "id",
          "name",
          "survey",
          "origin",
          "stars",
          "bands",
          "centre RA,Dec [deg]",
          "radius [deg]",
          "Dec range [deg]",
          "source",
        ],
      );
      const cones = list.flatMap((c) => c.cones ?? []);
      console.log(
        `\ncovered cones (archive answers cached; a cone inside one asks the archive nothing): ${cones.length}`,
      );
      if (cones.length > 0) {
        printTable(
          cones.map((k) => ({
            id: k.id,
            survey: k.survey,
            "centre RA,Dec [deg]": `${f(k.raDeg, 4)},${f(k.decDeg, 4)}`,
            "radius [deg]": f(k.radiusDeg, 4),
            stars: k.rows,
            fetched: k.fetched.replace(/\.\d+Z$/, "Z"),
            service: k.service,
          })),
          ["id", "survey", "centre RA,Dec [deg]", "radius [deg]", "stars", "fetched", "service"],
        );
      }
    });

  cmd.addCommand(catalogFetchCommand());

  cmd
    .command("synth")
    .description("write a synthetic GaiaSP reference catalogue (CSV) for a cone — for tests and demos")
    .requiredOption("--ra <deg>", "centre RA, deg")
    .requiredOption("--dec <deg>", "centre Dec, deg")
    .requiredOption("--radius <deg>", "cone radius, deg (≤ 10)")
    .requiredOption("--out <file.csv>", "output CSV file")
    .option("--seed <n>", "random seed", "1")
    .option("--stars <n>", "number of stars", "2000")
    .addHelpText(
      "after",
      "\nExample:\n  $ skytom catalog synth --ra 150 --dec 2 --radius 0.25 --out field.csv --stars 3000",
    )
    .action(async (o) => {
      const opts = {
        raDeg: numberOption("--ra", o.ra),
        decDeg: numberOption("--dec", o.dec),
        radiusDeg: numberOption("--radius", o.radius),
        seed: numberOption("--seed", o.seed),
        stars: numberOption("--stars", o.stars),
      };
      const { syntheticCatalogueLines } = await import("../catalog/synth.ts");
      let lines: string[];
      try {
        lines = syntheticCatalogueLines(opts);
      } catch (e) {
        if (e instanceof RangeError) throw ValidationError.field("options", e.message);
        throw e;
      }
      await new Promise<void>((resolve, reject) => {
        const out = createWriteStream(o.out);
        out.on("error", reject);
        out.on("finish", resolve);
        for (const line of lines) out.write(`${line}\n`);
        out.end();
      });
      console.log(`wrote ${lines.length - 1} synthetic GaiaSP stars to ${o.out}`);
    });

  return cmd;
}
