/**
 * CSV feature files: reader and writers (pure TS; takes and returns text, never paths).
 *
 * Format (RFC 4180 with a header row): one row per image. A column named `filename` (any case)
 * holds the row ids, a column named `label` (any case) the class labels; every other column is a
 * feature value. A first column with an empty header name (the index column pandas writes with
 * `DataFrame.to_csv()`, as in the MedSynAnalyzer feature files) is ignored. Quoted fields ("" for a
 * quote inside), CRLF or LF line ends, a UTF-8 byte-order mark and blank lines are accepted.
 *
 * Every problem is an `InputError` with a one-line message that names the problem and the line
 * number (line 1 is the header; a record's line is the physical line where it starts).
 */
import { makeFeatureSet, type FeatureKind, type FeatureSet } from './featureSet.ts';

/** A problem with user input (a file's content or a command-line value), reported in one line. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(message: string) {
    super(message);
  }
}

export interface CsvReadOptions {
  /** 'continuous' (default): float values. 'discrete': integer codes (Int32Array), non-integers are an error. */
  kind?: FeatureKind;
}

interface Record {
  /** Fields; from a line with quotes they are already trimmed (unquoted) or verbatim (quoted). */
  fields: string[];
  line: number;
  /** False when the line had no quote: its fields are raw and need trimming. */
  quoted: boolean;
}

/** Split CSV text into records; quoted fields may hold commas, quotes ("") and line breaks. */
function* records(text: string): Generator<Record> {
  const n = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let q = -2; // position of the next quote character at or after pos (-1: none left)
  while (pos < n) {
    const startLine = line;
    // Fast path: a line without any quote character.
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = n;
    if (q !== -1 && q < pos) q = text.indexOf('"', pos);
    if (q < 0 || q >= eol) {
      let end = eol;
      if (end > pos && text.charCodeAt(end - 1) === 13) end--;
      const raw = text.slice(pos, end);
      pos = eol + 1;
      line++;
      if (raw.trim() === '') continue;
      yield { fields: raw.split(','), line: startLine, quoted: false };
      continue;
    }
    // Slow path: character by character with quote handling.
    const fields: string[] = [];
    let field = '';
    let inQuotes = false;
    let wasQuoted = false;
    for (;;) {
      if (pos >= n) {
        if (inQuotes) throw new InputError(`line ${startLine}: quoted field is not closed before the end of the file`);
        fields.push(wasQuoted ? field : field.trim());
        break;
      }
      const c = text.charCodeAt(pos);
      if (inQuotes) {
        if (c === 34) {
          if (text.charCodeAt(pos + 1) === 34) { field += '"'; pos += 2; continue; }
          inQuotes = false;
          pos++;
          continue;
        }
        if (c === 10) line++;
        field += text[pos];
        pos++;
        continue;
      }
      if (c === 34) {
        if (field.trim() !== '') throw new InputError(`line ${line}: a quote inside an unquoted field`);
        field = '';
        inQuotes = true;
        wasQuoted = true;
        pos++;
        continue;
      }
      if (c === 44) {
        fields.push(wasQuoted ? field : field.trim());
        field = '';
        wasQuoted = false;
        pos++;
        continue;
      }
      if (c === 10 || (c === 13 && text.charCodeAt(pos + 1) === 10)) {
        fields.push(wasQuoted ? field : field.trim());
        pos += c === 13 ? 2 : 1;
        line++;
        break;
      }
      if (wasQuoted && c !== 32 && c !== 9 && c !== 13) {
        throw new InputError(`line ${line}: text after a closing quote`);
      }
      if (!wasQuoted) field += text[pos];
      pos++;
    }
    yield { fields, line: startLine, quoted: true };
  }
}

const NUMBER_RE = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const NONFINITE_RE = /^[-+]?(?:nan|inf|infinity)$/i;

function parseError(s: string, line: number, row: number, column: string, discrete: boolean): InputError {
  const t = s.trim();
  const where = `line ${line} (row ${row}), column "${column}"`;
  if (t === '') return new InputError(`${where}: empty value`);
  if (NONFINITE_RE.test(t)) return new InputError(`${where}: value "${t}" is not a finite number (NaN and Infinity are not allowed)`);
  if (!NUMBER_RE.test(t)) return new InputError(`${where}: value "${t}" is not a number`);
  const v = Number(t);
  if (discrete) return new InputError(`${where}: value "${t}" is not an integer code (discrete features need 32-bit integers)`);
  if (!Number.isFinite(v) || !Number.isFinite(Math.fround(v))) return new InputError(`${where}: value "${t}" is not a finite float32 number`);
  return new InputError(`${where}: value "${t}" could not be read`);
}

/**
 * One numeric field. Fast path: Number() accepts it, it starts like a decimal number (digit, sign
 * or point) and is not a 0x / 0b / 0o literal; anything else goes through the exact checks.
 */
function parseValue(s: string, line: number, row: number, column: string, discrete: boolean): number {
  const c0 = s.charCodeAt(0);
  const c1 = s.charCodeAt(1) | 32;
  if (((c0 >= 48 && c0 <= 57) || c0 === 45 || c0 === 43 || c0 === 46) && c1 !== 120 && c1 !== 98 && c1 !== 111) {
    const v = Number(s);
    if (discrete) {
      if (Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) return v;
    } else if (Number.isFinite(Math.fround(v))) {
      return v;
    }
  } else {
    const t = s.trim();
    if (t !== s && t !== '') return parseValue(t, line, row, column, discrete);
  }
  throw parseError(s, line, row, column, discrete);
}

