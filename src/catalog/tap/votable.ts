/**
 * A TAP answer as a VOTable (IVOA VOTable 1.4, the TAP 1.1 default): the first TABLE's FIELDs, and its
 * rows in any of the three serialisations services write —
 *   TABLEDATA  <TR><TD>…</TD></TR> text (Gaia `votable_plain`, VizieR `votable/td`);
 *   BINARY     a base64 STREAM of rows, each field in big-endian binary (VizieR's `votable` default);
 *   BINARY2    the same, each row led by a null mask of ⌈fields/8⌉ bytes, most significant bit first
 *              (Gaia's `votable`).
 * Binary fields (VOTable 1.4 §5.2–5.5): boolean, unsignedByte and char 1 byte; short, unicodeChar 2;
 * int, float 4; long, double, floatComplex 8; doubleComplex 16; a fixed `arraysize` multiplies, a variable
 * one (`*`, `n*`) is led by a 4-byte item count; bit arrays take ⌈n/8⌉ bytes.
 * Nulls: a BINARY2 null bit; an empty TD; NaN floats; an integer equal to the FIELD's `<VALUES null="…">`.
 * 64-bit integers are kept as text (Gaia `source_id` exceeds 2⁵³).
 *
 * Status (TAP 1.1 §4.9): `<INFO name="QUERY_STATUS" value="ERROR">message</INFO>` is the service's refusal
 * (thrown as TapQueryError with its message); `OVERFLOW` marks a result cut at MAXREC. A document that is
 * not well-formed (cut off in transit), a STREAM that ends inside a row, or a row with a wrong number of
 * TDs is refused with a TapFormatError.
 */
import { SaxesParser } from "saxes";
import { TapFormatError, TapQueryError, type TapCell, type TapTable } from "./table.ts";

interface Field {
  name: string;
  datatype: string;
  arraysize: string | undefined;
  /** `<VALUES null="…">` of the field, as text. */
  nullText: string | undefined;
}

const SIZES: Record<string, number> = {
  boolean: 1,
  unsignedByte: 1,
  char: 1,
  short: 2,
  unicodeChar: 2,
  int: 4,
  float: 4,
  long: 8,
  double: 8,
  floatComplex: 8,
  doubleComplex: 16,
};

const localName = (name: string) => name.slice(name.indexOf(":") + 1);

/** A TD's text as a cell of the field's type (see the file comment). */
function textCell(f: Field, raw: string): TapCell {
  const text = raw.trim();
  if (f.datatype === "char" || f.datatype === "unicodeChar") return raw === "" ? null : raw;
  if (text === "" || (f.nullText !== undefined && text === f.nullText)) return null;
  if (f.arraysize !== undefined && f.arraysize !== "1") return text; // arrays: kept as text
  switch (f.datatype) {
    case "long":
      return text;
    case "boolean":
      return /^(t|true|1)$/i.test(text) ? 1 : /^(f|false|0)$/i.test(text) ? 0 : null;
    default: {
      const v = Number(text);
      return Number.isNaN(v) ? (/^nan$/i.test(text) ? null : text) : v;
    }
  }
}

/** Number of items of a field (a variable count is read from the stream by the caller). */
function fixedCount(arraysize: string | undefined): number | "variable" {
  if (arraysize === undefined || arraysize === "") return 1;
  if (arraysize.endsWith("*")) return "variable";
  return arraysize.split("x").reduce((p, d) => p * Number(d), 1);
}

class BinaryRows {
  private off = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly fields: Field[],
    private readonly withNullMask: boolean,
  ) {}

  private need(bytes: number, row: number): void {
    if (this.off + bytes > this.buf.length) {
      throw new TapFormatError(
        `the VOTable ${this.withNullMask ? "BINARY2" : "BINARY"} stream is truncated inside row ${row}`,
      );
    }
  }

  read(): TapCell[][] {
    const rows: TapCell[][] = [];
    const maskBytes = this.withNullMask ? Math.ceil(this.fields.length / 8) : 0;
    while (this.off < this.buf.length) {
      const rowNo = rows.length + 1;
      this.need(maskBytes, rowNo);
      const mask = this.buf.subarray(this.off, this.off + maskBytes);
      this.off += maskBytes;
      rows.push(
        this.fields.map((f, k) => {
          const value = this.field(f, rowNo);
          return maskBytes > 0 && (mask[k >> 3] & (0x80 >> (k & 7))) !== 0 ? null : value;
        }),
      );
    }
    return rows;
  }

  private field(f: Field, row: number): TapCell {
    const size = SIZES[f.datatype];
    if (size === undefined && f.datatype !== "bit") {
      throw new TapFormatError(`the VOTable field "${f.name}" has an unknown datatype "${f.datatype}"`);
    }
    let count = fixedCount(f.arraysize);
    if (count === "variable") {
      this.need(4, row);
      count = this.buf.readUInt32BE(this.off);
      this.off += 4;
    }
    const bytes = f.datatype === "bit" ? Math.ceil(count / 8) : count * size;
    this.need(bytes, row);
    const at = this.off;
    this.off += bytes;
    const b = this.buf;
    if (f.datatype === "char") {
      const text = b.toString("latin1", at, at + bytes).replace(/\0.*$/s, "");
      return text === "" ? null : text;
    }
    if (f.datatype === "unicodeChar") {
      const chars: string[] = [];
      for (let i = 0; i < count; i++) chars.push(String.fromCharCode(b.readUInt16BE(at + 2 * i)));
      const text = chars.join("").replace(/\0.*$/s, "");
      return text === "" ? null : text;
    }
    if (count !== 1 || f.datatype === "bit" || f.datatype.endsWith("Complex")) return null; // not needed
    let v: number | string;
    switch (f.datatype) {
      case "boolean": {
        const c = String.fromCharCode(b[at]);
        return /[Tt1]/.test(c) ? 1 : /[Ff0]/.test(c) ? 0 : null;
      }
      case "unsignedByte":
        v = b.readUInt8(at);
        break;
      case "short":
        v = b.readInt16BE(at);
        break;
      case "int":
        v = b.readInt32BE(at);
        break;
      case "long":
        v = b.readBigInt64BE(at).toString();
        break;
      case "float":
        v = b.readFloatBE(at);
        break;
      default:
        v = b.readDoubleBE(at);
    }
    if (typeof v === "number" && Number.isNaN(v)) return null;
    if (f.nullText !== undefined && String(v) === f.nullText.trim()) return null;
    return v;
  }
}

