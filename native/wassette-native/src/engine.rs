//! `NativeEngine` and `NativeModule`, and the compile task.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{AsyncTask, Unknown};
use napi::{Env, Task};
use napi_derive::napi;
use wassette_core::{CacheSource, Compiled, CoreEngine, EngineConfig};

use crate::failure::Failure;
use crate::plan;
use crate::run::RunTask;

/// Tells engines apart, so a module is only run by the engine that compiled it.
static NEXT_ENGINE_ID: AtomicU64 = AtomicU64::new(1);

/// One lazily created core engine. Creating one starts Wasmtime and an epoch ticker thread,
/// so it waits for the first compile and happens on the pool, not the JavaScript thread.
pub(crate) struct EngineSlot {
    config: EngineConfig,
    engine: Mutex<Option<Arc<CoreEngine>>>,
}

impl EngineSlot {
    fn new(config: EngineConfig) -> EngineSlot {
        EngineSlot {
            config,
            engine: Mutex::new(None),
        }
    }

    pub fn get(&self) -> Result<Arc<CoreEngine>, Failure> {
        let mut engine = self.engine.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = &*engine {
            return Ok(e.clone());
        }
        let created = Arc::new(CoreEngine::new(&self.config)?);
        *engine = Some(created.clone());
        Ok(created)
    }
}

/// The Wasmtime engine for Node. Holds up to two core engines, unmetered and metered (fuel),
/// each created on first use; compiled code belongs to one of them.
#[napi]
pub struct NativeEngine {
    id: u64,
    unmetered: Arc<EngineSlot>,
    metered: Arc<EngineSlot>,
}

#[napi]
impl NativeEngine {
    /// Throws (with `code: 'invalid'`) when `maxWasmStack` is not a whole number from 64 KiB
    /// to 2 MiB (Wasmtime's limit for the core's engine; runs happen on libuv pool threads,
    /// whose stacks are 8 MiB).
    #[napi(constructor, ts_args_type = "options?: NativeEngineOptions")]
    pub fn new(env: Env, options: Option<Unknown>) -> napi::Result<Self> {
        let max_wasm_stack = plan::read_engine_options(options).map_err(|f| f.into_napi(&env))?;
        let config = |fuel| EngineConfig {
            max_wasm_stack,
            fuel,
        };
        Ok(NativeEngine {
            id: NEXT_ENGINE_ID.fetch_add(1, Ordering::Relaxed),
            unmetered: Arc::new(EngineSlot::new(config(false))),
            metered: Arc::new(EngineSlot::new(config(true))),
        })
    }

    /// The Wasmtime release inside, e.g. `"47.0.4"`.
    #[napi]
    pub fn wasmtime_version() -> String {
        CoreEngine::wasmtime_version().to_string()
    }

    /// Compiles a core module or a component off the JavaScript thread. `metered` compiles
    /// for the engine with fuel metering (needed for `limits.fuel`); `cacheDir` goes through
    /// the verified `.cwasm` cache. Rejects with `code: 'compile'` for bytes that are not wasm.
    #[napi(
        ts_args_type = "bytes: Uint8Array, options: NativeCompileOptions",
        ts_return_type = "Promise<NativeModule>"
    )]
    pub fn compile(&self, bytes: Unknown, options: Option<Unknown>) -> AsyncTask<CompileTask> {
        let request = crate::reader::bytes(bytes, "bytes").and_then(|bytes| {
            let options = plan::read_compile_options(options)?;
            Ok((bytes, options))
        });
        AsyncTask::new(CompileTask {
            engine_id: self.id,
            slot: match &request {
                Ok((_, o)) if o.metered => self.metered.clone(),
                _ => self.unmetered.clone(),
            },
            request: Some(request.map(|(bytes, o)| (bytes, o.metered, o.cache_dir))),
        })
    }

    /// Runs `module` under `plan` on the libuv pool. Guest failures (traps, limits, exits,
    /// cancellation) resolve in the outcome; only errors before the run reject (`code`
    /// `'link'`, `'grant'` or `'invalid'`). `signal` stops the run, even one that is already
    /// running, within about a millisecond (trap `cancelled`). `onOutput` receives each chunk
    /// of stdout and stderr in write order; `chunks` in the outcome says how many calls were
    /// queued (some may arrive after the Promise settles).
    #[napi(
        ts_args_type = "module: NativeModule, plan: NativePlan, signal?: AbortSignal | null, onOutput?: ((stream: 'stdout' | 'stderr', chunk: Buffer) => void) | null",
        ts_return_type = "Promise<NativeOutcome>"
    )]
    pub fn run(
        &self,
        env: Env,
        module: Unknown,
        plan: Unknown,
        signal: Option<Unknown>,
        on_output: Option<Unknown>,
    ) -> AsyncTask<RunTask> {
        AsyncTask::new(RunTask::prepare(
            &env,
            self.id,
            &self.unmetered,
            &self.metered,
            module,
            plan,
            signal,
            on_output,
        ))
    }
}

/// Compiled code (a core module or a component), ready for many runs on the engine that
/// compiled it. Made by `NativeEngine.compile` only.
#[napi]
pub struct NativeModule {
    pub(crate) engine_id: u64,
    pub(crate) metered: bool,
    pub(crate) compiled: Compiled,
    source: CacheSource,
}

#[napi]
impl NativeModule {
    #[napi(getter, ts_return_type = "'core' | 'component'")]
    pub fn kind(&self) -> &'static str {
        match self.compiled {
            Compiled::Module(_) => "core",
            Compiled::Component(_) => "component",
        }
    }

    /// `compile`: compiled now; `disk`: loaded from a verified cache entry; `rebuilt`: the
    /// entry was stale or damaged, so it was compiled and overwritten.
    #[napi(getter, ts_return_type = "'compile' | 'disk' | 'rebuilt'")]
    pub fn source(&self) -> &'static str {
        match self.source {
            CacheSource::Compiled => "compile",
            CacheSource::Disk => "disk",
            CacheSource::Rebuilt => "rebuilt",
        }
    }

    /// Compiled for the metered engine (can run with `limits.fuel`).
    #[napi(getter)]
    pub fn metered(&self) -> bool {
        self.metered
    }
}

type CompileRequest = Result<(Vec<u8>, bool, Option<PathBuf>), Failure>;

pub struct CompileTask {
    engine_id: u64,
    slot: Arc<EngineSlot>,
    /// Taken by `compute`; a bad argument is carried here so that it rejects the Promise
    /// instead of throwing.
    request: Option<CompileRequest>,
}

impl Task for CompileTask {
    type Output = Result<(Compiled, CacheSource, bool), Failure>;
    type JsValue = NativeModule;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let request = self.request.take().expect("compute runs once");
        Ok(request.and_then(|(bytes, metered, cache_dir)| {
            let engine = self.slot.get()?;
            let (compiled, source) = match cache_dir {
                Some(dir) => engine.compile_cached(&bytes, &dir)?,
                None => (engine.compile(&bytes)?, CacheSource::Compiled),
            };
            Ok((compiled, source, metered))
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<NativeModule> {
        let (compiled, source, metered) = output.map_err(|f| f.into_napi(&env))?;
        Ok(NativeModule {
            engine_id: self.engine_id,
            metered,
            compiled,
            source,
        })
    }
}
