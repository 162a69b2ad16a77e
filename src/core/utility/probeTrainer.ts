/**
 * The `probe` tier as a UtilityTrainer (./trainer.ts) for the protocol runner: each training set is a
 * pipeline fitted on its own rows, like a scikit-learn Pipeline. With `components` P > 0 (the
 * default, see ./probe.ts) the features are standardised with the training rows' mean and std and
 * reduced to at most P of the training rows' principal components (./projection.ts), then a small MLP
 * is trained on those scores (./probe.ts, standardise: false); with P = 0 the MLP trains on the
 * features standardised with the training rows' statistics. The test set and the cross-task set pass
 * through the pipeline of the model that scores or embeds them. The projection depends only on the
 * training rows (not on the seed), so it is fitted once per training set (R, R + A, R + S, S) and
 * shared by that set's seeds: one progress unit per projection.
 *
 * Reference: as ./probe.ts and ./projection.ts (scikit-learn StandardScaler + PCA + MLP semantics).
 */
import { ADAM, abortError, maybeYield, trainProbe, validateProbeConfig, type ProbeConfig, type ProbeData } from './probe.ts';
import { fitProjection, PCA_MAX_ROWS } from './projection.ts';
import type { PreparedTrainingSet, TrainerContext, UtilityTrainer } from './trainer.ts';
import type { LabelledFeatures, UtilitySettings } from './types.ts';

/** What trains the probes (recorded as settings.backend): no TF.js, so no backend dependence. */
export const PROBE_BACKEND = 'plain TypeScript (float64)';

function toProbeData(parts: LabelledFeatures[], classIndex: Map<string, number>): ProbeData {
  const dim = parts[0].dim;
  const n = parts.reduce((a, p) => a + p.n, 0);
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  let r = 0;
  for (const p of parts) {
    x.set(p.data as Float32Array, r * dim);
    for (let i = 0; i < p.n; i++) y[r + i] = classIndex.get(p.labels![i])!;
    r += p.n;
  }
  return { x, n, dim, y, classes: classIndex.size };
}

export function probeTrainer(probe: Required<ProbeConfig>): UtilityTrainer {
  const project = probe.components > 0;
  return {
    tier: 'probe',
    rowsAre: 'features',
    validate: () => validateProbeConfig(probe),
    inputIssue: () => null,
    crossTaskIssue:
      probe.architecture === 'mlp'
        ? null
        : "the 'logistic' probe has no hidden layer, so its penultimate layer is the input features themselves and cross-task utility is undefined; use the 'mlp' probe",
    prepareUnits: project ? 1 : 0,
    prepareStage: (what) => `Reducing the features of ${what} to principal components`,
    stepsPerModel: null,
    async prepare(parts: LabelledFeatures[], what: string, ctx: TrainerContext): Promise<PreparedTrainingSet> {
      const raw = toProbeData(parts, ctx.classIndex);
      const { test, crossTask: ct, signal } = ctx;
      let data = raw;
      let testX = test.data as Float32Array;
      let ctX = ct ? (ct.data as Float32Array) : null;
      let components: number | null = null;
      let explained: number | null = null;
      if (project) {
        await maybeYield();
        if (signal?.aborted) throw abortError();
        let proj;
        try {
          proj = fitProjection(raw.x, raw.n, raw.dim, probe.components);
        } catch (e) {
          if (e instanceof RangeError) throw new RangeError(`the features of ${what} cannot be reduced to principal components: ${e.message}`);
          throw e;
        }
        data = { ...raw, x: proj.apply(raw.x, raw.n), dim: proj.components };
        testX = proj.apply(test.data as Float32Array, test.n);
        ctX = ct ? proj.apply(ct.data as Float32Array, ct.n) : null;
        components = proj.components;
        explained = proj.explained;
      }
      return {
        rows: data.n,
        components,
        explained,
        async train(seed) {
          const m = await trainProbe(data, { ...probe, seed }, { signal, standardise: !project });
          return {
            testProba: async () => m.predictProba(testX, test.n),
            embedCrossTask: async () => ({ data: m.embed(ctX!, ct!.n), dim: m.embedDim }),
            dispose: () => {},
          };
        },
      };
    },
  };
}

/** The probe tier's part of UtilitySettings. */
export function probeSettings(probe: Required<ProbeConfig>, inputDim: number): Pick<
  UtilitySettings,
  'tier' | 'architecture' | 'hiddenUnits' | 'budget' | 'learningRate' | 'optimizer' | 'loss' | 'standardisation' | 'projection' | 'cnn' | 'backend'
> {
  return {
    tier: 'probe',
    architecture: probe.architecture,
    hiddenUnits: probe.architecture === 'mlp' ? probe.hiddenUnits : null,
    budget: { kind: 'gradient steps', steps: probe.steps, batchSize: probe.batchSize },
    learningRate: probe.learningRate,
    optimizer: `Adam(beta1 ${ADAM.beta1}, beta2 ${ADAM.beta2}, epsilon ${ADAM.epsilon})`,
    loss: 'mean softmax cross-entropy',
    standardisation: "each feature standardised with the training rows' mean and std (ddof 0)",
    projection: {
      kind: probe.components > 0 ? 'pca' : 'none',
      requested: probe.components,
      inputDim,
      maxFitRows: PCA_MAX_ROWS,
      description:
        probe.components > 0
          ? `each probe's training rows are standardised (their mean and std, ddof 0) and projected onto their top principal components: at most ${probe.components}, and at most rows - 1 (axes fitted on at most ${PCA_MAX_ROWS} rows, a seeded sample when there are more); scores divided by one common factor, not whitened`
          : "none: each probe trains on its training rows' standardised features",
    },
    cnn: null,
    backend: PROBE_BACKEND,
  };
}
