/** Which files `skytom upload` sends, and as which data product type (guessed from the extension). */
import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { DATA_PRODUCT_TYPES, type DataProductType } from "../../vocabulary.ts";
import { UsageError } from "../output.ts";

/** Extension → type. `.gz` and `.fz` are compressed FITS; `.cat`/`.txt`/`.dat` instrumental catalogues. */
const BY_EXTENSION: [RegExp, DataProductType][] = [
  [/\.(fits|fit|fts)(\.gz|\.fz)?$/i, "fits_file"],
  [/\.(fz|gz)$/i, "fits_file"],
  [/\.csv$/i, "photometry_csv"],
  [/\.(cat|txt|dat)$/i, "photometry"],
];

/** The type a file name suggests, or null. */
export function guessType(file: string): DataProductType | null {
  const name = basename(file);
  for (const [re, type] of BY_EXTENSION) if (re.test(name)) return type;
  return null;
}

export interface PlannedFile {
  path: string;
  /** Display name (the base name). */
  name: string;
  type: DataProductType;
  /** True when the type came from the extension. */
  guessed: boolean;
  sizeBytes: number;
}

export function isDataProductType(t: string): t is DataProductType {
  return (DATA_PRODUCT_TYPES as readonly string[]).includes(t);
}

/**
 * Expand the arguments: files as given, directories to their files (not recursive, sorted by name, hidden
 * files skipped, only names with a known extension). Each file gets `type`, or its guessed type.
 */
export function planFiles(args: string[], type: DataProductType | undefined): PlannedFile[] {
  const paths: string[] = [];
  for (const arg of args) {
    let st;
    try {
      st = statSync(arg);
    } catch {
      throw new UsageError(`${arg}: no such file or directory`);
    }
    if (st.isDirectory()) {
      const names = readdirSync(arg)
        .filter((n) => !n.startsWith(".") && guessType(n) !== null)
        .sort();
      const files = names.map((n) => join(arg, n)).filter((p) => statSync(p).isFile());
      if (files.length === 0)
        throw new UsageError(`${arg}: no .fits/.fz/.gz/.csv/.cat/.txt/.dat files in this directory`);
      paths.push(...files);
    } else if (st.isFile()) {
      paths.push(arg);
    } else {
      throw new UsageError(`${arg}: not a file or directory`);
    }
  }
  const seen = new Set<string>();
  const out: PlannedFile[] = [];
  for (const path of paths) {
    if (seen.has(path)) continue;
    seen.add(path);
    const guess = guessType(path);
    const t = type ?? guess;
    if (!t)
      throw new UsageError(`${path}: cannot tell the data product type from the extension; give --type`);
    out.push({ path, name: basename(path), type: t, guessed: !type, sizeBytes: statSync(path).size });
  }
  return out;
}

/** "photometry_csv (guessed from the extension) for 20 files" — what the command tells the user it chose. */
export function describeTypes(files: PlannedFile[]): string {
  const counts = new Map<string, number>();
  for (const f of files) counts.set(f.type, (counts.get(f.type) ?? 0) + 1);
  const list = [...counts].map(([t, n]) => `${t} × ${n}`).join(", ");
  return files.some((f) => f.guessed) ? `${list} (type guessed from the extension; --type to choose)` : list;
}
