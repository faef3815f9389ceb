//! Runs WASI commands (written in WAT) under each limit and checks the outcome codes.

use std::time::{Duration, Instant};

use wassette_core::{CommandRequest, CoreEngine, EngineConfig, Limits, Outcome, TrapCode};

const PAGE: usize = 65536;

fn limits() -> Limits {
    Limits {
        max_memory_bytes: 16 * PAGE,
        timeout: Duration::from_secs(10),
        fuel: None,
        max_output_bytes: 1 << 20,
    }
}

/// Compiles `wat` and runs it as a command with no args, env or grants.
fn run(e: &CoreEngine, wat: &[u8], limits: &Limits) -> Outcome {
    let m = e.compile(wat).expect("compiles");
    e.run_command(&m, &CommandRequest::default(), limits)
        .expect("links")
}

fn engine() -> CoreEngine {
    CoreEngine::new(&EngineConfig::default()).expect("engine")
}

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
    let m = e.compile(ECHO.as_bytes()).unwrap();
    let req = CommandRequest {
        args: vec!["echo.wasm".into(), "a".into()],
        env: vec![("K".into(), "v".into())],
        stdin: b"hello".to_vec(),
        ..Default::default()
    };
    let out = e.run_command(&m, &req, &limits()).unwrap();
    assert_eq!(out.trap, None, "{:?}", out.message);
    assert_eq!(out.stdout, b"hello");
    assert_eq!(out.exit_code, Some(21));
}

#[test]
fn fuel_runs_out_deterministically() {
    let e = engine();
    let m = e
        .compile(
            br#"(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))"#,
        )
        .unwrap();
    let l = Limits {
        fuel: Some(100_000),
        ..limits()
    };
    let a = e.run_command(&m, &CommandRequest::default(), &l).unwrap();
    assert_eq!(a.trap, Some(TrapCode::OutOfFuel));
    assert_eq!(a.fuel_consumed, Some(100_000));
    assert!(a.trap.unwrap().is_limit());

    let counted = e
        .compile(
            br#"(module (memory (export "memory") 1)
                 (func (export "_start") (local $i i32)
                   (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
                            (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))))"#,
        )
        .unwrap();
    let l = Limits {
        fuel: Some(10_000_000),
        ..limits()
    };
    let x = e
        .run_command(&counted, &CommandRequest::default(), &l)
        .unwrap();
    let y = e
        .run_command(&counted, &CommandRequest::default(), &l)
        .unwrap();
    assert_eq!(x.trap, None);
    assert!(x.fuel_consumed.unwrap() > 1000);
    assert_eq!(x.fuel_consumed, y.fuel_consumed);
}

#[test]
fn an_endless_loop_times_out_and_the_engine_stays_usable() {
    let e = engine();
    let m = e
        .compile(
            br#"(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))"#,
        )
        .unwrap();
    let l = Limits {
        timeout: Duration::from_millis(100),
        ..limits()
    };
    let t = Instant::now();
    let out = e.run_command(&m, &CommandRequest::default(), &l).unwrap();
    assert_eq!(out.trap, Some(TrapCode::Timeout));
    assert!(t.elapsed() < Duration::from_secs(5));
    let echo = e.compile(ECHO.as_bytes()).unwrap();
    let ok = e
        .run_command(
            &echo,
            &CommandRequest {
                stdin: b"x".to_vec(),
                ..Default::default()
            },
            &limits(),
        )
        .unwrap();
    assert_eq!(ok.stdout, b"x");
}

#[test]
fn memory_growth_past_the_cap_returns_minus_one_and_is_counted() {
    let e = engine();
    let out = run(
        &e,
        br#"(module
                 (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
                 (memory (export "memory") 1)
                 (func (export "_start") (local $n i32)
                   (block $done (loop $more
                     (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
                     (local.set $n (i32.add (local.get $n) (i32.const 1)))
                     (br $more)))
                   (call $exit (local.get $n))))"#,
        &Limits {
            max_memory_bytes: 4 * PAGE,
            ..limits()
        },
    );
    assert_eq!(out.trap, None);
    assert_eq!(out.exit_code, Some(3));
    assert_eq!(out.memory_grow_failures, 1);
}

#[test]
fn a_minimum_over_the_cap_is_a_memory_limit() {
    let e = engine();
    let out = run(
        &e,
        br#"(module (memory (export "memory") 10) (func (export "_start")))"#,
        &Limits {
            max_memory_bytes: 4 * PAGE,
            ..limits()
        },
    );
    assert_eq!(out.trap, Some(TrapCode::MemoryLimit));
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
        let out = run(&e, wat.as_bytes(), &limits());
        assert_eq!(out.trap, Some(code), "{body}: {:?}", out.message);
        assert_eq!(out.exit_code, None);
    }
}

#[test]
fn unknown_imports_fail_to_link() {
    let e = engine();
    let m = e
        .compile(br#"(module (import "env" "host" (func)) (func (export "_start")))"#)
        .unwrap();
    let err = e
        .run_command(&m, &CommandRequest::default(), &limits())
        .unwrap_err();
    assert!(err.to_string().contains("env"), "{err}");
}

#[test]
fn output_is_capped() {
    let e = engine();
    let out = run(&e, br#"(module
                 (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
                 (memory (export "memory") 1)
                 (data (i32.const 100) "0123456789")
                 (func (export "_start")
                   (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 10))
                   (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
                   (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#, &Limits {
                max_output_bytes: 15,
                ..limits()
            });
    assert!(out.stdout.len() <= 15);
    assert!(out.stdout.starts_with(b"0123456789"));
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
    e: &CoreEngine,
    preopens: Vec<wassette_core::Preopen>,
    mode: &str,
    path: &str,
) -> wassette_core::Outcome {
    let m = e.compile(FS.as_bytes()).unwrap();
    let req = CommandRequest {
        args: vec!["fs.wasm".into(), mode.into(), path.into()],
        preopens,
        ..Default::default()
    };
    e.run_command(&m, &req, &limits()).unwrap()
}

#[test]
fn directories_only_as_granted_and_read_only_refuses_writes() {
    let root = std::env::temp_dir().join(format!("wassette-core-{}", std::process::id()));
    let data = root.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("note.txt"), "granted").unwrap();
    std::fs::write(root.join("secret.txt"), "outside").unwrap();
    let _ = std::fs::remove_file(data.join("link"));
    std::os::unix::fs::symlink(root.join("secret.txt"), data.join("link")).unwrap();
    let grant = |read_only| {
        vec![wassette_core::Preopen {
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
