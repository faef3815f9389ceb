//! Pieces of hand-written components (component-model text format, canonical ABI lowering
//! included), compiled by Wasmtime's `wat` support: no toolchain and no committed binary.

use wassette_core::{Limits, Outcome, RunControl, RunRequest};

use super::engine;

/// A bump allocator and the memory the canonical ABI lowers into.
pub const LIBC: &str = r#"
  (core module $Libc
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $next (i32.add (local.get $p) (local.get 3)))
      (local.get $p)))
  (core instance $libc (instantiate $Libc))
  (alias core export $libc "memory" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
"#;

/// `wasi:io` streams and `wasi:cli/stdout`, enough for `blocking-write-and-flush`.
pub const STDOUT_IMPORTS: &str = r#"
  (import "wasi:io/error@0.2.0" (instance $io-error (export "error" (type (sub resource)))))
  (alias export $io-error "error" (type $error))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (alias outer $C $error (type $err))
    (export "error" (type $err2 (eq $err)))
    (export "output-stream" (type $os (sub resource)))
    (type $se (variant (case "last-operation-failed" (own $err2)) (case "closed")))
    (export "stream-error" (type $stream-error (eq $se)))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $os)) (param "contents" (list u8))
            (result (result (error $stream-error)))))))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout
    (alias outer $C $output-stream (type $os))
    (export "output-stream" (type $os2 (eq $os)))
    (export "get-stdout" (func (result (own $os2))))))
  (alias export $stdout "get-stdout" (func $get-stdout))
  (alias export $streams "[method]output-stream.blocking-write-and-flush" (func $write))
"#;

/// Compiles the component `wat` and runs `request`, expecting it to start.
pub fn run_component(wat: &str, request: &RunRequest, limits: &Limits) -> Outcome {
    let e = engine();
    let c = e.compile(wat.as_bytes()).expect("compiles");
    assert!(c.is_component());
    e.run(&c, request, limits, &RunControl::default())
        .expect("starts")
}
