/**
 * The typed client (src/client): its types are the server's current OpenAPI document, retries happen for
 * idempotent calls only, refusals carry the server's detail, uploads stream with progress.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OUTPUT, renderClientTypes } from "../scripts/generate-client.ts";
import { ApiError, ConnectionError, createClient, flattenDetail, isIdempotent } from "../src/client/index.ts";

describe("src/client/openapi.d.ts", () => {
  it("is what scripts/generate-client.ts makes from the server's schemas now (run npm run client:generate)", async () => {
    const fresh = await renderClientTypes();
    expect(fresh).toContain('"/targets/createTarget/": {');
    const stale = "src/client/openapi.d.ts differs from the server's schemas: run `npm run client:generate`";
    expect(fresh === readFileSync(OUTPUT, "utf8"), stale).toBe(true);
  }, 60_000);
});

describe("flattenDetail: the server's message in one line", () => {
  it.each([
    [{ detail: "Invalid token." }, 401, "Invalid token."],
    [
      { name: ["This field is required."], ra: ["A valid number is required.", "Too big."] },
      400,
      "name: This field is required.; ra: A valid number is required. Too big.",
    ],
    [
      { non_field_errors: ["Unable to log in with provided credentials."] },
      400,
      "Unable to log in with provided credentials.",
    ],
    [{ "Error ": "Target does not exist in the database " }, 400, "Target does not exist in the database "],
    ["<html><body>Bad Gateway</body></html>", 502, "HTTP 502"],
    ["", 503, "HTTP 503"],
    [{}, 500, "HTTP 500"],
  ])("%j (%i) → %s", (body, status, expected) => {
    expect(flattenDetail(body, status)).toBe(expected);
  });
});

describe("isIdempotent", () => {
  it.each([
    ["GET", "http://h/api/health/", true],
    ["POST", "http://h/targets/getTargetList/", true],
    ["POST", "http://h/targets/getTargetList", true],
    ["POST", "http://h/bhtom/calibration/get-calibration-res/", true],
    ["POST", "http://h/targets/download-photometry/", true],
    ["POST", "http://h/targets/createTarget/", false],
    ["POST", "http://h/upload/", false],
    ["PATCH", "http://h/targets/updateTarget/X/", false],
    ["DELETE", "http://h/targets/deleteTarget/", false],
  ])("%s %s → %s", (method, url, expected) => expect(isIdempotent(method, url)).toBe(expected));
});

/** A tiny server whose handler the test sets; records every request. */
describe("against a local HTTP server", () => {
  let server: Server;
  let base = "";
  let handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void = () => {};
  const seen: { method: string; url: string; auth: string; body: Buffer }[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "skytom-client-"));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        seen.push({ method: req.method!, url: req.url!, auth: String(req.headers.authorization), body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  /** Fails `failures` times with 503, then answers 200. */
  const flaky = (failures: number, ok: unknown) => {
    let n = 0;
    return (_req: IncomingMessage, res: ServerResponse) =>
      n++ < failures ? json(res, 503, { detail: "busy" }) : json(res, 200, ok);
  };
  const client = (extra: Partial<Parameters<typeof createClient>[0]> = {}) =>
    createClient({ server: base, token: "a".repeat(40), backoffMs: 5, ...extra });

  it("a read (getTargetList) that gets 503 twice is sent again and succeeds on the third attempt", async () => {
    seen.length = 0;
    const retries: string[] = [];
    handler = flaky(2, { count: 1, num_pages: 1, current_page: 1, data: [{ id: 7, name: "X" }] });
    const page = await client({ onRetry: (i) => retries.push(i.reason) }).listTargets({ name: "X" });
    expect(page.data[0]).toMatchObject({ id: 7, name: "X" });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(Array(3).fill("POST /targets/getTargetList/"));
    // The same body and token every time.
    expect(new Set(seen.map((s) => s.body.toString()))).toEqual(new Set(['{"name":"X"}']));
    expect(seen.every((s) => s.auth === `Token ${"a".repeat(40)}`)).toBe(true);
    expect(retries).toEqual(["HTTP 503", "HTTP 503"]);
  });

  it("a write (createTarget) that gets 503 is not repeated: ApiError 503 after one request", async () => {
    seen.length = 0;
    handler = flaky(2, {});
    const err = await client()
      .createTarget({ name: "X", ra: 1, dec: 2 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 503,
      detail: "busy",
      method: "POST",
      url: `${base}/targets/createTarget/`,
    });
    expect((err as ApiError).serverFault).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it("retries stop after `retries`: the last 503 is the error", async () => {
    seen.length = 0;
    handler = flaky(10, {});
    const err = await client({ retries: 2 })
      .listDataProducts({ id: 1 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503 });
    expect(seen).toHaveLength(3);
  });

  it("a 400 field dict becomes ApiError with the fields flattened; not retried", async () => {
    seen.length = 0;
    handler = (_req, res) => json(res, 400, { name: ["Target with this name already exists."] });
    const err = (await client()
      .createTarget({ name: "X", ra: 1, dec: 2 })
      .catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.detail).toBe("name: Target with this name already exists.");
    expect(err.message).toBe(
      `name: Target with this name already exists. (HTTP 400 from POST ${base}/targets/createTarget/)`,
    );
    expect(err.body).toEqual({ name: ["Target with this name already exists."] });
    expect(seen).toHaveLength(1);
  });

  it("no answer within the timeout is a ConnectionError, retried for reads", async () => {
    seen.length = 0;
    handler = () => {}; // never answers
    const t0 = Date.now();
    const err = await client({ timeoutMs: 150, retries: 1 })
      .listTargets()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).reason).toBe("no answer within 0.15 s");
    expect(seen).toHaveLength(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it("a refused connection is a ConnectionError naming ECONNREFUSED, after the retries", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const attempts: number[] = [];
    const c = createClient({
      server: `http://127.0.0.1:${port}`,
      backoffMs: 1,
      retries: 2,
      onRetry: (i) => attempts.push(i.attempt),
    });
    const err = await c.listTargets().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).reason).toBe("ECONNREFUSED");
    expect(attempts).toEqual([1, 2]);
  });

  it("upload streams one multipart request with the fields and the file, reporting bytes sent", async () => {
    seen.length = 0;
    let contentLength = "";
    handler = (req, res) => {
      contentLength = String(req.headers["content-length"]);
      json(res, 201, { message: "1 file(s) uploaded", data: [{ id: 5, status: "S", points: 3 }] });
    };
    const file = join(dir, 'lc "1".csv');
    const content = Buffer.alloc(700_000, "0123456789\n");
    writeFileSync(file, content);
    const progress: number[] = [];
    const answer = await client().upload(
      {
        target: "T1",
        data_product_type: "photometry_csv",
        observatory: "Scope",
        observers: ["a", "b"],
        dry_run: true,
      },
      file,
      (sent, total) => {
        expect(total).toBe(content.length);
        progress.push(sent);
      },
    );
    expect(answer.data[0]).toMatchObject({ id: 5, status: "S" });
    const body = seen[0].body;
    expect(Number(contentLength)).toBe(body.length);
    const text = body.toString("latin1");
    for (const [k, v] of [
      ["target", "T1"],
      ["data_product_type", "photometry_csv"],
      ["observatory", "Scope"],
      ["observers", "a,b"],
      ["dry_run", "True"],
    ])
      expect(text).toContain(`Content-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
    expect(text).toContain('name="files"; filename="lc %221%22.csv"');
    expect(body.includes(content)).toBe(true);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(content.length);
    expect(progress.length).toBeGreaterThan(2); // 256 KiB chunks
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it("a refused upload is an ApiError with the detail; a 503 upload is not retried", async () => {
    const file = join(dir, "x.csv");
    writeFileSync(file, "time,filter,magnitude,error\n60000,V,15,0.1\n");
    seen.length = 0;
    handler = (_req, res) => json(res, 409, { detail: "x.csv: already uploaded for T1" });
    const refused = (await client()
      .upload({ target: "T1", data_product_type: "photometry_csv" }, file)
      .catch((e: unknown) => e)) as ApiError;
    expect(refused).toMatchObject({
      status: 409,
      detail: "x.csv: already uploaded for T1",
      url: `${base}/upload/`,
    });
    handler = flaky(5, {});
    const failed = await client()
      .upload({ target: "T1", data_product_type: "photometry_csv" }, file)
      .catch((e: unknown) => e);
    expect(failed).toMatchObject({ status: 503 });
    expect(seen).toHaveLength(2);
  });
});
