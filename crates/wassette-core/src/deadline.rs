//! Why a run was stopped early ([`Stopped`]), and deadlines and cancellation for components
//! through epoch interruption (core modules use the checks of `interrupt` instead).
//!
//! The watchdog thread advances the component engine's epoch every tick. Each store's deadline
//! is one tick away, so Wasmtime calls the store's callback about once a millisecond while
//! wasm runs; the callback ends the run with a [`Stopped`] error when the cancel flag is set or
//! the deadline has passed, and otherwise lets it continue for another tick.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Store, UpdateDeadline};

/// Why the epoch callback stopped a run; carried inside the trap and found by downcasting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stopped {
    Timeout(Duration),
    Cancelled,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stopped::Timeout(t) => write!(f, "the run passed its {} ms timeout", t.as_millis()),
            Stopped::Cancelled => write!(f, "the run was cancelled"),
        }
    }
}

impl std::error::Error for Stopped {}

/// Checks the cancel flag and the deadline of `store` on every tick.
pub(crate) fn arm<T: 'static>(store: &mut Store<T>, timeout: Duration, cancel: Arc<AtomicBool>) {
    let deadline = Instant::now().checked_add(timeout);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        if cancel.load(Ordering::Relaxed) {
            return Err(wasmtime::Error::new(Stopped::Cancelled));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(wasmtime::Error::new(Stopped::Timeout(timeout)));
        }
        Ok(UpdateDeadline::Continue(1))
    });
}
