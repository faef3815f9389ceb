;; A tool that needs a granted directory: `line-count PATH` counts the lines of PATH, opened
;; relative to the first preopened directory (the grant), and prints the count. Exit status: 0
;; done, 1 bad usage, otherwise the WASI errno of the call that failed (44 no such file, 63 or 76:
;; the path leaves the grant, 8 bad descriptor: nothing was granted).
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; Memory map: 0 iovec, 16 argc, 20 argv bytes, 24 opened fd, 28 nread, 32 nwritten,
  ;; 1024 argv pointers, 2048 argv strings (2 KiB), 8192 digits, 16384 read buffer (16 KiB).
  (data (i32.const 12288) "line-count: usage: line-count PATH (PATH inside the granted directory)\n")

  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (br_if $done (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 32)))
        (br_if $done (i32.eqz (i32.load (i32.const 32))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 32))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 32))))
        (br $more))))

  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))

  (func $check (param $errno i32)
    (if (local.get $errno) (then (call $proc_exit (local.get $errno)))))

  (func $print (param $v i64)
    (local $p i32)
    (local.set $p (i32.const 8224))
    (i32.store8 (local.get $p) (i32.const 10))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $v) (i64.const 0))))
    (call $write (i32.const 1) (local.get $p) (i32.sub (i32.const 8225) (local.get $p))))

  (func (export "_start")
    (local $path i32) (local $fd i32) (local $lines i64) (local $i i32) (local $n i32)
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (if (i32.or (i32.ne (i32.load (i32.const 16)) (i32.const 2)) (i32.gt_u (i32.load (i32.const 20)) (i32.const 2048)))
      (then
        (call $write (i32.const 2) (i32.const 12288) (i32.const 71))
        (call $proc_exit (i32.const 1))))
    (drop (call $args_get (i32.const 1024) (i32.const 2048)))
    (local.set $path (i32.load (i32.const 1028)))
    ;; rights: fd_read (bit 1); the grant is the first preopen, fd 3
    (call $check (call $path_open (i32.const 3) (i32.const 1) (local.get $path) (call $strlen (local.get $path))
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 24)))
    (local.set $fd (i32.load (i32.const 24)))
    (block $eof
      (loop $more
        (i32.store (i32.const 0) (i32.const 16384))
        (i32.store (i32.const 4) (i32.const 16384))
        (call $check (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 28)))
        (local.set $n (i32.load (i32.const 28)))
        (br_if $eof (i32.eqz (local.get $n)))
        (local.set $i (i32.const 0))
        (block $counted
          (loop $byte
            (br_if $counted (i32.ge_u (local.get $i) (local.get $n)))
            (if (i32.eq (i32.load8_u (i32.add (i32.const 16384) (local.get $i))) (i32.const 10))
              (then (local.set $lines (i64.add (local.get $lines) (i64.const 1)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $byte)))
        (br $more)))
    (call $print (local.get $lines))))
