/**
 * Definitions of every metric the results views show: a name, a one-line plain-language
 * explanation, the definition quoted from docs/METRICS.md (the contract; each quoted passage is
 * verbatim, which a unit test checks), and the reference it comes from. The Definitions section
 * gives each an anchor `def-<key>`; every metric in the views links there.
 */

export interface MetricDefinition {
  key: string;
  name: string;
  /** Symbol used in the views (F, P, F^p ...), if any. */
  symbol?: string;
  /** One plain-language line. */
  short: string;
  /** Passages quoted verbatim from docs/METRICS.md, in order. */
  definition: string[];
  /** Where the metric comes from, as text (the app is offline). */
  reference: string;
}

const PAPER =
  "Xing, Felder, Nan, Papanastasiou, Walsh, Yang. You Don't Have to Be Perfect to Be Amazing: Unveil the Utility of Synthetic Images. MICCAI 2023, LNCS 14224, pp. 13-22. doi:10.1007/978-3-031-43904-9_2 (arXiv 2305.18337); authors' code: ayanglab/MedSynAnalyzer.";
const PRDC = 'Naeem, Oh, Uh, Choi, Yoo. Reliable Fidelity and Diversity Metrics for Generative Models. ICML 2020 (k = 5).';
const NOTATION = [
  'rho_k(i): distance from r_i to its k-th nearest neighbour in R, excluding r_i itself (a duplicate of r_i elsewhere in R counts, at distance 0).',
  'All "inside a ball" tests are strict: D < radius.',
];

