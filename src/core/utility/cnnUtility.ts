/**
 * The `cnn` tier of the utility evaluator: the protocols of ./runUtility.ts (baseline, intra-task,
 * simple augmentation, TSTR, cross-task, Wilcoxon over seeds, the same skips) with a convolutional
 * network (./cnn.ts) trained end to end on the images, on the active TF.js backend.
 *
 * Reference: Xing et al., MICCAI 2023 (arXiv 2305.18337), section 2.3: the downstream classifier is
 * a network trained on the images; here a compact one (./cnn.ts) so that it trains in minutes on a
 * laptop CPU.
 *
 * Input: every set is a LabelledFeatures whose rows are S x S grayscale images, row-major, values in
 * [0, 1] (dim = S * S): the `pixels` extractor at size S (src/extractors/specs.ts pixelsSpec) through
 * the same image pipeline as the features, so decoding, skipped files, caching and the simple
 * augmentation are shared. They take 4 S^2 bytes an image (64 KiB at 128 px); above
 * CNN_MAX_INPUT_BYTES in all, the run is refused with that reason (cnnMemoryIssue, which the app and
 * the CLI also ask before preparing the images).
 */
import * as tf from '@tensorflow/tfjs-core';
import { trainCnn, type CnnImages } from './cnn.ts';
import { CNN_ADAM, cnnConfigOf, cnnForwardMacs, cnnInputBytes, cnnLayers, cnnMemoryIssue, cnnParameterCount, validateCnnConfig, type CnnConfig } from './cnnConfig.ts';

export { CNN_MAX_INPUT_BYTES, cnnConfigOf, cnnMemoryIssue } from './cnnConfig.ts';
import { filterGradientSource } from './convFilterGrad.ts';
import { runProtocols, type TierSettings } from './runUtility.ts';
import type { PreparedTrainingSet, TrainerContext, UtilityTrainer } from './trainer.ts';
import type { CnnUtilityInput, LabelledFeatures, UtilityReport } from './types.ts';

/** Images of every set the cnn tier's protocols would hold (the real training set, test, augmented, synthetic, cross-task). */
function imageCount(input: CnnUtilityInput): number {
  const n = (fs?: LabelledFeatures | null) => fs?.n ?? 0;
  return n(input.realTrain) + n(input.test) + n(input.augmented) + n(input.crossTask) + input.synthetic.reduce((a, s) => a + s.features.n, 0);
}

export function cnnTrainer(cfg: CnnConfig, images: number): UtilityTrainer {
  const S = cfg.inputSize;
  return {
    tier: 'cnn',
    rowsAre: 'images',
    validate: () => validateCnnConfig(cfg),
    inputIssue(real) {
      if (real.dim !== S * S) {
        return `the real training images have ${real.dim} values each; the cnn tier at ${S} px needs ${S} x ${S} = ${S * S} (grayscale images resized to ${S} x ${S})`;
      }
      return cnnMemoryIssue(images, S);
    },
    crossTaskIssue: null,
    prepareUnits: 0,
    prepareStage: (what) => `Preparing ${what}`,
    stepsPerModel: cfg.steps,
    async prepare(parts: LabelledFeatures[], _what: string, ctx: TrainerContext): Promise<PreparedTrainingSet> {
      const rows = parts.reduce((a, p) => a + p.n, 0);
      const y = new Int32Array(rows);
      let r = 0;
      for (const p of parts) for (let i = 0; i < p.n; i++) y[r++] = ctx.classIndex.get(p.labels![i])!;
      const data: CnnImages = { parts: parts.map((p) => ({ data: p.data as Float32Array, n: p.n })), y, classes: ctx.classIndex.size };
      const { test, crossTask: ct, signal } = ctx;
      return {
        rows,
        components: null,
        explained: null,
        async train(seed, onStep) {
          const m = await trainCnn(data, { ...cfg, seed }, { signal, onStep });
          return {
            testProba: () => m.predictProba(test.data as Float32Array, test.n),
            embedCrossTask: async () => ({ data: await m.embed(ct!.data as Float32Array, ct!.n), dim: m.embedDim }),
            dispose: () => m.dispose(),
          };
        },
      };
    },
  };
}

/** The cnn tier's part of UtilitySettings (backend: the active TF.js backend). */
export function cnnSettings(cfg: CnnConfig, classes: number | null, images: number): TierSettings {
  const backend = tf.getBackend() ?? 'none';
  const k = classes ?? 2;
  return {
    tier: 'cnn',
    architecture: 'cnn',
    hiddenUnits: null,
    budget: { kind: 'gradient steps', steps: cfg.steps, batchSize: cfg.batchSize },
    learningRate: cfg.learningRate,
    optimizer: `Adam(beta1 ${CNN_ADAM.beta1}, beta2 ${CNN_ADAM.beta2}, epsilon ${CNN_ADAM.epsilon})`,
    loss: 'mean softmax cross-entropy',
    standardisation: "every pixel standardised with the training images' pixel mean and standard deviation (one scalar each)",
    projection: null,
    cnn: {
      inputSize: cfg.inputSize,
      layers: cnnLayers(cfg, classes),
      config: { ...cfg, widths: cfg.widths.slice() },
      parameters: cnnParameterCount(cfg, k),
      forwardMacs: cnnForwardMacs(cfg, k),
      initialisation: 'He-uniform (ReLU layers) and Glorot-uniform (output layer) weights from the seed, zero biases',
      gradients: filterGradientSource(backend),
      bytesPerImage: cnnInputBytes(cfg.inputSize),
      images,
    },
    backend: `TF.js ${backend}`,
  };
}

/**
 * Run every utility protocol that the inputs allow with the cnn tier, on the active TF.js backend.
 * Rejects with an AbortError when cancelled (every tensor freed).
 */
export async function runCnnUtility(input: CnnUtilityInput): Promise<UtilityReport> {
  const cfg = cnnConfigOf(input.cnn);
  const images = imageCount(input);
  const classes = input.realTrain?.labels ? new Set(input.realTrain.labels).size : null;
  return runProtocols(input, cnnTrainer(cfg, images), cnnSettings(cfg, classes, images));
}
