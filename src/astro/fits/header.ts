/**
 * FITS header cards: parsing and writing of 80-character keyword records.
 *
 * References (FITS Standard 4.0, 2018): §3.2–3.3 (2880-byte blocks), §4.1 (keyword records: name in
 * columns 1–8, value indicator `= ` in 9–10, value and ` / comment` from column 11), §4.2 (value
 * types: character string §4.2.1 with the `CONTINUE` long-string convention §4.2.1.2, logical §4.2.2,
 * integer §4.2.3, real with E or D exponent §4.2.4, complex §4.2.5–6 – read but not interpreted),
 * §4.4.2.4 (COMMENT, HISTORY and blank commentary keywords), §4.4.1 (END). Keywords longer than eight
 * characters use the ESO `HIERARCH` convention.
 */
import { Buffer } from "node:buffer";
import { FitsError } from "./errors.ts";

/** Size of a FITS logical record (bytes), §3.1. */
export const FITS_BLOCK = 2880;
/** Length of one header card (characters), §4.1.1. */
export const CARD_LENGTH = 80;

/** A keyword value; `null` = commentary card or undefined value (§4.1.2.3: blank value field). */
export type FitsValue = string | number | boolean | null;

/** One logical keyword record (a long string spread over CONTINUE cards is one card here). */
export interface FitsCard {
  /** Keyword, upper case, trimmed ("" for a blank commentary card). */
  key: string;
  value: FitsValue;
  /** Inline comment after `/`, or the whole text of a commentary card. */
  comment: string;
  /** The value exactly as written, e.g. an integer beyond 2^53 or `1.0D+03`; reused when rewriting. */
  valueText?: string;
  /** True for cards without a value indicator (COMMENT, HISTORY, blank, other keywords). */
  commentary?: boolean;
}

const COMMENTARY_KEYS = new Set(["COMMENT", "HISTORY", ""]);
const KEY_RE = /^[A-Z0-9_-]{0,8}$/;
const INT_RE = /^[+-]?\d+$/;
const REAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[EeDd][+-]?\d+)?$/;

/** Parse the value text of a non-string value (§4.2.2–4.2.4); complex values are kept as text only. */
function parseScalar(text: string): FitsValue {
  if (text === "") return null;
  if (text === "T") return true;
  if (text === "F") return false;
  if (INT_RE.test(text) || REAL_RE.test(text)) return Number(text.replace(/[Dd]/, "E"));
  return null;
}

