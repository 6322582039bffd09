/**
 * Image files: writers for the formats aggstem produces (NPY stacks, 16-bit PNG, float32/uint16
 * TIFF with ImageJ calibration) and readers for microscope files.
 *
 * Every writer is atomic (temp file + rename). Every reader validates sizes against the file length
 * before allocating and throws {@link ImageFormatError} (message: file, format, what was wrong) for
 * corrupt or unsupported input.
 */
export * from './atomic.js';
export * from './errors.js';
export * from './npy.js';
export * from './png.js';
export * from './tiff.js';
