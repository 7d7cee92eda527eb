/**
 * Inputs the HTTP fuzz run found in CI that answered 500; each must be a 400 JSON now (src/http/errors.ts
 * `malformedInput`), with nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, type TestUser } from "../helpers/app.ts";
import { ENGINES } from "../helpers/db.ts";

describe.each(ENGINES)("HTTP fuzz regressions on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    t = await createTestApp(engine);
    alice = await t.user("alice");
  });
  afterAll(() => t?.close());

  const raw = (url: string, contentType: string, payload: string | Buffer) =>
    t.app.inject({
      method: "POST",
      url,
      headers: { authorization: `Token ${alice.token}`, "content-type": contentType },
      payload,
    });

  it("an id far outside int4 (seed 698592214): 400, not PostgreSQL's 22003 as a 500", async () => {
    const res = await t.call(
      "DELETE",
      "/common/api/deleteDataProduct/",
      { id: -1.1578951580354173e288 },
      alice.token,
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().detail ?? res.json()).toBeTruthy();
  });

  it("a multipart body without its boundary (seed -1389413426): 400", async () => {
    const res = await raw(
      "/api/target-groups/",
      "multipart/form-data",
      Buffer.from([191, 221, 239, 93, 106, 116, 251]),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/multipart|boundary/i);
  });

  it("a multipart body cut short (seed 155604235): 400, no observatory created", async () => {
    const boundary = "----skytomfuzz";
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nke\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="example_file"; filename="a.fits"\r\n` +
      "Content-Type: application/octet-stream\r\n\r\nSIMPLE  =";
    const res = await raw(
      "/observatory/createObservatory/",
      `multipart/form-data; boundary=${boundary}`,
      body,
    );
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    const list = await t.call("POST", "/observatory/getObservatoryList/", {}, alice.token);
    expect(list.json().count).toBe(0);
  });
});
