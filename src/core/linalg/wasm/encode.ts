/**
 * A minimal WebAssembly binary writer: just what the float64 kernels of ./kernels.ts need
 * (i32 and v128 locals, structured loops, loads and stores, f64 and f64x2 arithmetic).
 * Reference: the WebAssembly core specification 2.0, chapter 5 (binary format), and the
 * fixed-width SIMD proposal (opcodes behind the 0xfd prefix, LEB128-encoded).
 *
 * The kernels are written as TypeScript that emits instructions, so the module is built at
 * run time from readable source instead of being shipped as an opaque binary.
 */

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F64 | typeof V128;

export function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

export function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** Body of one function: its parameters come first in the local index space. */
export class FnBuilder {
  readonly code: number[] = [];
  private readonly extra: ValType[] = [];
  constructor(readonly params: ValType[], readonly results: ValType[] = []) {}

  /** A new local of the given type; returns its index. */
  local(t: ValType): number {
    this.extra.push(t);
    return this.params.length + this.extra.length - 1;
  }

  private op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }
  private simd(opcode: number, ...rest: number[]): this {
    return this.op(0xfd, ...uleb(opcode), ...rest);
  }

  get(i: number): this { return this.op(0x20, ...uleb(i)); }
  set(i: number): this { return this.op(0x21, ...uleb(i)); }
  tee(i: number): this { return this.op(0x22, ...uleb(i)); }
  i32(v: number): this { return this.op(0x41, ...sleb(v | 0)); }
  f64(v: number): this {
    const b = new Uint8Array(new Float64Array([v]).buffer);
    return this.op(0x44, ...b);
  }
  add(): this { return this.op(0x6a); }
  sub(): this { return this.op(0x6b); }
  mul(): this { return this.op(0x6c); }
  ltS(): this { return this.op(0x48); }
  geS(): this { return this.op(0x4e); }
  and(): this { return this.op(0x71); }
  eqz(): this { return this.op(0x45); }
  ne(): this { return this.op(0x47); }

  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  if_(): this { return this.op(0x04, 0x40); }
  else_(): this { return this.op(0x05); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { return this.op(0x0c, ...uleb(depth)); }
  brIf(depth: number): this { return this.op(0x0d, ...uleb(depth)); }
  drop(): this { return this.op(0x1a); }

  /** Loads and stores take the address from the stack; `offset` is a constant byte offset. */
  f64Load(offset = 0): this { return this.op(0x2b, 3, ...uleb(offset)); }
  f64Store(offset = 0): this { return this.op(0x39, 3, ...uleb(offset)); }
  fadd(): this { return this.op(0xa0); }
  fsub(): this { return this.op(0xa1); }
  fmul(): this { return this.op(0xa2); }

  v128Load(offset = 0): this { return this.simd(0x00, 3, ...uleb(offset)); }
  v128Store(offset = 0): this { return this.simd(0x0b, 3, ...uleb(offset)); }
  load64Splat(offset = 0): this { return this.simd(0x0a, 3, ...uleb(offset)); }
  /** Lane 0 from memory, lane 1 zero. */
  load64Zero(offset = 0): this { return this.simd(0x5d, 3, ...uleb(offset)); }
  f64x2Splat(): this { return this.simd(0x14); }
  f64x2Lane(lane: 0 | 1): this { return this.simd(0x21, lane); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Sub(): this { return this.simd(0xf1); }
  f64x2Mul(): this { return this.simd(0xf2); }

  /** Body bytes: locals declaration, code, end. */
  body(): number[] {
    const groups: [number, ValType][] = [];
    for (const t of this.extra) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const locals = [...uleb(groups.length)];
    for (const [count, t] of groups) locals.push(...uleb(count), t);
    const bytes = [...locals, ...this.code, 0x0b];
    return [...uleb(bytes.length), ...bytes];
  }
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function name(s: string): number[] {
  const b = Array.from(new TextEncoder().encode(s));
  return [...uleb(b.length), ...b];
}

/**
 * A module that imports its memory as env.memory and exports the given functions by
 * name (each function gets its own type).
 */
export function buildModule(fns: { name: string; fn: FnBuilder }[]): Uint8Array<ArrayBuffer> {
  const types: number[] = [...uleb(fns.length)];
  for (const { fn } of fns) {
    types.push(0x60, ...uleb(fn.params.length), ...fn.params, ...uleb(fn.results.length), ...fn.results);
  }
  const imports = [...uleb(1), ...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)];
  const funcs = [...uleb(fns.length), ...fns.flatMap((_, i) => uleb(i))];
  const exports = [...uleb(fns.length), ...fns.flatMap(({ name: n }, i) => [...name(n), 0x00, ...uleb(i)])];
  const code = [...uleb(fns.length), ...fns.flatMap(({ fn }) => fn.body())];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, code),
  ]);
}
