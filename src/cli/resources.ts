/**
 * Start-up steps several commands share (train, predict, evaluate): the `--backend` flag, starting
 * the TensorFlow backend and opening a dataset, with library errors turned into {@link UserError}s
 * that name the command.
 */
import { initBackend, type BackendPreference } from '../cnn/backend/index.js';
import { openDataset, type Dataset } from '../dataset/index.js';
import { UserError } from './errors.js';

const BACKEND_CHOICES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** The `--backend` flag's value, checked (default `auto`). */
export function backendFlag(command: string, value: string | undefined): BackendPreference {
  const pref = value ?? 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(pref)) {
    throw new UserError(`aggstem ${command}: --backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${pref}"`);
  }
  return pref as BackendPreference;
}

/** Starts the backend and reports which one runs and why (through `say`). */
export async function startBackend(command: string, pref: BackendPreference, say: (line: string) => void): Promise<Awaited<ReturnType<typeof initBackend>>> {
  const be = await initBackend(pref);
  say(`backend: ${be.name} (${be.reason})`);
  return be;
}

/** Opens a dataset directory for a command. */
export function openDatasetFor(command: string, dir: string): Dataset {
  return openDataset(dir);
}
