//! Each limit of a run: the shared output cap (with streaming), timeout and cancellation,
//! fuel, and linear memory.

mod common;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use wassette_core::{CoreError, Limits, Outcome, RunControl, RunRequest, Stream, TrapCode, Val};

/// Writes "0123456789" to stdout, "abcdefghij" to stderr, then "0123456789" to stdout again.
const CHATTY: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "0123456789abcdefghij")
  (func $put (param $fd i32) (param $at i32)
    (i32.store (i32.const 0) (local.get $at)) (i32.store (i32.const 4) (i32.const 10))
    (drop (call $w (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (call $put (i32.const 1) (i32.const 100))
    (call $put (i32.const 2) (i32.const 110))
    (call $put (i32.const 1) (i32.const 100))))
"#;

type Chunk = (Stream, Vec<u8>);

fn capped(max_output_bytes: usize) -> Limits {
    Limits {
        max_output_bytes,
        ..limits()
    }
}

#[test]
fn output_under_the_cap_is_kept_whole() {
    let out = run_with(&engine(), CHATTY, &command(), &capped(30));
    assert_eq!((out.trap, out.exit_code), (None, Some(0)));
    assert_eq!(out.stdout, b"01234567890123456789");
    assert_eq!(out.stderr, b"abcdefghij");
    assert_eq!(out.output_bytes, 30);
}

#[test]
fn the_cap_counts_stdout_and_stderr_together_and_cuts_the_crossing_write() {
    let out = run_with(&engine(), CHATTY, &command(), &capped(25));
    assert_eq!(out.trap, Some(TrapCode::OutputLimit), "{:?}", out.message);
    assert!(out.trap.unwrap().is_limit());
    assert_eq!(out.stdout, b"012345678901234");
    assert_eq!(out.stderr, b"abcdefghij");
    assert_eq!(out.output_bytes, 30);
    assert_eq!(out.exit_code, None);
}

#[test]
fn streamed_chunks_are_the_captured_bytes_in_write_order() {
    let chunks: Arc<Mutex<Vec<Chunk>>> = Arc::default();
    let control = RunControl {
        on_output: Some(Box::new({
            let chunks = chunks.clone();
            move |stream, bytes| chunks.lock().unwrap().push((stream, bytes.to_vec()))
        })),
        ..RunControl::default()
    };
    let e = engine();
    let m = e.compile(CHATTY.as_bytes()).unwrap();
    let out = e.run(&m, &command(), &capped(25), &control).unwrap();
    assert_eq!(out.trap, Some(TrapCode::OutputLimit));
    let chunks = chunks.lock().unwrap().clone();
    assert_eq!(
        chunks,
        vec![
            (Stream::Stdout, b"0123456789".to_vec()),
            (Stream::Stderr, b"abcdefghij".to_vec()),
            (Stream::Stdout, b"01234".to_vec()),
        ]
    );
    let joined = |s| -> Vec<u8> {
        chunks
            .iter()
            .filter(|c| c.0 == s)
            .flat_map(|c| c.1.clone())
            .collect()
    };
    assert_eq!(joined(Stream::Stdout), out.stdout);
    assert_eq!(joined(Stream::Stderr), out.stderr);
}

#[test]
fn a_large_write_is_cut_exactly_at_the_cap() {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        (memory.fill (i32.const 1024) (i32.const 120) (i32.const 10000))
        (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 10000))
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;
    let out = run_with(&engine(), wat, &command(), &capped(5000));
    assert_eq!(out.trap, Some(TrapCode::OutputLimit));
    assert_eq!(out.stdout.len(), 5000);
    // Wasmtime hands a preview1 write over in 4 KiB pieces; counting stops with the piece
    // that crossed the cap.
    assert_eq!(out.output_bytes, 8192);
}

const SPIN: &str =
    r#"(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))"#;

#[test]
fn an_endless_loop_times_out_and_the_engine_stays_usable() {
    let e = engine();
    let l = Limits {
        timeout: Duration::from_millis(100),
        ..limits()
    };
    let t = Instant::now();
    let out = run_with(&e, SPIN, &command(), &l);
    assert_eq!(out.trap, Some(TrapCode::Timeout), "{:?}", out.message);
    assert!(out.elapsed >= Duration::from_millis(100));
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(
        run_with(&e, CHATTY, &command(), &limits()).exit_code,
        Some(0)
    );
}

/// No loop at all: an exponential call tree (2^60 calls) is stopped by the checks at function
/// entry.
const CALL_TREE: &str = r#"(module (memory (export "memory") 1)
  (func $tree (param $n i32)
    (if (local.get $n) (then
      (call $tree (i32.sub (local.get $n) (i32.const 1)))
      (call $tree (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "_start") (call $tree (i32.const 60))))"#;

#[test]
fn a_call_tree_without_loops_times_out_too() {
    let e = engine();
    let l = Limits {
        timeout: Duration::from_millis(100),
        ..limits()
    };
    let t = Instant::now();
    let out = run_with(&e, CALL_TREE, &command(), &l);
    assert_eq!(out.trap, Some(TrapCode::Timeout), "{:?}", out.message);
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn the_guests_own_unreachable_is_not_taken_for_a_deadline() {
    let out = run(
        &engine(),
        r#"(module (memory (export "memory") 1) (func (export "_start") (loop) unreachable))"#,
    );
    assert_eq!(out.trap, Some(TrapCode::Unreachable), "{:?}", out.message);
}

#[test]
fn a_guest_sees_only_its_own_memories() {
    // Two memories, data in the second, a store and a load through explicit indices: the
    // interrupt page the engine adds in front of them must not shift what the guest reads.
    let wat = r#"(module
         (memory $a (export "memory") 1) (memory $b 1)
         (data (memory $b) (i32.const 8) "\2a")
         (func (export "get") (result i32)
           (i32.store8 $a (i32.const 0) (i32.const 7))
           (i32.add (i32.load8_u $b (i32.const 8)) (i32.load8_u $a (i32.const 0)))))"#;
    let out = run_with(&engine(), wat, &function("get", vec![]), &limits());
    assert_eq!(out.trap, None, "{:?}", out.message);
    assert_eq!(out.returns, vec![Val::I32(49)]);
}

#[test]
fn cancelling_from_another_thread_stops_the_run() {
    let e = engine();
    let m = e.compile(SPIN.as_bytes()).unwrap();
    let control = RunControl::default();
    let flag = control.cancel.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        flag.store(true, Ordering::Relaxed);
    });
    let t = Instant::now();
    let out = e.run(&m, &command(), &limits(), &control).unwrap();
    canceller.join().unwrap();
    assert_eq!(out.trap, Some(TrapCode::Cancelled), "{:?}", out.message);
    assert!(!out.trap.unwrap().is_limit());
    assert!(t.elapsed() < Duration::from_secs(5));

    // Already cancelled: nothing runs.
    let out = e.run(&m, &command(), &limits(), &control).unwrap();
    assert_eq!(
        (out.trap, out.elapsed),
        (Some(TrapCode::Cancelled), Duration::ZERO)
    );
    // A fresh control runs normally on the same engine.
    let ok = e
        .run(
            &e.compile(CHATTY.as_bytes()).unwrap(),
            &command(),
            &limits(),
            &RunControl::default(),
        )
        .unwrap();
    assert_eq!(ok.exit_code, Some(0));
}

const COUNT_TO_1000: &str = r#"(module (memory (export "memory") 1)
  (func (export "_start") (local $i i32)
    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
             (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))))"#;

