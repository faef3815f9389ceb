//! wassette-native: the Node face of `wassette-core`, Portalis's Wasmtime engine.
//!
//! - [`NativeEngine`]: up to two core engines (unmetered and metered), created on first use.
//! - [`NativeModule`]: compiled code, ready for many runs, bound to the engine that made it.
//! - `compile` and `run` are napi `AsyncTask`s: they work on the libuv pool and settle a
//!   Promise, so the JavaScript thread never waits for Wasmtime.
//!
//! Errors before a run starts reject with `error.code` = `compile` | `link` | `grant` |
//! `invalid`; whatever the guest does (traps, limits, exits, cancellation) resolves in the
//! outcome. This crate holds no engine logic: it converts values and moves work off the
//! JavaScript thread.

mod engine;
mod failure;
mod listing;
mod outcome;
mod plan;
mod reader;
mod run;

pub use engine::{NativeEngine, NativeModule};
pub use outcome::NativeOutcome;
pub use plan::{
    NativeCompileOptions, NativeDeterministic, NativeEngineOptions, NativeFnArg, NativeHost,
    NativeLimits, NativeNetwork, NativePlan, NativePreopen,
};
