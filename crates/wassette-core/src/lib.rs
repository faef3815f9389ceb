//! wassette-core: the Wasmtime engine behind Portalis's `wasmtime` engine, with no Node types.
//!
//! - [`CoreEngine`]: one shared `wasmtime::Engine` per configuration, with fuel metering and epoch
//!   interruption (a ticker thread advances the epoch, so deadlines are wall-clock).
//! - [`CoreEngine::run_command`]: one WASI preview1 command on a fresh `Store`, under [`Limits`],
//!   with args, env, stdin and capped in-memory stdout/stderr.
//! - [`TrapCode`]: every way a run can stop early, mapped from Wasmtime's `Trap` enum.

mod trap;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use trap::TrapCode;
use wasmtime::{Config, Engine, Linker, Module, ResourceLimiter, Store, Trap};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{DirPerms, FilePerms, I32Exit, WasiCtxBuilder};

/// How often the ticker advances the epoch: the resolution of wall-clock deadlines.
const TICK: Duration = Duration::from_millis(1);

/// Engine-wide settings; one `CoreEngine` (and one compiled-code cache) per distinct value.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Bytes of native stack wasm may use before a call fails with `stack-overflow`.
    pub max_wasm_stack: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_wasm_stack: 512 * 1024,
        }
    }
}

/// Limits of one run.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_memory_bytes: usize,
    pub timeout: Duration,
    /// Instruction budget (Wasmtime fuel units); `None` runs unmetered.
    pub fuel: Option<u64>,
    /// Bytes kept per output stream; writes past it fail in the guest.
    pub max_output_bytes: usize,
}

/// A host directory granted to the guest under `guest_path`.
#[derive(Debug, Clone)]
pub struct Preopen {
    pub host_path: std::path::PathBuf,
    pub guest_path: String,
    /// Refuse every create, write, rename, unlink and truncate.
    pub read_only: bool,
}

/// A WASI command to run. Nothing is granted but what is listed: no directory, no variable.
#[derive(Debug, Clone, Default)]
pub struct CommandRequest {
    /// argv, program name first.
    pub args: Vec<String>,
    /// Variables exactly as the guest sees them (grants are resolved by the caller).
    pub env: Vec<(String, String)>,
    pub stdin: Vec<u8>,
    pub preopens: Vec<Preopen>,
}

/// What a run did. `trap` is set when it stopped early; `exit_code` when the guest exited.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub exit_code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub fuel_consumed: Option<u64>,
    pub memory_grow_failures: u32,
    pub trap: Option<TrapCode>,
    /// A readable reason when the run failed.
    pub message: Option<String>,
    pub elapsed: Duration,
}

/// Errors before anything runs: a module that does not compile or link, or a grant that cannot
/// be set up.
#[derive(Debug)]
pub enum CoreError {
    Compile(String),
    Link(String),
    Grant(String),
}

impl std::fmt::Display for CoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CoreError::Compile(m) => write!(f, "the module does not compile: {m}"),
            CoreError::Link(m) => write!(f, "the module cannot be linked: {m}"),
            CoreError::Grant(m) => write!(f, "a grant cannot be set up: {m}"),
        }
    }
}

impl std::error::Error for CoreError {}

/// Caps linear memory and counts refusals. A refusal of a memory's initial size (current 0)
/// means the module cannot run within the cap at all.
struct Limiter {
    max_memory_bytes: usize,
    grow_failures: u32,
    initial_refused: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired <= self.max_memory_bytes {
            return Ok(true);
        }
        if current == 0 {
            self.initial_refused = true;
        } else {
            self.grow_failures += 1;
        }
        Ok(false)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }

    fn instances(&self) -> usize {
        1
    }
}

struct Host {
    wasi: WasiP1Ctx,
    limiter: Limiter,
}

