//! [`CoreEngine`]: the Wasmtime engines of one [`EngineConfig`] (one for core modules, whose
//! deadlines are instrumented checks, one for components, whose deadlines are epochs), their
//! linkers (preview1 for modules, preview2 for components), the watchdog, and the entry points
//! `compile` and `run`.

use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

use wasmtime::{Config, Engine, Linker};

use crate::compiled::{self, Compiled, Kind};
use crate::component::{self, ComponentHost, ComponentRun};
use crate::interrupt::{self, Watchdog};
use crate::module::{self, ModuleHost, ModuleRun};
use crate::output::Chunk;
use crate::{cache, Call, CoreError, Limits, Outcome, RunControl, RunRequest, TrapCode};

/// The Wasmtime release this crate is built against (pinned with `=` in the workspace).
const WASMTIME_VERSION: &str = "47.0.4";

/// Engine-wide settings; one `CoreEngine` (and one compiled-code cache key) per distinct value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// Bytes of native stack wasm may use before a call fails with `stack-overflow`.
    pub max_wasm_stack: usize,
    /// Compile with fuel metering. Only code compiled this way can run with `Limits::fuel`;
    /// unmetered code runs a little faster.
    pub fuel: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_wasm_stack: 512 * 1024,
            fuel: false,
        }
    }
}

/// The Wasmtime engines of one configuration with their WASI linkers and the watchdog. Share
/// it: compiling is per engine, and each run gets its own store.
pub struct CoreEngine {
    /// Core modules: no epoch interruption; `interrupt` instruments them instead, which keeps
    /// hot loops several times faster (see that module).
    pub(crate) engine: Engine,
    /// Components: epoch interruption, since their inner modules are not instrumented.
    pub(crate) component_engine: Engine,
    config: EngineConfig,
    module_linker: Linker<ModuleHost>,
    component_linker: wasmtime::component::Linker<ComponentHost>,
    pub(crate) cache_tag: String,
    watchdog: Watchdog,
}

impl CoreEngine {
    pub fn new(config: &EngineConfig) -> Result<CoreEngine, CoreError> {
        let new_engine = |epochs: bool| {
            let mut c = Config::new();
            // Threads (on by default, said here because the interrupt checks are atomic loads),
            // and shared memory for the module engine: the interrupt pages are shared memories.
            // Guests cannot have one (`interrupt` refuses them; see there why).
            // Fuel: modules get our own meter from `interrupt` (see `fuel`); components, whose
            // inner modules are not instrumented, use Wasmtime's.
            c.consume_fuel(config.fuel && epochs)
                .epoch_interruption(epochs)
                .wasm_threads(true)
                .shared_memory(!epochs)
                .max_wasm_stack(config.max_wasm_stack);
            Engine::new(&c)
                .map_err(|e| CoreError::Compile(format!("cannot create the engine: {e:#}")))
        };
        let (engine, component_engine) = (new_engine(false)?, new_engine(true)?);
        let module_linker = module::linker(&engine)
            .map_err(|e| CoreError::Link(format!("cannot link WASI preview1: {e:#}")))?;
        let component_linker = component::linker(&component_engine)
            .map_err(|e| CoreError::Link(format!("cannot link WASI preview2: {e:#}")))?;
        let watchdog = Watchdog::start(&engine, &component_engine)
            .map_err(|e| CoreError::Compile(format!("cannot start the watchdog thread: {e}")))?;
        Ok(CoreEngine {
            cache_tag: cache::config_tag(&engine, &component_engine, config),
            engine,
            component_engine,
            config: config.clone(),
            module_linker,
            component_linker,
            watchdog,
        })
    }

    /// The Wasmtime release inside, e.g. `"47.0.4"`.
    pub fn wasmtime_version() -> &'static str {
        WASMTIME_VERSION
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Compiles a core module or a component (binary, or WAT text), detected from the header.
    pub fn compile(&self, bytes: &[u8]) -> Result<Compiled, CoreError> {
        let binary = compiled::binary(bytes)?;
        self.compile_binary(&binary, compiled::kind_of(&binary))
    }

