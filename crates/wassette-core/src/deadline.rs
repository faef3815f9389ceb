//! Wall-clock deadlines and cancellation, both through epoch interruption.
//!
//! A ticker thread per engine advances the epoch every [`TICK`]. Each store's deadline is one
//! tick away, so Wasmtime calls the store's callback about once a millisecond while wasm runs;
//! the callback ends the run with a [`Stopped`] error when the cancel flag is set or the
//! deadline has passed, and otherwise lets it continue for another tick.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wasmtime::{Engine, Store, UpdateDeadline};

/// How often the epoch advances: the resolution of deadlines and cancellation.
pub(crate) const TICK: Duration = Duration::from_millis(1);

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

/// The thread that advances the epoch of one engine; stopped and joined on drop.
pub(crate) struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    pub(crate) fn start(engine: &Engine) -> std::io::Result<Ticker> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (engine, stop) = (engine.clone(), stop.clone());
            std::thread::Builder::new()
                .name("wassette-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(TICK);
                        engine.increment_epoch();
                    }
                })?
        };
        Ok(Ticker {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
