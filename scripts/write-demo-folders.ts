/**
 * Writes the built-in demo (chest-X-ray phantoms) as image folders, for CLI tests and for
 * trying SynthLens on files:
 *
 *   <out>/real/normal/img_0001.png ... <out>/real/effusion/...
 *   <out>/holdout/..., <out>/faithful/..., <out>/copies/..., <out>/collapsed/...,
 *   <out>/low-fidelity/..., <out>/shifted/...
 *   <out>/demo.json      seed, size, counts, what each set is and what it should score,
 *                        and the source image of every near-copy
 *
 * Run: npx tsx scripts/write-demo-folders.ts <out> [--seed N] [--size N] [--count set=N ...] [--contact sheet.png]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { encodePngGray8 } from '../src/core/png/encode.ts';
import { contactSheet } from '../src/demo/contactSheet.ts';
import { DEMO_SET_NAMES, demoSets, generateDemo, type DemoCounts, type DemoSetName } from '../src/demo/phantoms.ts';
import { demoAsPng } from '../src/demo/png.ts';

function usage(msg?: string): never {
  if (msg) console.error(msg);
  console.error('usage: npx tsx scripts/write-demo-folders.ts <out-dir> [--seed N] [--size N] [--count set=N ...] [--contact file.png]');
  process.exit(2);
}

const args = process.argv.slice(2);
let out: string | null = null;
let seed: number | undefined;
let size: number | undefined;
let contact: string | null = null;
const counts: Partial<DemoCounts> = {};
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const next = () => args[++i] ?? usage(`${a} needs a value`);
  if (a === '--seed') seed = Number(next());
  else if (a === '--size') size = Number(next());
  else if (a === '--contact') contact = next();
  else if (a === '--count') {
    const [name, n] = next().split('=');
    if (!DEMO_SET_NAMES.includes(name as DemoSetName)) usage(`unknown set ${name}; sets: ${DEMO_SET_NAMES.join(', ')}`);
    counts[name as DemoSetName] = Number(n);
  } else if (a === '-h' || a === '--help') usage();
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else if (out === null) out = a;
  else usage(`unexpected argument ${a}`);
}
if (out === null) usage('missing output folder');

const t0 = performance.now();
const ds = generateDemo({ seed, size, counts });
const t1 = performance.now();
const root = resolve(out);
const files = demoAsPng(ds);
for (const f of files) {
  const p = join(root, f.path);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, f.bytes);
}
const manifest = {
  generator: 'SynthLens demo phantoms (src/demo/phantoms.ts)',
  seed: ds.seed,
  size: ds.size,
  sets: demoSets(ds).map((s) => ({
    name: s.name,
    role: s.role,
    description: s.description,
    expected: s.expected,
    count: s.images.length,
    ...(s.name === 'copies' ? { sources: Object.fromEntries(s.images.map((im) => [im.id, `real/${im.sourceId}`])) } : {}),
  })),
};
writeFileSync(join(root, 'demo.json'), JSON.stringify(manifest, null, 2) + '\n');
if (contact) {
  const sheet = contactSheet(demoSets(ds), 4, 4, 255);
  mkdirSync(dirname(resolve(contact)), { recursive: true });
  writeFileSync(resolve(contact), encodePngGray8(sheet.pixels, sheet.width, sheet.height));
}
console.log(
  `wrote ${files.length} images in ${demoSets(ds).length} sets to ${root} ` +
    `(generated in ${((t1 - t0) / 1000).toFixed(1)} s, seed ${ds.seed}, ${ds.size} px)` +
    (contact ? `; contact sheet ${resolve(contact)}` : ''),
);
