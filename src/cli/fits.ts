/**
 * `skytom fits synth`: synthetic CCD frames (src/astro/synth/image.ts) with their truth tables, for tests
 * and demos; `skytom fits extract`: SExtractor-style catalogues of FITS files (fits-extract.ts).
 */
import { writeFile } from "node:fs/promises";
import { Command } from "commander";
import { writeFits } from "../astro/fits/write.ts";
import { BAYER_PATTERNS, type BayerPattern } from "../astro/image/bayer.ts";
import { DEFAULT_CHANNEL_BANDS, makeBayerImage, makeColourCube } from "../astro/synth/bayer.ts";
import { makeSyntheticImage } from "../astro/synth/image.ts";
import type { SipDistortion } from "../astro/wcs/tan.ts";
import { ValidationError } from "../domain/errors.ts";
import { fitsExtractCommand } from "./fits-extract.ts";

/** A number from an option's text, within [min, max] (and an integer when asked). */
function numberOption(name: string, text: string, min: number, max: number, integer = false): number {
  const v = Number(text);
  if (String(text).trim() === "" || !Number.isFinite(v))
    throw ValidationError.field(name, `"${text}" is not a number`);
  if (integer && !Number.isInteger(v)) throw ValidationError.field(name, `"${text}" is not an integer`);
  if (v < min || v > max) throw ValidationError.field(name, `${text} is out of range (${min} to ${max})`);
  return v;
}

/**
 * The `--sip` distortion: a fixed 2nd-order SIP (A_2_0, A_1_1, A_0_2, B_…) scaled to the frame, reaching
 * ≈ 2 px at the corners — enough to break a pure TAN solution, like a real wide-field camera.
 */
export function demoSip(size: number): SipDistortion {
  const h = size / 2;
  const k = 2 / (h * h); // px per px² so that a 2nd-order term gives ≈ 2 px at u = v = h
  return {
    order: 2,
    a: [
      [0, 0, 0.3 * k],
      [0, 0.2 * k, 0],
      [-0.4 * k, 0, 0],
    ],
    b: [
      [0, 0, 0.2 * k],
      [0, -0.3 * k, 0],
      [0.25 * k, 0, 0],
    ],
  };
}

/** `FILE.fits` → `FILE.truth.csv` (also .fit, .fts, .FITS); any other name gets `.truth.csv` appended. */
export function truthPath(out: string): string {
  return `${out.replace(/\.(fits?|fts)$/i, "")}.truth.csv`;
}

/**
 * `--bayer` (the mosaic) or `--colour-cube` (a debayered NAXIS3 = 3 cube, planes R, G, B): the FITS and a
 * truth table with each channel's band magnitude.
 */
async function writeBayer(
  o: {
    out: string;
    size: number;
    ra: number;
    dec: number;
    scale: number;
    stars: number;
    seed: number;
    colourTerm: number;
    pattern: BayerPattern | "cube";
    sip: boolean;
  },
  target: { raDeg: number; decDeg: number; v: number; bv: number },
): Promise<void> {
  const common = {
    seed: o.seed,
    width: o.size,
    height: o.size,
    nStars: o.stars,
    centerRaDeg: o.ra,
    centerDecDeg: o.dec,
    pixelScaleArcsec: o.scale,
    colourTerm: o.colourTerm,
    target,
    ...(o.sip ? { sip: demoSip(o.size) } : {}),
  };
  const cube = o.pattern === "cube";
  const im =
    o.pattern === "cube" ? makeColourCube(common) : makeBayerImage({ ...common, pattern: o.pattern });
  const { R, G, B } = im.channels;
  const bands = DEFAULT_CHANNEL_BANDS;
  const lines = [`x,y,ra,dec,mag_${bands.R},mag_${bands.G},mag_${bands.B},is_target`];
  for (let i = 0; i < G.truth.x.length; i++) {
    const t = G.truth;
    lines.push(
      `${t.x[i].toFixed(4)},${t.y[i].toFixed(4)},${t.raDeg[i].toFixed(7)},${t.decDeg[i].toFixed(7)},` +
        `${R.truth.mag[i].toFixed(4)},${t.mag[i].toFixed(4)},${B.truth.mag[i].toFixed(4)},${t.isTarget[i]}`,
    );
  }
  const csv = truthPath(o.out);
  await writeFile(
    o.out,
    writeFits({
      data: im.data,
      width: o.size,
      height: o.size,
      ...(cube ? { depth: 3 } : {}),
      bitpix: -32,
      header: im.header,
    }),
  );
  await writeFile(csv, `${lines.join("\n")}\n`);
  const m = im.targetMag;
  const what = cube ? "colour cube (3 planes: R, G, B)" : `one-shot-colour (${o.pattern}) frame`;
  console.log(
    `wrote ${o.size}×${o.size} ${what} to ${o.out} (RA ${o.ra}, Dec ${o.dec}, ` +
      `${o.scale}″/px, colour term ${o.colourTerm}/mag of B−V` +
      (m
        ? `, target ${bands.R}=${m.R.toFixed(3)} ${bands.G}=${m.G.toFixed(3)} ${bands.B}=${m.B.toFixed(3)}`
        : "") +
      `); truth: ${csv}`,
  );
}