#[test]
fn fuel_runs_out_deterministically() {
    let e = metered();
    let l = Limits {
        fuel: Some(100_000),
        ..limits()
    };
    let a = run_with(&e, SPIN, &command(), &l);
    assert_eq!(a.trap, Some(TrapCode::OutOfFuel));
    assert_eq!(a.fuel_consumed, Some(100_000));
    assert!(a.trap.unwrap().is_limit());

    let l = Limits {
        fuel: Some(10_000_000),
        ..limits()
    };
    let x = run_with(&e, COUNT_TO_1000, &command(), &l);
    let y = run_with(&e, COUNT_TO_1000, &command(), &l);
    assert_eq!(x.trap, None);
    assert!(x.fuel_consumed.unwrap() > 1000);
    assert_eq!(x.fuel_consumed, y.fuel_consumed);

    // A metered engine can still run without a budget; nothing is reported then.
    let free = run_with(&e, COUNT_TO_1000, &command(), &limits());
    assert_eq!((free.trap, free.fuel_consumed), (None, None));
}

fn fuel_of(wat: &str, request: &RunRequest, budget: u64) -> Outcome {
    let l = Limits {
        fuel: Some(budget),
        ..limits()
    };
    run_with(&metered(), wat, request, &l)
}

/// The meter's units are the js engine's: each function charges its instructions outside loops
/// on entry (the final `end` included), each loop its own instructions per iteration.
#[test]
fn fuel_is_one_unit_per_instruction_of_each_region_entered() {
    // Entry: loop + end = 2; the loop: 9 instructions, 1000 times.
    let out = fuel_of(COUNT_TO_1000, &command(), 1_000_000);
    assert_eq!((out.trap, out.fuel_consumed), (None, Some(9002)));

    // Calls: the callee's charges reach the caller's cached count. The loop body is 11
    // instructions plus the callee's 2 (i32.const, end), 10 times, and the entry's 2.
    let calls = r#"(module (memory (export "memory") 1)
      (func $f (result i32) (i32.const 7))
      (func (export "_start") (local $i i32)
        (loop $l (drop (call $f))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))))"#;
    assert_eq!(
        fuel_of(calls, &command(), 1_000_000).fuel_consumed,
        Some(132)
    );

    // A function with an exception handler meters through the global; a throw is caught in
    // each of 10 iterations: 14 instructions in the loop plus the thrower's 2, and the entry's 2.
    let handlers = r#"(module (memory (export "memory") 1)
      (tag $e)
      (func $thrower (throw $e))
      (func (export "_start") (local $i i32)
        (loop $l
          (block $caught (try_table (catch $e $caught) (call $thrower)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))))"#;
    assert_eq!(
        fuel_of(handlers, &command(), 1_000_000).fuel_consumed,
        Some(162)
    );
    let out = fuel_of(handlers, &command(), 100);
    assert_eq!(
        (out.trap, out.fuel_consumed),
        (Some(TrapCode::OutOfFuel), Some(100))
    );
}

