/**
 * The HAADF-STEM image simulator: spheres → projected thickness → optical density → HAADF fraction
 * → blur → scan distortion → shot and detector noise (docs/stem.md).
 */
import { deriveStream, normal, type RandomStream } from '../random/index.js';
import type { Particles } from '../model/types.js';
import { validateMicroscopeConfig, type MicroscopeConfig } from './config.js';
import {
  createThicknessBuffers, materialMaskFrom, placeParticles, rasterizeThickness, validateParticles, validateRotation,
  IDENTITY_ROTATION, type ImageGeometry, type ThicknessBuffers,
} from './project.js';
import { carbonFilmThickness, haadfFraction, opticalDensityFunction } from './optics.js';
import { convolve2dAdd, convolveSeparable, createBlurScratch, defocusKernel2d, gaussianKernel1d, type BlurScratch } from './blur.js';
import { hasDistortion, resampleBilinear, resampleNearest, scanDisplacement } from './distort.js';
import { addNoise } from './noise.js';

/** A simulated HAADF-STEM image with its noise-free version and ground-truth label maps. */
export interface StemImage {
  widthPx: number;
  heightPx: number;
  /** Physical pixel size, nm. */
  pixelSizeNm: number;
  /** Noise-free HAADF fraction of the beam after blur and scan distortion (row-major H × W). */
  clean: Float32Array;
  /** Normalised noisy estimate (S − offset)/(g·N0): what the CNN and real-data normalisation see. */
  noisy: Float32Array;
  /** Raw 16-bit detector counts S. */
  counts: Uint16Array;
  /** Projected thickness of material A (TiO2), nm. */
  thicknessANm: Float32Array;
  /** Projected thickness of material B (WO3), nm. */
  thicknessBNm: Float32Array;
  /** Projected carbon film thickness, nm. */
  thicknessCarbonNm: Float32Array;
  /** 0 = no particle, 1 = material A only, 2 = material B only, 3 = both along the beam. */
  materialMask: Uint8Array;
  /** True when the projected aggregate keeps at least `fitMarginPx` from every field edge. */
  fits: boolean;
  /** Smallest free distance between the projected aggregate (bounding box) and the field edge, px. */
  marginPx: number;
  /** The point of the rotated frame (x, y in nm) placed at the image centre. */
  centerNm: [number, number];
  /** The rotation applied to the particles (row-major 3 × 3). */
  rotation: Float64Array;
  /** Per-particle optical-density factors κ that were drawn. */
  kappa: Float64Array;
  /** Tilt angle in degrees (tilt series only). */
  tiltDeg?: number;
  /** The validated configuration used. */
  microscope: MicroscopeConfig;
}

/** Scratch buffers reused across calls (one per thread); speeds up repeated simulation. */
export interface StemWorkspace {
  thickness: ThicknessBuffers;
  carbon: Float64Array;
  intensity: Float64Array;
  blurred: Float64Array;
  slab: Float64Array;
  blur: BlurScratch;
  /** The last Gaussian kernel and its σ in pixels. */
  kernel: { sigmaPx: number; kernel: Float64Array } | null;
}

/** A new, empty workspace for {@link simulateImage}. */
export function createStemWorkspace(): StemWorkspace {
  return {
    thickness: createThicknessBuffers(),
    carbon: new Float64Array(0),
    intensity: new Float64Array(0),
    blurred: new Float64Array(0),
    slab: new Float64Array(0),
    blur: createBlurScratch(),
    kernel: null,
  };
}

/** Options of {@link simulateImage}. */
export interface SimulateImageOptions {
  /** Row-major 3 × 3 rotation applied to the particles before projecting along z (default identity). */
  rotation?: ArrayLike<number>;
  /** Centre the projected bounding box in the field (default true); false puts the rotated origin there. */
  center?: boolean;
  /** Reused scratch buffers (see {@link createStemWorkspace}). */
  workspace?: StemWorkspace;
  /** Tilt the carbon film with the specimen: its projected thickness becomes t/|R₃₃| (tilt series). */
  tiltFilm?: boolean;
  /** If given, filled with milliseconds spent per stage (project, carbon, intensity, blur, distort, noise, output). */
  timings?: Record<string, number>;
}

