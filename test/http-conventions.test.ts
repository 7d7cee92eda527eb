/** BHTOM request conventions: bodies, errors, trailing slashes, 404/405, limits — on a real socket too. */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { pyRequest } from "./helpers/python-requests.ts";

describe("HTTP conventions", () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp("pglite", { bodyLimitBytes: 1024 * 1024 });
    token = (await t.user("obs")).token;
  });
  afterAll(async () => t.close());

  const post = (payload: string | Buffer, contentType = "application/json", url = "/api/token-auth/") =>
    t.app.inject({ method: "POST", url, headers: { "content-type": contentType }, payload });

  it("malformed JSON → 400 JSON parse error", async () => {
    const res = await post('{"username": "a",}');
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/^JSON parse error - /);
  });

  it("a JSON array or string body → 400 expected a dictionary", async () => {
    for (const [payload, got] of [
      ["[1, 2]", "list"],
      ['"text"', "str"],
    ]) {
      const res = await post(payload);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        non_field_errors: [`Invalid data. Expected a dictionary, but got ${got}.`],
      });
    }
  });

  it("invalid UTF-8 → 400 with a clear message", async () => {
    const res = await post(Buffer.from([0x7b, 0x22, 0x75, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/not valid UTF-8/);
    const form = await post(Buffer.from([0x75, 0x3d, 0xff]), "application/x-www-form-urlencoded");
    expect(form.statusCode).toBe(400);
  });

  it("a 10 MB body → 413 JSON, and the server keeps serving", async () => {
    const res = await post(JSON.stringify({ username: "x".repeat(10 * 1024 * 1024), password: "y" }));
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ detail: "Request body is too large." });
    expect((await t.call("GET", "/api/health/")).statusCode).toBe(200);
  });

  it("an empty body is {} (fields then required), with or without a content type", async () => {
    for (const res of [await post(""), await t.app.inject({ method: "POST", url: "/api/token-auth/" })]) {
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        username: ["This field is required."],
        password: ["This field is required."],
      });
    }
  });

  it("form bodies: a repeated key gives its last value, as DRF", async () => {
    const res = await post(
      "username=nobody&username=obs&password=obs-password",
      "application/x-www-form-urlencoded",
    );
    expect(res.statusCode).toBe(200);
  });

  describe("a body without Content-Type (python requests' data=json.dumps(body)), on a real socket", () => {
    beforeAll(async () => {
      await t.app.listen({ host: "127.0.0.1", port: 0 });
    });
    const auth = () => ({ Authorization: `Token ${token}` });

    it("is read as JSON when it is JSON: token-auth, createTarget, getTargetList, deleteTarget", async () => {
      const login = await pyRequest(t.app, {
        method: "POST",
        path: "/api/token-auth/",
        data: JSON.stringify({ username: "obs", password: "obs-password" }),
      });
      expect(login.status, login.text).toBe(200);
      expect(login.json()).toEqual({ token: expect.stringMatching(/^[0-9a-f]{40}$/) });
      const created = await pyRequest(t.app, {
        method: "POST",
        path: "/targets/createTarget/",
        headers: auth(),
        data: JSON.stringify({ name: "Untyped1", ra: 12.5, dec: -3.25 }),
      });
      expect(created.status, created.text).toBe(201);
      const list = await pyRequest(t.app, {
        method: "POST",
        path: "/targets/getTargetList/",
        headers: auth(),
        data: JSON.stringify({ name: "Untyped1" }),
      });
      expect(list.status).toBe(200);
      expect((list.json() as { count: number }).count).toBe(1);
      const gone = await pyRequest(t.app, {
        method: "DELETE",
        path: "/targets/deleteTarget/",
        headers: auth(),
        data: JSON.stringify({ name: "Untyped1" }),
      });
      expect(gone.status, gone.text).toBe(200);
      expect(gone.json()).toEqual({ status: "deleted" });
    });

    it("malformed JSON is the usual 400; a form-encoded body is read as a form; anything else is a 415", async () => {
      const bad = await pyRequest(t.app, {
        method: "POST",
        path: "/api/token-auth/",
        data: '{"username": "obs",}',
      });
      expect(bad.status).toBe(400);
      expect((bad.json() as { detail: string }).detail).toMatch(/^JSON parse error - /);
      const form = await pyRequest(t.app, {
        method: "POST",
        path: "/api/token-auth/",
        data: "username=obs&password=obs-password",
      });
      expect(form.status, form.text).toBe(200);
      const other = await pyRequest(t.app, { method: "POST", path: "/api/token-auth/", data: "hello there" });
      expect(other.status).toBe(415);
      expect(other.json()).toEqual({ detail: expect.stringMatching(/no Content-Type/) });
    });
  });

  it("an unsupported content type → 415 JSON", async () => {
    const res = await post("hello", "text/plain");
    expect(res.statusCode).toBe(415);
    expect(res.json()).toHaveProperty("detail");
  });

  it("paths answer with and without the trailing slash, for POST too (no 301)", async () => {
    const a = await t.call("POST", "/api/token-auth", { username: "obs", password: "obs-password" });
    const b = await t.call("POST", "/api/token-auth/", { username: "obs", password: "obs-password" });
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
  });

  it("unknown route → 404 JSON; wrong method → 405 JSON", async () => {
    const nf = await t.call("POST", "/no/such/route/", {}, token);
    expect(nf.statusCode).toBe(404);
    expect(nf.json()).toEqual({ detail: "Not found." });
    const na = await t.call("PUT", "/api/users/", {}, token);
    expect(na.statusCode).toBe(405);
    expect(na.json()).toEqual({ detail: 'Method "PUT" not allowed.' });
  });

  it("every response carries a Correlation-ID; a valid one sent by the client is echoed", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: "/api/health/",
      headers: { "correlation-id": "0123456789abcdef0123456789abcdef" },
    });
    expect(res.headers["correlation-id"]).toBe("0123456789abcdef0123456789abcdef");
    const other = await t.call("GET", "/api/health/");
    expect(other.headers["correlation-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("health answers the engine and version", async () => {
    const res = await t.call("GET", "/api/health/");
    expect(res.json()).toEqual({ status: "ok", database: "pglite", version: expect.any(String) });
  });

  it("OpenAPI 3.1 is served and documents the token-auth route; the docs page renders", async () => {
    const spec = (await t.call("GET", "/api/openapi.json")).json();
    expect(spec.openapi).toBe("3.1.0");
    expect(spec.paths["/api/token-auth/"].post).toBeDefined();
    expect(spec.paths["/common/api/users/"].post.description).toMatch(/Differs from BHTOM2/);
    const docs = await t.app.inject({ method: "GET", url: "/api/docs/" });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers["content-type"]).toMatch(/text\/html/);
  });
});

