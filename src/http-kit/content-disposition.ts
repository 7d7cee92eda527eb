/**
 * The attachment header of every file download (the API's CSVs and photometry files, the web pages'
 * downloads), written as Django writes it.
 */

/** Python's urllib.parse.quote (UTF-8, safe "/"), as Django writes `filename*=`. */
function pythonQuote(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~/-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * Django's attachment header: `filename="…"` (backslash and quote escaped) for printable ASCII names,
 * else RFC 5987 `filename*=utf-8''…` (percent-encoded UTF-8). Control characters never reach the header.
 */
export function contentDisposition(fileName: string): string {
  if (/^[\x20-\x7e]*$/.test(fileName)) {
    return `attachment; filename="${fileName.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  }
  return `attachment; filename*=utf-8''${pythonQuote(fileName)}`;
}
