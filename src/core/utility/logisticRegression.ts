/**
 * L2-regularised logistic regression fitted to convergence with L-BFGS, float64: the
 * linear classifier of the cross-task utility protocol.
 *
 * Reference: scikit-learn 1.2 sklearn.linear_model.LogisticRegression with its defaults
 * (penalty='l2', C=1.0, fit_intercept=True, solver='lbfgs', multi_class='auto'):
 * - two classes: one weight vector, minimise C sum_i log(1 + exp(-s_i (w.x_i + b))) + ||w||^2 / 2
 *   (s_i = +-1; the intercept is not penalised);
 * - more classes: multinomial, minimise C sum_i -log softmax(W x_i + b)_{y_i} + ||W||_F^2 / 2.
 * The objective is strictly convex in the weights, so any solver that converges finds
 * sklearn's weights; tested against sklearn (tests/fixtures/utility/make_reference.py).
 * The multinomial intercepts are only defined up to a common shift (as in sklearn);
 * probabilities and predictions are not affected.
 *
 * Solver: L-BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., algorithm 7.4,
 * memory 10) with a backtracking Armijo line search, on the objective divided by C n.
 * Deterministic: zero start, no randomness. Features are used as given; callers
 * standardise them first (as a StandardScaler + LogisticRegression pipeline would).
 */

export interface LogisticRegressionOptions {
  /** Inverse regularisation strength (sklearn's C). Default 1. */
  C?: number;
  /** Iteration limit. Default 1000. */
  maxIter?: number;
  /** Stop when the largest absolute gradient entry of the scaled objective is below this. Default 1e-9. */
  gtol?: number;
}

export interface LogisticRegressionModel {
  classes: number;
  dim: number;
  /** Two classes: dim weights of class 1; more: dim x classes row-major. */
  coef: Float64Array;
  /** Two classes: one intercept; more: one per class. */
  intercept: Float64Array;
  iterations: number;
  converged: boolean;
  predictProba(x: ArrayLike<number>, n: number): Float64Array;
  predict(x: ArrayLike<number>, n: number): Int32Array;
}

type Objective = (theta: Float64Array, grad: Float64Array) => number;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Minimise a smooth convex function with L-BFGS; returns the iterate and iteration count. */
function lbfgs(f: Objective, theta0: Float64Array, maxIter: number, gtol: number): { theta: Float64Array; iterations: number; converged: boolean } {
  const p = theta0.length;
  const m = 10;
  let x = Float64Array.from(theta0);
  let g = new Float64Array(p);
  let fx = f(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const maxAbs = (v: Float64Array) => v.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
  let it = 0;
  const xNew = new Float64Array(p);
  let gNew = new Float64Array(p);
  while (it < maxIter) {
    if (maxAbs(g) < gtol) return { theta: x, iterations: it, converged: true };
    // two-loop recursion: d = -H g
    const q = Float64Array.from(g);
    const alpha = new Array<number>(S.length);
    for (let i = S.length - 1; i >= 0; i--) {
      alpha[i] = rho[i] * dot(S[i], q);
      for (let j = 0; j < p; j++) q[j] -= alpha[i] * Y[i][j];
    }
    const k = S.length - 1;
    const gamma = k >= 0 ? dot(S[k], Y[k]) / dot(Y[k], Y[k]) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let j = 0; j < p; j++) q[j] *= gamma;
    for (let i = 0; i < S.length; i++) {
      const beta = rho[i] * dot(Y[i], q);
      for (let j = 0; j < p; j++) q[j] += (alpha[i] - beta) * S[i][j];
    }
    const d = q.map((v) => -v);
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // not a descent direction (numerical trouble): restart from steepest descent
      S.length = Y.length = rho.length = 0;
      for (let j = 0; j < p; j++) d[j] = -g[j] / Math.max(1, Math.sqrt(dot(g, g)));
      slope = dot(g, d);
    }
    let step = 1;
    let fNew = Infinity;
    for (let ls = 0; ls < 60; ls++) {
      for (let j = 0; j < p; j++) xNew[j] = x[j] + step * d[j];
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew <= fx + 1e-4 * step * slope)) return { theta: x, iterations: it, converged: maxAbs(g) < Math.sqrt(gtol) };
    it++;
    const s = new Float64Array(p);
    const y = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      s[j] = xNew[j] - x[j];
      y[j] = gNew[j] - g[j];
    }
    const sy = dot(s, y);
    if (sy > 1e-300) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
      if (S.length > m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    const fOld = fx;
    x = Float64Array.from(xNew);
    const tmp = g;
    g = gNew;
    gNew = tmp;
    fx = fNew;
    if (Math.abs(fOld - fx) <= 1e-16 * Math.max(1, Math.abs(fx)) && maxAbs(g) < Math.sqrt(gtol)) return { theta: x, iterations: it, converged: true };
  }
  return { theta: x, iterations: it, converged: maxAbs(g) < gtol };
}

