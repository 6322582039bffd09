/**
 * The one image type of aggstem after a file is read: a single-channel, row-major image with its
 * physical pixel size. The simulator's `StemImage`, the estimator's input and the preprocessing
 * results all carry these four fields. (File readers return `MicroscopeImage`, which describes the
 * file's array — `width`, `height`, `shape`, `dtype` — and whose pixel size may be unknown.)
 */
export interface Image2D {
  /** Row-major `[heightPx, widthPx]` values. */
  data: ArrayLike<number>;
  widthPx: number;
  heightPx: number;
  /** Physical size of one pixel, nm. */
  pixelSizeNm: number;
}

/** Throws a RangeError naming `where` unless `img` is a well-formed {@link Image2D}. */
export function checkImage2D(img: Image2D, where: string): void {
  if (!(Number.isInteger(img.widthPx) && img.widthPx > 0 && Number.isInteger(img.heightPx) && img.heightPx > 0)) {
    throw new RangeError(`${where}: image size ${img.widthPx}×${img.heightPx} px; expected positive integers`);
  }
  if (img.data.length !== img.widthPx * img.heightPx) {
    throw new RangeError(`${where}: image has ${img.data.length} values, expected ${img.widthPx}×${img.heightPx} = ${img.widthPx * img.heightPx}`);
  }
  if (!(Number.isFinite(img.pixelSizeNm) && img.pixelSizeNm > 0)) {
    throw new RangeError(`${where}: pixel size ${img.pixelSizeNm} nm; expected a positive number`);
  }
}
