/** A ZIP archive of the given files, stored or deflated (fflate), for replay servers. */
import { zipSync } from "fflate";

export function makeZip(files: { name: string; content: string | Buffer }[], deflate = true): Buffer {
  const entries = Object.fromEntries(
    files.map((f) => [
      f.name,
      new Uint8Array(Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content, "utf8")),
    ]),
  );
  return Buffer.from(zipSync(entries, { level: deflate ? 6 : 0 }));
}
