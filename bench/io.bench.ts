/**
 * Image file throughput on a 512 x 512 image (the `paper` preset's image size): encode / decode of
 * NPY, 16-bit PNG and float32 TIFF, the NPY stack writer (streaming 64 frames to disk), and reading
 * the instrument fixtures through readImage when they are present.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodeImage,
  decodeNpy,
  decodePng,
  encodeNpy,
  encodePng16,
  encodeTiffFloat32,
  loadHdf5,
  openNpyStack,
  readImage,
} from '../src/io/index.js';

/** Median milliseconds per call over `reps` calls (after one warm-up). */
function time(reps: number, fn: () => unknown): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return +t[Math.floor(t.length / 2)]!.toFixed(3);
}

export async function run(): Promise<object> {
  const w = 512;
  const n = w * w;
  const f32 = Float32Array.from({ length: n }, (_, i) => 1000 + 800 * Math.sin(i / 37) * Math.cos(i / 4099));
  const u16 = Uint16Array.from(f32, (v) => Math.round(v * 20));
  const npy = encodeNpy(f32, [w, w]);
  const png = encodePng16(u16, w, w, { pixelSizeNm: 1 });
  const tif = encodeTiffFloat32(f32, w, w, { pixelSizeNm: 1 });
  const mb = (n * 4) / 2 ** 20;
  const out: Record<string, unknown> = {
    image: `${w} x ${w}`,
    npyEncodeMs: time(20, () => encodeNpy(f32, [w, w])),
    npyDecodeMs: time(20, () => decodeNpy(npy)),
    png16EncodeMs: time(5, () => encodePng16(u16, w, w, { pixelSizeNm: 1 })),
    png16DecodeMs: time(5, () => decodePng(png)),
    png16Bytes: png.length,
    tiffFloat32EncodeMs: time(20, () => encodeTiffFloat32(f32, w, w, { pixelSizeNm: 1 })),
    tiffFloat32DecodeMs: time(20, () => decodeImage(tif)),
  };
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-bench-io-'));
  try {
    const frames = 64;
    const t0 = performance.now();
    const s = openNpyStack(join(dir, 'stack.npy'), 'float32', [w, w]);
    for (let k = 0; k < frames; k++) s.append(f32);
    s.commit();
    const sec = (performance.now() - t0) / 1000;
    out.npyStackWrite = { frames, seconds: +sec.toFixed(3), mbPerSecond: +((frames * mb) / sec).toFixed(1) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const fixtures = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../shared/fixtures/stem-files');
  if (existsSync(fixtures)) {
    await loadHdf5();
    const reads: Record<string, number> = {};
    for (const f of readdirSync(fixtures).filter((x) => /^(test_STEM_image\.dm3|HAADFscan\.mrc|example_image\.emd|test-2\.dm4)$/.test(x))) {
      reads[f] = time(20, () => readImage(join(fixtures, f)));
    }
    out.fixtureReadMs = reads;
  }
  return out;
}
