/** `skytom fits synth`, driven through its commander command in-process. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { readFitsFile } from "../src/astro/fits/file.ts";
import { skyToPixel, wcsFromHeader } from "../src/astro/wcs/index.ts";
import { fitsCommand, truthPath } from "../src/cli/fits.ts";
import { bayerLayout, splitBayer } from "../src/astro/image/bayer.ts";

const dir = mkdtempSync(join(tmpdir(), "skytom-cli-fits-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function run(...args: string[]): Promise<string> {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  await fitsCommand().parseAsync(["node", "fits", ...args], { from: "node" });
  return log.mock.calls.map((c) => c.join(" ")).join("\n");
}

function readTruth(path: string): Array<Record<string, number>> {
  const [head, ...rows] = readFileSync(path, "utf8").trimEnd().split("\n");
  expect(head).toBe("x,y,ra,dec,mag,is_target");
  const cols = head.split(",");
  return rows.map((r) => Object.fromEntries(r.split(",").map((v, i) => [cols[i], Number(v)])));
}

describe("skytom fits synth", () => {
  it("writes a BITPIX −32 frame with a TAN WCS and a truth CSV of the stars + the target", async () => {
    const out = join(dir, "frame.fits");
    const summary = await run("synth", "--out", out, "--size", "256", "--stars", "50");
    expect(truthPath(out)).toBe(join(dir, "frame.truth.csv"));
    const img = await readFitsFile(out);
    expect([img.width, img.height, img.bitpix]).toEqual([256, 256, -32]);
    const h = img.header;
    expect(h.get("CTYPE1")).toBe("RA---TAN");
    expect(h.get("CTYPE2")).toBe("DEC--TAN");
    expect(h.getNumber("CRPIX1")).toBe(128.5);
    expect(h.getNumber("CRVAL1")).toBe(150);
    expect(h.getNumber("CRVAL2")).toBe(2);
    expect(h.getNumber("CD1_1")).toBeCloseTo(-0.8 / 3600, 12);
    expect(h.getNumber("CD2_2")).toBeCloseTo(0.8 / 3600, 12);
    // Sky 500 ADU: the frame's median is near it.
    const sorted = Float64Array.from(img.data as Float32Array).sort();
    expect(Math.abs(sorted[sorted.length >> 1] - 500)).toBeLessThan(10);

    const truth = readTruth(join(dir, "frame.truth.csv"));
    const targets = truth.filter((r) => r.is_target === 1);
    const stars = truth.filter((r) => r.is_target === 0);
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ ra: 150, dec: 2, mag: 15.8, x: 128.5, y: 128.5 });
    // --stars is the expected number on the frame (a random draw of the synthetic field); seed 1 gives 50.
    expect(stars).toHaveLength(50);
    // Truth pixels agree with the header WCS.
    const wcs = wcsFromHeader((k) => h.get(k) ?? undefined);
    if (!wcs.ok) throw new Error(wcs.reason);
    for (const s of stars.slice(0, 10)) {
      const p = skyToPixel(wcs.wcs, s.ra, s.dec);
      expect(Math.hypot(p!.x - s.x, p!.y - s.y)).toBeLessThan(1e-3);
      expect(s.x).toBeGreaterThanOrEqual(0.5);
      expect(s.x).toBeLessThan(256.5);
    }
    expect(summary).toMatch(
      new RegExp(`^wrote 256×256 synthetic frame to .*frame\\.fits .*${stars.length} stars, target V=15\\.8`),
    );
  });

  it("honours --ra/--dec/--scale/--seed/--target-*/--sip", async () => {
    const out = join(dir, "sip.fits");
    const args = ["synth", "--out", out, "--size", "128", "--stars", "20", "--ra", "10", "--dec", "-30"];
    await run(...args, "--scale", "1.2", "--target-mag", "17", "--target-ra", "10.005", "--sip");
    const h = (await readFitsFile(out)).header;
    expect(h.get("CTYPE1")).toBe("RA---TAN-SIP");
    expect(h.getNumber("A_ORDER")).toBe(2);
    expect(h.getNumber("CRVAL2")).toBe(-30);
    expect(h.getNumber("CD2_2")).toBeCloseTo(1.2 / 3600, 12);
    const target = readTruth(join(dir, "sip.truth.csv")).filter((r) => r.is_target === 1);
    expect(target).toMatchObject([{ ra: 10.005, dec: -30, mag: 17 }]);
    expect(target[0].x).toBeLessThan(64.5); // east is left
  });

  it("rejects bad arguments with a clear message", async () => {
    const out = join(dir, "bad.fits");
    await expect(run("synth", "--out", out, "--size", "huge")).rejects.toThrow(
      /--size: "huge" is not a number/,
    );
    await expect(run("synth", "--out", out, "--size", "100.5")).rejects.toThrow(/--size: .*not an integer/);
    await expect(run("synth", "--out", out, "--size", "0")).rejects.toThrow(/--size: 0 is out of range/);
    await expect(run("synth", "--out", out, "--dec", "95")).rejects.toThrow(/--dec: 95 is out of range/);
    await expect(run("synth", "--out", out, "--stars", "-1")).rejects.toThrow(/--stars/);
  });
});

