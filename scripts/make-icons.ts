/** Draws the SynthLens app icons (a lens over a half-real, half-synthetic square) as PNGs into public/icons. Run: npx tsx scripts/make-icons.ts */
import { encode } from 'fast-png';
import { writeFileSync } from 'node:fs';

function icon(size: number): Uint8Array {
  const data = new Uint8Array(size * size * 4);
  const c = size / 2;
  const rOuter = size * 0.36;
  const rInner = size * 0.29;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      // background: blue rounded square
      let r = 11, g = 107, b = 203;
      const d = Math.hypot(x + 0.5 - c, y + 0.5 - c);
      if (d < rInner) {
        // inside the lens: left half a soft gray gradient (real), right half a checker (synthetic)
        if (x < c) { const v = 120 + Math.round(100 * (y / size)); r = g = b = v; }
        else { const chk = ((Math.floor(x / (size / 16)) + Math.floor(y / (size / 16))) & 1) === 0; r = g = b = chk ? 230 : 170; }
      } else if (d < rOuter) { r = g = b = 250; }
      // handle
      const hx = x - c, hy = y - c;
      if (hx > 0 && hy > 0 && Math.abs(hx - hy) < size * 0.05 && hx > rOuter * 0.7 && hx < size * 0.46) { r = g = b = 250; }
      data[i] = r; data[i + 1] = g; data[i + 2] = b; data[i + 3] = 255;
    }
  }
  return encode({ width: size, height: size, data, channels: 4 });
}

for (const s of [192, 512]) writeFileSync(`public/icons/icon-${s}.png`, icon(s));
writeFileSync('public/icons/favicon.png', icon(32));