/// One Wasmtime engine, its WASI linker and the epoch ticker.
pub struct CoreEngine {
    engine: Engine,
    linker: Linker<Host>,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl CoreEngine {
    pub fn new(config: &EngineConfig) -> Result<CoreEngine, CoreError> {
        let mut c = Config::new();
        c.consume_fuel(true)
            .epoch_interruption(true)
            .max_wasm_stack(config.max_wasm_stack);
        let engine = Engine::new(&c).map_err(|e| CoreError::Compile(e.to_string()))?;
        let mut linker = Linker::new(&engine);
        p1::add_to_linker_sync(&mut linker, |h: &mut Host| &mut h.wasi)
            .map_err(|e| CoreError::Link(e.to_string()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (engine, stop) = (engine.clone(), stop.clone());
            std::thread::Builder::new()
                .name("wassette-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(|e| CoreError::Compile(format!("cannot start the epoch ticker: {e}")))?
        };
        Ok(CoreEngine {
            engine,
            linker,
            stop,
            ticker: Some(ticker),
        })
    }

    /// Compiles a core module (binary or, for tests, WAT text).
    pub fn compile(&self, bytes: &[u8]) -> Result<Module, CoreError> {
        Module::new(&self.engine, bytes).map_err(|e| CoreError::Compile(format!("{e:#}")))
    }

    /// Runs `_start` of a WASI command on a fresh store.
    pub fn run_command(
        &self,
        module: &Module,
        request: &CommandRequest,
        limits: &Limits,
    ) -> Result<Outcome, CoreError> {
        let stdout = MemoryOutputPipe::new(limits.max_output_bytes);
        let stderr = MemoryOutputPipe::new(limits.max_output_bytes);
        let mut builder = WasiCtxBuilder::new();
        builder
            .args(&request.args)
            .envs(&request.env)
            .stdin(MemoryInputPipe::new(request.stdin.clone()))
            .stdout(stdout.clone())
            .stderr(stderr.clone());
        for p in &request.preopens {
            let (dir, file) = if p.read_only {
                (DirPerms::READ, FilePerms::READ)
            } else {
                (DirPerms::all(), FilePerms::all())
            };
            builder
                .preopened_dir(&p.host_path, &p.guest_path, dir, file)
                .map_err(|e| CoreError::Grant(format!("{}: {e:#}", p.host_path.display())))?;
        }
        let wasi = builder.build_p1();
        let limiter = Limiter {
            max_memory_bytes: limits.max_memory_bytes,
            grow_failures: 0,
            initial_refused: false,
        };
        let mut store = Store::new(&self.engine, Host { wasi, limiter });
        store.limiter(|h| &mut h.limiter);
        let budget = limits.fuel.unwrap_or(u64::MAX);
        store
            .set_fuel(budget)
            .map_err(|e| CoreError::Compile(e.to_string()))?;
        let ticks = limits.timeout.as_millis().div_ceil(TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();

        let started = Instant::now();
        let pre = self
            .linker
            .instantiate_pre(module)
            .map_err(|e| CoreError::Link(format!("{e:#}")))?;
        let result = pre.instantiate(&mut store).and_then(|instance| {
            let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
            start.call(&mut store, ())
        });
        let elapsed = started.elapsed();

        let (mut exit_code, mut trap, mut message) = (Some(0), None, None);
        if let Err(e) = result {
            if let Some(exit) = e.downcast_ref::<I32Exit>() {
                exit_code = Some(exit.0);
            } else {
                exit_code = None;
                let code = if store.data().limiter.initial_refused {
                    TrapCode::MemoryLimit
                } else {
                    e.downcast_ref::<Trap>()
                        .map(|t| TrapCode::from_trap(*t))
                        .unwrap_or(TrapCode::Unknown)
                };
                trap = Some(code);
                message = Some(format!("{e:#}"));
            }
        }
        let left = store.get_fuel().unwrap_or(0);
        Ok(Outcome {
            exit_code,
            stdout: stdout.contents().to_vec(),
            stderr: stderr.contents().to_vec(),
            fuel_consumed: limits.fuel.map(|_| budget - left),
            memory_grow_failures: store.data().limiter.grow_failures,
            trap,
            message,
            elapsed,
        })
    }
}

impl Drop for CoreEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}
