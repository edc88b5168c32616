/**
 * exp, ln, cos and sin for values written into generated model files, from +, −, ×, ÷ only.
 *
 * Why: the embedded models are checked against a committed sha256 manifest (see int-prng.ts).
 * IEEE-754 makes the four basic operations correctly rounded on every machine, but promises nothing
 * for Math.exp, Math.log, Math.cos or Math.sin, whose last bits may differ between JS engines and
 * versions. These series agree with Math's to about 1e-15 relative, far below float32 rounding, and
 * give the same bits everywhere. Runtime code (the backends) uses Math: only file bytes need this.
 */

/** 2π split Cody–Waite style: 2π ≈ TWO_PI_HI + TWO_PI_LO to well beyond double precision. */
const TWO_PI_HI = 2 * Math.PI; // Math.PI and Math.LN2 are the doubles nearest π and ln 2, by the spec
const TWO_PI_LO = 2.4492935982947064e-16;

/** Σ terms of a power series until they stop changing the sum. */
function series(first: number, next: (term: number, n: number) => number): number {
  let sum = first;
  let term = first;
  for (let n = 1; n < 100; n++) {
    term = next(term, n);
    if (sum + term === sum) break;
    sum += term;
  }
  return sum;
}

/** e^x: Taylor series of e^(x/2^k) with |x/2^k| ≤ 0.5, then squared k times. */
export function portableExp(x: number): number {
  let k = 0;
  let r = x;
  while (Math.abs(r) > 0.5) {
    r /= 2; // exact
    k++;
  }
  let y = series(1, (term, n) => (term * r) / n);
  for (let i = 0; i < k; i++) y *= y;
  return y;
}

/** ln x for x > 0: x = m · 2^e with m in [1, 2), ln m = 2·atanh((m − 1)/(m + 1)). */
export function portableLn(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`portableLn needs a finite x > 0, got ${x}`);
  let m = x;
  let e = 0;
  while (m >= 2) {
    m /= 2; // exact
    e++;
  }
  while (m < 1) {
    m *= 2; // exact
    e--;
  }
  const s = (m - 1) / (m + 1); // in [0, 1/3)
  const s2 = s * s;
  // atanh(s) = s + s³/3 + s⁵/5 + …, summed as Σ s^(2n+1)/(2n+1).
  let power = s;
  const atanh = series(s, (_term, n) => {
    power *= s2;
    return power / (2 * n + 1);
  });
  return e * Math.LN2 + 2 * atanh;
}

/** [cos x, sin x]: x reduced to [−π, π] by whole turns, then Taylor series. */
export function portableCosSin(x: number): [cos: number, sin: number] {
  const turns = Math.round(x / TWO_PI_HI); // rounding is exact and portable
  const r = x - turns * TWO_PI_HI - turns * TWO_PI_LO;
  const r2 = r * r;
  const cos = series(1, (term, n) => (-term * r2) / ((2 * n - 1) * (2 * n)));
  const sin = series(r, (term, n) => (-term * r2) / (2 * n * (2 * n + 1)));
  return [cos, sin];
}
