import { UserError } from '../errors.js';

/**
 * A dataset request or dataset directory that cannot be used: a bad config value, a directory that
 * holds a different dataset, a missing or corrupt shard, parts that do not merge. The message names
 * the input, the value and what was expected. It extends the CLI's `UserError`, so `aggstem dataset`
 * exits with status 2 and a one-line message.
 */
export class DatasetError extends UserError {
  override name = 'DatasetError';
}
