/**
 * A browser-like client for `inject` tests of web pages: keeps cookies (session, CSRF secret, flash),
 * reads the CSRF token from the last HTML page, and posts forms as application/x-www-form-urlencoded.
 */
import type { FastifyInstance, LightMyRequestResponse } from "fastify";

export class WebClient {
  readonly cookies = new Map<string, string>();
  /** The CSRF token of the last HTML page received. */
  csrf = "";

  constructor(private readonly app: FastifyInstance) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private remember(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = c.maxAge === 0 || (c.expires !== undefined && c.expires.getTime() < Date.now());
      if (expired || c.value === "") this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (token) this.csrf = token[1];
    return res;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.remember(
      await this.app.inject({
        method: "GET",
        url,
        headers: { accept: "text/html", cookie: this.cookieHeader(), ...headers },
      }),
    );
  }

  /** POST a form; the current CSRF token is added unless `_csrf` is given (use "" to send none). */
  async post(
    url: string,
    form: Record<string, string> = {},
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const fields = { _csrf: this.csrf, ...form };
    if (fields._csrf === "") delete (fields as Record<string, string>)._csrf;
    return this.remember(
      await this.app.inject({
        method: "POST",
        url,
        headers: {
          accept: "text/html",
          "content-type": "application/x-www-form-urlencoded",
          cookie: this.cookieHeader(),
          ...headers,
        },
        payload: new URLSearchParams(fields).toString(),
      }),
    );
  }

  /** Open the login page and log in; returns the POST's response (303 on success). */
  async login(username: string, password: string, next?: string): Promise<LightMyRequestResponse> {
    await this.get("/accounts/login/");
    return this.post("/accounts/login/", { username, password, ...(next ? { next } : {}) });
  }
}

/** The text of an HTML page without tags and with collapsed whitespace (for `toContain`). */
export function pageText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, " ")
    .trim();
}
