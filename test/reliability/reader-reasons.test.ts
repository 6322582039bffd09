// Issue 16 item 3: readers name the real reason and the right metadata — complex DM images are
// refused as complex (not blamed on the RGBA thumbnail), a TEM diffraction pattern reports its
// camera length, a low-kV cathodoluminescence scan is SEM, and Velox signals that share one detector
// are told apart by their titles and chosen with --index / --signal.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeDm, ImageFormatError, readImageAsync } from '../../src/io/index.js';
import { buildDm, type Tag } from '../io/dm-builder.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'aggstem-reasons-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

/** One ImageList entry with its own ImageTags. */
function entry(dataType: number, elemType: number, dims: number[], values: number[], tags: [string, Tag][] = []): [string, Tag] {
  return ['', {
    group: [
      ['ImageData', { group: [['Data', { array: elemType, values }], ['DataType', { simple: 5, value: dataType }], ['Dimensions', { group: dims.map((d): [string, Tag] => ['', { simple: 5, value: d }]) }]] }],
      ['ImageTags', { group: tags }],
    ],
  }];
}
const thumbnail = entry(23, 5, [4, 4], Array.from({ length: 16 }, () => 0xff808080));

test('complex DM images are refused as complex, not as their RGBA thumbnail', () => {
  for (const [type, name] of [[13, 'complex128'], [3, 'complex64'], [27, 'packed complex']] as const) {
    // A 1 × 1 complex image (16 bytes as two float64) next to a larger RGBA thumbnail.
    const bytes = buildDm(4, true, [['ImageList', { group: [thumbnail, entry(type, 7, [1, 1], [1, 2])] }]]);
    assert.throws(() => decodeDm(bytes, 'fft.dm4'), (e: unknown) => e instanceof ImageFormatError && new RegExp(`DataType ${type} is ${name} \\(unsupported\\)`).test((e as Error).message) && !/RGBA/.test((e as Error).message), `DataType ${type}`);
  }
});

test('a TEM diffraction pattern reports its camera length; STEM keeps magnification and camera length apart', () => {
  const mi = (tags: [string, Tag][]): [string, Tag][] => [['Microscope Info', { group: [['Voltage', { simple: 7, value: 200000 }], ...tags] }]];
  const diff = decodeDm(buildDm(3, true, [['ImageList', { group: [entry(2, 6, [2, 2], [1, 2, 3, 4], mi([['Operation Mode', { text: 'IMAGING' }], ['Imaging Mode', { text: 'DIFFRACTION' }], ['Indicated Magnification', { simple: 7, value: 320 }], ['STEM Camera Length', { simple: 7, value: 0 }]]))] }]]));
  assert.equal(diff.metadata.cameraLengthMm, 320);
  assert.equal(diff.metadata.magnification, undefined);
  assert.equal(diff.metadata.acquisitionMode, 'TEM');
  const stem = decodeDm(buildDm(3, true, [['ImageList', { group: [entry(2, 6, [2, 2], [1, 2, 3, 4], mi([['Operation Mode', { text: 'SCANNING' }], ['Imaging Mode', { text: 'DIFFRACTION' }], ['Indicated Magnification', { simple: 7, value: 225000 }], ['STEM Camera Length', { simple: 7, value: 135 }]]))] }]]));
  assert.equal(stem.metadata.cameraLengthMm, 135);
  assert.equal(stem.metadata.magnification, 225000);
  assert.equal(stem.metadata.acquisitionMode, 'STEM');
});

test('a 5 kV cathodoluminescence scan is labelled SEM with its signal, not STEM', () => {
  const tags: [string, Tag][] = [
    ['Microscope Info', { group: [['Voltage', { simple: 7, value: 5000 }], ['Operation Mode', { text: 'SCANNING' }]] }],
    ['Meta Data', { group: [['Signal', { text: 'CL' }]] }],
    ['DigiScan', { group: [['Sample Time', { simple: 7, value: 10 }]] }],
  ];
  const cl = decodeDm(buildDm(4, true, [['ImageList', { group: [entry(2, 6, [2, 2], [1, 2, 3, 4], tags)] }]]));
  assert.equal(cl.metadata.acquisitionMode, 'SEM');
  assert.equal(cl.metadata.signal, 'CL');
  assert.equal(cl.metadata.beamEnergyKv, 5);
});

test('Velox: DPC signals sharing a detector carry their display titles and are chosen by --signal / --index', async () => {
  const h5 = await import('h5wasm/node');
  await h5.ready;
  const path = join(tmp, 'dpc.emd');
  const f = new h5.File(path, 'w');
  const img = f.create_group('Data').create_group('Image');
  const displays = f.create_group('Presentation').create_group('Displays').create_group('ImageDisplay');
  const bytesOf = (o: object) => {
    const b = new TextEncoder().encode(JSON.stringify(o));
    const col = new Uint8Array(b.length + 4);
    col.set(b);
    return col;
  };
  const signals: [string, string, string, number][] = [['k1', 'HAADF', 'HAADF', 0], ['k2', 'DF4', 'iDPC', 100], ['k3', 'DF4', 'dDPC', 200]];
  for (const [key, detector, label, base] of signals) {
    const g = img.create_group(key);
    g.create_dataset({ name: 'Data', data: Uint16Array.from([base, base + 1, base + 2, base + 3]), shape: [2, 2, 1] });
    const md = bytesOf({ BinaryResult: { Detector: detector, PixelSize: { width: '1e-9', height: '1e-9' }, PixelUnitX: 'm' }, Optics: { OperatingMode: '2' } });
    g.create_dataset({ name: 'Metadata', data: md, shape: [md.length, 1] });
    const disp = bytesOf({ dataPath: `/Data/Image/${key}`, display: { label } });
    displays.create_dataset({ name: `d-${key}`, data: disp, shape: [disp.length, 1] });
  }
  f.close();
  const def = await readImageAsync(path);
  assert.equal(def.metadata.title, 'HAADF');
  assert.deepEqual((def.metadata.images as { title: string }[]).map((x) => x.title), ['HAADF', 'iDPC', 'dDPC']);
  const d = await readImageAsync(path, { signal: 'ddpc' });
  assert.equal(d.metadata.title, 'dDPC');
  assert.equal(d.data[0], 200);
  await assert.rejects(readImageAsync(path, { signal: 'ABF' }), /no signal "ABF"; the file has 0: HAADF, 1: iDPC, 2: dDPC/);
  const listed = cli('inspect', path);
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /images +0: HAADF, 1: iDPC, 2: dDPC \(pick with --index N or --signal NAME\)/);
  const byIndex = cli('inspect', path, '--index', '1', '--json');
  assert.equal(byIndex.status, 0, byIndex.stderr);
  assert.equal(JSON.parse(byIndex.stdout).metadata.title, 'iDPC');
  const both = cli('inspect', path, '--index', '1', '--signal', 'iDPC');
  assert.equal(both.status, 2);
  assert.match(both.stderr, /give --index or --signal, not both/);
});
