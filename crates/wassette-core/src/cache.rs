//! The `.cwasm` cache: compiled code on disk, keyed by content, Wasmtime version and engine
//! configuration, and checked before it is trusted.
//!
//! Entry name: `<sha256 of the input>-wasmtime-<version>-<config tag>.cwasm`, where the config
//! tag is a sha256 over Wasmtime's own compatibility hash of the engine (target, compiler
//! flags, features) and our `EngineConfig`. Entry layout: 8 bytes [`MAGIC`], 32 bytes sha256
//! of the payload, then the payload from `Module::serialize` / `Component::serialize`.
//!
//! Wasmtime's deserialization trusts its input (it maps it as executable code), so an entry is
//! read into memory, its digest checked, and only those verified bytes are deserialized
//! (`deserialize` rather than `deserialize_file`, so the file cannot change between the check
//! and the load). Wasmtime then checks the version and configuration recorded in the payload.
//! A damaged entry or a mismatch is rebuilt and overwritten. Entries are written to a temporary
//! file and renamed into place, so readers never see half an entry.
//!
//! The digest catches damage (truncation, flipped bits, a crash mid-write), not an attacker:
//! anyone who can write the cache directory can write a valid entry. The directory must be as
//! trusted as the program itself.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

use crate::compiled::{self, Compiled, Kind};
use crate::{CoreEngine, CoreError, EngineConfig};

/// Marks a Portalis `.cwasm` entry, version 1 of this layout.
const MAGIC: &[u8; 8] = b"PRTLCW01";
const HEADER_LEN: usize = MAGIC.len() + 32;

/// Where a compiled module came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheSource {
    /// Compiled now; there was no entry (or no usable cache directory).
    Compiled,
    /// Loaded from a verified entry.
    Disk,
    /// The entry was stale or damaged: compiled now and the entry overwritten.
    Rebuilt,
}

impl CacheSource {
    /// `"compile"`, `"disk"` or `"rebuilt"`, as the addon reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheSource::Compiled => "compile",
            CacheSource::Disk => "disk",
            CacheSource::Rebuilt => "rebuilt",
        }
    }
}

/// Feeds `Hash` output into a sha256, so the tag is stable across processes and Rust versions.
struct DigestHasher(Sha256);

impl Hasher for DigestHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let d = self.0.clone().finalize();
        u64::from_le_bytes(d[..8].try_into().expect("a sha256 has 32 bytes"))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The part of entry names that changes with the engine configuration.
pub(crate) fn config_tag(
    engine: &Engine,
    component_engine: &Engine,
    config: &EngineConfig,
) -> String {
    let mut h = DigestHasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut h);
    component_engine
        .precompile_compatibility_hash()
        .hash(&mut h);
    // Module entries hold instrumented code: a change to the pass must not reuse old entries.
    h.write(crate::interrupt::PASS_VERSION.as_bytes());
    h.write(&(config.max_wasm_stack as u64).to_le_bytes());
    h.write(&[u8::from(config.fuel)]);
    hex(&h.0.finalize()[..8])
}

fn entry_name(bytes: &[u8], tag: &str) -> String {
    format!(
        "{}-wasmtime-{}-{tag}.cwasm",
        hex(&Sha256::digest(bytes)),
        CoreEngine::wasmtime_version()
    )
}

/// The payload of an entry whose header and digest are right.
fn verified(entry: &[u8]) -> Option<&[u8]> {
    if entry.len() < HEADER_LEN || !entry.starts_with(MAGIC) {
        return None;
    }
    let (digest, payload) = entry[MAGIC.len()..].split_at(32);
    (Sha256::digest(payload).as_slice() == digest).then_some(payload)
}

fn load(engine: &Engine, entry: &[u8], kind: Kind) -> Option<Compiled> {
    let payload = verified(entry)?;
    // SAFETY: `deserialize` requires bytes produced by `serialize` of a compatible engine.
    // These bytes are exactly what a `serialize` wrote (the digest over them matches, so they
    // are not damaged), Wasmtime itself rejects an incompatible version or configuration, and
    // the cache directory is trusted (see the module docs).
    let loaded = match kind {
        Kind::Module => unsafe { Module::deserialize(engine, payload) }.map(Compiled::Module),
        Kind::Component => {
            unsafe { Component::deserialize(engine, payload) }.map(Compiled::Component)
        }
    };
    loaded.ok()
}

/// Writes an entry through a temporary file in the same directory and a rename.
fn store(path: &Path, compiled: &Compiled) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let payload = compiled.serialize().map_err(io::Error::other)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("entry");
    let tmp = dir.join(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(MAGIC)?;
        f.write_all(&Sha256::digest(&payload))?;
        f.write_all(&payload)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

impl CoreEngine {
    /// Compiles `bytes` through the `.cwasm` cache in `cache_dir` (created if missing). A cache
    /// that cannot be read or written is never fatal: the code is compiled and returned.
    pub fn compile_cached(
        &self,
        bytes: &[u8],
        cache_dir: &Path,
    ) -> Result<(Compiled, CacheSource), CoreError> {
        let binary = compiled::binary(bytes)?;
        let kind = compiled::kind_of(&binary);
        let path = cache_dir.join(entry_name(bytes, &self.cache_tag));
        let source = match fs::read(&path) {
            Ok(entry) => match load(self.engine_for(kind), &entry, kind) {
                Some(c) => return Ok((c, CacheSource::Disk)),
                None => CacheSource::Rebuilt,
            },
            // An entry that exists but cannot be read is replaced; no entry (or no directory,
            // or a path through a file) is a plain miss.
            Err(_) if path.is_file() => CacheSource::Rebuilt,
            Err(_) => CacheSource::Compiled,
        };
        let compiled = self.compile_binary(&binary, kind)?;
        // An unwritable cache only costs the next run a compile.
        let _ = store(&path, &compiled);
        Ok((compiled, source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_entries_with_the_magic_and_a_matching_digest_are_read() {
        let payload = b"compiled code";
        let mut entry = MAGIC.to_vec();
        entry.extend_from_slice(&Sha256::digest(payload));
        entry.extend_from_slice(payload);
        assert_eq!(verified(&entry), Some(&payload[..]));
        let mut flipped = entry.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(verified(&flipped), None);
        assert_eq!(verified(&entry[..HEADER_LEN - 1]), None);
        let mut other = entry.clone();
        other[0] = b'X';
        assert_eq!(verified(&other), None);
    }
}
