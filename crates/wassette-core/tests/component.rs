//! Components through WASI preview2: a `wasi:cli/run` command with args, env, stdout, a
//! preopen and exit status; the output and memory caps; requests components cannot serve;
//! a mistyped wasi:http import. The components are written in the component-model text format (see
//! `common/components.rs`).

mod common;

use common::components::*;
use common::*;
use wassette_core::{Call, CoreError, Limits, Preopen, RunControl, RunRequest, TrapCode};

/// Prints each argument, each `NAME=value` and each preopened directory's guest path on its
/// own line; the run fails (exit 1) when there are more than three arguments.
fn cli_component() -> String {
    format!(
        r#"(component $C
  {STDOUT_IMPORTS}
  (import "wasi:cli/environment@0.2.0" (instance $environment
    (export "get-environment" (func (result (list (tuple string string)))))
    (export "get-arguments" (func (result (list string))))))
  (import "wasi:filesystem/types@0.2.0" (instance $fs-types
    (export "descriptor" (type (sub resource)))))
  (alias export $fs-types "descriptor" (type $descriptor))
  (import "wasi:filesystem/preopens@0.2.0" (instance $preopens
    (alias outer $C $descriptor (type $d))
    (export "descriptor" (type $d2 (eq $d)))
    (export "get-directories" (func (result (list (tuple (own $d2) string)))))))
  (alias export $environment "get-arguments" (func $get-arguments))
  (alias export $environment "get-environment" (func $get-environment))
  (alias export $preopens "get-directories" (func $get-directories))
  {LIBC}
  (core func $get-stdout-lowered (canon lower (func $get-stdout)))
  (core func $write-lowered (canon lower (func $write) (memory $mem)))
  (core func $get-arguments-lowered (canon lower (func $get-arguments) (memory $mem) (realloc $realloc)))
  (core func $get-environment-lowered (canon lower (func $get-environment) (memory $mem) (realloc $realloc)))
  (core func $get-directories-lowered (canon lower (func $get-directories) (memory $mem) (realloc $realloc)))
  (core module $Main
    (import "libc" "memory" (memory 1))
    (import "host" "get-stdout" (func $get-stdout (result i32)))
    (import "host" "write" (func $write (param i32 i32 i32 i32)))
    (import "host" "get-arguments" (func $get-arguments (param i32)))
    (import "host" "get-environment" (func $get-environment (param i32)))
    (import "host" "get-directories" (func $get-directories (param i32)))
    (global $out (mut i32) (i32.const 0))
    (data (i32.const 8) "=\n")
    (func $print (param $ptr i32) (param $len i32)
      (call $write (global.get $out) (local.get $ptr) (local.get $len) (i32.const 32)))
    (func $newline (call $print (i32.const 9) (i32.const 1)))
    (func (export "run") (result i32) (local $i i32) (local $n i32) (local $e i32) (local $argc i32)
      (global.set $out (call $get-stdout))
      (call $get-arguments (i32.const 16))
      (local.set $argc (i32.load (i32.const 20)))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $argc)))
        (local.set $e (i32.add (i32.load (i32.const 16)) (i32.mul (local.get $i) (i32.const 8))))
        (call $print (i32.load (local.get $e)) (i32.load offset=4 (local.get $e)))
        (call $newline)
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (call $get-environment (i32.const 16))
      (local.set $n (i32.load (i32.const 20)))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $e (i32.add (i32.load (i32.const 16)) (i32.mul (local.get $i) (i32.const 16))))
        (call $print (i32.load (local.get $e)) (i32.load offset=4 (local.get $e)))
        (call $print (i32.const 8) (i32.const 1))
        (call $print (i32.load offset=8 (local.get $e)) (i32.load offset=12 (local.get $e)))
        (call $newline)
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (call $get-directories (i32.const 16))
      (local.set $n (i32.load (i32.const 20)))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $e (i32.add (i32.load (i32.const 16)) (i32.mul (local.get $i) (i32.const 12))))
        (call $print (i32.load offset=4 (local.get $e)) (i32.load offset=8 (local.get $e)))
        (call $newline)
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (i32.gt_u (local.get $argc) (i32.const 3))))
  (core instance $main (instantiate $Main
    (with "libc" (instance $libc))
    (with "host" (instance
      (export "get-stdout" (func $get-stdout-lowered))
      (export "write" (func $write-lowered))
      (export "get-arguments" (func $get-arguments-lowered))
      (export "get-environment" (func $get-environment-lowered))
      (export "get-directories" (func $get-directories-lowered))))))
  (func $run (result (result)) (canon lift (core func $main "run")))
  (instance $run-instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run-instance)))"#
    )
}

