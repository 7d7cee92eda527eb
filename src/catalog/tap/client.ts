/**
 * A TAP service queried with synchronous ADQL (IVOA TAP 1.1 §3.3): `POST {base}/sync` with the form fields
 * REQUEST=doQuery, LANG=ADQL, FORMAT=csv|votable, MAXREC and QUERY. The answer is read as CSV or VOTable
 * (by its Content-Type, else by its first bytes), so a service that answers a VOTable to a CSV request —
 * as TAP services do for errors — is understood.
 *
 * Faults (DESIGN §7):
 * - time limits per exchange (HttpLimits: connect, whole query);
 * - at most `limit` queries at once in this process, across every service sharing the limiter;
 * - retries with exponential backoff (retryBaseMs · 2^k, ±25 % jitter, or the server's Retry-After up to
 *   a minute) on no answer, HTTP 429 and 5xx; not on an answer that is wrong (HTML, truncated, an ERROR
 *   VOTable, HTTP 4xx), which is reported at once;
 * - after a failed query the service is left alone for a while (`waitMs` · 2^(failures−1), at most
 *   `maxWaitMs`): queries in that time fail at once with the same retry time, so a queue of frames does not
 *   each sit out the timeouts. The first query after it tries again; a success clears the count.
 */
import type { LimitFunction } from "p-limit";
import { ArchiveAnswerError, ArchiveUnavailableError } from "../errors.ts";
import { parseTapCsv } from "./csv.ts";
import { NetworkError, postForm, type HttpAnswer } from "./http.ts";
import { TapFormatError, TapQueryError, columnIndex, type TapTable } from "./table.ts";
import { parseVotable } from "./votable.ts";

export type TapFormat = "csv" | "votable";

export interface TapServiceOptions {
  /** The archive in words ("the Gaia archive"); messages say "<name> (<base URL>)". */
  name: string;
  /** Base URL of the TAP service (…/tap); the query goes to `${baseUrl}/sync`. */
  baseUrl: string;
  format: TapFormat;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff between attempts, ms (default 1000). */
  retryBaseMs?: number;
  /** Pause after a failed query, ms (doubling per consecutive failure). */
  waitMs: number;
  /** Longest pause, ms. */
  maxWaitMs: number;
  /** Shared bound on concurrent archive queries of this process. */
  limit: LimitFunction;
  /** Called before every HTTP attempt (tests and logs). */
  onAttempt?: (info: { service: string; attempt: number }) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A failure worth another attempt (no answer, 429, 5xx) or not (a wrong answer). */
class Attempt extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The first characters of a body, on one line, for messages. */
function excerpt(body: Buffer): string {
  const text = body.subarray(0, 400).toString("utf8");
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
  return (title ?? text).replace(/\s+/g, " ").trim().slice(0, 160);
}

export class TapService {
  private failures = 0;
  private pausedUntil = 0;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(readonly options: TapServiceOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleepMs;
  }

  /** "the Gaia archive (https://…/tap)". */
  get label(): string {
    return `${this.options.name} (${this.options.baseUrl})`;
  }

  /** When the service will next be asked, if it is being left alone now. */
  get retryAt(): Date | null {
    return this.pausedUntil > this.now() ? new Date(this.pausedUntil) : null;
  }

  /**
   * Runs the query: its table, or an ArchiveUnavailableError / ArchiveAnswerError (file comment). An
   * answer without every one of `columns` (matched as columnIndex does) is a wrong answer.
   */
  async query(adql: string, maxRec: number, columns: readonly string[] = []): Promise<TapTable> {
    const paused = this.retryAt;
    if (paused) {
      throw new ArchiveUnavailableError(
        this.label,
        `${this.label} is unreachable; not asked again before ${paused.toISOString()}`,
        paused,
      );
    }
    return this.options.limit(() => this.attempts(adql, maxRec, columns));
  }

