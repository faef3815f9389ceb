// asc: --use abort=
// A WASI command calculator in AssemblyScript: `calculator 2 + 2` (or `"2 + 2"` as one argument)
// prints 4. Integers (64-bit) and the operators + - * / %; a malformed expression or a division
// by zero prints a message on stderr and exits with status 1.

@external('wasi_snapshot_preview1', 'args_sizes_get')
declare function args_sizes_get(argc: usize, argvBufSize: usize): u16;
@external('wasi_snapshot_preview1', 'args_get')
declare function args_get(argv: usize, argvBuf: usize): u16;
@external('wasi_snapshot_preview1', 'fd_write')
declare function fd_write(fd: u32, iovs: usize, iovsLen: u32, nwritten: usize): u16;
@external('wasi_snapshot_preview1', 'proc_exit')
declare function proc_exit(code: u32): void;

const scratch = memory.data(16);

/** Writes all of `text` to `fd`, looping on short writes. */
function write(fd: u32, text: string): void {
  const bytes = String.UTF8.encode(text);
  let at = changetype<usize>(bytes);
  let left = <u32>bytes.byteLength;
  while (left > 0) {
    store<u32>(scratch, <u32>at);
    store<u32>(scratch, left, 4);
    if (fd_write(fd, scratch, 1, scratch + 8) != 0) return;
    const n = load<u32>(scratch + 8);
    if (n == 0) return;
    at += n;
    left -= n;
  }
}

function fail(message: string): void {
  write(2, 'calculator: ' + message + '\n');
  proc_exit(1);
}

/** The arguments after argv[0], joined by spaces. */
function expression(): string {
  args_sizes_get(scratch, scratch + 4);
  const argc = load<u32>(scratch);
  const size = load<u32>(scratch, 4);
  const pointers = heap.alloc(<usize>argc * 4);
  const strings = heap.alloc(<usize>size);
  args_get(pointers, strings);
  let out = '';
  for (let i: u32 = 1; i < argc; i++) {
    const p = load<u32>(pointers + <usize>i * 4);
    let n: usize = 0;
    while (load<u8>(<usize>p + n) != 0) n++;
    if (i > 1) out += ' ';
    out += String.UTF8.decodeUnsafe(<usize>p, n);
  }
  return out;
}

let text = '';
let pos = 0;

function skipSpaces(): void {
  while (pos < text.length && text.charCodeAt(pos) == 32) pos++;
}

function number(): i64 {
  skipSpaces();
  let negative = false;
  if (pos < text.length && text.charCodeAt(pos) == 45) {
    negative = true;
    pos++;
  }
  const start = pos;
  let value: i64 = 0;
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    if (c < 48 || c > 57) break;
    value = value * 10 + <i64>(c - 48);
    pos++;
  }
  if (pos == start) fail('expected a number at position ' + (pos + 1).toString() + ' of "' + text + '"');
  return negative ? -value : value;
}

export function _start(): void {
  text = expression();
  if (text.length == 0) fail('usage: calculator A OP B, e.g. calculator 2 + 2');
  const a = number();
  skipSpaces();
  if (pos >= text.length) fail('expected an operator (+ - * / %) after ' + a.toString());
  const op = text.charCodeAt(pos++);
  const b = number();
  skipSpaces();
  if (pos < text.length) fail('unexpected "' + text.substring(pos) + '" after the expression');
  let result: i64 = 0;
  if (op == 43) result = a + b;
  else if (op == 45) result = a - b;
  else if (op == 42) result = a * b;
  else if (op == 47 || op == 37) {
    if (b == 0) fail('division by zero');
    result = op == 47 ? a / b : a % b;
  } else fail('unknown operator "' + String.fromCharCode(op) + '"; use + - * / %');
  write(1, result.toString() + '\n');
}
