/**
 * The one error policy of aggstem: an error caused by the caller's input — a bad parameter, an
 * unreadable or corrupt file, a model that does not fit the image, an infeasible request — is a
 * {@link UserError}. Every stage's input error extends it (`ModelParamError`, `ImageFormatError`,
 * `MicroscopeConfigError`, `DatasetError`, `TrainConfigError`, `EstimatorFileError`,
 * `EstimatorInputError`, `PreprocessError`, …), so a notebook can `catch (e) { if (e instanceof
 * UserError) … }` and the CLI prints the message without a stack trace and exits with status 2.
 * Anything else is a bug and keeps its stack trace. See docs/architecture.md.
 */
export class UserError extends Error {
  override name = 'UserError';
}
