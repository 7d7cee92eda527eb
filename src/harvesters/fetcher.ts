/**
 * The requests of one source: one at a time (bounded concurrency 1 per source and process), at least
 * `minIntervalMs` apart (the source's rate limit), each with the connect and whole-request time limits,
 * retried after network errors, 429 and 5xx with a doubling pause. A 404 is an answer (the object is
 * unknown), not a failure. Every failure is a SourceError naming the source, the URL and what happened.
 */
import { getUrl, NetworkError, type HttpAnswer } from "../catalog/tap/http.ts";
import type { HarvestSettings } from "./settings.ts";
import { SourceError, type ServiceName } from "./types.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SourceFetcher {
  private queue: Promise<unknown> = Promise.resolve();
  private lastRequestAt = 0;

  constructor(
    readonly source: ServiceName,
    private readonly settings: HarvestSettings,
  ) {}

  /** GET `url`: the answer (2xx or 404), else a SourceError after the retries. */
  get(url: string): Promise<HttpAnswer> {
    const run = this.queue.then(() => this.withRetries(url));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async withRetries(url: string): Promise<HttpAnswer> {
    const s = this.settings;
    let problem = "";
    for (let attempt = 0; attempt <= s.retries; attempt++) {
      if (attempt > 0) await sleep(s.retryWaitMs * 2 ** (attempt - 1));
      const wait = this.lastRequestAt + s.minIntervalMs - Date.now();
      if (wait > 0) await sleep(wait);
      this.lastRequestAt = Date.now();
      try {
        const answer = await getUrl(url, {
          connectMs: s.connectTimeoutMs,
          queryMs: s.queryTimeoutMs,
          maxBytes: 64 * 1024 ** 2,
        });
        if ((answer.status >= 200 && answer.status < 300) || answer.status === 404) return answer;
        problem = `HTTP ${answer.status}`;
        if (answer.status !== 429 && answer.status < 500) break;
      } catch (err) {
        if (!(err instanceof NetworkError)) throw err;
        problem = err.message;
        if (err.kind === "too-large") break;
      }
    }
    const tries = s.retries > 0 ? ` (after ${s.retries + 1} attempts)` : "";
    throw new SourceError(this.source, `${url}: ${problem}${tries}`);
  }
}
