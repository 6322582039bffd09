import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode as tiffDecode } from 'tiff';
import { encode as fastPngEncode } from 'fast-png';
import {
  decodeImage,
  detectImageFormat,
  encodeNpy,
  encodePng16,
  encodePng8,
  encodeTiffGrey,
  ImageFormatError,
  imageStats,
  nmPerUnit,
  readImage,
  readImageAsync,
  writeNpy,
  writePng16,
  writeTiffFloat32,
  writeTiffUint16,
} from '../../src/io/index.js';
import { TIFFFILE_SAMPLES } from './tifffile-samples.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const FIXTURES = resolve(repoRoot, '../shared/fixtures/stem-files');
const skip = existsSync(FIXTURES) ? false : `instrument fixtures not found at ${FIXTURES}`;
const fx = (name: string): string => join(FIXTURES, name);

const DM_TYPES: [number, string, Function][] = [
  [1, 'int16', Int16Array],
  [2, 'float32', Float32Array],
  [6, 'uint8', Uint8Array],
  [7, 'int32', Int32Array],
  [9, 'int8', Int8Array],
  [10, 'uint16', Uint16Array],
  [11, 'uint32', Uint32Array],
  [12, 'float64', Float64Array],
];

test('every test-K.dm3 / test-K.dm4 reads as [[1, 2], [3, 4]] with the dtype of K', { skip }, () => {
  for (const [k, dtype, ctor] of DM_TYPES) {
    for (const ext of ['dm3', 'dm4'] as const) {
      const img = readImage(fx(`test-${k}.${ext}`));
      const what = `test-${k}.${ext}`;
      assert.equal(img.format, ext, what);
      assert.equal(img.dtype, dtype, what);
      assert.ok(img.data instanceof ctor, what);
      assert.deepEqual(img.shape, [2, 2], what);
      assert.equal(img.width, 2);
      assert.equal(img.height, 2);
      assert.deepEqual([...img.data], [1, 2, 3, 4], what);
      assert.deepEqual(img.pixelSize, { value: null, unit: 'unknown' }, what); // scale 1, no units
      assert.equal(img.pixelSizeNm, null);
    }
  }
});

test('test_STEM_image.dm3: STEM metadata, calibration and the greyscale image (not the RGBA thumbnail)', { skip }, () => {
  const img = readImage(fx('test_STEM_image.dm3'));
  assert.equal(img.format, 'dm3');
  assert.deepEqual(img.shape, [68, 68]);
  assert.equal(img.dtype, 'uint32');
  const m = img.metadata;
  assert.equal(m.beamEnergyKv, 200);
  assert.ok(Math.abs((m.dwellTimeS as number) - 3.5e-6) < 1e-15);
  assert.equal(m.cameraLengthMm, 135);
  assert.equal(m.magnification, 225000);
  assert.equal(m.microscope, 'FEI Titan');
  assert.equal(m.acquisitionMode, 'STEM');
  assert.equal(m.date, '2016-08-08');
  assert.equal(m.time, '16:26:37');
  assert.equal(m.imageListIndex, 1); // entry 0 is the 128 x 128 RGBA thumbnail
  // Calibrations.Dimension[0] = { Scale: 0.24853801727294922 (float32), Units: "nm", Origin: -207 }.
  assert.equal(img.pixelSize.unit, 'nm');
  assert.ok(Math.abs((img.pixelSize.value as number) - 0.248538) < 1e-6);
  assert.equal(img.pixelSizeNm, img.pixelSize.value);
  const cal = m.calibration as { scale: number; origin: number; units: string }[];
  assert.deepEqual(cal.map((c) => [c.origin, c.units]), [[-207, 'nm'], [-171, 'nm']]);
  // Regression values from our parser (no independent DM reader is available offline): a 16-bit
  // HAADF range stored in uint32.
  const s = imageStats(img.data);
  assert.deepEqual([s.min, s.max], [29407, 36106]);
  assert.ok(Math.abs(s.mean - 32655.396842560553) < 1e-6);
  // The raw tag tree is there for anything not lifted into the key facts.
  assert.equal(((m.raw as Record<string, Record<string, unknown>>)['Microscope Info']!['Formatted Voltage']), '200kV');
});