describe("skytom fits synth --bayer --colour-term", () => {
  it("writes a one-shot-colour mosaic: BAYERPAT, no FILTER, each pixel from its channel; truth per channel", async () => {
    const out = join(dir, "osc.fits");
    const summary = await run(
      ...["synth", "--out", out, "--size", "256", "--stars", "40", "--bayer", "rggb"],
      ...["--colour-term", "0.1", "--target-bv", "1.2", "--target-mag", "15"],
    );
    expect(summary).toMatch(
      /one-shot-colour \(RGGB\) frame .* colour term 0\.1\/mag of B−V, target R=\d+\.\d{3} V=15\.000 B=16\.200/,
    );
    const img = await readFitsFile(out);
    const h = img.header;
    expect(h.get("BAYERPAT")).toBe("RGGB");
    expect(h.get("ROWORDER")).toBe("BOTTOM-UP");
    expect(h.get("FILTER")).toBeUndefined();
    const layout = bayerLayout((k) => h.get(k));
    const ch = splitBayer(img.data as Float32Array, img.width, img.height, layout!);
    // the target (frame centre) is brighter in R than in B: R − B ≈ −(1.2 + 0.58·1.2) … per pixel peak
    const at = (a: Float32Array) => a[64 * ch.width + 64] - 500;
    expect(at(ch.R)).toBeGreaterThan(at(ch.B));
    const [head, ...rows] = readFileSync(truthPath(out), "utf8").trimEnd().split("\n");
    expect(head).toBe("x,y,ra,dec,mag_R,mag_V,mag_B,is_target");
    const target = rows.map((r) => r.split(",").map(Number)).find((r) => r[7] === 1)!;
    expect(target.slice(4, 7)).toEqual([expect.any(Number), 15, 16.2]);
    await expect(run("synth", "--out", out, "--bayer", "RGBW")).rejects.toThrow(/expected one of RGGB/);
  });

  it("--colour-cube writes a 3-plane cube (R, G, B), no BAYERPAT, with the same truth table", async () => {
    const out = join(dir, "rgb.fits");
    const summary = await run(
      ...["synth", "--out", out, "--size", "128", "--stars", "20", "--colour-cube"],
      ...["--target-bv", "1.2", "--target-mag", "15"],
    );
    expect(summary).toMatch(/colour cube \(3 planes: R, G, B\) .* target R=\d+\.\d{3} V=15\.000 B=16\.200/);
    const img = await readFitsFile(out, { colourCube: true });
    expect([img.width, img.height, img.depth, img.planes]).toEqual([128, 128, 3, 3]);
    expect(img.header.get("BAYERPAT")).toBeUndefined();
    // the target (frame centre) is brighter in R (plane 1) than in B (plane 3)
    const n = 128 * 128;
    const at = (plane: number) => img.data[plane * n + 64 * 128 + 64];
    expect(at(0)).toBeGreaterThan(at(2));
    const [head] = readFileSync(truthPath(out), "utf8").split("\n");
    expect(head).toBe("x,y,ra,dec,mag_R,mag_V,mag_B,is_target");
    await expect(run("synth", "--out", out, "--colour-cube", "--bayer", "RGGB")).rejects.toThrow(/not both/);
  });

  it("--colour-term renders stars at m + k·(B−V) while the truth keeps m", async () => {
    const a = join(dir, "k0.fits");
    const b = join(dir, "k1.fits");
    await run("synth", "--out", a, "--size", "128", "--stars", "20", "--seed", "5");
    await run("synth", "--out", b, "--size", "128", "--stars", "20", "--seed", "5", "--colour-term", "0.5");
    expect(readFileSync(truthPath(a), "utf8")).toBe(readFileSync(truthPath(b), "utf8"));
    const sum = async (p: string) => {
      let total = 0;
      for (const v of (await readFitsFile(p)).data as Float32Array) total += v - 500;
      return total;
    };
    expect(await sum(b)).toBeLessThan(await sum(a)); // redder stars (B−V > 0) are fainter through k > 0
  });
});
