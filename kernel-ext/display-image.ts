/**
 * The images `show` and the figure builders accept, in one display form `{data, width, height,
 * pixelSizeNm}`: file images (`MicroscopeImage`), the library's `Image2D`, and a simulated
 * `StemImage` by channel, with what each channel's values mean (for colour-bar titles).
 */
import type { ImageLike } from './image.js';

/** Which map of a simulated `StemImage` to show (default: the noisy image). */
export type StemChannel = 'noisy' | 'clean' | 'counts' | 'thicknessA' | 'thicknessB' | 'mask';
export const STEM_CHANNEL_FIELD: Record<StemChannel, string> = {
  noisy: 'noisy', clean: 'clean', counts: 'counts', thicknessA: 'thicknessANm', thicknessB: 'thicknessBNm', mask: 'materialMask',
};

/**
 * What a channel's values are, as a colour-bar title (`<sub>`/`<sup>` markup, see rich-text.ts),
 * and for the material mask the names of its values 0–3.
 */
export const STEM_CHANNEL_MEANING: Record<StemChannel, { title: string; categories?: readonly string[] }> = {
  noisy: { title: 'HAADF signal I/I<sub>0</sub>' },
  clean: { title: 'HAADF signal I/I<sub>0</sub> (noise-free)' },
  counts: { title: 'detector counts' },
  thicknessA: { title: 'projected thickness t<sub>A</sub> (nm)' },
  thicknessB: { title: 'projected thickness t<sub>B</sub> (nm)' },
  mask: { title: 'material along the beam', categories: ['none', 'A only', 'B only', 'A and B'] },
};

export function isArrayLike(a: unknown): a is ArrayLike<number> {
  return (ArrayBuffer.isView(a) && !(a instanceof DataView)) || Array.isArray(a);
}

/** True for a simulated `StemImage` (it has the noise-free `clean` map beside `noisy`). */
export function isStemImage(x: unknown): boolean {
  if (x === null || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return Number.isInteger(o.widthPx) && isArrayLike(o.clean) && isArrayLike(o.noisy);
}

/**
 * The library's images (`Image2D`: `data`, `widthPx`, `heightPx`, `pixelSizeNm`; a simulated
 * `StemImage` shows its `noisy` image) as the display's `{ data, width, height }`; other values unchanged.
 */
export function asDisplayImage(x: unknown, channel?: StemChannel): unknown {
  if (x === null || typeof x !== 'object') return x;
  const o = x as Record<string, unknown>;
  if (!Number.isInteger(o.widthPx) || !Number.isInteger(o.heightPx)) return x;
  if (channel !== undefined && !isArrayLike(o[STEM_CHANNEL_FIELD[channel]])) {
    throw new TypeError(`show: channel "${channel}" needs a simulated StemImage (field ${STEM_CHANNEL_FIELD[channel]}); this image has ${Object.keys(o).filter((k) => isArrayLike(o[k])).join(', ')}`);
  }
  const data = channel !== undefined ? o[STEM_CHANNEL_FIELD[channel]] : isArrayLike(o.data) ? o.data : isArrayLike(o.noisy) ? o.noisy : undefined;
  if (!data) return x;
  return { data, width: o.widthPx, height: o.heightPx, ...(typeof o.pixelSizeNm === 'number' ? { pixelSizeNm: o.pixelSizeNm } : {}) };
}

/** True for images: integer `width`, `height` and a pixel array `data` covering them (or an `Image2D` / `StemImage`). */
export function isImageLike(x: unknown): x is ImageLike {
  x = asDisplayImage(x);
  if (x === null || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return Number.isInteger(o.width) && Number.isInteger(o.height) && isArrayLike(o.data) &&
    (o.data as ArrayLike<number>).length >= (o.width as number) * (o.height as number);
}

