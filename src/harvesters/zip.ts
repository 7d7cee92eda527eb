/**
 * The files of a ZIP archive, unpacked by fflate. The Gaia archive's DataLink service may answer a request
 * for products as a ZIP of one file per product and source (`EPOCH_PHOTOMETRY-Gaia DR3 <source_id>.csv`),
 * as astroquery's `Gaia.load_data` unpacks it. fflate does not check the stored CRC-32, so it is checked
 * here; a file larger than `maxBytes` unpacked is refused before it is inflated.
 */
import { unzipSync } from "fflate";
import { crc32 } from "node:zlib";

export interface ZipEntry {
  name: string;
  data: Buffer;
}

/** True when the bytes start like a ZIP archive (a local file header, "PK\3\4"). */
export const isZip = (bytes: Buffer) => bytes.length >= 4 && bytes.readUInt32LE(0) === 0x04034b50;

/** Offsets of each file's expected CRC-32 by name, from the central directory fflate also reads. */
function expectedCrcs(bytes: Buffer): Map<string, number> {
  const crcs = new Map<string, number>();
  for (let end = bytes.length - 22; end >= Math.max(0, bytes.length - 22 - 0xffff); end--) {
    if (bytes.readUInt32LE(end) !== 0x06054b50) continue;
    let at = bytes.readUInt32LE(end + 16);
    for (let k = bytes.readUInt16LE(end + 10); k > 0 && at + 46 <= bytes.length; k--) {
      const nameLength = bytes.readUInt16LE(at + 28);
      crcs.set(bytes.subarray(at + 46, at + 46 + nameLength).toString("utf8"), bytes.readUInt32LE(at + 16));
      at += 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    }
    break;
  }
  return crcs;
}

/** The archive's files (directories left out); an Error saying what is wrong when it is not readable. */
export function readZip(bytes: Buffer, maxBytes = 64 * 1024 ** 2): ZipEntry[] {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (f.originalSize > maxBytes)
          throw new Error(`${f.name} in the ZIP archive is larger than ${maxBytes} bytes`);
        return !f.name.endsWith("/");
      },
    });
  } catch (err) {
    throw new Error(`the ZIP archive is corrupt: ${(err as Error).message}`);
  }
  const crcs = expectedCrcs(bytes);
  return Object.entries(files).map(([name, data]) => {
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (crcs.get(name) !== crc32(buf))
      throw new Error(`${name}: the ZIP archive is corrupt (CRC-32 differs)`);
    return { name, data: buf };
  });
}
