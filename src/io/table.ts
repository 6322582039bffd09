/**
 * Tables on disk: CSV (arquero) and Parquet (parquet-wasm, through Arrow IPC), written atomically.
 * Parquet is what pandas/pyarrow users load fastest (`pd.read_parquet(path)`).
 */
import { readFileSync } from 'node:fs';
import * as aq from 'arquero';
import * as parquet from 'parquet-wasm';
import { writeFileAtomic } from './atomic.js';

/** Writes an arquero table as CSV (atomic). */
export function writeTableCsv(path: string, table: aq.ColumnTable): void {
  writeFileAtomic(path, table.toCSV() + '\n');
}

/** Encodes an arquero table as Parquet bytes. */
export function encodeParquet(table: aq.ColumnTable): Uint8Array {
  const arrow = parquet.Table.fromIPCStream(table.toArrowIPC());
  return parquet.writeParquet(arrow);
}

/** Writes an arquero table as Parquet (atomic). */
export function writeTableParquet(path: string, table: aq.ColumnTable): void {
  writeFileAtomic(path, encodeParquet(table));
}

/** Reads a Parquet file into an arquero table. */
export function readTableParquet(path: string): aq.ColumnTable {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read Parquet table ${path}: ${(e as Error).message}`);
  }
  try {
    return aq.fromArrow(parquet.readParquet(bytes).intoIPCStream());
  } catch (e) {
    throw new Error(`${path} is not a readable Parquet file: ${(e as Error).message}`);
  }
}
