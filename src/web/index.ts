/**
 * The web UI: server-rendered pages (Eta templates through @fastify/view, htmx, plotly islands) at
 * BHTOM's web addresses. Everything registered inside `webRoutes` is a web route: session login
 * instead of API tokens, CSRF-checked forms, HTML error pages, no entry in the OpenAPI document.
 * How to add a page: src/web/README.md.
 */
import cookie from "@fastify/cookie";
import csrf from "@fastify/csrf-protection";
import view from "@fastify/view";
import { Eta } from "eta";
import type { FastifyPluginAsync } from "fastify";
import { fileURLToPath } from "node:url";
import { sessionUser } from "../domain/users/sessions.ts";
import { assetUrls, loadAssets, staticRoutes } from "./assets.ts";
import type { WebOptions } from "./context.ts";
import { installWebErrors } from "./errors.ts";
import { fmt } from "./format.ts";
import { accountsPages } from "./pages/accounts.ts";
import { dataproductPages } from "./pages/dataproducts.ts";
import { adminPages } from "./pages/admin.ts";
import { homePage } from "./pages/home.ts";
import { observatoryPages } from "./pages/observatories.ts";
import { planningPages } from "./pages/planning.ts";
import { profilePages } from "./pages/profile.ts";
import { targetEditPages } from "./pages/targets-edit.ts";
import { targetPages } from "./pages/targets.ts";
import { uploadPages } from "./pages/upload.ts";
import { SESSION_COOKIE } from "./session.ts";

export type { WebOptions } from "./context.ts";

export const TEMPLATES_DIR = fileURLToPath(new URL("./templates/", import.meta.url));

/** Page plugins, registered in this order inside the web context. Add yours here. */
const PAGES: FastifyPluginAsync<WebOptions>[] = [
  homePage,
  accountsPages,
  profilePages,
  targetEditPages,
  targetPages,
  observatoryPages,
  planningPages,
  adminPages,
  uploadPages,
  dataproductPages,
];

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * No request leaves for another site: scripts, styles, images, fonts and connections only from this
 * server. Inline styles are allowed (plotly and htmx set them); inline scripts are not.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const webRoutes: FastifyPluginAsync<WebOptions> = async (app, opts) => {
  const db = opts.database.db;

  // Every route of this context is a web route: no API token auth, no OpenAPI entry.
  app.addHook("onRoute", (route) => {
    route.config = { ...route.config, auth: "none", web: true };
    route.schema = { ...route.schema, hide: true };
  });

  const assets = loadAssets();
  await app.register(cookie);
  await app.register(csrf, {
    cookieKey: "skytom_csrf",
    cookieOpts: { path: "/", sameSite: "lax", httpOnly: true, secure: "auto" },
  });
  await app.register(view, {
    engine: { eta: new Eta() },
    templates: TEMPLATES_DIR,
    production: true,
    defaultContext: { asset: assetUrls(assets), fmt },
    options: { async: false },
  });

  app.decorateRequest("webUser", null);
  app.decorateRequest("webSessionId", null);
  app.decorateRequest("webFlashes", null as never); // an array per request, set in onRequest
  app.addHook("onRequest", async (request, reply) => {
    request.webFlashes = [];
    if (request.routeOptions.url?.startsWith("/static/")) return;
    const sid = request.cookies[SESSION_COOKIE];
    if (!sid) return;
    const user = await sessionUser(db, sid);
    if (user) {
      request.webUser = user;
      request.webSessionId = sid;
    } else {
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
    }
  });
  // CSRF: every state-changing web request carries the token (form field `_csrf` or the
  // `X-CSRF-Token` header that htmx sends from <body hx-headers>); a missing or bad one is a 403 page.
  app.addHook("preHandler", (request, reply, done) => {
    if (SAFE_METHODS.has(request.method)) return done();
    app.csrfProtection(request, reply, done);
  });
  app.addHook("onSend", async (request, reply) => {
    if (request.routeOptions.url?.startsWith("/static/")) return;
    reply.header("Content-Security-Policy", CSP);
    reply.header("X-Content-Type-Options", "nosniff");
    reply.header("Referrer-Policy", "same-origin");
  });

  installWebErrors(app);
  staticRoutes(app, assets);
  for (const page of [...PAGES, ...(opts.extraPages ?? [])]) await app.register(page, opts);
};
