/** What the typed client throws: the server's refusal (ApiError) or no answer at all (ConnectionError). */

/**
 * The server answered with a non-2xx status. `detail` is the server's message in one line: its `detail`,
 * or a field → messages dict flattened as `field: message message; other: message`.
 */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly method: string,
    readonly url: string,
    /** The parsed JSON body (or text) of the answer. */
    readonly body: unknown,
  ) {
    super(`${detail} (HTTP ${status} from ${method} ${url})`);
  }

  /** 5xx: the server failed, the request may be fine. */
  get serverFault(): boolean {
    return this.status >= 500;
  }
}

/** No HTTP answer: connection refused or reset, DNS failure, or no answer within the timeout. */
export class ConnectionError extends Error {
  override name = "ConnectionError";
  constructor(
    readonly method: string,
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach ${url} (${method}): ${reason}`);
  }
}

const MESSAGE_KEYS = ["detail", "Error", "Error ", "error", "message", "non_field_errors", "calib-res"];

function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(text).join(" ");
  if (value && typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The server's message in one readable line, from a parsed JSON body or a text body. */
export function flattenDetail(body: unknown, status: number): string {
  if (typeof body === "string") {
    const t = body.trim();
    if (t === "" || t.startsWith("<")) return `HTTP ${status}`; // empty or an HTML error page
    return t.length > 300 ? `${t.slice(0, 300)}…` : t;
  }
  if (Array.isArray(body)) return text(body) || `HTTP ${status}`;
  if (body && typeof body === "object") {
    const o = body as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 0) return `HTTP ${status}`;
    const generic = keys.filter((k) => MESSAGE_KEYS.includes(k));
    const fields = keys.filter((k) => !MESSAGE_KEYS.includes(k));
    const parts = [...generic.map((k) => text(o[k])), ...fields.map((k) => `${k}: ${text(o[k])}`)];
    return parts.join("; ");
  }
  return `HTTP ${status}`;
}

/** An ApiError from a response whose body has been read (JSON when it parses, else text). */
export function apiErrorFrom(method: string, url: string, status: number, raw: string): ApiError {
  let body: unknown = raw;
  try {
    body = JSON.parse(raw);
  } catch {
    // not JSON: keep the text
  }
  return new ApiError(status, flattenDetail(body, status), method, url, body);
}