describe("errors from route code", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("pglite");
    const plugin: FastifyPluginAsyncTypebox = async (app) => {
      app.post(
        "/test/boom/",
        {
          config: { auth: "none" },
          schema: { body: Type.Object({ n: Type.Integer({ minimum: 0, maximum: 10 }) }) },
        },
        async () => {
          throw new Error("secret internal detail");
        },
      );
    };
    // A fresh app with one extra route: build a new one with the plugin registered before ready.
    await t.app.close();
    const { buildApp } = await import("../src/app.ts");
    t.app = await buildApp({
      database: t.tdb.database,
      dataDir: t.tdb.dataDir,
      logger: false,
      plugins: [plugin],
    });
  });
  afterAll(async () => t.close());

  it("an unexpected exception → 500 JSON without the message or a stack", async () => {
    const res = await t.call("POST", "/test/boom/", { n: 1 });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ detail: "Internal server error", request_id: expect.any(String) });
    expect(res.body).not.toMatch(/secret|at .*\.ts/);
  });

  it("schema violations → 400 field dict with DRF wording", async () => {
    const res = await t.call("POST", "/test/boom/", { n: 11 });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ n: ["Ensure this value is less than or equal to 10."] });
    const typed = await t.call("POST", "/test/boom/", { n: "x" });
    expect(typed.json()).toEqual({ n: ["A valid integer is required."] });
  });
});