  private async attempts(adql: string, maxRec: number, columns: readonly string[]): Promise<TapTable> {
    const o = this.options;
    // Queued behind a query that failed meanwhile: not asked again before the pause is over.
    const paused = this.retryAt;
    if (paused) {
      throw new ArchiveUnavailableError(
        this.label,
        `${this.label} is unreachable; not asked again before ${paused.toISOString()}`,
        paused,
      );
    }
    let last: Attempt | null = null;
    for (let attempt = 1; attempt <= o.retries + 1; attempt++) {
      if (attempt > 1) {
        const backoff = (o.retryBaseMs ?? 1000) * 2 ** (attempt - 2) * (0.75 + 0.5 * Math.random());
        const asked = last?.retryAfterSeconds;
        await this.sleep(asked !== null && asked !== undefined ? Math.min(asked * 1000, 60_000) : backoff);
      }
      o.onAttempt?.({ service: o.baseUrl, attempt });
      try {
        const table = this.read(await this.post(adql, maxRec));
        const missing = columns.filter((c) => columnIndex(table, c) < 0);
        if (missing.length > 0) {
          const list = table.columns.slice(0, 12).join(", ");
          throw new Attempt(
            `the table lacks column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (it has: ${list || "none"})`,
            false,
          );
        }
        this.failures = 0;
        this.pausedUntil = 0;
        return table;
      } catch (err) {
        if (!(err instanceof Attempt)) throw err;
        last = err;
        if (!err.retryable) {
          throw new ArchiveAnswerError(
            this.label,
            `${this.label} answered wrongly: ${err.message}`,
            this.recordFailure(),
          );
        }
      }
    }
    const tries = o.retries + 1;
    throw new ArchiveUnavailableError(
      this.label,
      `${this.label} is unreachable: ${last?.message ?? "no answer"} (${tries} attempt${tries > 1 ? "s" : ""})`,
      this.recordFailure(),
    );
  }

  /**
   * Counts a failure (also one the caller finds in an answer, e.g. a table it cannot use) and leaves the
   * service alone for a while; returns when it will be asked again.
   */
  recordFailure(): Date {
    this.failures++;
    const wait = Math.min(this.options.maxWaitMs, this.options.waitMs * 2 ** (this.failures - 1));
    this.pausedUntil = this.now() + wait;
    return new Date(this.pausedUntil);
  }

  private async post(adql: string, maxRec: number): Promise<HttpAnswer> {
    const o = this.options;
    try {
      return await postForm(
        `${o.baseUrl.replace(/\/+$/, "")}/sync`,
        { REQUEST: "doQuery", LANG: "ADQL", FORMAT: o.format, MAXREC: String(maxRec), QUERY: adql },
        { connectMs: o.connectTimeoutMs, queryMs: o.queryTimeoutMs },
      );
    } catch (err) {
      if (err instanceof NetworkError) throw new Attempt(err.message, err.kind !== "too-large");
      throw err;
    }
  }

  /** The answer as a table, or an Attempt saying why not. */
  private read(answer: HttpAnswer): TapTable {
    const { status, body, contentType } = answer;
    const head = body.subarray(0, 256).toString("utf8").trimStart().toLowerCase();
    const looksXml =
      head.startsWith("<?xml") || head.startsWith("<votable") || /xml|votable/.test(contentType);
    const looksHtml =
      contentType === "text/html" || head.startsWith("<!doctype html") || head.startsWith("<html");
    if (status === 429 || status >= 500) {
      throw new Attempt(
        `HTTP ${status}${body.length ? `: ${excerpt(body)}` : ""}`,
        true,
        answer.retryAfterSeconds,
      );
    }
    try {
      if (looksHtml)
        throw new TapFormatError(`an HTML page (HTTP ${status}: "${excerpt(body)}") instead of a table`);
      const table = looksXml ? parseVotable(body.toString("utf8")) : parseTapCsv(body.toString("utf8"));
      if (status !== 200) throw new TapFormatError(`HTTP ${status} with a table`);
      return table;
    } catch (err) {
      if (err instanceof TapQueryError)
        throw new Attempt(`HTTP ${status}, the query was refused: ${err.message}`, false);
      if (err instanceof TapFormatError) {
        throw new Attempt(status === 200 ? err.message : `HTTP ${status}: ${excerpt(body)}`, false);
      }
      throw err;
    }
  }
}