interface Streams {
  kappa: RandomStream;
  carbon: RandomStream;
  scan: RandomStream;
  noise: RandomStream;
}

function grow(a: Float64Array, n: number): Float64Array {
  return a.length === n ? a : new Float64Array(n);
}

/**
 * Simulates one HAADF-STEM image of `particles` (nm; material 0 = A, 1 = B).
 *
 * The particles are rotated by `opts.rotation`, projected along z, and (by default) the projected
 * bounding box is centred in the field; `fits` tells whether the aggregate stays `fitMarginPx`
 * inside it. Randomness: κ factors, carbon film, scan distortion and noise each come from their own
 * sub-stream of `rng` (`deriveStream(rng, 'kappa' | 'carbon' | 'scan' | 'noise')`), so the same
 * `rng` seed gives identical bytes and switching one effect off leaves the others unchanged.
 */
export function simulateImage(particles: Particles, config: MicroscopeConfig, rng: RandomStream, opts: SimulateImageOptions = {}): StemImage {
  return render(particles, config, {
    kappa: deriveStream(rng, 'kappa'),
    carbon: deriveStream(rng, 'carbon'),
    scan: deriveStream(rng, 'scan'),
    noise: deriveStream(rng, 'noise'),
  }, opts);
}

function render(particles: Particles, config: MicroscopeConfig, streams: Streams, opts: SimulateImageOptions): StemImage {
  const timings = opts.timings;
  let tLast = timings ? performance.now() : 0;
  const lap = (name: string) => {
    if (!timings) return;
    const now = performance.now();
    timings[name] = (timings[name] ?? 0) + (now - tLast);
    tLast = now;
  };
  const cfg = validateMicroscopeConfig(config);
  const n = validateParticles(particles);
  const rotation = Float64Array.from(opts.rotation ?? IDENTITY_ROTATION);
  validateRotation(rotation);
  const W = cfg.widthPx, H = cfg.heightPx, p = cfg.pixelSizeNm, npx = W * H;
  const geometry: ImageGeometry = { widthPx: W, heightPx: H, pixelSizeNm: p };
  const ws = opts.workspace ?? createStemWorkspace();

  // 1. Geometry and per-particle factors.
  const placed = placeParticles(particles, geometry, rotation, opts.center ?? true);
  const kappa = new Float64Array(n);
  for (let i = 0; i < n; i++) kappa[i] = cfg.kappaSigma > 0 ? Math.exp(cfg.kappaSigma * normal(streams.kappa)) : 1;
  const RA = cfg.materialA.opticalDensityPerNm, RB = cfg.materialB.opticalDensityPerNm, RC = cfg.carbon.opticalDensityPerNm;
  const K = n > 0 ? cfg.defocus.slabs : 0;
  let slabOf: Int32Array | undefined;
  const slabBlurPx: number[] = [];
  let carbonBlurPx = 0;
  if (K > 0) {
    let zMin = Infinity, zMax = -Infinity, lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const z = placed.zPx[i]!, r = placed.rPx[i]!;
      zMin = Math.min(zMin, z); zMax = Math.max(zMax, z);
      lo = Math.min(lo, z - r); hi = Math.max(hi, z + r);
    }
    const zFocus = (lo + hi) / 2 + cfg.defocus.focusOffsetNm / p;
    const alpha = cfg.convergenceMrad * 1e-3;
    const span = zMax - zMin;
    slabOf = new Int32Array(n);
    for (let i = 0; i < n; i++) slabOf[i] = span > 0 ? Math.min(K - 1, Math.floor(((placed.zPx[i]! - zMin) / span) * K)) : 0;
    // Each slab sits at the volume-weighted mean depth of its particles.
    const zSum = new Float64Array(K), wSum = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      const w = placed.rPx[i]! ** 3;
      zSum[slabOf[i]!] += w * placed.zPx[i]!;
      wSum[slabOf[i]!] += w;
    }
    for (let k = 0; k < K; k++) {
      const zk = wSum[k]! > 0 ? zSum[k]! / wSum[k]! : zMin + ((k + 0.5) / K) * span;
      slabBlurPx.push(alpha * Math.abs(zk - zFocus));
    }
    // The support film lies under the aggregate.
    carbonBlurPx = alpha * Math.abs(lo - zFocus);
  }
  const buf = rasterizeThickness(placed, geometry, ws.thickness, { kappa, slabOf, slabCount: K, opticalDensityPerNm: [RA, RB] });
  lap('project');

  // 2. Carbon film.
  const filmScale = opts.tiltFilm ? 1 / Math.abs(rotation[8]!) : 1;
  ws.carbon = carbonFilmThickness(cfg.carbon, W, H, p, streams.carbon, grow(ws.carbon, npx), filmScale);
  const tC = ws.carbon;
  lap('carbon');

  // 3. Optical density and HAADF fraction.
  const I0 = (ws.intensity = grow(ws.intensity, npx));
  const fA = opticalDensityFunction(cfg.materialA), fB = opticalDensityFunction(cfg.materialB);
  const eA = buf.effectiveA, eB = buf.effectiveB;
  if (!cfg.materialA.intensityCurve && !cfg.materialB.intensityCurve) {
    // Outside the rasterizer's dirty range eA = eB = 0, so the film alone gives the same sum.
    const [dLo, dHi] = buf.dirty;
    for (let i = 0; i < dLo; i++) I0[i] = haadfFraction(RC * tC[i]!);
    for (let i = dLo; i < dHi; i++) I0[i] = haadfFraction(RA * eA[i]! + RB * eB[i]! + RC * tC[i]!);
    for (let i = dHi; i < npx; i++) I0[i] = haadfFraction(RC * tC[i]!);
  } else {
    for (let i = 0; i < npx; i++) I0[i] = haadfFraction(fA(eA[i]!) + fB(eB[i]!) + RC * tC[i]!);
  }
  lap('intensity');

  // 4. Blur: one Gaussian, or per depth slab a defocus disc ⊗ Gaussian applied to that slab's share
  // of the intensity (share = its fraction of the linear optical density; exact in the thin limit
  // and conserving the total in general). Without scan distortion the single Gaussian writes the
  // float32 output image directly.
  const distorted = hasDistortion(cfg.distortion);
  const blurred = (ws.blurred = grow(ws.blurred, npx));
  let clean: Float32Array | null = null;
  const sigmaPx = cfg.blurSigmaNm / p;
  if (K === 0) {
    if (ws.kernel?.sigmaPx !== sigmaPx) ws.kernel = { sigmaPx, kernel: gaussianKernel1d(sigmaPx) };
    if (distorted) convolveSeparable(I0, W, H, ws.kernel.kernel, blurred, ws.blur);
    else clean = convolveSeparable(I0, W, H, ws.kernel.kernel, new Float32Array(npx), ws.blur);
  } else {
    blurred.fill(0);
    const share = (ws.slab = grow(ws.slab, npx));
    const slabs = buf.slabs;
    const parts: { map: (i: number) => number; radiusPx: number }[] = [
      ...slabBlurPx.map((radiusPx, k) => ({ map: (i: number) => slabs[k]![i]!, radiusPx })),
      { map: (i: number) => RC * tC[i]!, radiusPx: carbonBlurPx },
    ];
    // Pixels without linear density (e.g. a curve with R = 0) keep their intensity in focus.
    parts.push({ map: () => 0, radiusPx: 0 });
    const total = new Float64Array(npx);
    for (const part of parts.slice(0, -1)) for (let i = 0; i < npx; i++) total[i] += part.map(i);
    parts.forEach((part, k) => {
      const last = k === parts.length - 1;
      for (let i = 0; i < npx; i++) share[i] = last ? (total[i] === 0 ? I0[i]! : 0) : (total[i]! > 0 ? (I0[i]! * part.map(i)) / total[i]! : 0);
      const { kernel, radius } = defocusKernel2d(part.radiusPx, sigmaPx);
      convolve2dAdd(share, W, H, kernel, radius, blurred);
    });
  }
  lap('blur');

  // 5. Scan distortion (skipped entirely when off, so zero distortion is bit-for-bit the identity).
  // The particle maps are zero outside the rasterizer's dirty range: only that part is converted.
  const [dLo, dHi] = buf.dirty;
  const tA32 = new Float32Array(npx), tB32 = new Float32Array(npx), tC32 = new Float32Array(tC);
  tA32.set(buf.thicknessA.subarray(dLo, dHi), dLo);
  tB32.set(buf.thicknessB.subarray(dLo, dHi), dLo);
  let mask = new Uint8Array(npx);
  materialMaskFrom(buf.thicknessA.subarray(dLo, dHi), buf.thicknessB.subarray(dLo, dHi), mask.subarray(dLo, dHi));
  if (distorted) {
    const field = scanDisplacement(cfg.distortion, W, H, streams.scan);
    clean = resampleBilinear(blurred, field, new Float32Array(npx)) as Float32Array;
    resampleBilinear(buf.thicknessA, field, tA32);
    resampleBilinear(buf.thicknessB, field, tB32);
    resampleBilinear(tC, field, tC32);
    mask = resampleNearest(mask, field, new Uint8Array(npx));
  } else if (!clean) {
    clean = new Float32Array(blurred);
  }
  lap('distort');

  // 6. Shot and detector noise from the float32 clean image (as a training loop would redraw it).
  const { counts, noisy } = addNoise(clean, cfg, streams.noise);
  lap('noise');

  const image: StemImage = {
    widthPx: W,
    heightPx: H,
    pixelSizeNm: p,
    clean,
    noisy,
    counts,
    thicknessANm: tA32,
    thicknessBNm: tB32,
    thicknessCarbonNm: tC32,
    materialMask: mask,
    fits: placed.marginPx >= cfg.fitMarginPx,
    marginPx: placed.marginPx,
    centerNm: placed.centerNm,
    rotation,
    kappa,
    microscope: cfg,
  };
  lap('output');
  return image;
}

