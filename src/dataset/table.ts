/**
 * The per-shard table (CSV through arquero): one row per sample with its index, seed key, split,
 * status, redraw counts, every model parameter and every descriptor. CSV rather than Parquet so that
 * any tool (pandas, R, a spreadsheet, `diff`) reads it and so its bytes are easy to compare.
 */
import { readFileSync } from 'node:fs';
import * as aq from 'arquero';
import { ALL_PARAM_NAMES, MODEL_PARAM_NAMES } from '../model/types.js';
import { DatasetError } from './errors.js';

/** Leading columns of every shard table, before the parameters and descriptors. */
export const TABLE_ID_COLUMNS = ['index', 'seedKey', 'split', 'status', 'redraws', 'redrawsGeneration', 'redrawsNotFit'] as const;

/**
 * Table column of a descriptor: its name, or `<name>Measured` when a model parameter has the same
 * name (`nParticles` is both the parameter N and the counted particles).
 */
export function descriptorColumn(name: string): string {
  return (ALL_PARAM_NAMES as readonly string[]).includes(name) ? `${name}Measured` : name;
}

/**
 * Column order of a shard table: ids, the model parameters (canonical order: the core ones, then
 * the morphology ones the dataset's prior uses, `paramNamesOf(prior)`), descriptors.
 */
export function tableColumns(descriptorNames: readonly string[], paramNames: readonly string[] = MODEL_PARAM_NAMES): string[] {
  return [...TABLE_ID_COLUMNS, ...paramNames, ...descriptorNames.map(descriptorColumn)];
}

/** One row of a shard table. */
export interface SampleRow {
  index: number;
  seedKey: string;
  split: string;
  status: 'ok' | 'failed';
  redrawsGeneration: number;
  redrawsNotFit: number;
  /** All model parameters by name. */
  params: Readonly<Record<string, number>>;
  descriptors: Readonly<Record<string, number>>;
}

// NumPy/pandas spell non-finite values nan / inf; JS's String() would give NaN / Infinity.
function formatNumber(x: unknown): string {
  if (typeof x !== 'number') return String(x);
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return String(x); // shortest text that round-trips the double exactly
}

function parseNumber(s: string): number {
  if (s === 'nan' || s === '') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

/** Encodes rows (in the given order) as CSV text with {@link tableColumns} columns. */
export function encodeShardTable(rows: readonly SampleRow[], descriptorNames: readonly string[], paramNames: readonly string[] = MODEL_PARAM_NAMES): string {
  const cols: Record<string, unknown[]> = {};
  const names = tableColumns(descriptorNames, paramNames);
  for (const n of names) cols[n] = new Array(rows.length);
  rows.forEach((r, i) => {
    cols.index![i] = r.index;
    cols.seedKey![i] = r.seedKey;
    cols.split![i] = r.split;
    cols.status![i] = r.status;
    cols.redraws![i] = r.redrawsGeneration + r.redrawsNotFit;
    cols.redrawsGeneration![i] = r.redrawsGeneration;
    cols.redrawsNotFit![i] = r.redrawsNotFit;
    for (const p of paramNames) cols[p]![i] = r.params[p] ?? NaN;
    for (const d of descriptorNames) cols[descriptorColumn(d)]![i] = r.descriptors[d] ?? NaN;
  });
  const format: Record<string, (v: unknown) => string> = {};
  for (const n of names) format[n] = formatNumber;
  return aq.table(cols).toCSV({ format });
}

/** A shard table read back: string columns as string arrays, every other column as Float64Array. */
export interface ShardTable {
  rows: number;
  columns: string[];
  seedKey: string[];
  split: string[];
  status: string[];
  numbers: Record<string, Float64Array>;
}

/** Reads a shard table written by {@link encodeShardTable} (from `path`, or from `text` already read), checking its header against `expectedColumns`. */
export function readShardTable(path: string, expectedColumns: readonly string[], text?: string): ShardTable {
  if (text === undefined) {
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new DatasetError(`cannot read shard table ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const header = text.slice(0, text.indexOf('\n')).split(',');
  if (header.join(',') !== expectedColumns.join(',')) {
    throw new DatasetError(`${path}: columns do not match the manifest (got ${header.length} columns starting ${header.slice(0, 4).join(',')}, expected ${expectedColumns.length})`);
  }
  const strings = new Set(['seedKey', 'split', 'status']);
  const parse: Record<string, (s: string) => unknown> = {};
  for (const c of expectedColumns) parse[c] = strings.has(c) ? (s: string) => s : parseNumber;
  const t = aq.fromCSV(text, { autoType: false, parse });
  const rows = t.numRows();
  const numbers: Record<string, Float64Array> = {};
  for (const c of expectedColumns) if (!strings.has(c)) numbers[c] = Float64Array.from(t.array(c) as ArrayLike<number>);
  return {
    rows,
    columns: [...expectedColumns],
    seedKey: Array.from(t.array('seedKey') as ArrayLike<string>),
    split: Array.from(t.array('split') as ArrayLike<string>),
    status: Array.from(t.array('status') as ArrayLike<string>),
    numbers,
  };
}