test('HAADFscan.mrc: 16 x 16 uint16, 5.679131 nm pixels, stats and first values as in the README', { skip }, () => {
  const img = readImage(fx('HAADFscan.mrc'));
  assert.equal(img.format, 'mrc');
  assert.deepEqual(img.shape, [16, 16]);
  assert.equal(img.dtype, 'uint16');
  assert.ok(img.data instanceof Uint16Array);
  assert.equal(img.pixelSize.unit, 'nm');
  assert.ok(Math.abs(img.pixelSizeNm! - 5.679131) < 1e-6);
  const s = imageStats(img.data);
  assert.equal(s.min, 3923);
  assert.equal(s.max, 9399);
  assert.ok(Math.abs(s.mean - 6066.1992) < 1e-4);
  assert.deepEqual([...img.data.subarray(0, 5)], [5715, 6654, 7842, 8618, 9399]);
  // FEI2 extended header fields, checked independently with numpy and mrcfile's FEI record layout.
  const m = img.metadata;
  assert.equal(m.microscope, 'Spectra');
  assert.equal(m.beamEnergyKv, 300);
  assert.equal(m.detector, 'HAADF');
  assert.equal(m.acquisitionMode, 'STEM');
  assert.ok(Math.abs((m.cameraLengthMm as number) - 91.1) < 1e-9);
  assert.ok(Math.abs((m.pixelSizeXm as number) - 5.679131e-9) < 1e-15);
  assert.equal((m.raw as { nsymbt: number }).nsymbt, 909312);
});

