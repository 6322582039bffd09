/**
 * Writes a simulated image as files microscopy and Python tools read: 16-bit PNG counts, float32
 * TIFF of the normalised intensity (pixel size in the ImageJ calibration), `.npy` arrays.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { encodeNpy } from '../io/npy.js';
import { encodePng16, encodePng8 } from '../io/png.js';
import { encodeTiffFloat32 } from '../io/tiff.js';
import type { StemImage } from './simulate.js';

/** One written file: name relative to the image directory, size and SHA-256 of its bytes. */
export interface StemImageFile {
  name: string;
  bytes: number;
  sha256: string;
}

/** What {@link writeStemImage} wrote. */
export interface StemImageFiles {
  dir: string;
  files: StemImageFile[];
}

/**
 * Writes `image` into `dir` (created if needed), every file atomically:
 * - `counts.png`: raw detector counts, 16-bit greyscale, pixel size in pHYs and tEXt `pixelSizeNm`,
 *   detector levels in tEXt `vacuumLevel` (offset) and `fullBeamLevel` (offset + gain·dose);
 * - `intensity.tif`: normalised noisy intensity (S − offset)/(g·N0), float32, ImageJ calibration in nm;
 * - `clean.npy`: noise-free HAADF fraction, float32 [H, W];
 * - `mask.png`: material mask, 8-bit (0 none, 1 A, 2 B, 3 both);
 * - `thickness.npy`: projected thickness, float32 [3, H, W] = (A, B, carbon) in nm.
 */
export function writeStemImage(dir: string, image: StemImage): StemImageFiles {
  const { widthPx: W, heightPx: H, pixelSizeNm } = image;
  const cfg = image.microscope;
  const text = {
    source: 'aggstem simulate',
    doseElectronsPerPx: String(cfg.doseElectronsPerPx),
    gain: String(cfg.detector.gain),
    offset: String(cfg.detector.offset),
    // Detector levels of vacuum and of the whole beam, so `aggstem predict` can normalise the raw counts.
    vacuumLevel: String(cfg.detector.offset),
    fullBeamLevel: String(cfg.detector.offset + cfg.detector.gain * cfg.doseElectronsPerPx),
  };
  const thickness = new Float32Array(3 * W * H);
  thickness.set(image.thicknessANm, 0);
  thickness.set(image.thicknessBNm, W * H);
  thickness.set(image.thicknessCarbonNm, 2 * W * H);
  const outputs: [string, Uint8Array][] = [
    ['counts.png', encodePng16(image.counts, W, H, { pixelSizeNm, text })],
    ['intensity.tif', encodeTiffFloat32(image.noisy, W, H, {
      pixelSizeNm,
      description: `aggstem normalised HAADF intensity (S - offset)/(gain*dose); dose=${cfg.doseElectronsPerPx} e/px`,
    })],
    ['clean.npy', encodeNpy(image.clean, [H, W])],
    ['mask.png', encodePng8(image.materialMask, W, H, { pixelSizeNm, text: { legend: '0 none, 1 A, 2 B, 3 both' } })],
    ['thickness.npy', encodeNpy(thickness, [3, H, W])],
  ];
  const files: StemImageFile[] = [];
  for (const [name, bytes] of outputs) {
    writeFileAtomic(join(dir, name), bytes);
    files.push({ name, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  return { dir, files };
}