/**
 * Read a CSV feature file. Throws `InputError` on a ragged row ("line 17 has 5 fields, header has 6"),
 * a non-numeric, NaN or infinite value (line and column name), a file without feature columns or rows.
 */
export function readFeaturesCsv(text: string, opts: CsvReadOptions = {}): FeatureSet {
  const kind = opts.kind ?? 'continuous';
  const discrete = kind === 'discrete';
  const it = records(text);
  const first = it.next();
  if (first.done) throw new InputError('the file is empty (no header row)');
  const header = first.value.fields.map((h) => h.trim());
  let idCol = -1;
  let labelCol = -1;
  const featCols: number[] = [];
  header.forEach((h, i) => {
    const lower = h.toLowerCase();
    if (lower === 'filename') {
      if (idCol >= 0) throw new InputError('line 1: the header has two "filename" columns');
      idCol = i;
    } else if (lower === 'label') {
      if (labelCol >= 0) throw new InputError('line 1: the header has two "label" columns');
      labelCol = i;
    } else if (h === '' && i === 0) {
      // pandas index column: ignored
    } else if (h === '') {
      throw new InputError(`line 1: column ${i + 1} of the header has no name`);
    } else {
      featCols.push(i);
    }
  });
  if (featCols.length === 0) throw new InputError('line 1: the header has no feature columns (only filename/label)');
  const dim = featCols.length;
  const width = header.length;
  let cap = 1024;
  let values: Float64Array = new Float64Array(cap * dim);
  const ids: string[] = [];
  const labels: string[] = [];
  let n = 0;
  for (const rec of it) {
    const f = rec.fields;
    if (f.length !== width) throw new InputError(`line ${rec.line} has ${f.length} fields, header has ${width}`);
    if (n === cap) {
      cap *= 2;
      const grown = new Float64Array(cap * dim);
      grown.set(values);
      values = grown;
    }
    const base = n * dim;
    for (let j = 0; j < dim; j++) values[base + j] = parseValue(f[featCols[j]], rec.line, n + 1, header[featCols[j]], discrete);
    ids.push(idCol >= 0 ? (rec.quoted ? f[idCol] : f[idCol].trim()) : String(n));
    if (labelCol >= 0) {
      const l = rec.quoted ? f[labelCol] : f[labelCol].trim();
      if (l === '') throw new InputError(`line ${rec.line}, column "${header[labelCol]}": empty label`);
      labels.push(l);
    }
    n++;
  }
  if (n === 0) throw new InputError('the file has a header but no data rows (empty set)');
  const data = discrete ? Int32Array.from(values.subarray(0, n * dim)) : Float32Array.from(values.subarray(0, n * dim));
  return makeFeatureSet(data, n, dim, { ids, labels: labelCol >= 0 ? labels : null, kind });
}

/** One CSV field, quoted when it holds a comma, quote, line break or surrounding spaces. */
export function csvField(s: string): string {
  if (/[",\r\n]/.test(s) || s !== s.trim()) return '"' + s.replace(/"/g, '""') + '"';
  return s;
}

/** CSV text from a header and rows (LF line ends, fields quoted as needed). */
export function toCsv(header: string[], rows: Iterable<(string | number | null)[]>): string {
  const out: string[] = [header.map(csvField).join(',')];
  for (const r of rows) out.push(r.map((v) => (v === null ? '' : typeof v === 'number' ? String(v) : csvField(v))).join(','));
  return out.join('\n') + '\n';
}

/** The ids file that travels with an .npy: columns `filename` and (when labels exist) `label`. */
export function writeIdsCsv(ids: string[], labels: string[] | null): string {
  if (labels && labels.length !== ids.length) throw new Error(`${labels.length} labels for ${ids.length} ids`);
  const header = labels ? ['filename', 'label'] : ['filename'];
  return toCsv(header, ids.map((id, i) => (labels ? [id, labels[i]] : [id])));
}

/** Read an ids file (`filename` column required, `label` optional) written by writeIdsCsv or by hand. */
export function readIdsCsv(text: string): { ids: string[]; labels: string[] | null } {
  const it = records(text);
  const first = it.next();
  if (first.done) throw new InputError('the ids file is empty (no header row)');
  const header = first.value.fields.map((h) => h.trim().toLowerCase());
  const idCol = header.indexOf('filename');
  const labelCol = header.indexOf('label');
  if (idCol < 0) throw new InputError('line 1: the ids file has no "filename" column');
  const ids: string[] = [];
  const labels: string[] = [];
  for (const rec of it) {
    if (rec.fields.length !== header.length) throw new InputError(`line ${rec.line} has ${rec.fields.length} fields, header has ${header.length}`);
    ids.push(rec.quoted ? rec.fields[idCol] : rec.fields[idCol].trim());
    if (labelCol >= 0) {
      const l = rec.quoted ? rec.fields[labelCol] : rec.fields[labelCol].trim();
      if (l === '') throw new InputError(`line ${rec.line}: empty label`);
      labels.push(l);
    }
  }
  return { ids, labels: labelCol >= 0 ? labels : null };
}

/** A full feature CSV (filename, [label,] f0..f{d-1}) that readFeaturesCsv reads back exactly. */
export function writeFeaturesCsv(fs: FeatureSet): string {
  const header = ['filename', ...(fs.labels ? ['label'] : []), ...Array.from({ length: fs.dim }, (_, j) => `f${j}`)];
  const rows = function* () {
    for (let i = 0; i < fs.n; i++) {
      const row: (string | number)[] = [fs.ids[i]];
      if (fs.labels) row.push(fs.labels[i]);
      for (let j = 0; j < fs.dim; j++) row.push(fs.data[i * fs.dim + j]);
      yield row;
    }
  };
  return toCsv(header, rows());
}
