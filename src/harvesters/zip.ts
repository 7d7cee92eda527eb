/**
 * The files of a ZIP archive (PKWARE APPNOTE 6.3: end of central directory record, central directory
 * headers, local file headers; methods 0 stored and 8 deflated; no ZIP64, no encryption). The Gaia
 * archive's DataLink service may answer a request for products as a ZIP of one file per product and
 * source (`EPOCH_PHOTOMETRY-Gaia DR3 <source_id>.csv`), as astroquery's `Gaia.load_data` unpacks it.
 * Each file's CRC-32 is checked; a file larger than `maxBytes` unpacked is refused.
 */
import { crc32, inflateRawSync } from "node:zlib";

export interface ZipEntry {
  name: string;
  data: Buffer;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** True when the bytes start like a ZIP archive (a local file header). */
export const isZip = (bytes: Buffer) => bytes.length >= 4 && bytes.readUInt32LE(0) === LOCAL;

/** The archive's files (directories left out); an Error saying what is wrong when it is not readable. */
export function readZip(bytes: Buffer, maxBytes = 64 * 1024 ** 2): ZipEntry[] {
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (bytes.readUInt32LE(i) === EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error("the ZIP archive has no end record (truncated?)");
  const count = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== CENTRAL)
      throw new Error("the ZIP archive's central directory is damaged");
    const method = bytes.readUInt16LE(at + 10);
    const crc = bytes.readUInt32LE(at + 16);
    const packed = bytes.readUInt32LE(at + 20);
    const size = bytes.readUInt32LE(at + 24);
    const nameLength = bytes.readUInt16LE(at + 28);
    const skip = nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    const local = bytes.readUInt32LE(at + 42);
    const name = bytes.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    at += 46 + skip;
    if (name.endsWith("/")) continue;
    if (size > maxBytes) throw new Error(`${name} in the ZIP archive is larger than ${maxBytes} bytes`);
    if (local + 30 > bytes.length || bytes.readUInt32LE(local) !== LOCAL)
      throw new Error(`${name}: the ZIP archive's local header is damaged`);
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const raw = bytes.subarray(start, start + packed);
    if (raw.length !== packed) throw new Error(`${name}: the ZIP archive is truncated`);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw, { maxOutputLength: maxBytes });
    else throw new Error(`${name}: ZIP compression method ${method} is not supported`);
    if (data.length !== size || crc32(data) !== crc)
      throw new Error(`${name}: the ZIP archive is corrupt (size or CRC-32 differs)`);
    entries.push({ name, data });
  }
  return entries;
}
