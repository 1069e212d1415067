import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_COUNTS,
  FASHION_MNIST_PATHS,
  loadEmbeddedImageDataset,
  loadFashionMnist,
} from '../../app/data/images/embedded';
import { describeImageSplit, summarizeClasses } from '../../app/data/images/classes';
import { labelHistogram } from '../../app/data/images/image-dataset';

const PUBLIC_DIR = new URL('../../public/', import.meta.url);
const readPublic = async (relativePath: string) => new Uint8Array(await readFile(new URL(relativePath, PUBLIC_DIR)));

/** Class counts of the committed subset, as public/datasets/fashion-mnist/README.md lists them. */
const TRAIN_HISTOGRAM = [942, 1027, 1016, 1019, 974, 989, 1021, 1022, 990, 1000];
const TEST_HISTOGRAM = [200, 203, 214, 190, 219, 195, 197, 200, 194, 188];

describe('embedded Fashion-MNIST subset', () => {
  it('loads with the expected counts, shape and classes', async () => {
    const split = await loadFashionMnist(readPublic);
    expect(split.train.count).toBe(FASHION_MNIST_COUNTS.train);
    expect(split.eval.count).toBe(FASHION_MNIST_COUNTS.test);
    for (const part of [split.train, split.eval]) {
      expect(part.width).toBe(28);
      expect(part.height).toBe(28);
      expect(part.channels).toBe(1);
      expect(part.images.length).toBe(part.count * 28 * 28);
      expect(part.labels.length).toBe(part.count);
      expect(part.classes).toEqual([...FASHION_MNIST_CLASSES]);
    }
    expect(labelHistogram(split.train)).toEqual(TRAIN_HISTOGRAM);
    expect(labelHistogram(split.eval)).toEqual(TEST_HISTOGRAM);
    expect(split.splitRule).toContain("the dataset's own test split");
  });

  it('summarizes its 10 classes', async () => {
    const split = await loadFashionMnist(readPublic);
    const summary = summarizeClasses(split);
    expect(summary.classCount).toBe(10);
    expect(summary.missingFromTraining).toEqual([]);
    expect(summary.missingFromHeldOut).toEqual([]);
    expect(describeImageSplit(split)).toBe('10,000 training and 2,000 held-out images, 10 classes (labels 0–9)');
  });

  it('normalises with training statistics', async () => {
    const split = await loadFashionMnist(readPublic);
    // The full 60,000-image training set has mean 0.286 and deviation 0.353; the subset is close.
    expect(Math.abs(split.train.mean[0] - 0.286)).toBeLessThan(0.01);
    expect(Math.abs(split.train.std[0] - 0.353)).toBeLessThan(0.01);
    expect(split.eval.mean).toEqual(split.train.mean);

    let sum = 0;
    let squares = 0;
    for (const value of split.train.images) {
      sum += value;
      squares += value * value;
    }
    const n = split.train.images.length;
    expect(Math.abs(sum / n)).toBeLessThan(1e-4);
    expect(Math.abs(Math.sqrt(squares / n - (sum / n) ** 2) - 1)).toBeLessThan(1e-4);
  });

  it('loads decompressed files too', async () => {
    const gunzipped = async (path: string) => gunzipSync(await readPublic(path));
    const split = await loadFashionMnist(gunzipped);
    expect(split.train.count).toBe(FASHION_MNIST_COUNTS.train);
    expect(split.eval.labels[0]).toBe((await loadFashionMnist(readPublic)).eval.labels[0]);
  });

  it('matches the hashes in its README', async () => {
    const readme = new TextDecoder().decode(await readPublic('datasets/fashion-mnist/README.md'));
    for (const path of Object.values(FASHION_MNIST_PATHS)) {
      const file = path.split('/').pop() as string;
      const digest = createHash('sha256').update(await readPublic(path)).digest('hex');
      expect(readme).toContain(`| \`${file}\` | \`${digest}\` |`);
    }
  });

  it('rejects an unknown embedded id', async () => {
    await expect(loadEmbeddedImageDataset('mnist', readPublic)).rejects.toThrow('Unknown embedded image dataset "mnist"');
  });

  it('names the file when a fetch returns the wrong file', async () => {
    const swapped = (path: string) => readPublic(path === FASHION_MNIST_PATHS.testLabels ? FASHION_MNIST_PATHS.testImages : path);
    await expect(loadFashionMnist(swapped)).rejects.toThrow(`${FASHION_MNIST_PATHS.testLabels}: expected magic number 0x00000801 (IDX labels), found 0x00000803 (IDX images)`);
  });
});
