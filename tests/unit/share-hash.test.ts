import { describe, expect, it } from 'vitest';
import { checkFiles, fileReference, sha256Hex, uploadDatasetReference } from '../../app/share';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vectors', async () => {
    expect(await sha256Hex(bytes('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await sha256Hex(new ArrayBuffer(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes only the view of a buffer', async () => {
    const whole = bytes('xxabcxx');
    expect(await sha256Hex(whole.subarray(2, 5))).toBe(await sha256Hex(bytes('abc')));
  });
});

describe('file references', () => {
  it('describes an upload', async () => {
    const dataset = await uploadDatasetReference([
      { name: 'images.idx', bytes: bytes('images') },
      { name: 'labels.idx', bytes: bytes('labels!') },
    ]);
    expect(dataset.kind).toBe('upload');
    expect(dataset.name).toBe('images.idx, labels.idx');
    expect(dataset.size).toBe(13);
    expect(dataset.files[1]).toEqual({ name: 'labels.idx', size: 7, sha256: await sha256Hex(bytes('labels!')) });
  });

  it('shortens a long upload name', async () => {
    const files = Array.from({ length: 40 }, (_, i) => ({ name: `${'part'.repeat(5)}-${i}.csv`, bytes: bytes(String(i)) }));
    const dataset = await uploadDatasetReference(files);
    expect(dataset.name.length).toBe(500);
    expect(dataset.name.endsWith(' … (40 files)')).toBe(true);
  });

  it('accepts the same files', async () => {
    const files = [
      { name: 'a.idx', bytes: bytes('first') },
      { name: 'b.idx', bytes: bytes('second') },
    ];
    const references = await Promise.all(files.map(fileReference));
    expect(await checkFiles([files[1], files[0]], references)).toEqual({ ok: true, problems: [], warnings: [] });
  });

  it('accepts a renamed single file with a warning', async () => {
    const reference = await fileReference({ name: 'speeches.txt', bytes: bytes('text') });
    const check = await checkFiles([{ name: 'copy.txt', bytes: bytes('text') }], [reference]);
    expect(check.ok).toBe(true);
    expect(check.warnings).toEqual(['"copy.txt" is checked against "speeches.txt" by its size and SHA-256, since the names differ.']);
  });

  it('rejects other contents', async () => {
    const reference = await fileReference({ name: 'speeches.txt', bytes: bytes('text') });
    const sameSize = await checkFiles([{ name: 'speeches.txt', bytes: bytes('tent') }], [reference]);
    expect(sameSize.ok).toBe(false);
    expect(sameSize.problems).toEqual([
      `"speeches.txt" has SHA-256 ${await sha256Hex(bytes('tent'))}, but the comparison's "speeches.txt" has ${reference.sha256}; pick the file the comparison was made with.`,
    ]);
    const longer = await checkFiles([{ name: 'speeches.txt', bytes: bytes('texts') }], [reference]);
    expect(longer.problems).toEqual([`"speeches.txt" has 5 bytes, but the comparison's "speeches.txt" has 4; pick the file the comparison was made with.`]);
  });

  it('names missing and extra files', async () => {
    const references = [await fileReference({ name: 'a.idx', bytes: bytes('a') }), await fileReference({ name: 'b.idx', bytes: bytes('b') })];
    const check = await checkFiles([{ name: 'a.idx', bytes: bytes('a') }, { name: 'c.idx', bytes: bytes('c') }], references);
    expect(check.ok).toBe(false);
    expect(check.problems).toEqual(['The file "b.idx" (1 bytes) is missing; pick it too.', '"c.idx" is not one of the comparison\'s files ("a.idx", "b.idx").']);
  });
});
