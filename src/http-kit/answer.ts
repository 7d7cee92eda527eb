/**
 * An answer with a body shape of its own, thrown from anywhere a request is served (API routes, web
 * pages, the shared request readers in src/http-kit): BHTOM's odd shapes (`{"Error ": …}`, a bare string),
 * or a status that no domain error stands for (413 from the multipart readers). The API's error handler
 * sends it as it is (src/http/errors.ts).
 */
export class HttpAnswer extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: unknown,
  ) {
    super(typeof body === "string" ? body : JSON.stringify(body));
  }
}
