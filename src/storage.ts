/**
 * Files under the data directory. Every stored path is relative to it; these functions refuse any path
 * that would leave it, and make file names safe to store.
 */
import { randomBytes } from "node:crypto";
import { rm, rmdir } from "node:fs/promises";
import { basename, isAbsolute, join, normalize, resolve, sep } from "node:path";

/** Absolute path of a stored file; throws if the relative path escapes the data directory. */
export function storedPath(dataDir: string, relative: string): string {
  if (isAbsolute(relative)) throw new Error(`stored path must be relative: ${relative}`);
  const root = resolve(dataDir);
  const full = resolve(root, normalize(relative));
  if (full !== root && !full.startsWith(root + sep))
    throw new Error(`stored path leaves the data directory: ${relative}`);
  return full;
}

/**
 * A safe file name from a user-supplied one: the last path component only, no control characters,
 * only letters, digits, `.`, `-`, `_`, `+`; no leading dots; at most 120 characters (keeping the extension).
 */
export function sanitizeFileName(name: string, fallback = "file"): string {
  const base = basename(name.replace(/\\/g, "/"));
  let clean = base
    .normalize("NFKD")
    .replace(/[^\w.+-]+/g, "_")
    .replace(/^[._]+/, "")
    .replace(/_+/g, "_");
  if (clean.length > 120) {
    const dot = clean.lastIndexOf(".");
    const ext = dot > 0 && clean.length - dot <= 12 ? clean.slice(dot) : "";
    clean = clean.slice(0, 120 - ext.length) + ext;
  }
  return clean || fallback;
}

/** A unique relative path in `folder` for a user-supplied file name: `<folder>/<random>_<safe name>`. */
export function uniqueStoredName(folder: string, originalName: string): string {
  return join(folder, `${randomBytes(4).toString("hex")}_${sanitizeFileName(originalName)}`);
}

/**
 * Remove stored files (missing ones are fine), then the folders they leave empty (a deleted target's
 * `targets/<name>/…`), up to but not including the top-level folders of the data directory (`targets`,
 * `plots`, …). Returns how many paths were given.
 */
export async function removeStoredFiles(dataDir: string, relativePaths: string[]): Promise<number> {
  await Promise.all(relativePaths.map((p) => rm(storedPath(dataDir, p), { force: true })));
  const folders = new Set<string>();
  for (const p of relativePaths) {
    const parts = normalize(p).split(sep).slice(0, -1);
    for (let depth = parts.length; depth >= 2; depth--) folders.add(parts.slice(0, depth).join(sep));
  }
  // Deepest first; rmdir refuses a folder that still holds anything, which ends that branch.
  for (const folder of [...folders].sort((a, b) => b.split(sep).length - a.split(sep).length)) {
    await rmdir(storedPath(dataDir, folder)).catch(() => undefined);
  }
  return relativePaths.length;
}
