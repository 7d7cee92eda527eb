/**
 * Triangle patterns for blind matching (Groth 1986; Valdes et al. 1995).
 *
 * A triangle with sides a ≥ b ≥ c has the invariants r1 = b/a, r2 = c/a, unchanged by translation, rotation,
 * scale and reflection. Vertices are labelled by the side opposite them (v0 opposite a, v1 opposite b,
 * v2 opposite c), which fixes the correspondence between two matching triangles; `orient` is the sign of the
 * oriented area of (v0, v1, v2), so a reflection shows up as opposite signs.
 */

export interface TriangleSet {
  count: number;
  r1: number[];
  r2: number[];
  /** Longest side (same units as the positions). */
  a: number[];
  orient: number[];
  /** Point indices, 3 per triangle: opposite a, opposite b, opposite c. */
  v: number[];
}

/** Minimum separation of consecutive sorted sides, as a fraction of a (unambiguous labelling). */
const MIN_SIDE_GAP = 0.02;

/**
 * All triangles i < j < k of the listed points (in list order, so the triangles of the first points come
 * first: the loop runs over the largest list position outermost). Triangles whose shortest side is below
 * `minSide` or whose side ordering is ambiguous are skipped.
 */
export function buildTriangles(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  list: readonly number[],
  minSide: number,
): TriangleSet {
  const out: TriangleSet = { count: 0, r1: [], r2: [], a: [], orient: [], v: [] };
  const n = list.length;
  for (let kk = 2; kk < n; kk++) {
    for (let jj = 1; jj < kk; jj++) {
      for (let ii = 0; ii < jj; ii++) {
        const p = [list[ii], list[jj], list[kk]];
        // side opposite vertex t
        const d = [0, 0, 0];
        for (let t = 0; t < 3; t++) {
          const u = p[(t + 1) % 3];
          const w = p[(t + 2) % 3];
          d[t] = Math.hypot(xs[u] - xs[w], ys[u] - ys[w]);
        }
        const ord = [0, 1, 2].sort((s, t) => d[t] - d[s]);
        const a = d[ord[0]];
        const b = d[ord[1]];
        const c = d[ord[2]];
        if (!(c >= minSide)) continue;
        if ((a - b) / a < MIN_SIDE_GAP || (b - c) / a < MIN_SIDE_GAP) continue;
        const v0 = p[ord[0]];
        const v1 = p[ord[1]];
        const v2 = p[ord[2]];
        const cross = (xs[v1] - xs[v0]) * (ys[v2] - ys[v0]) - (ys[v1] - ys[v0]) * (xs[v2] - xs[v0]);
        out.r1.push(b / a);
        out.r2.push(c / a);
        out.a.push(a);
        out.orient.push(cross > 0 ? 1 : -1);
        out.v.push(v0, v1, v2);
        out.count++;
      }
    }
  }
  return out;
}

/** Triangles hashed on a 2-D grid over (r1, r2) with cell size `tol`; duplicates (same vertices) dropped. */
export class TriangleGrid implements TriangleSet {
  count = 0;
  r1: number[] = [];
  r2: number[] = [];
  a: number[] = [];
  orient: number[] = [];
  v: number[] = [];
  private readonly cells = new Map<number, number[]>();
  constructor(readonly tol: number) {}

  get size(): number {
    return this.count;
  }

  private key(c1: number, c2: number): number {
    return c1 * 100_003 + c2;
  }

  /** Adds a set; `seen` holds vertex-triple keys already present (points numbered below `nPoints`). */
  addSet(tris: TriangleSet, seen: Set<number>, nPoints: number): void {
    for (let t = 0; t < tris.count; t++) {
      const tri = [tris.v[3 * t], tris.v[3 * t + 1], tris.v[3 * t + 2]].sort((x, y) => x - y);
      const id = (tri[0] * nPoints + tri[1]) * nPoints + tri[2];
      if (seen.has(id)) continue;
      seen.add(id);
      const u = this.count++;
      this.r1.push(tris.r1[t]);
      this.r2.push(tris.r2[t]);
      this.a.push(tris.a[t]);
      this.orient.push(tris.orient[t]);
      this.v.push(tris.v[3 * t], tris.v[3 * t + 1], tris.v[3 * t + 2]);
      const k = this.key(Math.floor(tris.r1[t] / this.tol), Math.floor(tris.r2[t] / this.tol));
      const b = this.cells.get(k);
      if (b) b.push(u);
      else this.cells.set(k, [u]);
    }
  }

  /** Candidates within one cell of (r1, r2) — callers check the exact tolerance. */
  *query(r1: number, r2: number): Generator<number> {
    const c1 = Math.floor(r1 / this.tol);
    const c2 = Math.floor(r2 / this.tol);
    for (let a = -1; a <= 1; a++) {
      for (let b = -1; b <= 1; b++) {
        const list = this.cells.get(this.key(c1 + a, c2 + b));
        if (list) yield* list;
      }
    }
  }
}
