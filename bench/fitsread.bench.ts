/**
 * FITS reading at memory speed (issue 21): the time to read a 4096 × 4096 frame with `readFitsFile`
 * (file bytes → physical pixels) against the time to read its bytes alone (`fs.readFile`), for float32
 * (64 MB; target ≤ 1.3×), uint16 with BZERO 32768, and gzip. The per-value DataView
 * decoder of before the speed work runs beside it on the same bytes ("dataview" line). Runs interleaved,
 * medians of RUNS; the load average is printed with the results (2 shared cores: compare ratios, not ms).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { readFitsFile, writeFits } from "../src/astro/fits/index.ts";
import { decodePixelsDataView } from "../src/astro/fits/pixels.ts";

const SIZE = 4096;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function line(record: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: "fitsread", ...record }));
}

async function time(fn: () => unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

// A sky-like frame: 500 ADU + noise (xorshift), so that gzip sees realistic entropy.
const data = new Float32Array(SIZE * SIZE);
let s = 12345;
for (let i = 0; i < data.length; i++) {
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  data[i] = 500 + ((s >>> 0) % 4000) / 100;
}
const dir = mkdtempSync(join(tmpdir(), "skytom-fitsread-"));
try {
  const f32 = join(dir, "f32.fits");
  const u16 = join(dir, "u16.fits");
  const gz = join(dir, "f32.fits.gz");
  writeFileSync(f32, writeFits({ data, width: SIZE, height: SIZE, bitpix: -32 }));
  writeFileSync(u16, writeFits({ data, width: SIZE, height: SIZE, bitpix: 16, bzero: 32768, bscale: 1 }));
  writeFileSync(gz, gzipSync(readFileSync(u16), { level: 6 }));
  const cases: [string, string][] = [
    ["float32 64 MB", f32],
    ["uint16+BZERO 32 MB", u16],
    ["uint16+BZERO gzip", gz],
  ];
  const bytesMs: Record<string, number[]> = {};
  const readMs: Record<string, number[]> = {};
  for (const [name, path] of cases) {
    await readFitsFile(path); // warm the page cache and the JIT
    bytesMs[name] = [];
    readMs[name] = [];
  }
  for (let r = 0; r < RUNS; r++) {
    for (const [name, path] of cases) {
      bytesMs[name].push(await time(() => readFile(path)));
      readMs[name].push(await time(() => readFitsFile(path)));
    }
  }
  // The DataView decoder on the float32 frame: bytes read + per-value decode (the reader of before).
  const dv: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    dv.push(
      await time(async () => {
        const bytes = new Uint8Array(await readFile(f32));
        const out = new Float32Array(SIZE * SIZE);
        decodePixelsDataView(bytes, 2880, SIZE * SIZE, -32, out);
      }),
    );
  }
  for (const [name] of cases) {
    const b = median(bytesMs[name]);
    const d = median(readMs[name]);
    line({
      step: `read ${name}`,
      bytes_ms: +b.toFixed(1),
      read_fits_ms: +d.toFixed(1),
      ratio: +(d / b).toFixed(2),
      ...(name.startsWith("float32") ? { target: 1.3 } : {}),
      runs_ms: readMs[name].map((v) => +v.toFixed(1)),
    });
  }
  line({
    step: "read float32 64 MB with the per-value DataView decoder (before issue 21)",
    median_ms: +median(dv).toFixed(1),
    ratio_to_bytes: +(median(dv) / median(bytesMs["float32 64 MB"])).toFixed(2),
  });
  line({ step: "load average", loadavg: loadavg().map((v) => +v.toFixed(2)) });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
