/** Small helpers for benchmarks: repeat a function and report percentiles as one JSON line. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export async function measure(
  name: string,
  fn: () => unknown | Promise<unknown>,
  opts: { runs?: number; warmup?: number; extra?: Record<string, unknown> } = {},
): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < (opts.warmup ?? 3); i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < (opts.runs ?? 20); i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const result = {
    bench: name,
    runs: times.length,
    p50_ms: +percentile(times, 50).toFixed(3),
    p99_ms: +percentile(times, 99).toFixed(3),
    min_ms: +times[0].toFixed(3),
    ...opts.extra,
  };
  console.log(JSON.stringify(result));
  return { p50: result.p50_ms, p99: result.p99_ms };
}
