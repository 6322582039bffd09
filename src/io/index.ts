/**
 * Image files: writers for the formats aggstem produces (NPY stacks, 16-bit PNG, float32/uint16
 * TIFF with ImageJ calibration) and readers for microscope files (DM3/DM4, MRC, EMD, TIFF, PNG, NPY)
 * behind one entry point, {@link readImage}.
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
export { decodeTiff } from './tiff-read.js';
export { nmPerUnit, pixelSizeOf, imageStats } from './image.js';
export type { ImageArray, ImageDtype, ImageFormat, MicroscopeImage, PixelSize } from './image.js';
export { decodeDm, parseDm, dmGet, dmPath, dmText, dmToPlain } from './dm.js';
export type { DmArray, DmFile, DmGroup, DmValue } from './dm.js';
export { decodeMrc } from './mrc.js';
export { loadHdf5, hdf5Loaded, readEmd } from './emd.js';
export { decodeImage, detectImageFormat, readImage, readImageAsync } from './read.js';
export type { ReadImageOptions } from './read.js';
