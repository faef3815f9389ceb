//! wassette-core: the Wasmtime engine behind Portalis's `wasmtime` engine, with no Node types.
//!
//! - [`CoreEngine`]: the shared Wasmtime engines of one [`EngineConfig`] (fuel metering on or
//!   off, stack size). Deadlines and cancellation: core modules are compiled with interrupt
//!   checks a watchdog thread trips (`interrupt`), components use epoch interruption; both
//!   have a 1 ms resolution. Fuel: core modules get the js engine's meter compiled in (`fuel`),
//!   components use Wasmtime's.
//! - [`Compiled`]: a core module or a component, from [`CoreEngine::compile`] or through the
//!   verified `.cwasm` cache of [`CoreEngine::compile_cached`].
//! - [`CoreEngine::run`]: one [`RunRequest`] (a command, an exported function, or a JSON call)
//!   on a fresh store under [`Limits`], steered by [`RunControl`], reported as an [`Outcome`].
//!   Modules get WASI preview1, components WASI preview2.
//! - [`TrapCode`]: every way a run can stop early, a closed set found by downcasting, never by
//!   reading messages. [`CoreError`]: everything that stops a run before it starts.

mod cache;
mod call;
mod clock;
mod compiled;
mod component;
mod deadline;
mod engine;
mod error;
mod fuel;
mod http;
mod interrupt;
mod limits;
mod module;
mod network;
mod output;
mod request;
mod session;
mod trap;
mod wasi;

pub use cache::CacheSource;
pub use compiled::Compiled;
pub use engine::{CoreEngine, EngineConfig};
pub use error::CoreError;
pub use request::{
    Call, Deterministic, HostGrant, Limits, NetworkPolicy, Outcome, OutputCallback, Preopen,
    RunControl, RunRequest, Stream, Val,
};
pub use trap::TrapCode;