test('example_image.emd (Berkeley EMD): 3 x 3 int32 0..8, dims with empty units, via readImageAsync', { skip }, async () => {
  const img = await readImageAsync(fx('example_image.emd'));
  // Verified independently with h5py: signals/__unnamed__ (emd_group_type 1), data (3, 3) int32,
  // values 0..8, dim1 = dim2 = [0, 1] with name '' and units '[]'.
  assert.equal(img.format, 'emd');
  assert.deepEqual(img.shape, [3, 3]);
  assert.equal(img.dtype, 'int32');
  assert.deepEqual([...img.data], [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(img.metadata.dataset, '/signals/__unnamed__');
  assert.deepEqual(
    (img.metadata.dims as { units: string; step: number }[]).map((d) => [d.units, d.step]),
    [['[]', 1], ['[]', 1]],
  );
  assert.deepEqual(img.pixelSize, { value: null, unit: 'unknown' });
  // Once loaded, the synchronous reader works too.
  assert.deepEqual([...readImage(fx('example_image.emd')).data], [...img.data]);
});

test('synthetic Berkeley EMD stack and Velox EMD are read with units, frames and JSON metadata', async () => {
  const h5 = await import('h5wasm/node');
  await h5.ready;
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-emd-'));
  try {
    // Berkeley EMD 1.0 stack: data [frames=2, h=2, w=3], Prismatic-style units.
    const pb = join(dir, 'stack.emd');
    let f = new h5.File(pb, 'w');
    f.create_attribute('version_major', 1);
    f.create_attribute('version_minor', 0);
    const g = f.create_group('data').create_group('realslices');
    g.create_attribute('emd_group_type', 1);
    g.create_dataset({ name: 'data', data: Float32Array.from({ length: 12 }, (_, i) => i / 4), shape: [2, 2, 3] });
    g.create_dataset({ name: 'dim1', data: new Float64Array([0, 1]) });
    g.create_dataset({ name: 'dim2', data: new Float64Array([0, 0.2]) });
    g.create_dataset({ name: 'dim3', data: new Float64Array([0, 0.2, 0.4]) });
    const dim3 = g.get('dim3') as InstanceType<typeof h5.Dataset>;
    dim3.create_attribute('units', '[n_m]');
    dim3.create_attribute('name', 'R_x');
    f.create_group('microscope').create_attribute('voltage', 300);
    f.close();
    const b = await readImageAsync(pb);
    assert.equal(b.format, 'emd');
    assert.deepEqual(b.shape, [2, 2, 3]);
    assert.equal(b.frames, 2);
    assert.equal(b.width, 3);
    assert.equal(b.height, 2);
    assert.deepEqual([...b.data], Array.from({ length: 12 }, (_, i) => i / 4));
    assert.deepEqual(b.pixelSize, { value: 0.2, unit: '[n_m]' });
    assert.ok(Math.abs(b.pixelSizeNm! - 0.2) < 1e-12);
    assert.equal(b.metadata.beamEnergyKv, 0.3 * 1000);

    // Velox: /Data/Image/<uuid>/Data as [h=2, w=3, frames=2] and per-frame JSON metadata columns.
    const pv = join(dir, 'velox.emd');
    f = new h5.File(pv, 'w');
    const img = f.create_group('Data').create_group('Image');
    const mkImage = (uuid: string, detector: string, base: number): void => {
      const gi = img.create_group(uuid);
      const hwf = new Uint16Array(12);
      for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) for (let k = 0; k < 2; k++) hwf[(y * 3 + x) * 2 + k] = base + k * 100 + y * 10 + x;
      gi.create_dataset({ name: 'Data', data: hwf, shape: [2, 3, 2] });
      const json = JSON.stringify({
        BinaryResult: { Detector: detector, PixelSize: { width: '2.5e-10', height: '2.5e-10' }, PixelUnitX: 'm', PixelUnitY: 'm' },
        Optics: { AccelerationVoltage: '300000', CameraLength: '0.115', OperatingMode: '2' },
        Scan: { DwellTime: '2e-06' },
        Instrument: { InstrumentModel: 'Talos F200X' },
        Acquisition: { AcquisitionStartDatetime: { DateTime: '1507563300' } },
      });
      const bytes = new TextEncoder().encode(json);
      const cols = new Uint8Array((bytes.length + 5) * 2); // [bytes + padding, frames], zero padded
      for (let i = 0; i < bytes.length; i++) for (let k = 0; k < 2; k++) cols[i * 2 + k] = bytes[i]!;
      gi.create_dataset({ name: 'Metadata', data: cols, shape: [bytes.length + 5, 2] });
    };
    mkImage('0a1b', 'DF4', 1000);
    mkImage('9f8e', 'HAADF', 0);
    f.close();
    const v = readImage(pv);
    assert.equal(v.format, 'emd-velox');
    assert.equal(v.metadata.detector, 'HAADF'); // HAADF chosen by default
    assert.deepEqual(v.shape, [2, 2, 3]);
    assert.equal(v.frames, 2);
    // Frame k, row y, column x holds k * 100 + y * 10 + x after the [h, w, f] → [f, h, w] transpose.
    assert.deepEqual([...v.data], [0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112]);
    assert.deepEqual(v.pixelSize, { value: 2.5e-10, unit: 'm' });
    assert.ok(Math.abs(v.pixelSizeNm! - 0.25) < 1e-12);
    assert.equal(v.metadata.beamEnergyKv, 300);
    assert.equal(v.metadata.dwellTimeS, 2e-6);
    assert.ok(Math.abs((v.metadata.cameraLengthMm as number) - 115) < 1e-9);
    assert.equal(v.metadata.microscope, 'Talos F200X');
    assert.equal(v.metadata.acquisitionMode, 'STEM');
    assert.equal(v.metadata.date, '2017-10-09');
    const other = readImage(pv, { index: 0 });
    assert.equal(other.metadata.detector, 'DF4');
    assert.equal(other.data[0], 1000);
    assert.throws(() => readImage(pv, { index: 5 }), (e: unknown) => e instanceof ImageFormatError && /no Velox image at index 5; the file has 2/.test((e as Error).message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TIFF reader: files from tifffile (zlib, ImageJ, FEI tag, signed, big-endian, RGB)', () => {
  const rd = (k: string) => decodeImage(Buffer.from(TIFFFILE_SAMPLES[k]!, 'base64'), { file: k });
  const a = rd('ij_zlib_u16');
  assert.equal(a.dtype, 'uint16');
  assert.deepEqual(a.shape, [3, 4]);
  assert.deepEqual([...a.data], Array.from({ length: 12 }, (_, i) => i * 5000));
  assert.deepEqual(a.pixelSize, { value: 0.5, unit: 'nm' });
  assert.equal(a.metadata.pixelSizeSource, 'imagej');
  const b = rd('fei_u8');
  assert.deepEqual([...b.data], [0, 40, 80, 120, 160, 200]);
  assert.deepEqual(b.pixelSize, { value: 2.5e-9, unit: 'm' });
  assert.ok(Math.abs(b.pixelSizeNm! - 2.5) < 1e-12);
  assert.equal(b.metadata.beamEnergyKv, 30);
  assert.equal(b.metadata.dwellTimeS, 1e-6);
  assert.equal(b.metadata.microscope, 'Helios G4');
  assert.equal(b.metadata.detector, 'HAADF');
  const c = rd('i16_zlib_72dpi');
  assert.equal(c.dtype, 'int16');
  assert.deepEqual([...c.data], [-300, -2, 0, 5, 32767, -32768]);
  assert.deepEqual(c.pixelSize, { value: null, unit: 'unknown' }); // 72 dpi is a default, not a calibration
  const d = rd('rgb');
  assert.equal(d.dtype, 'float32');
  assert.equal(d.metadata.convertedFromRgb, true);
  const lum = [0.299 * 255, 0.587 * 255, 0.114 * 255, 0.299 * 10 + 0.587 * 20 + 0.114 * 30];
  lum.forEach((v, i) => assert.ok(Math.abs(d.data[i]! - v) < 1e-4));
  const e = rd('be_f32_cm');
  assert.deepEqual([...e.data], [1.5, -2.5, 3.25, Math.fround(1e-3)]);
  assert.equal(e.pixelSize.unit, 'cm');
  assert.ok(Math.abs(e.pixelSizeNm! - 1) < 1e-9);
});

test('TIFF round-trips: our float32/uint16/int32/int8 files through readImage and the `tiff` package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-tiffrt-'));
  try {
    const f32 = Float32Array.from({ length: 20 }, (_, i) => Math.cos(i) * 100);
    writeTiffFloat32(join(dir, 'a.tif'), f32, 5, 4, { pixelSizeNm: 1.6 });
    const a = readImage(join(dir, 'a.tif'));
    assert.equal(a.format, 'tiff');
    assert.deepEqual(a.shape, [4, 5]);
    assert.deepEqual([...a.data], [...f32]);
    assert.equal(a.pixelSize.unit, 'nm');
    assert.ok(Math.abs(a.pixelSizeNm! - 1.6) < 1e-12);
    const u16 = Uint16Array.from({ length: 6 }, (_, i) => 65535 - i);
    writeTiffUint16(join(dir, 'b.tiff'), u16, 3, 2, { pixelSizeNm: 0.05 });
    const b = readImage(join(dir, 'b.tiff'));
    assert.deepEqual([...b.data], [...u16]);
    assert.ok(Math.abs(b.pixelSizeNm! - 0.05) < 1e-15);
    for (const arr of [Int32Array.from([-7, 2147483647, -2147483648, 0]), Int8Array.from([-128, 127, 0, -1]), Uint32Array.from([0, 4294967295, 1, 2])]) {
      const bytes = encodeTiffGrey(arr, 2, 2);
      const r = decodeImage(bytes);
      assert.equal(r.data.constructor, arr.constructor);
      assert.deepEqual([...r.data], [...arr]);
    }
    // The independent `tiff` package reads the int8 file's bits (it reports unsigned bytes).
    const [ifd] = tiffDecode(encodeTiffGrey(Int8Array.from([-1, 2, 3, 4]), 2, 2));
    assert.equal(ifd!.sampleFormat, 2);
    assert.deepEqual([...ifd!.data], [255, 2, 3, 4]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PNG and NPY through readImage: 16-bit with pixel size, 8-bit, RGB to luminance, stacks and frames', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-rd-'));
  try {
    const px = Uint16Array.from({ length: 12 }, (_, i) => i * 5000);
    writePng16(join(dir, 'a.png'), px, 4, 3, { pixelSizeNm: 0.8 });
    const a = readImage(join(dir, 'a.png'));
    assert.equal(a.format, 'png');
    assert.equal(a.dtype, 'uint16');
    assert.deepEqual([...a.data], [...px]);
    assert.deepEqual(a.pixelSize, { value: 0.8, unit: 'nm' });
    const m8 = decodeImage(encodePng8(new Uint8Array([0, 255, 7, 9]), 2, 2));
    assert.equal(m8.dtype, 'uint8');
    assert.deepEqual([...m8.data], [0, 255, 7, 9]);
    const rgb = decodeImage(fastPngEncode({ width: 2, height: 1, channels: 3, depth: 8, data: new Uint8Array([255, 0, 0, 10, 20, 30]) }));
    assert.equal(rgb.dtype, 'float32');
    assert.equal(rgb.metadata.convertedFromRgb, true);
    assert.ok(Math.abs(rgb.data[0]! - 0.299 * 255) < 1e-4);
    assert.ok(Math.abs(rgb.data[1]! - (0.299 * 10 + 0.587 * 20 + 0.114 * 30)) < 1e-4);

    const stack = Float32Array.from({ length: 24 }, (_, i) => i);
    writeNpy(join(dir, 's.npy'), stack, [2, 3, 4]);
    const s = readImage(join(dir, 's.npy'));
    assert.equal(s.format, 'npy');
    assert.deepEqual(s.shape, [2, 3, 4]);
    assert.equal(s.frames, 2);
    assert.equal(s.width, 4);
    assert.equal(s.height, 3);
    const f1 = readImage(join(dir, 's.npy'), { index: 1 });
    assert.deepEqual(f1.shape, [3, 4]);
    assert.equal(f1.frames, undefined);
    assert.deepEqual([...f1.data], Array.from({ length: 12 }, (_, i) => 12 + i));
    assert.throws(() => readImage(join(dir, 's.npy'), { index: 2 }), (e: unknown) => e instanceof ImageFormatError && /s\.npy.*frame 2 requested but the stack has 2 frames/.test((e as Error).message));
    assert.throws(() => decodeImage(encodeNpy(new Float32Array(4), [4])), /shape \(4\) is not an image/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('NPY in Fortran order is transposed to row-major for images', () => {
  // A 2 x 3 array [[0, 1, 2], [3, 4, 5]] stored column-major: 0, 3, 1, 4, 2, 5.
  const c = encodeNpy(new Int16Array([0, 3, 1, 4, 2, 5]), [2, 3]);
  const text = Buffer.from(c).toString('latin1').replace("'fortran_order': False", "'fortran_order': True ");
  const img = decodeImage(Buffer.from(text, 'latin1'));
  assert.equal(img.metadata.fortranOrder, true);
  assert.deepEqual(img.shape, [2, 3]);
  assert.deepEqual([...img.data], [0, 1, 2, 3, 4, 5]);
});

test('format detection by magic bytes and extension; clear errors for unknown and missing files', () => {
  assert.equal(detectImageFormat(encodeNpy(new Uint8Array(1), [1])), 'npy');
  assert.equal(detectImageFormat(encodePng16(new Uint16Array(1), 1, 1)), 'png');
  assert.equal(detectImageFormat(encodeTiffGrey(new Uint8Array(1), 1, 1)), 'tiff');
  assert.equal(detectImageFormat(new Uint8Array([0, 0, 0, 3, 0, 0])), 'dm3');
  assert.equal(detectImageFormat(new Uint8Array([0, 0, 0, 4, 0, 0])), 'dm4');
  const mrc = new Uint8Array(1024);
  mrc.set([0x4d, 0x41, 0x50, 0x20], 208);
  assert.equal(detectImageFormat(mrc), 'mrc');
  assert.equal(detectImageFormat(new Uint8Array(8), 'x.MRCS'), 'mrc');
  assert.equal(detectImageFormat(new Uint8Array(8), 'x.emd'), 'hdf5');
  assert.equal(detectImageFormat(new Uint8Array(8), 'x.txt'), null);
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-unk-'));
  try {
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    assert.throws(() => readImage(join(dir, 'notes.txt')), (e: unknown) => e instanceof ImageFormatError && /notes\.txt: not a readable image file: unknown format/.test((e as Error).message));
    assert.throws(() => readImage(join(dir, 'missing.dm3')), (e: unknown) => e instanceof ImageFormatError && /missing\.dm3.*cannot open the file \(ENOENT\)/.test((e as Error).message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nmPerUnit understands the length units microscope files write', () => {
  const cases: [string, number | null][] = [
    ['nm', 1], ['Å', 0.1], ['\u212B', 0.1], ['A', 0.1], ['µm', 1e3], ['\u03BCm', 1e3], ['um', 1e3], ['micron', 1e3],
    ['pm', 1e-3], ['m', 1e9], ['[n_m]', 1], ['[m]', 1e9], [' nm ', 1], ['1/nm', null], ['', null], ['px', null],
  ];
  for (const [u, f] of cases) assert.equal(nmPerUnit(u), f, u);
});

test('palette PNG is converted to luminance through its colour table', () => {
  const png = fastPngEncode({ width: 3, height: 1, channels: 1, depth: 8, data: new Uint8Array([0, 1, 1]), palette: [[255, 255, 255], [0, 0, 100]] });
  const img = decodeImage(png);
  assert.equal(img.dtype, 'float32');
  assert.equal(img.metadata.convertedFromRgb, true);
  assert.ok(Math.abs(img.data[0]! - 255) < 1e-3);
  assert.ok(Math.abs(img.data[1]! - 11.4) < 1e-4);
  assert.equal(img.data[2], img.data[1]);
});
