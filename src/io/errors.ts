import { UserError } from '../errors.js';

/**
 * A file could not be read as the image format it claims to be (truncated, corrupt, unsupported
 * variant). The message names the file, the format and what was wrong. It extends the CLI's
 * `UserError` so every command that reads images exits with status 2 and a one-line message.
 */
export class ImageFormatError extends UserError {
  override name = 'ImageFormatError';
  /** The file (or `<bytes>` for in-memory input). */
  readonly file: string;
  /** The format being read, e.g. `dm3`, `npy`. */
  readonly format: string;
  constructor(file: string, format: string, problem: string) {
    super(`${file}: not a readable ${format} file: ${problem}`);
    this.file = file;
    this.format = format;
  }
}