export function fitLogisticRegression(
  x: ArrayLike<number>,
  n: number,
  dim: number,
  y: ArrayLike<number>,
  classes: number,
  opts: LogisticRegressionOptions = {},
): LogisticRegressionModel {
  const C = opts.C ?? 1;
  const maxIter = opts.maxIter ?? 1000;
  const gtol = opts.gtol ?? 1e-9;
  if (!(C > 0)) throw new RangeError(`C must be > 0, got ${C}`);
  if (x.length !== n * dim) throw new RangeError(`features have ${x.length} values, expected ${n} x ${dim}`);
  if (y.length !== n || n < 1) throw new RangeError(`${y.length} labels for ${n} rows`);
  if (classes < 2) throw new RangeError('logistic regression needs at least 2 classes');
  for (let i = 0; i < n; i++) if (!(y[i] >= 0 && y[i] < classes && Number.isInteger(y[i]))) throw new RangeError(`label ${y[i]} outside 0..${classes - 1}`);
  const reg = 1 / (C * n); // objective divided by C n: mean loss + ||w||^2 / (2 C n)
  const binary = classes === 2;
  const K = binary ? 1 : classes;
  const nW = dim * K;
  const logits = new Float64Array(classes);

  const f: Objective = (theta, grad) => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const o = i * dim;
      if (binary) {
        let z = theta[nW];
        for (let j = 0; j < dim; j++) z += theta[j] * x[o + j];
        const t = y[i] === 1 ? 1 : 0;
        // log(1 + exp(z)) - t z, stably
        loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - t * z;
        const pr = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
        const r = (pr - t) / n;
        for (let j = 0; j < dim; j++) grad[j] += r * x[o + j];
        grad[nW] += r;
      } else {
        for (let c = 0; c < K; c++) logits[c] = theta[nW + c];
        for (let j = 0; j < dim; j++) {
          const v = x[o + j];
          if (v === 0) continue;
          for (let c = 0; c < K; c++) logits[c] += v * theta[j * K + c];
        }
        let max = -Infinity;
        for (let c = 0; c < K; c++) if (logits[c] > max) max = logits[c];
        let sum = 0;
        for (let c = 0; c < K; c++) sum += Math.exp(logits[c] - max);
        const lse = max + Math.log(sum);
        loss += lse - logits[y[i]];
        for (let c = 0; c < K; c++) {
          const r = (Math.exp(logits[c] - lse) - (c === y[i] ? 1 : 0)) / n;
          logits[c] = r;
          grad[nW + c] += r;
        }
        for (let j = 0; j < dim; j++) {
          const v = x[o + j];
          if (v === 0) continue;
          for (let c = 0; c < K; c++) grad[j * K + c] += v * logits[c];
        }
      }
    }
    loss /= n;
    let pen = 0;
    for (let j = 0; j < nW; j++) {
      pen += theta[j] * theta[j];
      grad[j] += reg * theta[j];
    }
    return loss + 0.5 * reg * pen;
  };

  const { theta, iterations, converged } = lbfgs(f, new Float64Array(nW + K), maxIter, gtol);
  const coef = theta.slice(0, nW);
  const intercept = theta.slice(nW);

  const predictProba = (xs: ArrayLike<number>, m: number): Float64Array => {
    if (xs.length !== m * dim) throw new RangeError(`expected ${m} x ${dim} features, got ${xs.length} values`);
    const out = new Float64Array(m * classes);
    const lg = new Float64Array(K);
    for (let i = 0; i < m; i++) {
      const o = i * dim;
      for (let c = 0; c < K; c++) lg[c] = intercept[c];
      for (let j = 0; j < dim; j++) for (let c = 0; c < K; c++) lg[c] += xs[o + j] * coef[j * K + c];
      if (binary) {
        const z = lg[0];
        const p1 = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
        out[2 * i] = 1 - p1;
        out[2 * i + 1] = p1;
      } else {
        let max = -Infinity;
        for (let c = 0; c < K; c++) if (lg[c] > max) max = lg[c];
        let sum = 0;
        for (let c = 0; c < K; c++) sum += Math.exp(lg[c] - max);
        for (let c = 0; c < K; c++) out[i * K + c] = Math.exp(lg[c] - max) / sum;
      }
    }
    return out;
  };
  const predict = (xs: ArrayLike<number>, m: number): Int32Array => {
    const p = predictProba(xs, m);
    const out = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (p[i * classes + c] > p[i * classes + best]) best = c;
      out[i] = best;
    }
    return out;
  };
  return { classes, dim, coef, intercept, iterations, converged, predictProba, predict };
}