    /// The engine that compiles and runs code of `kind`.
    pub(crate) fn engine_for(&self, kind: Kind) -> &Engine {
        match kind {
            Kind::Module => &self.engine,
            Kind::Component => &self.component_engine,
        }
    }

    /// Compiles a binary of `kind`; core modules get the interrupt checks first (and the fuel
    /// meter on a metered engine).
    pub(crate) fn compile_binary(&self, binary: &[u8], kind: Kind) -> Result<Compiled, CoreError> {
        if kind == Kind::Component {
            return compiled::compile(&self.component_engine, binary, kind);
        }
        let instrumented = interrupt::instrument(binary, self.config.fuel)
            .and_then(|checked| compiled::compile(&self.engine, &checked, kind));
        // Errors speak of the module as given, not of its instrumented copy.
        instrumented.map_err(|e| match wasmtime::Module::validate(&self.engine, binary) {
            Err(original) => CoreError::Compile(format!("{original:#}")),
            Ok(()) => e,
        })
    }

    /// Runs `request` on a fresh store. Failures of the guest (traps, limits, exits) come back
    /// in the `Outcome`; only a request that cannot start is an error.
    pub fn run(
        &self,
        compiled: &Compiled,
        request: &RunRequest,
        limits: &Limits,
        control: &RunControl,
    ) -> Result<Outcome, CoreError> {
        self.check(compiled, request, limits)?;
        if control.cancel.load(Ordering::Relaxed) {
            return Ok(Outcome {
                trap: Some(TrapCode::Cancelled),
                message: Some("the run was cancelled before it started".into()),
                elapsed: Duration::ZERO,
                ..Outcome::default()
            });
        }
        let Some(callback) = &control.on_output else {
            return self.dispatch(compiled, request, limits, control, None);
        };
        // The guest runs on this thread; its output is handed to the callback on a helper
        // thread through a channel (the store cannot hold the borrowed callback). The channel
        // closes when the run's sink is finished, so the helper ends before the scope does.
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<Chunk>();
            scope.spawn(move || {
                for (stream, chunk) in rx {
                    callback(stream, &chunk);
                }
            });
            self.dispatch(compiled, request, limits, control, Some(tx))
        })
    }

    /// Refuses requests that cannot run, before anything is set up.
    fn check(
        &self,
        compiled: &Compiled,
        request: &RunRequest,
        limits: &Limits,
    ) -> Result<(), CoreError> {
        if !Engine::same(compiled.engine(), self.engine_for(compiled.kind_of())) {
            return Err(CoreError::Invalid(
                "this module was compiled by another engine; compile it with the engine that runs it".into(),
            ));
        }
        if limits.fuel.is_some() && !self.config.fuel {
            return Err(CoreError::Invalid(
                "a fuel budget was given, but this engine does not meter fuel; compile the \
                 module with a metered engine (EngineConfig::fuel) or run without fuel"
                    .into(),
            ));
        }
        if compiled.is_component() && !matches!(request.call, Call::Command) {
            return Err(CoreError::Invalid(
                "components run as commands (wasi:cli/run) in this release; function and JSON \
                 calls need a core module"
                    .into(),
            ));
        }
        Ok(())
    }

    fn dispatch(
        &self,
        compiled: &Compiled,
        request: &RunRequest,
        limits: &Limits,
        control: &RunControl,
        forward: Option<mpsc::Sender<Chunk>>,
    ) -> Result<Outcome, CoreError> {
        match compiled {
            Compiled::Module(m) => ModuleRun {
                engine: &self.engine,
                linker: &self.module_linker,
                watchdog: &self.watchdog,
                metered: self.config.fuel,
            }
            .run(m, request, limits, &control.cancel, forward),
            Compiled::Component(c) => ComponentRun {
                engine: &self.component_engine,
                linker: &self.component_linker,
                metered: self.config.fuel,
            }
            .run(c, request, limits, &control.cancel, forward),
        }
    }
}
