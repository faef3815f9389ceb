//! WASI preview1 commands: args, env, stdin, exit codes, traps, link errors and preopened
//! directories.

mod common;

use common::*;
use wassette_core::{CoreError, Preopen, RunControl, RunRequest, TrapCode};

const ECHO: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; copies stdin to stdout, then exits with argc * 10 + environ count
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 4096))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)))
    (i32.store (i32.const 4) (i32.load (i32.const 16)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
    (drop (call $args_sizes_get (i32.const 32) (i32.const 36)))
    (drop (call $environ_sizes_get (i32.const 40) (i32.const 44)))
    (call $proc_exit (i32.add (i32.mul (i32.load (i32.const 32)) (i32.const 10)) (i32.load (i32.const 40))))))
"#;

#[test]
fn runs_a_command_with_args_env_and_stdin() {
    let e = engine();
    let req = RunRequest {
        args: vec!["echo.wasm".into(), "a".into()],
        env: vec![("K".into(), "v".into())],
        stdin: b"hello".to_vec(),
        ..RunRequest::default()
    };
    let out = run_with(&e, ECHO, &req, &limits());
    assert_eq!(out.trap, None, "{:?}", out.message);
    assert_eq!(out.stdout, b"hello");
    assert_eq!(out.output_bytes, 5);
    assert_eq!(out.exit_code, Some(21));
}

#[test]
fn a_start_that_returns_exits_0_and_reports_memory() {
    let out = run(
        &engine(),
        r#"(module (memory (export "memory") 2) (func (export "_start")))"#,
    );
    assert_eq!((out.exit_code, out.trap), (Some(0), None));
    assert_eq!(out.memory_used_bytes, 2 * PAGE as u64);
    assert_eq!(out.fuel_consumed, None);
}

#[test]
fn traps_map_to_their_codes() {
    let e = engine();
    let cases: [(&str, TrapCode); 4] = [
        ("(unreachable)", TrapCode::Unreachable),
        (
            "(drop (i32.div_s (i32.const 1) (i32.const 0)))",
            TrapCode::IntegerDivideByZero,
        ),
        (
            "(drop (i32.load (i32.const 70000)))",
            TrapCode::MemoryOutOfBounds,
        ),
        ("(call $r)", TrapCode::StackOverflow),
    ];
    for (body, code) in cases {
        let wat = format!(
            r#"(module (memory (export "memory") 1) (func $r (call $r)) (func (export "_start") {body}))"#
        );
        let out = run(&e, &wat);
        assert_eq!(out.trap, Some(code), "{body}: {:?}", out.message);
        assert_eq!(out.exit_code, None);
    }
}

#[test]
fn unknown_imports_fail_to_link_and_are_listed() {
    let e = engine();
    let m = e
        .compile(
            br#"(module (import "env" "host" (func)) (import "env" "other" (func))
                        (func (export "_start")))"#,
        )
        .unwrap();
    let err = e
        .run(&m, &command(), &limits(), &RunControl::default())
        .unwrap_err();
    assert!(matches!(err, CoreError::Link(_)), "{err}");
    assert!(err.message().contains("env::host, env::other"), "{err}");
}

#[test]
fn a_module_without_start_is_not_a_command() {
    let e = engine();
    let m = e.compile(br#"(module (func (export "main")))"#).unwrap();
    let err = e
        .run(&m, &command(), &limits(), &RunControl::default())
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Invalid(m) if m.contains("_start")),
        "{err}"
    );
}

#[test]
fn bad_bytes_do_not_compile() {
    let e = engine();
    assert!(matches!(
        e.compile(b"\0asm\x01\0\0\0\x99"),
        Err(CoreError::Compile(_))
    ));
    assert!(matches!(
        e.compile(b"(module (func (i32.add)))"),
        Err(CoreError::Compile(_))
    ));
    assert!(!e.compile(b"(module)").unwrap().is_component());
}

