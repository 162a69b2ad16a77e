/**
 * Classification scores for the utility evaluator.
 *
 * Reference: scikit-learn 1.2 (sklearn.metrics.accuracy_score, balanced_accuracy_score,
 * roc_auc_score with multi_class='ovr', average='macro'). Tested against values sklearn
 * computed (tests/fixtures/utility/make_reference.py).
 *
 * - accuracy: share of rows with yPred === yTrue.
 * - balanced accuracy: mean over classes of recall = TP / support, over the union of
 *   labels in yTrue and yPred; a class that occurs only in yPred has no support and is
 *   dropped (sklearn warns and drops the NaN).
 * - ROC AUC, binary: area under the ROC curve of the class-1 score, equal to the
 *   Mann-Whitney statistic with tied scores counted one half:
 *   (sum of mid-ranks of positives - P(P+1)/2) / (P N).
 * - ROC AUC, more than two classes: one-vs-rest AUC of column c against (y === c),
 *   unweighted mean over classes. Like sklearn it needs every class present in yTrue.
 */

import { rankAverage } from './wilcoxon.ts';

export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  if (yTrue.length !== yPred.length) throw new RangeError(`accuracy: ${yTrue.length} labels, ${yPred.length} predictions`);
  if (yTrue.length === 0) throw new RangeError('accuracy: no rows');
  let hit = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hit++;
  return hit / yTrue.length;
}

export function balancedAccuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  if (yTrue.length !== yPred.length) throw new RangeError(`balancedAccuracy: ${yTrue.length} labels, ${yPred.length} predictions`);
  if (yTrue.length === 0) throw new RangeError('balancedAccuracy: no rows');
  const support = new Map<number, number>();
  const hits = new Map<number, number>();
  for (let i = 0; i < yTrue.length; i++) {
    support.set(yTrue[i], (support.get(yTrue[i]) ?? 0) + 1);
    if (yTrue[i] === yPred[i]) hits.set(yTrue[i], (hits.get(yTrue[i]) ?? 0) + 1);
  }
  const labels = [...support.keys()].sort((a, b) => a - b);
  let sum = 0;
  for (const c of labels) sum += (hits.get(c) ?? 0) / support.get(c)!;
  return sum / labels.length;
}

/** Binary ROC AUC of `score` for positives `isPositive` (ties count one half). */
export function rocAucBinary(isPositive: ArrayLike<boolean | number>, score: ArrayLike<number>): number {
  const n = isPositive.length;
  if (score.length !== n) throw new RangeError(`rocAuc: ${n} labels, ${score.length} scores`);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (isPositive[i]) nPos++;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new RangeError('rocAuc: only one class present in the true labels; ROC AUC is not defined in that case');
  for (let i = 0; i < n; i++) if (Number.isNaN(score[i])) throw new RangeError('rocAuc: NaN score');
  const ranks = rankAverage(score);
  let sumPos = 0;
  for (let i = 0; i < n; i++) if (isPositive[i]) sumPos += ranks[i];
  return (sumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * ROC AUC from class probabilities `proba` (row-major n x classes) and integer labels
 * 0..classes-1: binary uses column 1; more classes use one-vs-rest macro averaging.
 * Throws, like sklearn, when a class is absent from yTrue.
 */
export function rocAuc(yTrue: ArrayLike<number>, proba: ArrayLike<number>, classes: number): number {
  const n = yTrue.length;
  if (classes < 2) throw new RangeError('rocAuc: needs at least two classes');
  if (proba.length !== n * classes) throw new RangeError(`rocAuc: ${proba.length} scores for ${n} rows x ${classes} classes`);
  const present = new Set<number>();
  for (let i = 0; i < n; i++) {
    const c = yTrue[i];
    if (!Number.isInteger(c) || c < 0 || c >= classes) throw new RangeError(`rocAuc: label ${c} outside 0..${classes - 1}`);
    present.add(c);
  }
  if (present.size !== classes) {
    const missing = Array.from({ length: classes }, (_, c) => c).filter((c) => !present.has(c));
    throw new RangeError(`rocAuc: class index(es) ${missing.join(', ')} absent from the true labels; ROC AUC is not defined`);
  }
  const col = new Float64Array(n);
  const pos = new Uint8Array(n);
  const aucOf = (c: number): number => {
    for (let i = 0; i < n; i++) {
      col[i] = proba[i * classes + c];
      pos[i] = yTrue[i] === c ? 1 : 0;
    }
    return rocAucBinary(pos, col);
  };
  if (classes === 2) return aucOf(1);
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += aucOf(c);
  return sum / classes;
}