/** Row-major rotation by `angleDeg` about the x or y axis (right-handed). */
export function axisRotation(angleDeg: number, axis: 'x' | 'y' | 'z'): Float64Array {
  const a = (angleDeg * Math.PI) / 180;
  // Exact values at multiples of 90° so that quarter turns are exact permutations.
  const quarter = Number.isInteger(angleDeg / 90);
  const c = quarter ? [1, 0, -1, 0][(((angleDeg / 90) % 4) + 4) % 4]! : Math.cos(a);
  const s = quarter ? [0, 1, 0, -1][(((angleDeg / 90) % 4) + 4) % 4]! : Math.sin(a);
  if (axis === 'x') return new Float64Array([1, 0, 0, 0, c, -s, 0, s, c]);
  if (axis === 'y') return new Float64Array([c, 0, s, 0, 1, 0, -s, 0, c]);
  return new Float64Array([c, -s, 0, s, c, 0, 0, 0, 1]);
}

/**
 * A tilt series: the specimen (aggregate and carbon film) tilted about the x or y axis (default y)
 * by each angle in `anglesDeg` (each in (−90°, 90°)). The tilt axis passes through the aggregate's
 * volume-weighted centroid, which stays at the image centre (no per-image re-centring, as at a
 * eucentric stage). κ factors and film texture are shared by all images; scan distortion and noise
 * are drawn per image from `deriveStream(rng, 'tilt', k, 'scan' | 'noise')`.
 */