export function parseVotable(xml: string): TapTable {
  const parser = new SaxesParser({ xmlns: false });
  const fields: Field[] = [];
  const rows: TapCell[][] = [];
  let tables = 0; // TABLE elements opened; only the first is read
  let inFirstTable = false;
  let row: TapCell[] | null = null;
  let text: string[] | null = null; // collecting text of a TD, STREAM or status INFO
  let encoding: "BINARY" | "BINARY2" | null = null;
  let status: string | null = null;
  let statusMessage = "";
  let inStatus = false;
  let closed = false;
  let lastField: Field | null = null;

  parser.on("opentag", (tag) => {
    const name = localName(tag.name);
    const a = tag.attributes as Record<string, string>;
    switch (name) {
      case "TABLE":
        tables++;
        inFirstTable = tables === 1;
        break;
      case "FIELD":
        if (inFirstTable) {
          lastField = {
            name: a.name ?? a.ID ?? "",
            datatype: a.datatype ?? "char",
            arraysize: a.arraysize,
            nullText: undefined,
          };
          fields.push(lastField);
        }
        break;
      case "VALUES":
        if (inFirstTable && lastField && a.null !== undefined) lastField.nullText = a.null;
        break;
      case "INFO":
        if (a.name === "QUERY_STATUS") {
          status = (a.value ?? "").toUpperCase();
          statusMessage = "";
          inStatus = true;
          text = [];
        }
        break;
      case "TR":
        if (inFirstTable) row = [];
        break;
      case "TD":
        if (row) text = [];
        break;
      case "BINARY":
      case "BINARY2":
        if (inFirstTable) encoding = name;
        break;
      case "STREAM":
        if (inFirstTable && encoding) {
          if (a.href)
            throw new TapFormatError("the VOTable answer points to its data elsewhere (STREAM href)");
          if ((a.encoding ?? "") !== "base64") {
            throw new TapFormatError(
              `the VOTable STREAM encoding "${a.encoding ?? "none"}" is not supported`,
            );
          }
          text = [];
        }
        break;
    }
  });
  const collect = (t: string) => {
    if (text) text.push(t);
  };
  parser.on("text", collect);
  parser.on("cdata", collect);
  parser.on("closetag", (tag) => {
    const name = localName(tag.name);
    switch (name) {
      case "TABLE":
        inFirstTable = false;
        break;
      case "FIELD":
        lastField = null;
        break;
      case "INFO":
        if (inStatus) {
          statusMessage = (text ?? []).join("").trim();
          inStatus = false;
          text = null;
          if (status === "ERROR") {
            const attr = (tag.attributes as Record<string, string>).value;
            throw new TapQueryError(
              statusMessage || attr || "the service reported an error without a message",
            );
          }
        }
        break;
      case "TD":
        if (row && text) {
          const f = fields[row.length];
          if (!f)
            throw new TapFormatError(`VOTable row ${rows.length + 1} has more TDs than the table has FIELDs`);
          row.push(textCell(f, text.join("")));
        }
        text = null;
        break;
      case "TR":
        if (row) {
          if (row.length !== fields.length) {
            throw new TapFormatError(
              `VOTable row ${rows.length + 1} has ${row.length} TDs, the table ${fields.length} FIELDs`,
            );
          }
          rows.push(row);
        }
        row = null;
        break;
      case "STREAM":
        if (inFirstTable && encoding && text) {
          const buf = Buffer.from(text.join(""), "base64");
          rows.push(...new BinaryRows(buf, fields, encoding === "BINARY2").read());
        }
        text = null;
        break;
      case "VOTABLE":
        closed = true;
        break;
    }
  });
  try {
    parser.write(xml).close();
  } catch (err) {
    if (err instanceof TapFormatError || err instanceof TapQueryError) throw err;
    throw new TapFormatError(
      `the VOTable answer is not well-formed XML (${(err as Error).message}); cut off in transit?`,
    );
  }
  if (!closed) throw new TapFormatError("the VOTable answer ends before </VOTABLE>: cut off in transit?");
  if (tables === 0) throw new TapFormatError("the VOTable answer has no TABLE");
  return { columns: fields.map((f) => f.name), rows, overflow: status === "OVERFLOW" };
}
