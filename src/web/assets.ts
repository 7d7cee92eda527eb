/**
 * Static files of the web UI, served by our own server (no CDN, no external requests): our CSS/JS from
 * src/web/assets/ and the htmx and plotly bundles from node_modules. Read once at start; URLs carry a
 * content hash (`asset("app.css")` → `/static/app.css?v=1a2b3c4d`), so answers are cached for a year.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { FastifyInstance } from "fastify";

const require = createRequire(import.meta.url);
export const ASSETS_DIR = fileURLToPath(new URL("./assets/", import.meta.url));

/** Files from packages, under the name they are served as. */
const VENDOR: Record<string, string> = {
  "htmx.min.js": "htmx.org/dist/htmx.min.js",
  "plotly.min.js": "plotly.js-basic-dist-min/plotly-basic.min.js",
};

const TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  version: string;
}

function load(file: string): Asset {
  const body = readFileSync(file);
  const type = TYPES[extname(file)] ?? "application/octet-stream";
  const compressible = type.startsWith("text/") || type === "image/svg+xml";
  return {
    body,
    gzip: compressible && body.length > 1024 ? gzipSync(body, { level: 9 }) : null,
    type,
    version: createHash("sha256").update(body).digest("hex").slice(0, 10),
  };
}

export function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const f of readdirSync(ASSETS_DIR)) assets.set(f, load(join(ASSETS_DIR, f)));
  for (const [name, spec] of Object.entries(VENDOR)) assets.set(name, load(require.resolve(spec)));
  return assets;
}

/** `asset(name)`: the versioned URL of a static file (throws for an unknown name: a typo fails loudly). */
export function assetUrls(assets: Map<string, Asset>): (name: string) => string {
  return (name) => {
    const a = assets.get(name);
    if (!a) throw new Error(`unknown static asset ${name}`);
    return `/static/${name}?v=${a.version}`;
  };
}

/** GET /static/<name>: long-cached, gzip when the browser accepts it. */
export function staticRoutes(app: FastifyInstance, assets: Map<string, Asset>): void {
  app.get<{ Params: { name: string } }>("/static/:name", async (request, reply) => {
    const a = assets.get(request.params.name);
    if (!a) return reply.code(404).type("text/plain; charset=utf-8").send("Not found.");
    reply
      .type(a.type)
      .header("Cache-Control", "public, max-age=31536000, immutable")
      .header("X-Content-Type-Options", "nosniff")
      .header("Vary", "Accept-Encoding");
    const acceptsGzip = /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
    if (a.gzip && acceptsGzip) return reply.header("Content-Encoding", "gzip").send(a.gzip);
    return reply.send(a.body);
  });
}
