/**
 * DM3/DM4 files built byte by byte from the format description (shared by the reader tests).
 */
export type Tag =
  | { group: [string, Tag][] }
  | { simple: number; value: number }
  | { array: number; values: number[] }
  | { text: string } // u2 array, as DM stores most strings
  | { struct: [number, number][] } // [type, value] fields
  | { string18: string };

const SIZE: Record<number, number> = { 2: 2, 3: 4, 4: 2, 5: 4, 6: 4, 7: 8, 8: 1, 9: 1, 10: 1, 11: 8, 12: 8 };

/** Writes a DM3 (version 3) or DM4 (version 4) file; `le` is the byte order of values. */
export function buildDm(version: 3 | 4, le: boolean, root: [string, Tag][]): Uint8Array {
  const out: number[] = [];
  const be = (v: number, n: number): void => {
    for (let i = n - 1; i >= 0; i--) out.push(Math.floor(v / 2 ** (8 * i)) & 0xff);
  };
  const len = (v: number): void => be(v, version === 4 ? 8 : 4);
  const value = (type: number, v: number): void => {
    const b = new DataView(new ArrayBuffer(8));
    switch (type) {
      case 2: b.setInt16(0, v, le); break;
      case 3: b.setInt32(0, v, le); break;
      case 4: b.setUint16(0, v, le); break;
      case 5: b.setUint32(0, v, le); break;
      case 6: b.setFloat32(0, v, le); break;
      case 7: b.setFloat64(0, v, le); break;
      case 8: case 9: b.setUint8(0, v); break;
      case 10: b.setInt8(0, v); break;
      default: b.setBigInt64(0, BigInt(v), le);
    }
    for (let i = 0; i < SIZE[type]!; i++) out.push(b.getUint8(i));
  };
  const group = (entries: [string, Tag][]): void => {
    out.push(0, 0);
    len(entries.length);
    for (const [label, tag] of entries) {
      out.push('group' in tag ? 20 : 21);
      be(label.length, 2);
      for (const ch of label) out.push(ch.charCodeAt(0));
      if (version === 4) len(0); // entry size: our reader does not need it
      if ('group' in tag) {
        group(tag.group);
        continue;
      }
      out.push(0x25, 0x25, 0x25, 0x25);
      if ('simple' in tag) {
        len(1);
        len(tag.simple);
        value(tag.simple, tag.value);
      } else if ('array' in tag || 'text' in tag) {
        const [type, vals] = 'array' in tag ? [tag.array, tag.values] : [4, [...tag.text].map((c) => c.charCodeAt(0))];
        len(3);
        len(20);
        len(type);
        len(vals.length);
        for (const v of vals) value(type, v);
      } else if ('struct' in tag) {
        len(3 + 2 * tag.struct.length);
        len(15);
        len(0);
        len(tag.struct.length);
        for (const [t] of tag.struct) {
          len(0);
          len(t);
        }
        for (const [t, v] of tag.struct) value(t, v);
      } else {
        len(2);
        len(18);
        len(tag.string18.length);
        for (const ch of tag.string18) value(4, ch.charCodeAt(0));
      }
    }
  };
  be(version, 4);
  len(0);
  be(le ? 1 : 0, 4);
  group(root);
  return Uint8Array.from(out);
}

export function imageEntry(dataType: number, elemType: number, dims: number[], values: number[], units = 'nm', scale = 1): [string, Tag] {
  return ['', {
    group: [
      ['ImageData', {
        group: [
          ['Calibrations', { group: [['Dimension', { group: dims.map((): [string, Tag] => ['', { group: [['Origin', { simple: 6, value: 0 }], ['Scale', { simple: 6, value: scale }], ['Units', { text: units }]] }]) }]] }],
          ['Data', { array: elemType, values }],
          ['DataType', { simple: 5, value: dataType }],
          ['Dimensions', { group: dims.map((d): [string, Tag] => ['', { simple: 5, value: d }]) }],
        ],
      }],
      ['ImageTags', {
        group: [
          ['Microscope Info', { group: [['Voltage', { simple: 7, value: 300000 }], ['Operation Mode', { text: 'SCANNING' }], ['Microscope', { text: 'Test STEM' }]] }],
          ['DigiScan', { group: [['Sample Time', { simple: 7, value: 16 }]] }],
          ['Misc', { group: [['Pair', { struct: [[3, -5], [6, 2.5]] }], ['Old', { string18: 'hi' }], ['Flag', { simple: 8, value: 1 }]] }],
        ],
      }],
      ['Name', { text: 'synthetic' }],
    ],
  }];
}

