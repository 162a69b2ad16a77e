"""Baseline for `npm run bench -- metrics`: the same metrics computed the way the paper's tool does.

Full float64 N x M distance matrices through sklearn.metrics.pairwise_distances, as in
ayanglab/MedSynAnalyzer (utils.py: compute_fidelity_privacy; quality_evaluator.py: fid, std; its
features come from pandas, i.e. float64), plus PRDC as clovaai/generative-evaluation-prdc computes
it (again full matrices), FID as pytorch-fid (scipy.linalg.sqrtm), KID as torch-fidelity
(100 subsets of min(1000, N, M), polynomial kernel), DCR from the real x synthetic matrix and the
Vendi score through the d x d matrix. This is a reference for time and memory only; run it with
/usr/bin/python3 (numpy, scipy, sklearn). Not run in CI.

Usage: baseline_full_matrix.py REAL.npy SYNTH.npy OUT.json [--k 5] [--tau 0.05] [--seed 2020] [--kid-subsets 100]
"""
import argparse
import json
import time

import numpy as np
from scipy import linalg
from sklearn.metrics import pairwise_distances


def pdist(x, y=None):
    # as in the authors' compute_pairwise_distance
    return pairwise_distances(x, x if y is None else y, metric='euclidean', n_jobs=8)


def get_kth_value(unsorted, k, axis=-1):
    indices = np.argpartition(unsorted, k, axis=axis)[..., :k]
    k_smallests = np.take_along_axis(unsorted, indices, axis=axis)
    return k_smallests.max(axis=axis)


def nn_radii(x, k):
    return get_kth_value(pdist(x), k=k + 1, axis=-1)


def fidelity_privacy(real, fake, k, tau):
    # the authors' compute_fidelity_privacy, step by step (three full matrices)
    real_nn = nn_radii(real, k)
    d_rf = pdist(real, fake)
    real_dmins = nn_radii(real, 1)
    precision = (d_rf < np.expand_dims(real_nn, axis=1)).any(axis=0).mean()
    collapse = np.mean(np.std(fake, axis=0)) <= tau
    r1 = np.expand_dims(real_dmins, axis=1) + (tau if collapse else 0.0)
    copy = (d_rf < r1).any(axis=0)
    privacy = 1 - copy.mean()
    fp = ((d_rf < np.expand_dims(real_nn, axis=1)).any(axis=0) * (1 - copy)).mean()
    dcr = d_rf.min(axis=0)
    return dict(fidelity=float(precision), privacy=float(privacy), fidelityPrivacy=float(fp),
                modeCollapseRuleApplied=bool(collapse), dcrMin=float(dcr.min()),
                dcrP5=float(np.percentile(dcr, 5)), dcrMedian=float(np.median(dcr)))


def prdc(real, fake, k):
    # clovaai/generative-evaluation-prdc compute_prdc
    real_nn = nn_radii(real, k)
    fake_nn = nn_radii(fake, k)
    d_rf = pdist(real, fake)
    precision = (d_rf < np.expand_dims(real_nn, axis=1)).any(axis=0).mean()
    recall = (d_rf < np.expand_dims(fake_nn, axis=0)).any(axis=1).mean()
    density = (1.0 / float(k)) * (d_rf < np.expand_dims(real_nn, axis=1)).sum(axis=0).mean()
    coverage = (d_rf.min(axis=1) < real_nn).mean()
    return dict(precision=float(precision), recall=float(recall), density=float(density), coverage=float(coverage))


def fid(real, fake):
    mu1, mu2 = fake.mean(0), real.mean(0)
    s1, s2 = np.cov(fake, rowvar=False), np.cov(real, rowvar=False)
    try:
        covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    except TypeError:  # SciPy 1.16 dropped disp (the result is the same matrix)
        covmean = linalg.sqrtm(s1.dot(s2))
    if not np.isfinite(covmean).all():
        offset = np.eye(s1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((s1 + offset).dot(s2 + offset))
    covmean = covmean.real
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def kid(real, fake, seed, subsets=100, subset_size=1000):
    rng = np.random.RandomState(seed)
    m = min(subset_size, real.shape[0], fake.shape[0])
    d = real.shape[1]
    mmds = np.zeros(subsets)
    for i in range(subsets):
        x = real[rng.choice(real.shape[0], m, replace=False)]
        y = fake[rng.choice(fake.shape[0], m, replace=False)]
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        mmds[i] = (kxx.sum() - np.diag(kxx).sum() + kyy.sum() - np.diag(kyy).sum()) / (m * (m - 1)) - 2 * kxy.mean()
    return dict(mean=float(mmds.mean()), std=float(mmds.std()))


def vendi(x):
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    w = np.linalg.eigvalsh(x.T @ x / x.shape[0])
    w = w[w > 0]
    return float(np.exp(-(w * np.log(w)).sum()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('real')
    ap.add_argument('synth')
    ap.add_argument('out')
    ap.add_argument('--k', type=int, default=5)
    ap.add_argument('--tau', type=float, default=0.05)
    ap.add_argument('--seed', type=int, default=2020)
    ap.add_argument('--kid-subsets', type=int, default=100)
    a = ap.parse_args()
    t = {}
    t0 = time.time()
    real = np.load(a.real).astype(np.float64)
    fake = np.load(a.synth).astype(np.float64)
    t['read'] = time.time() - t0
    out = {}
    for name, fn in [('fidelityPrivacy', lambda: fidelity_privacy(real, fake, a.k, a.tau)),
                     ('prdc', lambda: prdc(real, fake, a.k)),
                     ('fid', lambda: {'fid': fid(real, fake)}),
                     ('kid', lambda: {'kid': kid(real, fake, a.seed, subsets=a.kid_subsets)}),
                     ('std', lambda: {'featureStd': float(np.mean(np.std(fake, axis=0)))}),
                     ('vendi', lambda: {'vendi': vendi(fake)})]:
        t1 = time.time()
        out.update(fn())
        t[name] = time.time() - t1
    out['timings'] = t
    with open(a.out, 'w') as f:
        json.dump(out, f, indent=1)


if __name__ == '__main__':
    main()