#[test]
fn a_command_component_sees_args_env_and_preopens_and_writes_stdout() {
    let dir = std::env::temp_dir().join(format!("wassette-component-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let req = RunRequest {
        args: vec!["cli.wasm".into(), "one".into(), "two".into()],
        env: vec![("APP_MODE".into(), "test".into())],
        preopens: vec![Preopen {
            host_path: dir.clone(),
            guest_path: "/data".into(),
            read_only: true,
        }],
        ..RunRequest::default()
    };
    let out = run_component(&cli_component(), &req, &limits());
    assert_eq!(out.trap, None, "{:?}", out.message);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "cli.wasm\none\ntwo\nAPP_MODE=test\n/data\n"
    );
    assert_eq!(out.exit_code, Some(0));
    assert!(out.memory_used_bytes >= PAGE as u64);

    let failing = RunRequest {
        args: vec!["cli.wasm".into(), "a".into(), "b".into(), "c".into()],
        ..RunRequest::default()
    };
    let out = run_component(&cli_component(), &failing, &limits());
    assert_eq!((out.exit_code, out.trap), (Some(1), None));
    assert_eq!(out.stdout, b"cli.wasm\na\nb\nc\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_component_is_held_to_the_output_cap() {
    let req = RunRequest {
        args: vec!["cli.wasm".into(), "0123456789".into()],
        ..RunRequest::default()
    };
    let l = Limits {
        max_output_bytes: 12,
        ..limits()
    };
    let out = run_component(&cli_component(), &req, &l);
    assert_eq!(out.trap, Some(TrapCode::OutputLimit), "{:?}", out.message);
    assert_eq!(out.stdout, b"cli.wasm\n012");
    assert_eq!(out.output_bytes, 19);
}

#[test]
fn a_component_whose_memory_is_over_the_cap_does_not_start() {
    let l = Limits {
        max_memory_bytes: PAGE / 2,
        ..limits()
    };
    let out = run_component(&cli_component(), &command(), &l);
    assert_eq!(out.trap, Some(TrapCode::MemoryLimit), "{:?}", out.message);
}

#[test]
fn components_only_run_as_commands() {
    let e = engine();
    let c = e.compile(cli_component().as_bytes()).unwrap();
    let req = RunRequest {
        call: Call::Function {
            name: "run".into(),
            args: vec![],
        },
        ..command()
    };
    let err = e
        .run(&c, &req, &limits(), &RunControl::default())
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Invalid(m) if m.contains("commands")),
        "{err}"
    );

    let library = e.compile(b"(component)").unwrap();
    let err = e
        .run(&library, &command(), &limits(), &RunControl::default())
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Invalid(m) if m.contains("wasi:cli/run")),
        "{err}"
    );
}

#[test]
fn a_mistyped_wasi_http_import_is_a_link_error_naming_it() {
    let e = engine();
    let c = e
        .compile(
            br#"(component
                 (import "wasi:http/outgoing-handler@0.2.0" (instance
                   (export "handle" (func))))
                 )"#,
        )
        .unwrap();
    let err = e
        .run(&c, &command(), &limits(), &RunControl::default())
        .unwrap_err();
    assert!(matches!(err, CoreError::Link(_)), "{err}");
    assert!(err.message().contains("handle"), "{err}");
}
