//! Deterministic mode: clocks that start at a fixed time and move a fixed step per read, and
//! random bytes from a seeded generator, so the same run gives the same bytes every time.
//!
//! Wasmtime's sleeps (`poll_oneoff`, `subscribe-duration`) wait on the real clock and do not go
//! through these clocks, so unlike the js engine's host, sleeping does not move them. Instead
//! every read moves both clocks by [`STEP_NS`]: time still passes for a guest that polls the
//! clock in a loop, and the values depend only on how often it reads.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand_core::TryRng;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtxBuilder};

use crate::Deterministic;

/// How far both clocks move on each read.
pub(crate) const STEP_NS: u64 = 1_000;

/// Installs the deterministic clocks and generators of `d`.
pub(crate) fn install(builder: &mut WasiCtxBuilder, d: Deterministic) {
    let elapsed = Arc::new(AtomicU64::new(0));
    builder
        .wall_clock(WallClock {
            start_ns: d.start_time_ns,
            elapsed: elapsed.clone(),
        })
        .monotonic_clock(MonotonicClock { elapsed })
        .secure_random(SeededRandom::new(d.seed))
        // A second stream, so that the two interfaces do not hand out the same bytes.
        .insecure_random(SeededRandom::new(d.seed ^ 0x5eed_5eed_5eed_5eed))
        .insecure_random_seed(u128::from(d.seed) << 64 | u128::from(!d.seed));
}

/// Nanoseconds since the run started, shared by both clocks; each read adds a step.
fn tick(elapsed: &AtomicU64) -> u64 {
    elapsed
        .fetch_add(STEP_NS, Ordering::Relaxed)
        .saturating_add(STEP_NS)
}

struct WallClock {
    start_ns: u64,
    elapsed: Arc<AtomicU64>,
}

impl HostWallClock for WallClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        Duration::from_nanos(self.start_ns.saturating_add(tick(&self.elapsed)))
    }
}

struct MonotonicClock {
    elapsed: Arc<AtomicU64>,
}

impl HostMonotonicClock for MonotonicClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        tick(&self.elapsed)
    }
}

/// xoshiro128** seeded through splitmix32, the generator of the js engine's deterministic
/// mode: small, fast, the same numbers on every platform, and not cryptographic (a replayable
/// run is the point). Note that Wasmtime draws one `u32` per random byte, so the bytes a guest
/// sees differ from the js engine's for the same seed; each engine repeats its own exactly.
pub(crate) struct SeededRandom {
    s: [u32; 4],
}

impl SeededRandom {
    pub(crate) fn new(seed: u64) -> SeededRandom {
        let mut x = (seed as u32) ^ ((seed >> 32) as u32);
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9);
            let mut z = x;
            z = (z ^ (z >> 16)).wrapping_mul(0x85eb_ca6b);
            z = (z ^ (z >> 13)).wrapping_mul(0xc2b2_ae35);
            z ^ (z >> 16)
        };
        SeededRandom {
            s: [next(), next(), next(), next()],
        }
    }

    fn next(&mut self) -> u32 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 9;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(11);
        result
    }
}

impl TryRng for SeededRandom {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.next())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let lo = u64::from(self.next());
        Ok(lo | u64::from(self.next()) << 32)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(4) {
            let word = self.next().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers_as_the_js_engine() {
        // First words of the js engine's `SeededRandom` (packages/wasi) for these seeds.
        let cases: [(u64, [u32; 4]); 3] = [
            (0, [0xe308dc58, 0x4392d0e4, 0x03318f97, 0xac593a63]),
            (42, [0xa91e1cac, 0x207b36e9, 0x1c987ffa, 0xd09fde9e]),
            (
                0x0123_4567_89ab_cdef,
                [0x77301d75, 0x26bd207e, 0x31f8b305, 0x3bb24cf4],
            ),
        ];
        for (seed, words) in cases {
            let mut r = SeededRandom::new(seed);
            assert_eq!(
                [r.next(), r.next(), r.next(), r.next()],
                words,
                "seed {seed}"
            );
        }
        let mut bytes = [0u8; 6];
        SeededRandom::new(0).try_fill_bytes(&mut bytes).unwrap();
        assert_eq!(bytes, [0x58, 0xdc, 0x08, 0xe3, 0xe4, 0xd0]);
    }

    #[test]
    fn clocks_share_one_counter_and_step_per_read() {
        let elapsed = Arc::new(AtomicU64::new(0));
        let wall = WallClock {
            start_ns: 1_000_000_000,
            elapsed: elapsed.clone(),
        };
        let mono = MonotonicClock { elapsed };
        assert_eq!(mono.now(), STEP_NS);
        assert_eq!(
            wall.now(),
            Duration::from_nanos(1_000_000_000 + 2 * STEP_NS)
        );
        assert_eq!(mono.now(), 3 * STEP_NS);
    }
}
