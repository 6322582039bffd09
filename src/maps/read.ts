/**
 * Element maps from files: an RGB overlay (PNG or TIFF, one element per colour channel) or two
 * single-element maps (any format `readImage` reads). Burnt-in scale bars and labels are white or
 * grey in such overlays, so neutral bright pixels are masked (with a 1 px border for anti-aliasing),
 * as are rectangles the user names. docs/maps.md.
 */
import { readFileSync } from 'node:fs';
import { decode as tiffDecode } from 'tiff';
import { decodePng } from '../io/png.js';
import { readImage } from '../io/read.js';
import { MapInputError, type MaterialMaps } from './classify.js';

/** A colour channel of an overlay. */
export type Channel = 'red' | 'green' | 'blue';
export const CHANNELS: readonly Channel[] = ['red', 'green', 'blue'];

/** A rectangle to mask, px: x, y of the top-left corner, width, height. */
export type MaskRect = [number, number, number, number];

/** Options of {@link mapsFromOverlay}. */
export interface OverlayOptions {
  /** Channel of material A (default red) and of B (default green). */
  a?: Channel;
  b?: Channel;
  /** Pixel size, nm (default: from the file; required if the file has none). */
  pixelSizeNm?: number;
  /** Mask white/grey annotation pixels automatically (default true). */
  maskAnnotations?: boolean;
  /** Extra rectangles to mask. */
  maskRects?: MaskRect[];
}

/** An RGB image as three planes. */
interface Rgb {
  planes: [Float32Array, Float32Array, Float32Array];
  widthPx: number;
  heightPx: number;
  /** Largest sample value (255 or 65535). */
  max: number;
  pixelSizeNm: number | null;
}