export const DEFINITIONS = [
  {
    key: 'fidelity',
    name: 'Fidelity',
    symbol: 'F',
    short: 'Share of synthetic images that look like real ones: each lies inside the neighbourhood of some real image. Higher is more realistic.',
    definition: [
      'realistic(s) = exists i with D(s, r_i) < rho_k(i).',
      'Fidelity F = mean over S of realistic(s) (identical to k-NN precision).',
      ...NOTATION,
    ],
    reference: PAPER,
  },
  {
    key: 'privacy',
    name: 'Privacy',
    symbol: 'P',
    short: 'Share of synthetic images that are not near-copies of a real image. Read it beside the held-out value P(H), not against 1.',
    definition: [
      'in the copy set of r_i if D(s, r_i) < rho_1(i) (closer to r_i than any other real image is);',
      'copy(s) = exists i with s in the copy set of r_i;',
      'Privacy P = 1 - mean over S of copy(s).',
      ...NOTATION,
    ],
    reference: PAPER,
  },
  {
    key: 'privacyCalibration',
    name: 'Held-out calibration of privacy',
    symbol: 'P(H)',
    short: 'The privacy score of real images the generator never saw: what a generator that copies nothing would get. A set is suspicious when P(S) is clearly below P(H).',
    definition: [
      'Calibration (beyond the paper, and essential to read P honestly): a generator that copies nothing but samples the real distribution perfectly does not get P = 1. Fresh draws often land closer to some r_i than r_i\'s nearest real neighbour, more so when M is small (measured on seeded Gaussian features with M = 500: P is about 0.6 for same-distribution samples). So whenever a held-out set H exists, compute P, F and F^p for H exactly as if H were a synthetic set (holdoutPrivacy, holdoutFidelity) and show P(S) beside P(H): a synthetic set is suspicious when P(S) is clearly below P(H), not when it is below 1.',
    ],
    reference: 'SynthLens METRICS.md, Calibration (beyond the paper).',
  },
  {
    key: 'fidelityPrivacy',
    name: 'Privacy-aware fidelity',
    symbol: 'Fᵖ',
    short: 'Share of synthetic images that are realistic without being near-copies of a real image.',
    definition: ['Privacy-aware fidelity F^p = mean over S of (realistic(s) and not copy(s)).', ...NOTATION],
    reference: PAPER,
  },
  {
    key: 'modeCollapse',
    name: 'Mode-collapse rule',
    symbol: 'τ',
    short: 'When a set\'s features hardly vary (the generator makes nearly the same image), the copy test is widened by τ so near-identical images count as copies.',
    definition: [
      "Mode-collapse rule (as in the authors' code): if the mean over feature dimensions of the population standard deviation (ddof = 0) of S's features is <= tau (default 0.05), the copy radius becomes rho_1(i) + tau. tau is in feature units; expose it, and report when the rule fired.",
    ],
    reference: PAPER,
  },
  {
    key: 'variety',
    name: 'Variety (file-size)',
    short: 'How varied a set is, from the file size of its mean image: a varied set averages to a blurry image that compresses well. 1 = the most varied of the compared sets, 0 = the least.',
    definition: [
      'File-size variety (the paper\'s measure): convert every image of a set to 8-bit grayscale at a fixed size (default 256 x 256), average per class (float, then round to uint8), average the class means with equal weight, and encode the mean image as PNG with a deterministic encoder whose settings are fixed (same bytes in every browser and in Node; never canvas.toBlob).',
      'A more varied set gives a blurrier mean and a smaller file. Report the size in bytes. When several groups are compared (all synthetic sets plus the real set), the variety score is 1 - (size - min) / (max - min) over those groups.',
    ],
    reference: PAPER,
  },
  {
    key: 'featureStd',
    name: 'Feature spread (feature STD)',
    short: 'Average spread of the set\'s feature vectors; a very small value means the images are nearly all alike.',
    definition: [
      "Feature STD: mean over dimensions of the population standard deviation of S's features (the authors' alternative measure; also MM-STD below).",
    ],
    reference: PAPER,
  },
  {
    key: 'utility',
    name: 'Utility (intra-task augmentation)',
    short: 'Change in a classifier\'s accuracy on real test images when the synthetic images are added to the real training images, in percent.',
    definition: [
      'Baseline: train the downstream classifier on R only; accuracy (and AUC) on H.',
      'Intra-task augmentation utility: train on R + S with the same budget; utility = 100 * (acc(R+S) - acc(R)) / acc(R), in percent. Repeat over at least 5 seeds; report mean, spread, and a paired Wilcoxon signed-rank test p-value over seeds. Also report the same gain for simple augmentation (flip, rotate, contrast) as the paper did, so a synthetic set can be judged against the free alternative.',
      'Test data is always real and never used in training: the held-out set H (or a stratified split of R that is then excluded from every other metric, stated in the report).',
    ],
    reference: PAPER,
  },
  {
    key: 'crossTask',
    name: 'Utility (cross-task)',
    short: 'Change in accuracy on a different task when a classifier uses the features learned with the synthetic images, in percent.',
    definition: [
      "Cross-task utility: a second labelled real dataset T (a different task) is embedded with each trained classifier's penultimate layer; a linear classifier (linear SVM or logistic regression, k-fold cross-validated) is trained on T's embeddings; utility = percent improvement in accuracy of the R+S model's features over the R-only model's features.",
    ],
    reference: PAPER,
  },
  {
    key: 'tstr',
    name: 'Train on synthetic, test on real (TSTR)',
    short: 'Accuracy on real test images of a classifier trained on the synthetic images alone.',
    definition: ['Train-on-synthetic, test-on-real (TSTR): accuracy on H of a classifier trained on S alone (common in later benchmarks; not in the paper).'],
    reference: 'Esteban, Hyland, Rätsch. Real-valued (Medical) Time Series Generation with Recurrent Conditional GANs. arXiv 1706.02633, 2017; SynthLens METRICS.md, Utility.',
  },
  {
    key: 'precision',
    name: 'Precision',
    short: 'Share of synthetic images inside the neighbourhood of some real image (realism; equals F).',
    definition: ['precision = share of S inside some real ball B(r_i, rho_k(i));', ...NOTATION],
    reference: PRDC,
  },
  {
    key: 'recall',
    name: 'Recall',
    short: 'Share of real images inside the neighbourhood of some synthetic image: how much of the real variety the set reproduces.',
    definition: ['recall = share of R inside some synthetic ball B(s_j, sigma_k(j)), sigma_k the k-NN radius within S;', ...NOTATION],
    reference: PRDC,
  },
  {
    key: 'density',
    name: 'Density',
    short: 'How many real neighbourhoods a synthetic image falls into on average, divided by k: about 1 when synthetic images sit where real ones are dense.',
    definition: ['density = (1/(kN)) * number of (s, r_i) pairs with D(s, r_i) < rho_k(i);', ...NOTATION],
    reference: PRDC,
  },
  {
    key: 'coverage',
    name: 'Coverage',
    short: 'Share of real images that have a synthetic image close by.',
    definition: ['coverage = share of r_i whose nearest synthetic image lies inside B(r_i, rho_k(i)).', ...NOTATION],
    reference: PRDC,
  },
  {
    key: 'fid',
    name: 'Fréchet Inception Distance (FID)',
    short: 'Distance between the feature distributions of the real and synthetic images; lower is closer. Mode collapse distorts it.',
    definition: [
      'FID (Heusel et al. 2017): ||mu_R - mu_S||^2 + Tr(Sigma_R + Sigma_S - 2 (Sigma_R Sigma_S)^(1/2)), covariances with ddof = 1. Reference: pytorch-fid\'s calculate_frechet_distance.',
      'Warn when N or M is below the feature dimension.',
    ],
    reference: 'Heusel, Ramsauer, Unterthiner, Nessler, Hochreiter. GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium. NeurIPS 2017; reference code pytorch-fid.',
  },
  {
    key: 'kid',
    name: 'Kernel Inception Distance (KID)',
    short: 'Like FID but without its small-sample bias; lower is closer; shown as mean ± spread over random subsets.',
    definition: [
      'KID (Binkowski et al. 2018; torch-fidelity defaults): kernel k(x, y) = (x.y / d + 1)^3; unbiased estimator (sum_{i!=j} Kxx + sum_{i!=j} Kyy) / (m(m-1)) - 2 sum Kxy / m^2; m = min(1000, N, M); 100 subsets drawn without replacement with a seeded generator; report mean and std (ddof = 0). When m equals both set sizes the value does not depend on the draw. Never refuse small sets (torch-fidelity does); say that small m widens the spread.',
    ],
    reference: 'Bińkowski, Sutherland, Arbel, Gretton. Demystifying MMD GANs. ICLR 2018; settings of torch-fidelity.',
  },
  {
    key: 'dcr',
    name: 'Distance to closest record (DCR)',
    short: 'Distance from each image to its closest real image; many very small values suggest copies.',
    definition: ['Distance to closest record (DCR): d(s) = min_i D(s, r_i). Report min, 5th percentile and median.'],
    reference: 'SynthLens METRICS.md, Standard metrics; DCR as a privacy measure of synthetic data: Park, Mohammadi, Gorde, Jajodia, Park, Kim. Data Synthesis based on Generative Adversarial Networks. PVLDB 11(10), 2018.',
  },
  {
    key: 'memorizationRate',
    name: 'Memorisation rate',
    short: 'Share of synthetic images closer to the real set than 95 % of held-out real images are. About 5 % is normal; far above suggests copying.',
    definition: [
      "With H: the same for each h in H against R, and the memorisation rate = share of S whose DCR is below the 5th percentile of H's DCRs (about 5% when the generator does not copy; far above means it does).",
    ],
    reference: 'SynthLens METRICS.md, Distance to closest record.',
  },
  {
    key: 'vendi',
    name: 'Vendi score',
    short: 'The effective number of distinct images in the set, from how similar their features are; higher is more diverse.',
    definition: [
      "Vendi score (Friedman & Dieng 2023): exp of the Shannon entropy of the eigenvalues of K/n, K the cosine-similarity kernel of S's features; compute through the d x d matrix when n > d.",
    ],
    reference: 'Friedman, Dieng. The Vendi Score: A Diversity Evaluation Metric for Machine Learning. TMLR 2023.',
  },
  {
    key: 'distance',
    name: 'Distance between images',
    short: 'Images are compared through their feature vectors: Euclidean distance for continuous features, the share of differing positions for code maps.',
    definition: [
      'f(x): the feature vector of image x. Continuous features use Euclidean distance; discrete features (integer codes, e.g. a VQ-VAE code map) use Hamming distance = fraction of positions that differ.',
      ...NOTATION,
      'Default k = 5.',
    ],
    reference: 'SynthLens METRICS.md, Notation.',
  },
] as const satisfies readonly MetricDefinition[];

export type MetricKey = (typeof DEFINITIONS)[number]['key'];

const BY_KEY = new Map<string, MetricDefinition>(DEFINITIONS.map((d) => [d.key, d]));

export function definition(key: MetricKey): MetricDefinition {
  return BY_KEY.get(key)!;
}

/** The anchor id of a metric's definition. */
export function definitionId(key: MetricKey): string {
  return `def-${key}`;
}

/** The in-page link to a metric's definition. */
export function definitionHref(key: MetricKey): string {
  return `#${definitionId(key)}`;
}
