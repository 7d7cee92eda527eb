/**
 * Password hashing with scrypt (RFC 7914) from node:crypto. The stored string carries its parameters,
 * `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`, so they can be raised later without breaking old hashes.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

const LOG2_N = 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize("NFKC"),
      salt,
      KEY_LENGTH,
      { ...opts, maxmem: 256 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N: 2 ** LOG2_N, r: R, p: P });
  return ["scrypt", LOG2_N, R, P, salt.toString("base64"), key.toString("base64")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [log2n, r, p] = parts.slice(1, 4).map(Number);
  if (!(log2n >= 10 && log2n <= 20 && r >= 1 && r <= 32 && p >= 1 && p <= 16)) return false;
  const salt = Buffer.from(parts[4], "base64");
  const expected = Buffer.from(parts[5], "base64");
  const key = await derive(password, salt, { N: 2 ** log2n, r, p });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash no password matches (for accounts created without a usable password). */
export const UNUSABLE_PASSWORD = "!";

/**
 * A hash with today's parameters whose password nobody knows (random, thrown away): checked instead when
 * there is no user of that name or the user has no usable password, so that such a login costs the same
 * scrypt as a wrong password and its timing does not tell which usernames exist.
 */
export const DECOY_HASH =
  "scrypt$15$8$1$pPihdRdULgM3LSr4NcAQtw==$wkGa2REbok1//cWxQBgNmIZKxF2W8yYscqKvEBZBuQc=";