export function tiltSeries(
  particles: Particles, config: MicroscopeConfig, rng: RandomStream, anglesDeg: number[], axis: 'x' | 'y' = 'y',
  opts: { workspace?: StemWorkspace } = {},
): StemImage[] {
  if (axis !== 'x' && axis !== 'y') throw new RangeError(`tiltSeries: axis must be 'x' or 'y', got ${String(axis)}`);
  if (!Array.isArray(anglesDeg) || anglesDeg.length === 0) throw new RangeError('tiltSeries: anglesDeg must be a non-empty array of angles in degrees');
  anglesDeg.forEach((a, k) => {
    if (typeof a !== 'number' || !Number.isFinite(a) || Math.abs(a) >= 90) {
      throw new RangeError(`tiltSeries: anglesDeg[${k}] must be a number in (-90, 90), got ${a}`);
    }
  });
  const n = validateParticles(particles);
  let sw = 0, cx = 0, cy = 0, cz = 0;
  for (let i = 0; i < n; i++) {
    const w = particles.r[i]! ** 3;
    sw += w; cx += w * particles.x[i]!; cy += w * particles.y[i]!; cz += w * particles.z[i]!;
  }
  if (sw > 0) { cx /= sw; cy /= sw; cz /= sw; }
  const shifted: Particles = {
    x: particles.x.map((v) => v - cx), y: particles.y.map((v) => v - cy), z: particles.z.map((v) => v - cz),
    r: particles.r, material: particles.material,
  };
  const workspace = opts.workspace ?? createStemWorkspace();
  const kappa = deriveStream(rng, 'kappa'), carbon = deriveStream(rng, 'carbon');
  return anglesDeg.map((angle, k) => {
    // Fresh copies of the shared streams so every image sees the same κ and film.
    const image = render(shifted, config, {
      kappa: deriveStream(kappa), carbon: deriveStream(carbon),
      scan: deriveStream(rng, 'tilt', k, 'scan'), noise: deriveStream(rng, 'tilt', k, 'noise'),
    }, { rotation: axisRotation(angle, axis), center: false, tiltFilm: true, workspace });
    image.tiltDeg = angle;
    return image;
  });
}