#[test]
fn fuel_runs_out_inside_a_callee_and_the_guest_s_own_traps_stay_its_own() {
    let deep = r#"(module (memory (export "memory") 1)
      (func $spin (loop $l (br $l)))
      (func (export "_start") (call $spin)))"#;
    let out = fuel_of(deep, &command(), 5000);
    assert_eq!(
        (out.trap, out.fuel_consumed),
        (Some(TrapCode::OutOfFuel), Some(5000))
    );

    let own = r#"(module (memory (export "memory") 1) (func (export "_start") (unreachable)))"#;
    let out = fuel_of(own, &command(), 5000);
    assert_eq!(out.trap, Some(TrapCode::Unreachable), "{:?}", out.message);
}

/// The fuel global is the module's first global; the guest's own globals move up one and keep
/// working (reads, writes, exports, initializers).
#[test]
fn guest_globals_keep_working_under_the_meter() {
    let wat = r#"(module (memory (export "memory") 1)
      (global $base i32 (i32.const 40))
      (global $g (export "g") (mut i32) (global.get $base))
      (func (export "bump") (result i32)
        (global.set $g (i32.add (global.get $g) (i32.const 2)))
        (global.get $g)))"#;
    let out = fuel_of(wat, &function("bump", vec![]), 1000);
    assert_eq!(out.trap, None, "{:?}", out.message);
    assert_eq!(out.returns, vec![Val::I32(42)]);
    // global.get, i32.const, i32.add, global.set, global.get, end.
    assert_eq!(out.fuel_consumed, Some(6));
}

#[test]
fn an_unmetered_engine_refuses_a_fuel_budget() {
    let e = engine();
    let m = e.compile(COUNT_TO_1000.as_bytes()).unwrap();
    let l = Limits {
        fuel: Some(1000),
        ..limits()
    };
    let err = e
        .run(&m, &command(), &l, &RunControl::default())
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Invalid(m) if m.contains("fuel")),
        "{err}"
    );
    // Code compiled by one engine does not run on another.
    let other = metered();
    let err = other
        .run(&m, &command(), &limits(), &RunControl::default())
        .unwrap_err();
    assert!(matches!(err, CoreError::Invalid(_)), "{err}");
}

#[test]
fn memory_growth_past_the_cap_returns_minus_one_and_is_counted() {
    let wat = r#"(module
         (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
         (memory (export "memory") 1)
         (func (export "_start") (local $n i32)
           (block $done (loop $more
             (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
             (local.set $n (i32.add (local.get $n) (i32.const 1)))
             (br $more)))
           (drop (memory.grow (i32.const 1)))
           (call $exit (local.get $n))))"#;
    let out = run_with(
        &engine(),
        wat,
        &command(),
        &Limits {
            max_memory_bytes: 4 * PAGE,
            ..limits()
        },
    );
    assert_eq!(out.trap, None);
    assert_eq!(out.exit_code, Some(3));
    assert_eq!(out.memory_grow_failures, 2);
    assert_eq!(out.memory_used_bytes, 4 * PAGE as u64);
}

#[test]
fn the_peak_counts_every_memory() {
    let wat = r#"(module
         (memory $a 1) (memory $b 2)
         (func (export "_start") (drop (memory.grow $b (i32.const 3)))))"#;
    let out = run(&engine(), wat);
    assert_eq!(out.trap, None, "{:?}", out.message);
    assert_eq!(out.memory_used_bytes, 6 * PAGE as u64);
}

#[test]
fn a_minimum_over_the_cap_is_a_memory_limit() {
    let out = run_with(
        &engine(),
        r#"(module (memory (export "memory") 10) (func (export "_start")))"#,
        &command(),
        &Limits {
            max_memory_bytes: 4 * PAGE,
            ..limits()
        },
    );
    assert_eq!(out.trap, Some(TrapCode::MemoryLimit), "{:?}", out.message);
    assert_eq!(out.memory_grow_failures, 0);
}