/** Parse a quoted string starting at `s[start] === "'"` (§4.2.1.1); returns the string and the index after it. */
function parseQuoted(s: string, start: number): { value: string; next: number } {
  let out = "";
  let i = start + 1;
  while (i < s.length) {
    const c = s[i];
    if (c === "'") {
      if (s[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      return { value: out.replace(/ +$/, ""), next: i + 1 };
    }
    out += c;
    i++;
  }
  return { value: out.replace(/ +$/, ""), next: i }; // unterminated: lenient, take the rest
}

/** Split a value field into value and comment (§4.1.2.3). */
function parseValueField(field: string): Pick<FitsCard, "value" | "comment" | "valueText"> {
  const lead = field.length - field.trimStart().length;
  if (field[lead] === "'") {
    const { value, next } = parseQuoted(field, lead);
    const slash = field.indexOf("/", next);
    return { value, comment: slash < 0 ? "" : field.slice(slash + 1).trim() };
  }
  const slash = field.indexOf("/");
  const text = (slash < 0 ? field : field.slice(0, slash)).trim();
  const comment = slash < 0 ? "" : field.slice(slash + 1).trim();
  return { value: parseScalar(text), comment, ...(text === "" ? {} : { valueText: text }) };
}

/** Parse one 80-character card image (shorter strings are padded). CONTINUE cards are returned as-is. */
export function parseCard(image: string): FitsCard {
  const card = image.padEnd(CARD_LENGTH, " ");
  const key = card.slice(0, 8).trimEnd().toUpperCase();
  if (key === "HIERARCH") {
    const eq = card.indexOf("=", 8);
    if (eq > 0)
      return { key: card.slice(9, eq).trim().toUpperCase(), ...parseValueField(card.slice(eq + 1)) };
  }
  if (card[8] === "=" && !COMMENTARY_KEYS.has(key)) {
    return { key, ...parseValueField(card.slice(10 - (card[9] === " " ? 0 : 1))) };
  }
  if (key === "CONTINUE") return { key, ...parseValueField(card.slice(8)), commentary: true };
  return { key, value: null, comment: card.slice(8).trimEnd(), commentary: true };
}

/**
 * Merge OGIP long-string continuations (§4.2.1.2): a string value ending in `&` followed by
 * `CONTINUE  'more'` cards is one value. CONTINUE cards that follow nothing continuable stay commentary.
 */
export function mergeContinuations(cards: readonly FitsCard[]): FitsCard[] {
  const out: FitsCard[] = [];
  for (const card of cards) {
    const prev = out[out.length - 1];
    if (
      card.key === "CONTINUE" &&
      typeof card.value === "string" &&
      prev !== undefined &&
      !prev.commentary &&
      typeof prev.value === "string" &&
      prev.value.endsWith("&")
    ) {
      prev.value = prev.value.slice(0, -1) + card.value;
      if (card.comment) prev.comment = prev.comment ? `${prev.comment} ${card.comment}` : card.comment;
      continue;
    }
    if (card.key === "CONTINUE")
      out.push({ key: card.key, value: null, comment: card.comment, commentary: true });
    else out.push({ ...card });
  }
  return out;
}

/** An ordered FITS header. Lookups are case-insensitive; for duplicated keywords the last card wins. */
export class FitsHeader {
  readonly cards: FitsCard[];

  constructor(cards: Iterable<FitsCard> = []) {
    this.cards = [...cards].map((c) => ({ ...c }));
  }

  /** Build from a plain record (in insertion order); `null` values become undefined-value cards. */
  static fromRecord(record: Readonly<Record<string, FitsValue>>): FitsHeader {
    const h = new FitsHeader();
    for (const [k, v] of Object.entries(record)) h.set(k, v);
    return h;
  }

  /** The last value card for `key` (commentary cards are not returned). */
  getCard(key: string): FitsCard | undefined {
    const k = key.toUpperCase();
    for (let i = this.cards.length - 1; i >= 0; i--) {
      const c = this.cards[i];
      if (c.key === k && !c.commentary) return c;
    }
    return undefined;
  }

  has(key: string): boolean {
    return this.getCard(key) !== undefined;
  }

  /** Value of `key`: string, number, boolean, `null` for an undefined value, `undefined` when absent. */
  get(key: string): FitsValue | undefined {
    return this.getCard(key)?.value;
  }

  /** Numeric value of `key`; `undefined` when absent or not a number (strings are not converted). */
  getNumber(key: string): number | undefined {
    const v = this.get(key);
    return typeof v === "number" ? v : undefined;
  }

  getString(key: string): string | undefined {
    const v = this.get(key);
    return typeof v === "string" ? v : undefined;
  }

  getBoolean(key: string): boolean | undefined {
    const v = this.get(key);
    return typeof v === "boolean" ? v : undefined;
  }

  /** The value as written in the file (e.g. to read integers beyond 2^53 exactly with `BigInt`). */
  getValueText(key: string): string | undefined {
    return this.getCard(key)?.valueText;
  }

  /**
   * Set `key`: replaces the value (and the comment, when given) of its last card in place, or appends.
   * Throws `FitsError("UNSUPPORTED")` for keywords that cannot be written.
   */
  set(key: string, value: FitsValue, comment?: string): this {
    const k = checkKey(key);
    const card = this.getCard(k);
    if (card) {
      card.value = value;
      delete card.valueText;
      if (comment !== undefined) card.comment = comment;
    } else {
      this.cards.push({ key: k, value, comment: comment ?? "" });
    }
    return this;
  }

  /** Append a commentary card (COMMENT, HISTORY or blank keyword), §4.4.2.4. */
  addCommentary(key: "COMMENT" | "HISTORY" | "", text: string): this {
    this.cards.push({ key, value: null, comment: text, commentary: true });
    return this;
  }

  /** Remove every value card for `key`; returns how many were removed. */
  delete(key: string): number {
    const k = key.toUpperCase();
    const before = this.cards.length;
    const keep = this.cards.filter((c) => c.key !== k || c.commentary);
    this.cards.splice(0, this.cards.length, ...keep);
    return before - keep.length;
  }

  /** Texts of HISTORY cards, in order. */
  history(): string[] {
    return this.cards.filter((c) => c.commentary && c.key === "HISTORY").map((c) => c.comment);
  }

  /** Texts of COMMENT cards, in order. */
  comments(): string[] {
    return this.cards.filter((c) => c.commentary && c.key === "COMMENT").map((c) => c.comment);
  }

  /** Value cards as a record (last duplicate wins); commentary cards are left out. */
  toRecord(): Record<string, FitsValue> {
    const out: Record<string, FitsValue> = {};
    for (const c of this.cards) if (!c.commentary) out[c.key] = c.value;
    return out;
  }

  clone(): FitsHeader {
    return new FitsHeader(this.cards);
  }
}

function checkKey(key: string): string {
  const k = key.toUpperCase();
  if (KEY_RE.test(k) || (/^[A-Z0-9_ -]+$/.test(k) && k.length <= 60 && k.trim() === k)) return k;
  throw new FitsError("UNSUPPORTED", `keyword '${key}' cannot be written (§4.1.2.1: A–Z 0–9 - _)`);
}

// ---------------------------------------------------------------------------------------------- writing

/** Format a number as a FITS integer (§4.2.3) or real (§4.2.4) value. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) {
    throw new FitsError(
      "UNSUPPORTED",
      `cannot write ${x} as a header value (§4.2.4 allows finite reals only)`,
    );
  }
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return String(x);
  const s = String(x).toUpperCase();
  const [mant, exp] = s.split("E");
  const m = mant.includes(".") ? mant : `${mant}.0`;
  return exp === undefined ? m : `${m}E${exp}`;
}

function valueText(card: FitsCard): string {
  const v = card.value;
  if (v === null) return "";
  if (typeof v === "boolean") return (v ? "T" : "F").padStart(20);
  if (typeof v === "number") {
    const t = card.valueText;
    const keep = t !== undefined && parseScalar(t) === v;
    return (keep ? t : formatNumber(v)).padStart(20);
  }
  return `'${v.replace(/'/g, "''").padEnd(8)}'`;
}

function ascii(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "?");
}

/** Split `text` into pieces whose quote-escaped length is at most `max`, never inside a `''` pair. */
function splitEscaped(text: string, max: number): string[] {
  const pieces: string[] = [];
  let cur = "";
  for (const ch of text) {
    const esc = ch === "'" ? "''" : ch;
    if (cur.length + esc.length > max) {
      pieces.push(cur);
      cur = "";
    }
    cur += esc;
  }
  pieces.push(cur);
  return pieces;
}

function withComment(head: string, comment: string): string {
  if (!comment) return head.padEnd(CARD_LENGTH);
  return `${head} / ${ascii(comment)}`.slice(0, CARD_LENGTH).padEnd(CARD_LENGTH);
}

/**
 * Format one card as one or more 80-character card images: long strings use CONTINUE (§4.2.1.2),
 * long commentary text is split over several cards, keywords over 8 characters use HIERARCH.
 */
export function formatCard(card: FitsCard): string[] {
  const key = checkKey(card.key);
  if (card.commentary || COMMENTARY_KEYS.has(key)) {
    const text = ascii(card.comment);
    const out: string[] = [];
    for (let i = 0; i === 0 || i < text.length; i += 72) out.push(`${key.padEnd(8)}${text.slice(i, i + 72)}`);
    return out.map((s) => s.padEnd(CARD_LENGTH));
  }
  if (typeof card.value === "string" && /[^\x20-\x7e]/.test(card.value)) {
    throw new FitsError("UNSUPPORTED", `value of ${key} has characters outside ASCII 32–126 (§4.2.1)`);
  }
  const prefix = key.length > 8 ? `HIERARCH ${key} = ` : `${key.padEnd(8)}= `;
  const single = valueText(card);
  if (typeof card.value !== "string" || prefix.length + single.length <= CARD_LENGTH) {
    return [withComment(prefix + single, card.comment)];
  }
  const pieces = splitEscaped(card.value, 67 - (prefix.length - 10));
  const last = pieces.length - 1;
  if (card.comment && 10 + pieces[last].length + 2 + 3 + card.comment.length > CARD_LENGTH) pieces.push("");
  return pieces.map((p, i) => {
    const head = i === 0 ? prefix : "CONTINUE  ";
    const quoted = i < pieces.length - 1 ? `'${p}&'` : `'${p}'`;
    return i < pieces.length - 1
      ? (head + quoted).padEnd(CARD_LENGTH)
      : withComment(head + quoted, card.comment);
  });
}

/** Serialise a header with END, padded with spaces to a multiple of 2880 bytes (§4.4.1). */
export function formatHeader(header: FitsHeader): Uint8Array {
  const lines: string[] = [];
  for (const c of header.cards) if (c.key !== "END") lines.push(...formatCard(c));
  lines.push("END".padEnd(CARD_LENGTH));
  const text = lines.join("");
  const size = Math.ceil(text.length / FITS_BLOCK) * FITS_BLOCK;
  return new Uint8Array(Buffer.from(text.padEnd(size, " "), "latin1"));
}

// ---------------------------------------------------------------------------------------------- reading

export interface ParsedHeader {
  header: FitsHeader;
  /** Byte offset just past the header's last 2880-byte block (start of the data unit). */
  dataOffset: number;
}

/**
 * Parse header blocks starting at `offset` until the END card (§4.4.1). `firstKey` is the keyword the
 * first card must have (SIMPLE for a primary HDU, XTENSION for an extension). Fails with NOT_FITS when
 * the first card is wrong or no END appears within `maxBlocks` blocks, TRUNCATED when the bytes end first.
 */
export function parseHeaderBlocks(
  bytes: Uint8Array,
  offset: number,
  firstKey: "SIMPLE" | "XTENSION",
  maxBlocks = 1000,
): ParsedHeader {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = buf.toString("latin1", offset, Math.min(offset + 8, buf.length)).trimEnd();
  if (first !== firstKey || buf[offset + 8] !== 0x3d) {
    throw new FitsError(
      "NOT_FITS",
      `not a FITS ${firstKey === "SIMPLE" ? "file" : "extension"}: the header at byte ${offset} does not start with '${firstKey}='`,
    );
  }
  const raw: FitsCard[] = [];
  for (let pos = offset; ; pos += CARD_LENGTH) {
    if ((pos - offset) / FITS_BLOCK >= maxBlocks) {
      throw new FitsError(
        "NOT_FITS",
        `no END card within ${maxBlocks} header blocks starting at byte ${offset}`,
      );
    }
    if (pos + CARD_LENGTH > buf.length) {
      throw new FitsError(
        "TRUNCATED",
        `truncated header: the file ends at byte ${buf.length} before the END card of the header starting at byte ${offset}`,
      );
    }
    const image = buf.toString("latin1", pos, pos + CARD_LENGTH);
    if (image.startsWith("END") && image.slice(3, 8).trim() === "") {
      const blocks = Math.ceil((pos + CARD_LENGTH - offset) / FITS_BLOCK);
      return { header: new FitsHeader(mergeContinuations(raw)), dataOffset: offset + blocks * FITS_BLOCK };
    }
    raw.push(parseCard(image));
  }
}
