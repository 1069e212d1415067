import { describe, expect, it } from 'vitest';
import { parseImageCsv } from '../../app/data/images/image-csv';
import { formatError } from '../fixtures/images/errors';

describe('image CSV', () => {
  it('parses rows without a header', () => {
    const set = parseImageCsv('digits.csv', '1,0,64,128,255\n0,1,2,3,4\n');
    expect(set.width).toBe(2);
    expect(set.height).toBe(2);
    expect(set.channels).toBe(1);
    expect(set.count).toBe(2);
    expect(set.classes).toEqual(['0', '1']);
    expect(Array.from(set.labels)).toEqual([1, 0]);
    expect(Array.from(set.pixels)).toEqual([0, 64, 128, 255, 1, 2, 3, 4]);
  });

  it('detects a header, CRLF, quotes and blank lines', () => {
    const text = '\ufefflabel,pixel1,pixel2,pixel3,pixel4\r\n2,"9",8,7,6\r\n\r\n0,1.4,2.6,3,4\r\n';
    const set = parseImageCsv('digits.csv', new TextEncoder().encode(text));
    expect(set.count).toBe(2);
    expect(set.classes).toEqual(['0', '1', '2']);
    expect(Array.from(set.pixels)).toEqual([9, 8, 7, 6, 1, 3, 3, 4]);
  });

  it('takes a given shape and class names', () => {
    const row = [1, ...new Array(2 * 3 * 3).fill(5)].join(',');
    const set = parseImageCsv('rgb.csv', `${row}\n${row}\n`, { shape: { width: 3, height: 2, channels: 3 }, classes: ['no', 'yes'] });
    expect(set.width).toBe(3);
    expect(set.height).toBe(2);
    expect(set.channels).toBe(3);
    expect(set.classes).toEqual(['no', 'yes']);
  });

  it('names the line of a ragged row', () => {
    const error = formatError(() => parseImageCsv('digits.csv', 'label,a,b,c,d\n1,0,0,0,0\n2,0,0,0\n'));
    expect(error.message).toBe(
      'digits.csv: line 3: 3 pixel columns, but line 2 has 4; every row needs the same number. Each row must be a label (an integer from 0) followed by 4 pixel values from 0 to 255.',
    );
    expect(error.record).toBe('line 3');
  });

  it('names the line and column of a non-numeric pixel', () => {
    const error = formatError(() => parseImageCsv('digits.csv', '1,0,0,0,0\n2,0,0,x7,0\n'));
    expect(error.message).toContain('digits.csv: line 2: column 4 (pixel 3) is "x7", not a number; expected a value from 0 to 255.');
    expect(error.record).toBe('line 2');
  });

  it('names an out-of-range pixel', () => {
    const error = formatError(() => parseImageCsv('digits.csv', '1,0,0,0,256\n'));
    expect(error.message).toContain('line 1: column 5 (pixel 4) is "256", out of range; expected a value from 0 to 255');
  });

  it('names an empty pixel', () => {
    expect(formatError(() => parseImageCsv('digits.csv', '1,0,,0,0\n')).message).toContain('line 1: column 3 (pixel 2) is "", not a number');
  });

  it('names an invalid label', () => {
    const error = formatError(() => parseImageCsv('digits.csv', '1,0,0,0,0\n-1,0,0,0,0\n2.5,0,0,0,0\n'));
    expect(error.message).toContain('line 2: column 1 (label) is "-1"; expected an integer from 0; line 3: column 1 (label) is "2.5"; expected an integer from 0');
  });

  it('lists five problems and counts the rest', () => {
    const rows = Array.from({ length: 8 }, () => '1,0,0,0,a').join('\n');
    const error = formatError(() => parseImageCsv('digits.csv', rows));
    expect(error.message).toContain('line 5: column 5 (pixel 4) is "a", not a number; expected a value from 0 to 255; and 3 more.');
  });

  it('rejects a non-square pixel count', () => {
    const error = formatError(() => parseImageCsv('digits.csv', 'label,p1,p2,p3\n1,0,0,0\n'));
    expect(error.message).toBe(
      'digits.csv: line 2 has 3 pixel columns, which is not a perfect square, so the image size is unknown (a 2×2 grayscale image has 4). Give the image shape, or check that the label is the only extra column.',
    );
  });

  it('rejects a count that does not fit the shape', () => {
    const error = formatError(() => parseImageCsv('rgb.csv', '1,0,0,0,0\n', { shape: { width: 2, height: 2, channels: 3 } }));
    expect(error.message).toContain('line 1 has 4 pixel columns, but the shape 2×2 RGB needs 12');
  });

  it('rejects labels at or above the class count', () => {
    const error = formatError(() => parseImageCsv('digits.csv', '0,0\n3,0\n1,0\n', { classes: ['a', 'b'] }));
    expect(error.message).toBe('digits.csv: line 2: label 3; expected labels from 0 to 1 for 2 classes.');
    expect(error.record).toBe('line 2');
  });

  it('rejects a header that differs from the rows', () => {
    expect(formatError(() => parseImageCsv('digits.csv', 'label,a,b\n1,0,0,0,0\n')).message).toContain('the header row (line 1) has 3 columns but line 2 has 5');
  });

  it('rejects empty files and header-only files', () => {
    expect(formatError(() => parseImageCsv('empty.csv', '\n\n')).message).toContain('empty.csv: the file contains no rows');
    expect(formatError(() => parseImageCsv('header.csv', 'label,a\n')).message).toContain('header.csv: the file has only a header row (line 1) and no images');
  });

  it('rejects an unclosed quote', () => {
    expect(formatError(() => parseImageCsv('digits.csv', '1,"0,0,0,0\n')).message).toContain('line 1: the field "\\"0" opens a double quote but does not close it');
  });

  it('rejects a label that implies too many classes', () => {
    expect(formatError(() => parseImageCsv('digits.csv', '0,0\n5000,0\n')).message).toContain('line 2: label 5000 implies 5,001 classes; at most 1000 are supported');
  });
});