/// `guest-fs`-style command: argv[1] is `r` or `w`, argv[2] a path under fd 3; exits with the errno.
const FS: &str = r#"
(module
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $d (loop $l (br_if $d (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1))) (br $l))) (local.get $n))
  (func $check (param i32) (if (local.get 0) (then (call $proc_exit (local.get 0)))))
  (func (export "_start") (local $path i32) (local $write i32)
    (drop (call $args_get (i32.const 1024) (i32.const 2048)))
    (local.set $write (i32.eq (i32.load8_u (i32.load (i32.const 1028))) (i32.const 119)))
    (local.set $path (i32.load (i32.const 1032)))
    (call $check (call $path_open (i32.const 3) (i32.const 0) (local.get $path) (call $strlen (local.get $path))
      (select (i32.const 9) (i32.const 0) (local.get $write))
      (select (i64.const 64) (i64.const 2) (local.get $write)) (i64.const 0) (i32.const 0) (i32.const 80)))
    (i32.store (i32.const 0) (i32.const 4096)) (i32.store (i32.const 4) (i32.const 1000))
    (if (local.get $write)
      (then (i32.store8 (i32.const 4096) (i32.const 33)) (i32.store (i32.const 4) (i32.const 1))
            (call $check (call $fd_write (i32.load (i32.const 80)) (i32.const 0) (i32.const 1) (i32.const 16))))
      (else (call $check (call $fd_read (i32.load (i32.const 80)) (i32.const 0) (i32.const 1) (i32.const 16)))
            (i32.store (i32.const 4) (i32.load (i32.const 16)))
            (call $check (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))))
"#;

fn fs_run(
    e: &wassette_core::CoreEngine,
    preopens: Vec<Preopen>,
    mode: &str,
    path: &str,
) -> wassette_core::Outcome {
    let req = RunRequest {
        args: vec!["fs.wasm".into(), mode.into(), path.into()],
        preopens,
        ..RunRequest::default()
    };
    run_with(e, FS, &req, &limits())
}

#[test]
fn directories_only_as_granted_and_read_only_refuses_writes() {
    let root = std::env::temp_dir().join(format!("wassette-core-fs-{}", std::process::id()));
    let data = root.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("note.txt"), "granted").unwrap();
    std::fs::write(root.join("secret.txt"), "outside").unwrap();
    let _ = std::fs::remove_file(data.join("link"));
    std::os::unix::fs::symlink(root.join("secret.txt"), data.join("link")).unwrap();
    let grant = |read_only| {
        vec![Preopen {
            host_path: data.clone(),
            guest_path: "/data".into(),
            read_only,
        }]
    };
    let e = engine();

    assert_ne!(
        fs_run(&e, vec![], "r", "note.txt").exit_code,
        Some(0),
        "no grant, no directory"
    );
    let read = fs_run(&e, grant(true), "r", "note.txt");
    assert_eq!(read.exit_code, Some(0));
    assert_eq!(read.stdout, b"granted");
    for escape in ["../secret.txt", "/etc/passwd", "link"] {
        let out = fs_run(&e, grant(false), "r", escape);
        assert_ne!(out.exit_code, Some(0), "{escape}");
        assert!(!out.stdout.starts_with(b"outside"), "{escape}");
    }
    assert_ne!(fs_run(&e, grant(true), "w", "new.txt").exit_code, Some(0));
    assert!(!data.join("new.txt").exists());
    assert_eq!(fs_run(&e, grant(false), "w", "new.txt").exit_code, Some(0));
    assert_eq!(std::fs::read(data.join("new.txt")).unwrap(), b"!");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_preopen_that_cannot_be_opened_is_a_grant_error() {
    let e = engine();
    let m = e.compile(FS.as_bytes()).unwrap();
    let req = RunRequest {
        preopens: vec![Preopen {
            host_path: "/nonexistent/wassette".into(),
            guest_path: "/data".into(),
            read_only: true,
        }],
        ..command()
    };
    let err = e
        .run(&m, &req, &limits(), &RunControl::default())
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Grant(m) if m.contains("/nonexistent/wassette")),
        "{err}"
    );
}
