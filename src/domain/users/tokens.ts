/**
 * API tokens in BHTOM's format: 40 lowercase hex characters (DRF `Token`), shown once to the user and
 * stored only as their SHA-256, so a leaked database does not leak working tokens.
 */
import { createHash, randomBytes } from "node:crypto";

export const TOKEN_PATTERN = /^[0-9a-f]{40}$/;

export function generateToken(): string {
  return randomBytes(20).toString("hex");
}

export function hashToken(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}
