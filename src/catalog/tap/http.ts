/**
 * One HTTP exchange with an archive: a form POSTed, the whole answer read, with two time limits —
 * `connectMs` to open the connection (TCP, and TLS for https) and `queryMs` for the whole exchange, the
 * archive's work on the query included. Redirects are followed (at most 5): 301/302/307/308 repeat the POST
 * at the new address (an http → https move must not turn a query into an empty GET), 303 fetches the
 * answer with GET (TAP's redirect to a result). gzip answers are inflated.
 *
 * Every failure to get an answer is a NetworkError naming what happened (connection refused, name not
 * found, connect timeout, query timeout, answer cut off); an answer with any status is returned.
 */
import http from "node:http";
import https from "node:https";
import { gunzipSync } from "node:zlib";
import { VERSION } from "../../version.ts";

export interface HttpLimits {
  /** Time to open the connection, ms. */
  connectMs: number;
  /** Time for the whole exchange, ms. */
  queryMs: number;
  /** Largest answer accepted, bytes (default 512 MiB). */
  maxBytes?: number;
}

export interface HttpAnswer {
  status: number;
  /** Content-Type, lower case, without parameters ("" when absent). */
  contentType: string;
  /** Retry-After in seconds when the server sent one as a number. */
  retryAfterSeconds: number | null;
  body: Buffer;
  /** The URL that answered (after redirects). */
  url: string;
}

export type NetworkFailure = "connect-timeout" | "query-timeout" | "connection" | "too-large";

export class NetworkError extends Error {
  constructor(
    readonly kind: NetworkFailure,
    message: string,
  ) {
    super(message);
  }
}

const MAX_REDIRECTS = 5;

function describeSocketError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `host name not found (${err.code})`;
    case "ECONNRESET":
      return "connection reset";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `network unreachable (${err.code})`;
    default:
      return err.message || String(err.code ?? err);
  }
}

function once(
  method: "POST" | "GET",
  url: URL,
  body: string | null,
  limits: HttpLimits,
  deadline: number,
): Promise<{ res: http.IncomingMessage; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === "https:" ? https : http;
    const headers: Record<string, string | number> = {
      "user-agent": `skytom/${VERSION}`,
      "accept-encoding": "gzip",
      accept: "text/csv, application/x-votable+xml, text/xml, */*;q=0.5",
    };
    if (body !== null) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers["content-length"] = Buffer.byteLength(body);
    }
    const req = mod.request(url, { method, headers, agent: false });
    let settled = false;
    const fail = (err: NetworkError) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(queryTimer);
      req.destroy();
      reject(err);
    };
    const queryTimer = setTimeout(
      () => fail(new NetworkError("query-timeout", `no complete answer within ${limits.queryMs / 1000} s`)),
      Math.max(0, deadline - Date.now()),
    );
    const connectTimer = setTimeout(
      () => fail(new NetworkError("connect-timeout", `no connection within ${limits.connectMs / 1000} s`)),
      Math.min(limits.connectMs, Math.max(0, deadline - Date.now())),
    );
    req.on("socket", (socket) => {
      const connected = () => clearTimeout(connectTimer);
      if (!socket.connecting) connected();
      else socket.once(url.protocol === "https:" ? "secureConnect" : "connect", connected);
    });
    req.on("error", (err) => fail(new NetworkError("connection", describeSocketError(err))));
    req.on("response", (res) => {
      clearTimeout(connectTimer);
      const chunks: Buffer[] = [];
      let size = 0;
      const max = limits.maxBytes ?? 512 * 1024 ** 2;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) fail(new NetworkError("too-large", `the answer exceeds ${max} bytes`));
        else chunks.push(chunk);
      });
      res.on("aborted", () => fail(new NetworkError("connection", "the answer was cut off in transit")));
      res.on("error", (err) =>
        fail(new NetworkError("connection", `the answer was cut off: ${err.message}`)),
      );
      res.on("end", () => {
        if (settled) return;
        if (!res.complete) {
          fail(new NetworkError("connection", "the answer was cut off in transit"));
          return;
        }
        settled = true;
        clearTimeout(queryTimer);
        let data = Buffer.concat(chunks);
        if (/gzip/i.test(String(res.headers["content-encoding"] ?? ""))) {
          try {
            data = gunzipSync(data);
          } catch {
            reject(new NetworkError("connection", "the gzip answer was cut off or corrupt"));
            return;
          }
        }
        resolve({ res, body: data });
      });
    });
    req.end(body ?? undefined);
  });
}

/** POST `form` to `url` (see the file comment). */
export async function postForm(
  url: string,
  form: Record<string, string>,
  limits: HttpLimits,
): Promise<HttpAnswer> {
  return exchange("POST", url, new URLSearchParams(form).toString(), limits);
}

/** GET `url` (a survey's file, a name resolver's answer), with the same limits and redirects. */
export async function getUrl(url: string, limits: HttpLimits): Promise<HttpAnswer> {
  return exchange("GET", url, null, limits);
}

async function exchange(
  firstMethod: "POST" | "GET",
  url: string,
  encoded: string | null,
  limits: HttpLimits,
): Promise<HttpAnswer> {
  const deadline = Date.now() + limits.queryMs;
  let target = new URL(url);
  let method = firstMethod;
  for (let hop = 0; ; hop++) {
    const { res, body } = await once(method, target, method === "POST" ? encoded : null, limits, deadline);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location) {
      if (hop >= MAX_REDIRECTS) throw new NetworkError("connection", `more than ${MAX_REDIRECTS} redirects`);
      target = new URL(location, target);
      if (status === 303) method = "GET";
      continue;
    }
    const retryAfter = Number(res.headers["retry-after"]);
    return {
      status,
      contentType: String(res.headers["content-type"] ?? "")
        .split(";")[0]
        .trim()
        .toLowerCase(),
      retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null,
      body,
      url: target.toString(),
    };
  }
}
