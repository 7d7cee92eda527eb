/** `skytom fits extract`, driven through its commander command in-process (threads from the sources). */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { readFitsFile } from "../src/astro/fits/file.ts";
import { extractSources, formatSextractorCatalogue } from "../src/astro/image/extract.ts";
import { parseInstrumentalCatalogue } from "../src/astro/sextractor.ts";
import { wcsFromHeader } from "../src/astro/wcs/index.ts";
import { cataloguePath, extractThreadsPerFile } from "../src/cli/fits-extract.ts";
import { fitsCommand } from "../src/cli/fits.ts";
import { ExitCodeError, UsageError } from "../src/cli/output.ts";
import { FIELD_DIR } from "./helpers/fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "skytom-cli-extract-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function run(...args: string[]): Promise<{ out: string; err: string; error: unknown }> {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  const errLog = vi.spyOn(console, "error").mockImplementation(() => {});
  let error: unknown = null;
  try {
    await fitsCommand().parseAsync(["node", "fits", "extract", ...args], { from: "node" });
  } catch (e) {
    error = e;
  }
  const text = (m: typeof log) => m.mock.calls.map((c) => c.join(" ")).join("\n");
  return { out: text(log), err: text(errLog), error };
}

/** The catalogue the FITS job's extraction gives for the fixture (header GAIN 1.8, RDNOISE 7, WCS). */
async function expectedCatalogue(path: string): Promise<string> {
  const img = await readFitsFile(path);
  const w = wcsFromHeader((k) => img.header.get(k) as number | string | boolean | undefined);
  if (!w.ok) throw new Error(w.reason);
  const res = extractSources(img, { wcs: w.wcs, gainEPerAdu: 1.8, readNoiseE: 7, saturationAdu: 63000 });
  return formatSextractorCatalogue(res.rows);
}

describe("skytom fits extract", () => {
  it("names catalogues after the image: .fits, .fit, .fts, .fits.gz, .fz → .cat", () => {
    expect(cataloguePath("/d/a.fits")).toBe("/d/a.cat");
    expect(cataloguePath("/d/a.FIT", "/o")).toBe("/o/a.cat");
    expect(cataloguePath("b.fits.fz", "/o")).toBe("/o/b.cat");
    expect(cataloguePath("/d/c.fts.gz")).toBe("/d/c.cat");
    expect(cataloguePath("/d/image.raw")).toBe("/d/image.raw.cat");
  });

  it("shares each file's extraction among the cores left to it: all for one file, none for a full batch", () => {
    expect(extractThreadsPerFile(2, 1)).toBe(2);
    expect(extractThreadsPerFile(2, 2)).toBe(1);
    expect(extractThreadsPerFile(8, 3)).toBe(2);
    expect(extractThreadsPerFile(2, 10)).toBe(1);
  });

  it("writes the FITS job's ASCII_HEAD catalogue, identical with and without worker threads", async () => {
    const f32 = join(FIELD_DIR, "frame-f32.fits");
    const fz = join(dir, "packed.fits.fz");
    copyFileSync(join(FIELD_DIR, "frame-f32.fits.fz"), fz);
    const expected = await expectedCatalogue(f32);

    const one = await run(f32, fz, "--out-dir", join(dir, "t0"), "--jobs", "0");
    expect(one.error).toBeNull();
    const two = await run(f32, fz, "--out-dir", join(dir, "t2"), "--jobs", "2");
    expect(two.error).toBeNull();
    for (const sub of ["t0", "t2"]) {
      expect(readFileSync(join(dir, sub, "frame-f32.cat"), "utf8")).toBe(expected);
      expect(readFileSync(join(dir, sub, "packed.cat"), "utf8")).toBe(
        readFileSync(join(dir, "t0", "packed.cat"), "utf8"),
      );
    }
    expect(two.out).toMatch(/frame-f32\.fits → .*frame-f32\.cat: 6\d sources/);
    expect(two.out).toMatch(/2 catalogues written, 0 failed, in [\d.]+ s \(2 threads\)/);
    // Each file's extraction shared among threads (in a worker thread, and on this one): same catalogues.
    const shared = await run(f32, fz, "--out-dir", join(dir, "s1"), "--jobs", "1", "--threads", "2");
    expect(shared.error).toBeNull();
    expect(shared.out).toMatch(/\(1 threads, 2 threads per file\)/);
    const here = await run(f32, "--out-dir", join(dir, "s0"), "--jobs", "0", "--threads", "3");
    expect(here.error).toBeNull();
    expect(readFileSync(join(dir, "s0", "frame-f32.cat"), "utf8")).toBe(expected);
    for (const name of ["frame-f32.cat", "packed.cat"])
      expect(readFileSync(join(dir, "s1", name), "utf8")).toBe(readFileSync(join(dir, "t0", name), "utf8"));

    const parsed = parseInstrumentalCatalogue(expected);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.format).toBe("ascii_head");
    expect(parsed.magColumn).toBe("MAG_AUTO");
    expect(parsed.catalogue.mag.length).toBeGreaterThan(50);
  });

  it("reports each bad file, writes the others, and exits with code 4", async () => {
    const bad = join(dir, "bad.fits");
    writeFileSync(bad, "this is not FITS\n".repeat(300));
    const good = join(dir, "good.fits");
    copyFileSync(join(FIELD_DIR, "frame-u16.fits"), good);
    const r = await run(bad, join(dir, "missing.fits"), good, "--jobs", "2");
    expect(r.error).toBeInstanceOf(ExitCodeError);
    expect((r.error as ExitCodeError).exitCode).toBe(4);
    expect((r.error as Error).message).toBe("2 of 3 files could not be measured");
    expect(r.err).toMatch(/bad\.fits: FAILED: FITS: not a FITS file/);
    expect(r.err).toMatch(/missing\.fits: FAILED: no such file/);
    expect(existsSync(join(dir, "good.cat"))).toBe(true);
    expect(existsSync(join(dir, "bad.cat"))).toBe(false);
  });

  it("says when an image has no WCS (positions nan) and refuses two inputs writing one catalogue", async () => {
    const img = await readFitsFile(join(FIELD_DIR, "frame-f32.fits"));
    const { writeFits } = await import("../src/astro/fits/write.ts");
    const plain = join(dir, "nowcs.fits");
    writeFileSync(plain, writeFits({ data: img.data, width: img.width, height: img.height, bitpix: -32 }));
    const r = await run(plain, "--jobs", "0");
    expect(r.error).toBeNull();
    expect(r.out).toMatch(/no WCS in the header .*ALPHA\/DELTA are nan/);
    expect(readFileSync(join(dir, "nowcs.cat"), "utf8")).toMatch(/^\s+1\s+nan\s+nan\s+/m);

    const clash = await run(join(dir, "a", "x.fits"), join(dir, "b", "x.fits"), "--out-dir", dir);
    expect(clash.error).toBeInstanceOf(UsageError);
    expect((clash.error as Error).message).toMatch(/would both write .*x\.cat/);
  });
});
