/** Building multipart/form-data bodies for inject tests. */
import { expect } from "vitest";
export interface FilePart {
  field?: string;
  name: string;
  content: string | Buffer;
}

/** A multipart/form-data body as `requests` sends it (fields first, then files). */
export function multipart(fields: Record<string, string | string[]>, files: FilePart[]) {
  const boundary = `----skytom${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    for (const value of Array.isArray(v) ? v : [v]) {
      chunks.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${value}\r\n`),
      );
    }
  }
  for (const f of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${f.field ?? "files"}"; filename="${f.name}"\r\n` +
          "Content-Type: application/octet-stream\r\n\r\n",
      ),
      Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content),
      Buffer.from("\r\n"),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The part of a test app that uploads: its Fastify instance (inject). */
interface Injecting {
  inject(opts: {
    method: "POST";
    url: string;
    headers: Record<string, string>;
    payload: Buffer;
  }): PromiseLike<{ statusCode: number; body: string; json(): unknown }>;
}

/**
 * `POST /upload/` of `files` with form `fields` as the user of `token`, as BHTOM's clients send it; expects
 * 201 (the answer's body is the failure message) and returns the first data product's id.
 */
export async function uploadProduct(
  app: Injecting,
  token: string,
  fields: Record<string, string | string[]>,
  files: FilePart[],
): Promise<number> {
  const { payload, contentType } = multipart(fields, files);
  const res = await app.inject({
    method: "POST",
    url: "/upload/",
    headers: { "content-type": contentType, authorization: `Token ${token}` },
    payload,
  });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { data: { id: number }[] }).data[0].id;
}