export function fitsCommand(): Command {
  const cmd = new Command("fits").description(
    "FITS images: source catalogues of a batch of files; synthetic frames for tests and demos",
  );
  cmd.addCommand(fitsExtractCommand());

  cmd
    .command("synth")
    .description(
      "write a synthetic CCD frame (BITPIX −32, TAN WCS) with stars, noise and a target, plus its truth table " +
        "(FILE.truth.csv: x,y,ra,dec,mag,is_target; FITS 1-based pixels, V magnitudes)",
    )
    .requiredOption("--out <file.fits>", "output FITS file")
    .option("--size <px>", "frame width and height, pixels (16 to 8192)", "2048")
    .option("--ra <deg>", "frame centre RA, deg", "150")
    .option("--dec <deg>", "frame centre Dec, deg", "2")
    .option("--scale <arcsec>", "pixel scale, arcsec per pixel", "0.8")
    .option("--stars <n>", "expected number of field stars on the frame", "3000")
    .option("--seed <n>", "random seed (same seed and options → same frame)", "1")
    .option("--target-mag <mag>", "V magnitude of the target star", "15.8")
    .option("--target-ra <deg>", "target RA, deg (default: the frame centre)")
    .option("--target-dec <deg>", "target Dec, deg (default: the frame centre)")
    .option("--sip", "add a 2nd-order SIP distortion (≈ 2 px at the corners)")
    .option(
      "--colour-term <k>",
      "the camera's colour term, mag per mag of B−V: stars are rendered at m_band + k·(B−V) (docs/colour.md)",
      "0",
    )
    .option(
      "--bayer <pattern>",
      "a one-shot-colour frame: RGGB, BGGR, GRBG or GBRG (R, G, B channels see Johnson R, V, B; BAYERPAT in the header)",
    )
    .option(
      "--colour-cube",
      "a debayered colour cube: NAXIS3 = 3, planes R, G, B seeing Johnson R, V, B (no BAYERPAT)",
    )
    .option("--target-bv <mag>", "the target's B−V (for --colour-term, --bayer and --colour-cube)", "0.7")
    .addHelpText(
      "after",
      "\nExamples:\n  $ skytom fits synth --out field.fits --size 2048 --ra 150 --dec 2 --stars 3000 --seed 1\n" +
        "  $ skytom fits synth --out small.fits --size 512 --scale 0.6 --target-mag 17 --sip\n" +
        "  $ skytom fits synth --out osc.fits --size 1024 --bayer RGGB --colour-term 0.1 --target-bv 1.2\n" +
        "  $ skytom fits synth --out rgb.fits --size 512 --colour-cube --target-bv 1.1",
    )
    .action(async (o) => {
      const size = numberOption("--size", o.size, 16, 8192, true);
      const ra = numberOption("--ra", o.ra, 0, 360);
      const dec = numberOption("--dec", o.dec, -89, 89);
      const scale = numberOption("--scale", o.scale, 0.01, 60);
      const stars = numberOption("--stars", o.stars, 0, 1_000_000, true);
      const seed = numberOption("--seed", o.seed, 0, 2 ** 32 - 1, true);
      const targetMag = numberOption("--target-mag", o.targetMag, -2, 30);
      const targetRa = o.targetRa === undefined ? ra : numberOption("--target-ra", o.targetRa, 0, 360);
      const targetDec = o.targetDec === undefined ? dec : numberOption("--target-dec", o.targetDec, -90, 90);
      const out = String(o.out);
      if (out.trim() === "") throw ValidationError.field("--out", "must name a file");
      const colourTerm = numberOption("--colour-term", o.colourTerm, -2, 2);
      const targetBv = numberOption("--target-bv", o.targetBv, -1, 4);
      if (o.bayer !== undefined || o.colourCube) {
        if (o.bayer !== undefined && o.colourCube)
          throw ValidationError.field("--colour-cube", "give --bayer or --colour-cube, not both");
        const pattern = o.colourCube
          ? ("cube" as const)
          : BAYER_PATTERNS.find((p) => p === String(o.bayer).toUpperCase());
        if (!pattern) throw ValidationError.field("--bayer", `expected one of ${BAYER_PATTERNS.join(", ")}`);
        if (size % 2 && pattern !== "cube")
          throw ValidationError.field("--size", "a Bayer frame needs an even size");
        await writeBayer(
          { out, size, ra, dec, scale, stars, seed, colourTerm, pattern, sip: !!o.sip },
          {
            raDeg: targetRa,
            decDeg: targetDec,
            v: targetMag,
            bv: targetBv,
          },
        );
        return;
      }

      const im = makeSyntheticImage({
        seed,
        width: size,
        height: size,
        nStars: stars,
        centerRaDeg: ra,
        centerDecDeg: dec,
        pixelScaleArcsec: scale,
        target: { raDeg: targetRa, decDeg: targetDec, mag: targetMag, bv: targetBv },
        colourTerm,
        ...(o.sip ? { sip: demoSip(size) } : {}),
      });
      const t = im.truth;
      const ti = t.isTarget.indexOf(1);

      const lines = ["x,y,ra,dec,mag,is_target"];
      for (let i = 0; i < t.x.length; i++) {
        lines.push(
          `${t.x[i].toFixed(4)},${t.y[i].toFixed(4)},${t.raDeg[i].toFixed(7)},${t.decDeg[i].toFixed(7)},` +
            `${t.mag[i].toFixed(4)},${t.isTarget[i]}`,
        );
      }
      const csv = truthPath(out);
      await writeFile(
        out,
        writeFits({ data: im.data, width: size, height: size, bitpix: -32, header: im.header }),
      );
      await writeFile(csv, `${lines.join("\n")}\n`);

      const nField = t.x.length - (ti >= 0 ? 1 : 0);
      const target =
        ti >= 0
          ? `target V=${targetMag} at pixel (${t.x[ti].toFixed(1)}, ${t.y[ti].toFixed(1)})`
          : "target off the frame";
      console.log(
        `wrote ${size}×${size} synthetic frame to ${out} (RA ${ra}, Dec ${dec}, ${scale}″/px` +
          `${o.sip ? ", SIP" : ""}, ${nField} stars, ${target}); truth: ${csv}`,
      );
    });

  return cmd;
}
