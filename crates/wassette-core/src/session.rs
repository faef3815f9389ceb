//! What every run does around the guest, for modules and components alike: a fresh `Store`
//! with the memory limiter and the fuel budget, and afterwards the
//! `Outcome` from the store, the output sink and how the call ended.

use std::time::Instant;

use wasmtime::{Engine, Store};

use crate::call::Completed;
use crate::limits::MemoryLimiter;
use crate::output::OutputSink;
use crate::trap::{classify, Ending};
use crate::{CoreError, Limits, Outcome};

/// Store data that carries a memory limiter.
pub(crate) trait Limited: Send + 'static {
    fn limiter(&mut self) -> &mut MemoryLimiter;
}

/// A store for one run under `limits`, its memory limiter attached. `metered`: the engine
/// consumes Wasmtime fuel (components on a metered engine), so the store needs a budget even
/// when the run is unmetered. Deadlines are the caller's (epochs for components, the watchdog
/// for modules), and so is the fuel of modules (their own meter, see `fuel`).
pub(crate) fn new_store<T: Limited>(
    engine: &Engine,
    data: T,
    limits: &Limits,
    metered: bool,
) -> Result<Store<T>, CoreError> {
    let mut store = Store::new(engine, data);
    store.limiter(|data| data.limiter());
    if metered {
        store
            .set_fuel(limits.fuel.unwrap_or(u64::MAX))
            .map_err(|e| CoreError::Invalid(format!("cannot set the fuel budget: {e:#}")))?;
    }
    Ok(store)
}

/// The Wasmtime fuel a store metered by the engine consumed of `limits.fuel`.
pub(crate) fn engine_fuel_consumed<T>(store: &Store<T>, limits: &Limits) -> Option<u64> {
    limits
        .fuel
        .map(|budget| budget.saturating_sub(store.get_fuel().unwrap_or(0)))
}

/// The outcome of a run that started at `started` and ended with `result`, having consumed
/// `fuel_consumed` of its budget.
pub(crate) fn finish<T: Limited>(
    mut store: Store<T>,
    sink: &OutputSink,
    limits: &Limits,
    started: Instant,
    result: wasmtime::Result<Completed>,
    fuel_consumed: Option<u64>,
) -> Outcome {
    let elapsed = started.elapsed();
    let limiter = store.data_mut().limiter();
    let (memory_used_bytes, memory_grow_failures) =
        (limiter.peak() as u64, limiter.grow_failures());
    let initial_refused = limiter.initial_refused();
    // The store owns the WASI streams; dropping it first means nothing writes after `finish`.
    drop(store);
    let captured = sink.finish();
    let mut outcome = Outcome {
        stdout: captured.stdout,
        stderr: captured.stderr,
        output_bytes: captured.attempted,
        fuel_consumed,
        memory_used_bytes,
        memory_grow_failures,
        elapsed,
        ..Outcome::default()
    };
    match result {
        Ok(done) => {
            outcome.exit_code = done.exit_code;
            outcome.returns = done.returns;
            outcome.json_output = done.json_output;
        }
        Err(e) => match classify(&e, initial_refused, limits.max_memory_bytes) {
            Ending::Exit(code) => outcome.exit_code = Some(code),
            Ending::Trap(code, message) => {
                outcome.trap = Some(code);
                outcome.message = Some(message);
            }
        },
    }
    outcome
}
