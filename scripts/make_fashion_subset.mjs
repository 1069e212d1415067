// Write the embedded image dataset: a fixed subset of Fashion-MNIST as gzip IDX files.
//
//   apt-get install -y dataset-fashion-mnist
//   node scripts/make_fashion_subset.mjs [sourceDir]
//
// sourceDir defaults to /usr/share/datasets/fashion-mnist, where the Debian package puts the four
// original files. The subset is the first TRAIN_COUNT training images and the first TEST_COUNT test
// images, in file order, with their labels. Output goes to public/datasets/fashion-mnist/ under the
// original file names. Gzip runs at level 9 with a zero modification time, so the output bytes
// depend only on the input files and the fflate version (0.8.x when this was written).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'fflate';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const outDir = join(repoRoot, 'public/datasets/fashion-mnist');

const TRAIN_COUNT = 10_000;
const TEST_COUNT = 2_000;
const CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** SHA-256 of the decompressed files in Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1. */
const SOURCE_SHA256 = {
  'train-images-idx3-ubyte': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  'train-labels-idx1-ubyte': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  't10k-images-idx3-ubyte': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  't10k-labels-idx1-ubyte': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
};

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

function readSource(name) {
  const path = join(sourceDir, `${name}.gz`);
  const bytes = gunzipSync(readFileSync(path));
  const digest = sha256(bytes);
  if (digest !== SOURCE_SHA256[name]) {
    throw new Error(`${path}: SHA-256 of the decompressed file is ${digest}, expected ${SOURCE_SHA256[name]}. Use the files of dataset-fashion-mnist 0.0~git20200523.55506a9-1.`);
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Returns the first `count` records of an IDX file with a header rewritten for that count. */
function takeFirst(view, magic, count) {
  if (view.getUint32(0) !== magic) throw new Error(`unexpected magic number 0x${view.getUint32(0).toString(16)}`);
  const dims = magic & 0xff;
  const headerBytes = 4 + 4 * dims;
  let recordBytes = 1;
  for (let d = 1; d < dims; d++) recordBytes *= view.getUint32(4 + 4 * d);
  if (view.getUint32(4) < count) throw new Error(`the source has only ${view.getUint32(4)} records, fewer than ${count}`);

  const out = new Uint8Array(headerBytes + count * recordBytes);
  out.set(new Uint8Array(view.buffer, view.byteOffset, headerBytes + count * recordBytes));
  new DataView(out.buffer).setUint32(4, count);
  return out;
}

function histogram(labels) {
  const counts = new Array(CLASS_NAMES.length).fill(0);
  for (let i = 8; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

function writeGzip(name, bytes) {
  const path = join(outDir, `${name}.gz`);
  const compressed = gzipSync(bytes, { level: 9, mtime: 0 });
  writeFileSync(path, compressed);
  console.log(`${name}.gz  ${compressed.length} bytes  sha256 ${sha256(compressed)}  (decompressed ${bytes.length} bytes, sha256 ${sha256(bytes)})`);
}

mkdirSync(outDir, { recursive: true });
for (const [prefix, count] of [['train', TRAIN_COUNT], ['t10k', TEST_COUNT]]) {
  const images = takeFirst(readSource(`${prefix}-images-idx3-ubyte`), IMAGES_MAGIC, count);
  const labels = takeFirst(readSource(`${prefix}-labels-idx1-ubyte`), LABELS_MAGIC, count);
  writeGzip(`${prefix}-images-idx3-ubyte`, images);
  writeGzip(`${prefix}-labels-idx1-ubyte`, labels);
  const counts = histogram(labels);
  console.log(`${prefix}: ${count} images per class ${CLASS_NAMES.map((name, i) => `${name} ${counts[i]}`).join(', ')}`);
}
