;; A WASI command calculator in WebAssembly text: `calculator 2 + 2` (or "2 + 2" as one argument)
;; prints 4. Integers (64-bit) and + - * / %; a malformed expression or a division by zero prints a
;; message on stderr and exits with status 1.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; Memory map: 0 iovec, 16 argc, 20 argv bytes, 24 nwritten, 1024 argv pointers (256 at most),
  ;; 2048 argv strings (2 KiB), 4096 the joined expression (2 KiB), 8192 digits, 12288 messages.
  (global $len (mut i32) (i32.const 0))
  (global $pos (mut i32) (i32.const 0))

  ;; Writes `len` bytes at `ptr` to `fd`, looping on short writes.
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (br_if $done (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 24)))
        (br_if $done (i32.eqz (i32.load (i32.const 24))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 24))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 24))))
        (br $more))))

  (func $fail_usage (call $write (i32.const 2) (i32.const 12288) (i32.const 60)) (call $proc_exit (i32.const 1)))
  (func $fail_number (call $write (i32.const 2) (i32.const 12356) (i32.const 30)) (call $proc_exit (i32.const 1)))
  (func $fail_operator (call $write (i32.const 2) (i32.const 12394) (i32.const 45)) (call $proc_exit (i32.const 1)))
  (func $fail_trailing (call $write (i32.const 2) (i32.const 12447) (i32.const 49)) (call $proc_exit (i32.const 1)))
  (func $fail_zero (call $write (i32.const 2) (i32.const 12504) (i32.const 29)) (call $proc_exit (i32.const 1)))
  (func $fail_unknown (call $write (i32.const 2) (i32.const 12541) (i32.const 44)) (call $proc_exit (i32.const 1)))
  (func $fail_long (call $write (i32.const 2) (i32.const 12593) (i32.const 32)) (call $proc_exit (i32.const 1)))

  ;; Copies argv[1..] into the expression buffer, separated by spaces.
  (func $join
    (local $i i32) (local $p i32) (local $c i32)
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (if (i32.or (i32.gt_u (i32.load (i32.const 16)) (i32.const 256)) (i32.gt_u (i32.load (i32.const 20)) (i32.const 2048)))
      (then (call $fail_long)))
    (drop (call $args_get (i32.const 1024) (i32.const 2048)))
    (local.set $i (i32.const 1))
    (block $done
      (loop $arg
        (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 16))))
        (if (i32.gt_u (local.get $i) (i32.const 1))
          (then
            (i32.store8 (i32.add (i32.const 4096) (global.get $len)) (i32.const 32))
            (global.set $len (i32.add (global.get $len) (i32.const 1)))))
        (local.set $p (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))))
        (block $end
          (loop $char
            (local.set $c (i32.load8_u (local.get $p)))
            (br_if $end (i32.eqz (local.get $c)))
            (i32.store8 (i32.add (i32.const 4096) (global.get $len)) (local.get $c))
            (global.set $len (i32.add (global.get $len) (i32.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $char)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $arg))))

  ;; The character at the cursor, or -1 at the end.
  (func $peek (result i32)
    (if (result i32) (i32.lt_u (global.get $pos) (global.get $len))
      (then (i32.load8_u (i32.add (i32.const 4096) (global.get $pos))))
      (else (i32.const -1))))

  (func $skip_spaces
    (block $done
      (loop $next
        (br_if $done (i32.ne (call $peek) (i32.const 32)))
        (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
        (br $next))))

  ;; A signed decimal integer at the cursor.
  (func $number (result i64)
    (local $negative i32) (local $start i32) (local $value i64) (local $c i32)
    (call $skip_spaces)
    (if (i32.eq (call $peek) (i32.const 45))
      (then
        (local.set $negative (i32.const 1))
        (global.set $pos (i32.add (global.get $pos) (i32.const 1)))))
    (local.set $start (global.get $pos))
    (block $done
      (loop $digit
        (local.set $c (call $peek))
        (br_if $done (i32.or (i32.lt_s (local.get $c) (i32.const 48)) (i32.gt_s (local.get $c) (i32.const 57))))
        (local.set $value
          (i64.add (i64.mul (local.get $value) (i64.const 10)) (i64.extend_i32_u (i32.sub (local.get $c) (i32.const 48)))))
        (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
        (br $digit)))
    (if (i32.eq (global.get $pos) (local.get $start)) (then (call $fail_number)))
    (if (result i64) (local.get $negative)
      (then (i64.sub (i64.const 0) (local.get $value)))
      (else (local.get $value))))

  ;; Prints `v` in decimal and a newline.
  (func $print (param $v i64)
    (local $p i32) (local $negative i32) (local $u i64)
    (local.set $p (i32.const 8224))
    (i32.store8 (local.get $p) (i32.const 10))
    (local.set $negative (i64.lt_s (local.get $v) (i64.const 0)))
    (local.set $u (if (result i64) (local.get $negative) (then (i64.sub (i64.const 0) (local.get $v))) (else (local.get $v))))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $u) (i64.const 10)))))
      (local.set $u (i64.div_u (local.get $u) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $u) (i64.const 0))))
    (if (local.get $negative)
      (then
        (local.set $p (i32.sub (local.get $p) (i32.const 1)))
        (i32.store8 (local.get $p) (i32.const 45))))
    (call $write (i32.const 1) (local.get $p) (i32.sub (i32.const 8225) (local.get $p))))

  (func (export "_start")
    (local $a i64) (local $b i64) (local $op i32)
    (call $join)
    (call $skip_spaces)
    (if (i32.eq (call $peek) (i32.const -1)) (then (call $fail_usage)))
    (local.set $a (call $number))
    (call $skip_spaces)
    (local.set $op (call $peek))
    (if (i32.eq (local.get $op) (i32.const -1)) (then (call $fail_operator)))
    (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
    (local.set $b (call $number))
    (call $skip_spaces)
    (if (i32.ne (call $peek) (i32.const -1)) (then (call $fail_trailing)))
    (if (i32.eq (local.get $op) (i32.const 43)) (then (call $print (i64.add (local.get $a) (local.get $b))) (return)))
    (if (i32.eq (local.get $op) (i32.const 45)) (then (call $print (i64.sub (local.get $a) (local.get $b))) (return)))
    (if (i32.eq (local.get $op) (i32.const 42)) (then (call $print (i64.mul (local.get $a) (local.get $b))) (return)))
    (if (i32.or (i32.eq (local.get $op) (i32.const 47)) (i32.eq (local.get $op) (i32.const 37)))
      (then
        (if (i64.eqz (local.get $b)) (then (call $fail_zero)))
        (if (i32.eq (local.get $op) (i32.const 47))
          (then (call $print (i64.div_s (local.get $a) (local.get $b))))
          (else (call $print (i64.rem_s (local.get $a) (local.get $b)))))
        (return)))
    (call $fail_unknown))

  (data (i32.const 12288) "calculator: usage: calculator A OP B, e.g. calculator 2 + 2\n")
  (data (i32.const 12356) "calculator: expected a number\n")
  (data (i32.const 12394) "calculator: expected an operator (+ - * / %)\n")
  (data (i32.const 12447) "calculator: unexpected text after the expression\n")
  (data (i32.const 12504) "calculator: division by zero\n")
  (data (i32.const 12541) "calculator: unknown operator; use + - * / %\n")
  (data (i32.const 12593) "calculator: expression too long\n"))
