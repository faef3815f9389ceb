//! Exported-function calls and JSON calls on core modules: argument and result types, reactors,
//! `proc_exit` inside a call, and the JSON protocol's bounds checks.

mod common;

use common::*;
use wassette_core::{Call, CoreError, RunControl, TrapCode, Val};

const MATH: &str = r#"
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  ;; (a: i64, b: f32, c: f64) -> (c + b, a * 2, -b)
  (func (export "mix") (param i64 f32 f64) (result f64 i64 f32)
    (f64.add (local.get 2) (f64.promote_f32 (local.get 1)))
    (i64.mul (local.get 0) (i64.const 2))
    (f32.neg (local.get 1)))
  (func (export "inf") (result f64 f32) (f64.const inf) (f32.const -nan))
  (func (export "nothing"))
  (func (export "vec") (result v128) (v128.const i64x2 0 0)))
"#;

#[test]
fn calls_an_export_with_each_numeric_type_and_multiple_results() {
    let e = engine();
    let out = run_with(
        &e,
        MATH,
        &function("add", vec![Val::I32(2), Val::I32(40)]),
        &limits(),
    );
    assert_eq!((out.trap, out.exit_code), (None, None));
    assert_eq!(out.returns, vec![Val::I32(42)]);

    let out = run_with(
        &e,
        MATH,
        &function(
            "mix",
            vec![Val::I64(1 << 40), Val::F32(1.5), Val::F64(0.25)],
        ),
        &limits(),
    );
    assert_eq!(
        out.returns,
        vec![Val::F64(1.75), Val::I64(1 << 41), Val::F32(-1.5)]
    );

    let out = run_with(&e, MATH, &function("inf", vec![]), &limits());
    match out.returns.as_slice() {
        [Val::F64(a), Val::F32(b)] => assert!(a.is_infinite() && b.is_nan()),
        other => panic!("{other:?}"),
    }
    let out = run_with(&e, MATH, &function("nothing", vec![]), &limits());
    assert_eq!((out.returns.len(), out.trap), (0, None));
}

#[test]
fn bad_function_requests_are_refused_before_running() {
    let e = engine();
    let m = e.compile(MATH.as_bytes()).unwrap();
    let invalid = |req| match e.run(&m, &req, &limits(), &RunControl::default()) {
        Err(CoreError::Invalid(m)) => m,
        other => panic!("{other:?}"),
    };
    assert!(invalid(function("missing", vec![])).contains("missing"));
    let wrong = invalid(function("add", vec![Val::I32(1), Val::I64(2)]));
    assert!(
        wrong.contains("(i32, i32) -> (i32)") && wrong.contains("(i32, i64)"),
        "{wrong}"
    );
    assert!(invalid(function("add", vec![Val::I32(1)])).contains("add"));
    assert!(invalid(function("vec", vec![])).contains("v128"));
}

/// A reactor: `_initialize` sets a global that `get` returns; `say` prints through WASI;
/// `quit` calls `proc_exit(7)`.
const REACTOR: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "hi from a call")
  (global $ready (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $ready (i32.const 42)))
  (func (export "get") (result i32) (global.get $ready))
  (func (export "say") (result i32)
    (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 14))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.const 1))
  (func (export "quit") (result i32) (call $proc_exit (i32.const 7)) (i32.const 0)))
"#;

#[test]
fn a_reactor_is_initialized_and_wasi_works_inside_calls() {
    let e = engine();
    let out = run_with(&e, REACTOR, &function("get", vec![]), &limits());
    assert_eq!(out.returns, vec![Val::I32(42)]);
    let out = run_with(&e, REACTOR, &function("say", vec![]), &limits());
    assert_eq!(
        (out.stdout.as_slice(), out.returns.as_slice()),
        (&b"hi from a call"[..], &[Val::I32(1)][..])
    );
}

#[test]
fn proc_exit_inside_a_call_ends_it_with_the_exit_code() {
    let out = run_with(&engine(), REACTOR, &function("quit", vec![]), &limits());
    assert_eq!((out.exit_code, out.trap), (Some(7), None));
    assert!(out.returns.is_empty());
}

/// The plugin protocol: `alloc` bumps from 1024; `echo` returns its input as (ptr, len),
/// `echo64` packed in one i64; `wrap` writes `{"got":<input>}`; the others break the protocol.
const PLUGIN: &str = r#"
(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (data (i32.const 16) "{\"got\":")
  (func (export "alloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (local.get $p) (local.get $n)))
    (local.get $p))
  (func (export "echo") (param $p i32) (param $n i32) (result i32 i32) (local.get $p) (local.get $n))
  (func (export "echo64") (param $p i32) (param $n i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32)) (i64.extend_i32_u (local.get $n))))
  (func (export "wrap") (param $p i32) (param $n i32) (result i32 i32)
    (memory.copy (i32.const 23) (local.get $p) (local.get $n))
    (i32.store8 (i32.add (i32.const 23) (local.get $n)) (i32.const 125))
    (i32.const 16) (i32.add (local.get $n) (i32.const 8)))
  (func (export "outside") (param i32 i32) (result i32 i32) (i32.const 65530) (i32.const 100))
  (func (export "wrong") (param i32) (result i32) (i32.const 0)))
"#;

#[test]
fn json_calls_return_the_reply_bytes_as_pair_or_packed_i64() {
    let e = engine();
    for name in ["echo", "echo64"] {
        let out = run_with(&e, PLUGIN, &json(name, r#"{"a":[1,2]}"#), &limits());
        assert_eq!(out.trap, None, "{name}: {:?}", out.message);
        assert_eq!(
            out.json_output.as_deref(),
            Some(&br#"{"a":[1,2]}"#[..]),
            "{name}"
        );
        assert_eq!(out.exit_code, None);
    }
    let out = run_with(&e, PLUGIN, &json("wrap", "[true]"), &limits());
    assert_eq!(out.json_output.as_deref(), Some(&br#"{"got":[true]}"#[..]));
}

#[test]
fn a_reply_outside_memory_is_a_protocol_error() {
    let out = run_with(&engine(), PLUGIN, &json("outside", "{}"), &limits());
    assert_eq!(out.trap, Some(TrapCode::ProtocolError));
    let m = out.message.unwrap();
    assert!(
        m.contains("65530..65630") && m.contains("65536-byte memory"),
        "{m}"
    );
    assert_eq!(out.json_output, None);
}

#[test]
fn an_allocation_outside_memory_is_a_protocol_error() {
    let bad_alloc = PLUGIN.replace(
        "(local.set $p (global.get $next))",
        "(local.set $p (i32.const 65535))",
    );
    let out = run_with(&engine(), &bad_alloc, &json("echo", "[1,2,3]"), &limits());
    assert_eq!(out.trap, Some(TrapCode::ProtocolError));
    let m = out.message.unwrap();
    assert!(
        m.contains("alloc(7)") && m.contains("65535") && m.contains("65536"),
        "{m}"
    );
}

#[test]
fn json_calls_check_the_protocol_shape_first() {
    let e = engine();
    let m = e.compile(PLUGIN.as_bytes()).unwrap();
    for (name, alloc) in [("wrong", "alloc"), ("echo", "echo"), ("missing", "alloc")] {
        let req = wassette_core::RunRequest {
            call: Call::Json {
                name: name.into(),
                alloc: alloc.into(),
                input: b"{}".to_vec(),
            },
            ..command()
        };
        let err = e
            .run(&m, &req, &limits(), &RunControl::default())
            .unwrap_err();
        assert!(
            matches!(err, CoreError::Invalid(_)),
            "{name}/{alloc}: {err}"
        );
    }
}
