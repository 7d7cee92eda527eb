/**
 * The client's fetch: a timeout per attempt, and retries with exponential backoff on connection errors and
 * 5xx answers — for idempotent calls only (GET/HEAD, and the POSTs that are reads in BHTOM, listed below).
 * A create, update, delete or upload is never repeated: a 5xx there may have happened after the change.
 */
import { ConnectionError } from "./errors.ts";

/** BHTOM's POST endpoints that only read (the request body carries filters or ids). */
export const READ_ONLY_POSTS: readonly string[] = [
  "/targets/getTargetList/",
  "/targets/get-plots/",
  "/targets/target-groups/",
  "/targets/targets-from-group/",
  "/targets/download-photometry/",
  "/targets/download-radio/",
  "/targets/download-high-energy/",
  "/targets/get-downloaded-target-list/",
  "/targets/getDownloadedTargetList/",
  "/observatory/getObservatoryList/",
  "/observatory/getFavouriteObservatory/",
  "/common/api/data/",
  "/common/api/comments/",
  "/common/api/reducedDatum/",
  "/common/api/users/",
  "/common/api/downloadPhotometryFile/",
  "/calibration/get-calibration-res/",
  "/calibration/get-run/",
  "/calibration/list-runs/",
  "/calibration/compare-runs/",
  "/observatory/visibility/",
  "/observatory/exposure-time/",
  "/observatory/plan/",
  "/targets/network-plan/",
];

/** May this request be sent again after a connection error or a 5xx? */
export function isIdempotent(method: string, url: string): boolean {
  const m = method.toUpperCase();
  if (m === "GET" || m === "HEAD") return true;
  if (m !== "POST") return false;
  let path = new URL(url).pathname;
  if (!path.endsWith("/")) path += "/";
  return READ_ONLY_POSTS.some((p) => path.endsWith(p));
}

export interface RetryOptions {
  /** Extra attempts after the first, for idempotent calls (default 3). */
  retries: number;
  /** Milliseconds to wait for the answer's headers, per attempt (default 30 000). */
  timeoutMs: number;
  /** First backoff, ms; doubles each retry, with ±25 % jitter (default 300). */
  backoffMs: number;
  /** Called before each retry (for logging). */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string; url: string }) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retry-After in seconds (the delta form), capped at 30 s; else null. */
function retryAfterMs(res: Response): number | null {
  const v = res.headers.get("retry-after");
  if (!v || !/^\d+$/.test(v.trim())) return null;
  return Math.min(Number(v) * 1000, 30_000);
}

function reasonOf(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.cause?.code) return e.cause.code;
  if (e?.cause?.message) return e.cause.message;
  return e?.message ?? String(err);
}

/**
 * One attempt: the request with a timeout on the headers (the body may then stream for as long as it takes).
 * Throws ConnectionError when no answer comes.
 */
async function attempt(base: typeof fetch, request: Request, timeoutMs: number): Promise<Response> {
  const ctrl = new AbortController();
  const outer = request.signal;
  const forward = () => ctrl.abort(outer.reason);
  if (outer.aborted) throw outer.reason;
  outer.addEventListener("abort", forward, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort(new Error("timeout"));
  }, timeoutMs);
  try {
    return await base(new Request(request, { signal: ctrl.signal }));
  } catch (err) {
    if (outer.aborted) throw err;
    const reason = timedOut ? `no answer within ${timeoutMs / 1000} s` : reasonOf(err);
    throw new ConnectionError(request.method, request.url, reason);
  } finally {
    clearTimeout(timer);
    outer.removeEventListener("abort", forward);
  }
}

/** A fetch for openapi-fetch (it passes a Request) with the timeout and the retry policy above. */
export function retryingFetch(
  base: typeof fetch,
  opts: RetryOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const retries = isIdempotent(request.method, request.url) ? Math.max(0, opts.retries) : 0;
    for (let n = 0; ; n++) {
      const last = n >= retries;
      // Keep the original unread for the next attempt; the clone is consumed.
      const current = last ? request : request.clone();
      let reason: string;
      let wait: number | null = null;
      try {
        const res = await attempt(base, current, opts.timeoutMs);
        if (res.status < 500 || last) return res;
        reason = `HTTP ${res.status}`;
        wait = retryAfterMs(res);
        await res.body?.cancel();
      } catch (err) {
        if (last || !(err instanceof ConnectionError)) throw err;
        reason = err.reason;
      }
      const backoff = opts.backoffMs * 2 ** n * (0.75 + Math.random() * 0.5);
      const delayMs = Math.round(Math.max(backoff, wait ?? 0));
      opts.onRetry?.({ attempt: n + 1, delayMs, reason, url: request.url });
      await sleep(delayMs);
    }
  };
}
