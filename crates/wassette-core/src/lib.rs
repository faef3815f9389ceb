//! wassette-core: the Wasmtime engine behind Portalis's `wasmtime` engine, with no Node types.
//!
//! - [`CoreEngine`]: one shared Wasmtime engine per [`EngineConfig`] (fuel metering on or off,
//!   stack size), with epoch interruption driven by a 1 ms ticker for deadlines and
//!   cancellation.
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
