/**
 * HTTP requests exactly as Python's `requests` library sends them, over a real socket: the same header
 * set (User-Agent python-requests, Accept-Encoding gzip/deflate, Accept: *, Connection keep-alive,
 * Content-Length), and the body encodings of its three calling styles: `json=` (application/json),
 * `data=<dict>` (form-encoded), `data=<str>` (no Content-Type at all), `files=` (multipart, fields
 * first). Used to replay BHTOM's documentation scripts against skytom.
 */
import { request as httpRequest } from "node:http";
import { gunzipSync, inflateSync } from "node:zlib";
import type { FastifyInstance } from "fastify";

export interface PyResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json(): unknown;
}

export interface PyRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  headers?: Record<string, string>;
  /** `json=`: serialised with Content-Type: application/json. */
  json?: unknown;
  /** `data=<dict>`: form-encoded (Python's str() of each value), or `data=<str>`: sent as is, untyped. */
  data?: Record<string, string | number | boolean | null | undefined> | string;
  /** `files=`: multipart/form-data with `data` as fields (fields first, then files). */
  files?: Record<string, { filename: string; content: Buffer | string }>;
}

/** Python's str() of a form value (True/False/None as Python writes them). */
function pyStr(v: string | number | boolean | null): string {
  if (v === true) return "True";
  if (v === false) return "False";
  if (v === null) return "None";
  return String(v);
}

function encode(req: PyRequest): { body: Buffer | null; contentType: string | null } {
  if (req.files) {
    const boundary = "3b2a1e9f0c5d4e7fa8b6c1d2e3f40516"; // requests: a random 32-hex boundary
    const parts: Buffer[] = [];
    const fields = typeof req.data === "object" ? req.data : {};
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined || v === null) continue; // requests drops None values of data dicts
      parts.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${pyStr(v)}\r\n`),
      );
    }
    for (const [field, f] of Object.entries(req.files)) {
      parts.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${f.filename}"\r\n\r\n`,
        ),
        Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content),
        Buffer.from("\r\n"),
      );
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
  }
  if (req.json !== undefined) {
    // json.dumps's default separators: ", " and ": ".
    return { body: Buffer.from(pyJsonDumps(req.json)), contentType: "application/json" };
  }
  if (typeof req.data === "string") return { body: Buffer.from(req.data), contentType: null };
  if (req.data) {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(req.data))
      if (v !== undefined && v !== null) form.append(k, pyStr(v));
    return { body: Buffer.from(form.toString()), contentType: "application/x-www-form-urlencoded" };
  }
  return { body: null, contentType: null };
}

/** json.dumps(value) with Python's default separators and ensure_ascii. */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(value);
  if (typeof value === "string")
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(", ")}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${pyJsonDumps(k)}: ${pyJsonDumps(v)}`)
    .join(", ")}}`;
}

/** Send one request the way `requests` does to a listening app. */
export async function pyRequest(app: FastifyInstance, req: PyRequest): Promise<PyResponse> {
  const address = app.server.address();
  if (!address || typeof address === "string") throw new Error("the app is not listening on a TCP port");
  const { body, contentType } = encode(req);
  const headers: Record<string, string> = {
    "User-Agent": "python-requests/2.31.0",
    "Accept-Encoding": "gzip, deflate",
    Accept: "*/*",
    Connection: "keep-alive",
    ...(contentType ? { "Content-Type": contentType } : {}),
    ...(body !== null
      ? { "Content-Length": String(body.length) }
      : req.method === "POST"
        ? { "Content-Length": "0" }
        : {}),
    ...req.headers,
  };
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      { host: "127.0.0.1", port: address.port, method: req.method, path: req.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          // requests decodes gzip and deflate answers.
          const raw = Buffer.concat(chunks);
          const encoding = res.headers["content-encoding"];
          const buf = encoding === "gzip" ? gunzipSync(raw) : encoding === "deflate" ? inflateSync(raw) : raw;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: buf,
            text: buf.toString("utf8"),
            json: () => JSON.parse(buf.toString("utf8")) as unknown,
          });
        });
        res.on("error", reject);
      },
    );
    r.on("error", reject);
    if (body) r.write(body);
    r.end();
  });
}
