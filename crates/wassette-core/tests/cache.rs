//! The `.cwasm` cache: a miss, a verified hit, damaged and stale entries rebuilt, and a cache
//! directory that cannot be written.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use sha2::{Digest, Sha256};
use wassette_core::{CacheSource, CoreEngine, RunControl};

const HELLO: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "cached")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 6))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

/// Magic (8 bytes) and sha256 of the payload (32 bytes) precede Wasmtime's serialized code.
const HEADER_LEN: usize = 40;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wassette-cache-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The only entry in `dir`.
fn entry(dir: &Path) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries.into_iter().next().unwrap()
}

fn compile(e: &CoreEngine, dir: &Path) -> CacheSource {
    let (m, source) = e.compile_cached(HELLO.as_bytes(), dir).expect("compiles");
    let out = e
        .run(&m, &command(), &limits(), &RunControl::default())
        .unwrap();
    assert_eq!(out.stdout, b"cached", "{source:?}: {:?}", out.message);
    source
}

/// Rewrites the entry's payload with `edit`, then seals it with a correct digest again.
fn edit_payload(path: &Path, edit: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(path).unwrap();
    let mut payload = bytes.split_off(HEADER_LEN);
    edit(&mut payload);
    bytes[8..HEADER_LEN].copy_from_slice(&Sha256::digest(&payload));
    bytes.extend_from_slice(&payload);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_miss_then_a_verified_disk_hit() {
    let dir = scratch("hit");
    let e = engine();
    assert_eq!(compile(&e, &dir), CacheSource::Compiled);
    let name = entry(&dir)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let digest: String = Sha256::digest(HELLO.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(name.starts_with(&digest), "{name}");
    assert!(
        name.contains("-wasmtime-47.0.4-") && name.ends_with(".cwasm"),
        "{name}"
    );
    assert_eq!(compile(&e, &dir), CacheSource::Disk);
    // Another engine with the same configuration shares the entry.
    assert_eq!(compile(&engine(), &dir), CacheSource::Disk);
    // A metered engine compiles different code: a different entry.
    assert_eq!(compile(&metered(), &dir), CacheSource::Compiled);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_flipped_byte_is_caught_before_loading_and_rebuilt() {
    let dir = scratch("flip");
    let e = engine();
    assert_eq!(compile(&e, &dir), CacheSource::Compiled);
    let path = entry(&dir);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = HEADER_LEN + (bytes.len() - HEADER_LEN) / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(compile(&e, &dir), CacheSource::Rebuilt);
    assert_eq!(compile(&e, &dir), CacheSource::Disk);
    // A truncated entry too.
    std::fs::write(&path, &std::fs::read(&path).unwrap()[..100]).unwrap();
    assert_eq!(compile(&e, &dir), CacheSource::Rebuilt);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_entry_from_another_wasmtime_version_is_rebuilt() {
    let dir = scratch("version");
    let e = engine();
    assert_eq!(compile(&e, &dir), CacheSource::Compiled);
    // Wasmtime's engine section starts with a format byte (0), the length of the version
    // string and the version; Wasmtime 47 records only its major version there.
    let major = CoreEngine::wasmtime_version().split('.').next().unwrap();
    let mut recorded = vec![0, major.len() as u8];
    recorded.extend_from_slice(major.as_bytes());
    edit_payload(&entry(&dir), |payload| {
        let at = payload
            .windows(recorded.len())
            .position(|w| w == recorded.as_slice())
            .expect("Wasmtime records its version in the serialized code");
        payload[at + 2..at + recorded.len()].copy_from_slice(b"46");
    });
    assert_eq!(compile(&e, &dir), CacheSource::Rebuilt);
    assert_eq!(compile(&e, &dir), CacheSource::Disk);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unwritable_cache_directory_is_not_fatal() {
    let dir = scratch("blocked");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let e = engine();
    // A directory below a regular file can be neither read nor created (even by root).
    let blocked = file.join("cache");
    assert_eq!(compile(&e, &blocked), CacheSource::Compiled);
    assert_eq!(compile(&e, &blocked), CacheSource::Compiled);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn components_are_cached_as_components() {
    let dir = scratch("component");
    let e = engine();
    let wat = r#"(component (core module (func (export "f"))))"#;
    let (c, source) = e.compile_cached(wat.as_bytes(), &dir).unwrap();
    assert_eq!((c.is_component(), source), (true, CacheSource::Compiled));
    let (c, source) = e.compile_cached(wat.as_bytes(), &dir).unwrap();
    assert_eq!((c.kind(), source), ("component", CacheSource::Disk));
    std::fs::remove_dir_all(&dir).unwrap();
}
