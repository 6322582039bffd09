/**
 * A 5 × 7 pixel font for scale-bar labels burned into PNG images. Hand-drawn because the only
 * alternative in Node is a native canvas package (node-canvas downloads binaries at install), and
 * the label needs just digits, a point, a space and the units nm / µm.
 */

const GLYPHS: Record<string, readonly string[]> = {
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['#####', '...#.', '..#..', '...#.', '....#', '#...#', '.###.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
  '.': ['.....', '.....', '.....', '.....', '.....', '.##..', '.##..'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
  n: ['.....', '.....', '#.##.', '##..#', '#...#', '#...#', '#...#'],
  m: ['.....', '.....', '##.#.', '#.#.#', '#.#.#', '#.#.#', '#.#.#'],
  'µ': ['.....', '.....', '#...#', '#...#', '#...#', '##.##', '#.#..'],
};

/** Glyph cell size in font pixels (5 wide + 1 spacing, 7 high). */
export const FONT_ADVANCE = 6;
export const FONT_HEIGHT = 7;

/** Width in font pixels of `text` (no trailing spacing). */
export function textWidth(text: string): number {
  return text.length === 0 ? 0 : text.length * FONT_ADVANCE - 1;
}

/**
 * Calls `plot(x, y)` for every lit pixel of `text` drawn at (x0, y0) (top-left) with integer
 * magnification `scale`. Throws for characters the font lacks (digits, '.', ' ', n, m, µ).
 */
export function drawText(text: string, x0: number, y0: number, scale: number, plot: (x: number, y: number) => void): void {
  let cx = x0;
  for (const ch of text) {
    const g = GLYPHS[ch];
    if (!g) throw new RangeError(`drawText: the scale-bar font has no glyph for ${JSON.stringify(ch)}`);
    for (let gy = 0; gy < FONT_HEIGHT; gy++) {
      const row = g[gy]!;
      for (let gx = 0; gx < 5; gx++) {
        if (row[gx] !== '#') continue;
        for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) plot(cx + gx * scale + sx, y0 + gy * scale + sy);
      }
    }
    cx += FONT_ADVANCE * scale;
  }
}
