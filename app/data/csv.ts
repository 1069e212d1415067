/**
 * RFC 4180 CSV reader: comma-separated fields, double-quoted fields may contain commas, line breaks
 * and doubled quotes (""), records end with LF or CRLF. Each record keeps the 1-based line number
 * where it starts, so callers can point at the offending line.
 */

export interface CsvRecord {
  /** Line of the file where the record starts (1-based). */
  line: number;
  fields: string[];
}

export interface CsvProblem {
  line: number;
  message: string;
}

/** Splits CSV text into records. Syntax errors are returned as problems, not thrown. */
export function parseCsvRecords(content: string): { records: CsvRecord[]; problems: CsvProblem[] } {
  const records: CsvRecord[] = [];
  const problems: CsvProblem[] = [];
  const length = content.length;
  const atLineEnd = (i: number) => content[i] === '\n' || (content[i] === '\r' && content[i + 1] === '\n');
  let i = content.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte order mark is not data
  let line = 1;

  while (i < length) {
    const recordLine = line;
    const fields: string[] = [];

    // 1. Fields up to the end of the record.
    for (;;) {
      let field = '';
      if (content[i] === '"') {
        const openingLine = line;
        let closed = false;
        i++;
        while (i < length) {
          if (content[i] === '"') {
            if (content[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            closed = true;
            i++;
            break;
          }
          if (content[i] === '\n') line++;
          field += content[i];
          i++;
        }
        if (!closed) {
          problems.push({ line: openingLine, message: 'a quoted field is never closed (missing ")' });
          return { records, problems };
        }
        if (i < length && content[i] !== ',' && !atLineEnd(i)) {
          problems.push({ line, message: `unexpected ${JSON.stringify(content[i])} after a closing quote; expected a comma or the end of the line` });
          while (i < length && content[i] !== '\n') i++;
        }
      } else {
        let strayQuote = false;
        while (i < length && content[i] !== ',' && !atLineEnd(i)) {
          if (content[i] === '"') strayQuote = true;
          field += content[i];
          i++;
        }
        if (strayQuote) {
          problems.push({ line, message: 'a quote appears inside an unquoted field; quote the whole field and double the inner quotes ("")' });
        }
      }
      fields.push(field);

      if (i < length && content[i] === ',') {
        i++;
        continue;
      }
      break;
    }

    // 2. The line break that ends the record.
    if (content[i] === '\r') i++;
    if (content[i] === '\n') {
      i++;
      line++;
    }
    records.push({ line: recordLine, fields });
  }
  return { records, problems };
}
