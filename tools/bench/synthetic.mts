/**
 * Synthetic core modules of a chosen size with a realistic instruction mix (locals, arithmetic,
 * loads, blocks, branches, calls), assembled directly so that 10 MiB takes milliseconds to build.
 */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function body(index: number, repeats: number): number[] {
  const code: number[] = [0x01, 0x01, 0x7f]; // one local i32
  for (let i = 0; i < repeats; i++) {
    code.push(0x20, 0x00, 0x41, ...sleb((i * 7919) % 100000), 0x6a, 0x21, 0x01);
    code.push(0x20, 0x01, 0x28, 0x02, ...uleb((i % 64) * 4), 0x20, 0x00, 0x6c, 0x21, 0x00);
    code.push(0x02, 0x40, 0x20, 0x00, 0x0d, 0x00, 0x20, 0x01, 0x10, ...uleb(Math.max(0, index - 1)), 0x21, 0x01, 0x0b);
  }
  code.push(0x20, 0x00, 0x0b);
  return [...uleb(code.length), ...code];
}

/** A valid module of about `targetBytes`, with 1 memory and functions of ~2 KiB each. */
export function syntheticModule(targetBytes: number): Uint8Array {
  const repeats = 60;
  const perBody = body(1, repeats).length;
  const count = Math.max(1, Math.round(targetBytes / perBody));
  const types = section(1, [1, 0x60, 1, 0x7f, 1, 0x7f]);
  const funcs = section(3, [...uleb(count), ...new Array(count).fill(0)]);
  const memory = section(5, [1, 0x01, 1, 16]);
  const exportName = [...new TextEncoder().encode('run')];
  const exports = section(7, [1, exportName.length, ...exportName, 0x00, ...uleb(count - 1)]);
  const codePayload: number[] = [...uleb(count)];
  for (let i = 0; i < count; i++) for (const b of body(i, repeats)) codePayload.push(b);
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...types,
    ...funcs,
    ...memory,
    ...exports,
    ...section(10, codePayload),
  ];
  return new Uint8Array(bytes);
}
