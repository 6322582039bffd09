/**
 * An error caused by the user's input (bad flag, unreadable file, out-of-range parameter). The CLI
 * prints its message without a stack trace and exits with status 2.
 */
export class UserError extends Error {
  override name = 'UserError';
}