/** Projected thickness maps and labels only (no intensity, no noise) — e.g. for plotting. */
export function projectThickness(
  particles: Particles, geometry: ImageGeometry & { fitMarginPx?: number }, opts: { rotation?: ArrayLike<number>; center?: boolean } = {},
): Pick<StemImage, 'widthPx' | 'heightPx' | 'pixelSizeNm' | 'thicknessANm' | 'thicknessBNm' | 'materialMask' | 'fits' | 'marginPx' | 'centerNm'> {
  validateParticles(particles);
  const rotation = Float64Array.from(opts.rotation ?? IDENTITY_ROTATION);
  validateRotation(rotation);
  for (const k of ['widthPx', 'heightPx'] as const) {
    if (!Number.isInteger(geometry[k]) || geometry[k] < 1) throw new RangeError(`projectThickness: geometry.${k} must be a positive integer, got ${geometry[k]}`);
  }
  if (!(geometry.pixelSizeNm > 0)) throw new RangeError(`projectThickness: geometry.pixelSizeNm must be > 0, got ${geometry.pixelSizeNm}`);
  const placed = placeParticles(particles, geometry, rotation, opts.center ?? true);
  const buf = rasterizeThickness(placed, geometry, createThicknessBuffers());
  return {
    widthPx: geometry.widthPx,
    heightPx: geometry.heightPx,
    pixelSizeNm: geometry.pixelSizeNm,
    thicknessANm: new Float32Array(buf.thicknessA),
    thicknessBNm: new Float32Array(buf.thicknessB),
    materialMask: materialMaskFrom(buf.thicknessA, buf.thicknessB),
    fits: placed.marginPx >= (geometry.fitMarginPx ?? 0),
    marginPx: placed.marginPx,
    centerNm: placed.centerNm,
  };
}