function readRgb(path: string): Rgb {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new MapInputError(`cannot read overlay ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50;
  const isTiff = (bytes[0] === 0x49 && bytes[1] === 0x49) || (bytes[0] === 0x4d && bytes[1] === 0x4d);
  if (!isPng && !isTiff) throw new MapInputError(`${path}: an overlay must be a PNG or TIFF file`);
  let data: ArrayLike<number>, w: number, h: number, spp: number, depth: number, px: number | null = null;
  if (isPng) {
    const png = decodePng(bytes, path);
    w = png.width; h = png.height; depth = png.bitDepth; px = png.pixelSizeNm ?? null;
    if (png.palette) {
      const idx = png.data;
      const rgb = new Uint8Array(w * h * 3);
      for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.palette[idx[i]!]?.[c] ?? 0;
      data = rgb; spp = 3; depth = 8;
    } else {
      data = png.data; spp = png.channels;
    }
  } else {
    let d;
    try {
      d = tiffDecode(bytes, { pages: [0] })[0];
    } catch (e) {
      throw new MapInputError(`${path}: not a readable TIFF (${(e as Error).message})`);
    }
    if (!d) throw new MapInputError(`${path}: the TIFF has no image`);
    w = d.width; h = d.height; spp = d.samplesPerPixel; depth = d.bitsPerSample as number;
    data = d.data as ArrayLike<number>;
    const meta = readImage(path);
    px = meta.pixelSizeNm ?? null;
  }
  if (spp < 3) throw new MapInputError(`${path}: ${spp} channel(s); an overlay needs colour (RGB) — give two single-element maps with --a FILE --b FILE instead`);
  const n = w * h;
  const planes: [Float32Array, Float32Array, Float32Array] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) planes[c]![i] = data[i * spp + c]!;
  return { planes, widthPx: w, heightPx: h, max: depth > 8 ? 65535 : 255, pixelSizeNm: px };
}

/**
 * The two element maps of an RGB overlay. With `maskAnnotations` (default) pixels that are bright
 * and colourless (max channel ≥ 25 % of full scale, channel spread ≤ 12 % of the max: white or
 * grey text and scale bars; element colours and their mixtures such as yellow are not neutral)
 * are masked with a 1 px border, and masked pixels are zeroed so the smoothing does not spread them.
 *
 * @example
 * const maps = mapsFromOverlay('edx-overlay.png', { a: 'red', b: 'green', pixelSizeNm: 0.625 });
 */
export function mapsFromOverlay(path: string, opts: OverlayOptions = {}): MaterialMaps {
  const a = opts.a ?? 'red', b = opts.b ?? 'green';
  for (const [k, c] of [['a', a], ['b', b]] as const) if (!CHANNELS.includes(c)) throw new MapInputError(`--${k} ${String(c)}: expected red, green or blue`);
  if (a === b) throw new MapInputError(`--a and --b are both ${a}; the two materials need different channels`);
  const img = readRgb(path);
  const { widthPx: w, heightPx: h } = img;
  const px = opts.pixelSizeNm ?? img.pixelSizeNm;
  if (!(px !== null && px > 0)) throw new MapInputError(`${path} has no pixel size; give --pixel-size NM`);
  const mask = new Uint8Array(w * h);
  if (opts.maskAnnotations ?? true) {
    const [R, G, B] = img.planes;
    const seed = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) {
      const hi = Math.max(R[i]!, G[i]!, B[i]!), lo = Math.min(R[i]!, G[i]!, B[i]!);
      if (hi >= 0.25 * img.max && hi - lo <= 0.12 * hi) seed[i] = 1;
    }
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      if (!seed[y * w + x]) continue;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx, yy = y + dy;
        if (xx >= 0 && yy >= 0 && xx < w && yy < h) mask[yy * w + xx] = 1;
      }
    }
  }
  maskRects(mask, w, h, opts.maskRects);
  const pick = (c: Channel) => {
    const p = Float32Array.from(img.planes[CHANNELS.indexOf(c)]!);
    for (let i = 0; i < w * h; i++) if (mask[i]) p[i] = 0;
    return p;
  };
  return { a: pick(a), b: pick(b), widthPx: w, heightPx: h, pixelSizeNm: px, mask };
}

/** The element maps from two single-element files (same size), e.g. Ti and W maps. */
export function mapsFromFiles(aPath: string, bPath: string, opts: { pixelSizeNm?: number; maskRects?: MaskRect[] } = {}): MaterialMaps {
  const a = readImage(aPath), b = readImage(bPath);
  if (a.width !== b.width || a.height !== b.height) throw new MapInputError(`${aPath} is ${a.width}×${a.height} px but ${bPath} is ${b.width}×${b.height} px; the maps must cover the same field`);
  const px = opts.pixelSizeNm ?? a.pixelSizeNm ?? b.pixelSizeNm;
  if (!(px != null && px > 0)) throw new MapInputError(`${aPath} has no pixel size; give --pixel-size NM`);
  const w = a.width, h = a.height;
  const mask = new Uint8Array(w * h);
  maskRects(mask, w, h, opts.maskRects);
  const plane = (d: ArrayLike<number>) => Float32Array.from(d, (v, i) => (mask[i] ? 0 : v));
  return { a: plane(a.data), b: plane(b.data), widthPx: w, heightPx: h, pixelSizeNm: px, mask };
}

/** Sets the pixels of each rectangle (x, y, width, height; clipped to the field) in `mask`. */
function maskRects(mask: Uint8Array, w: number, h: number, rects: MaskRect[] = []): void {
  for (const [x0, y0, rw, rh] of rects) {
    if (![x0, y0, rw, rh].every((v) => Number.isInteger(v) && v >= 0) || rw < 1 || rh < 1) throw new MapInputError(`mask rectangle ${[x0, y0, rw, rh].join(',')}: expected x,y,width,height as non-negative integers`);
    for (let y = y0; y < Math.min(h, y0 + rh); y++) for (let x = x0; x < Math.min(w, x0 + rw); x++) mask[y * w + x] = 1;
  }
}
