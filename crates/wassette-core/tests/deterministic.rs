//! Deterministic mode: fixed clocks and seeded randomness give the same bytes on every run.

mod common;

use common::*;
use wassette_core::{Deterministic, RunRequest};

/// Prints realtime, monotonic and realtime again (8 bytes each, little-endian), then 16 random
/// bytes.
const SNAPSHOT: &str = r#"
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $now (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $now (i32.const 0) (i64.const 1) (i32.const 104)))
    (drop (call $now (i32.const 1) (i64.const 1) (i32.const 112)))
    (drop (call $now (i32.const 0) (i64.const 1) (i32.const 120)))
    (drop (call $random (i32.const 128) (i32.const 16)))
    (i32.store (i32.const 0) (i32.const 104)) (i32.store (i32.const 4) (i32.const 40))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
"#;

const START: u64 = 1_700_000_000_000_000_000;

fn snapshot(deterministic: Option<Deterministic>) -> Vec<u8> {
    let req = RunRequest {
        deterministic,
        ..command()
    };
    let out = run_with(&engine(), SNAPSHOT, &req, &limits());
    assert_eq!(out.exit_code, Some(0), "{:?}", out.message);
    assert_eq!(out.stdout.len(), 40);
    out.stdout
}

fn word(bytes: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap())
}

#[test]
fn the_same_seed_and_start_give_the_same_bytes() {
    let d = Deterministic {
        start_time_ns: START,
        seed: 7,
    };
    let a = snapshot(Some(d));
    assert_eq!(a, snapshot(Some(d)));
    // One shared counter moves 1 µs per read: realtime, monotonic, realtime.
    assert_eq!(word(&a, 0), START + 1_000);
    assert_eq!(word(&a, 1), 2_000);
    assert_eq!(word(&a, 2), START + 3_000);

    let other_seed = snapshot(Some(Deterministic { seed: 8, ..d }));
    assert_eq!(other_seed[..24], a[..24]);
    assert_ne!(other_seed[24..], a[24..]);
}

#[test]
fn without_it_the_clock_is_real_and_random_differs() {
    let a = snapshot(None);
    let b = snapshot(None);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    assert!(
        word(&a, 0).abs_diff(now) < 60_000_000_000,
        "{}",
        word(&a, 0)
    );
    assert_ne!(a[24..], b[24..]);
}
