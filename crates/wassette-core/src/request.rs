//! What a run is asked to do ([`RunRequest`]), under which [`Limits`], with which
//! [`RunControl`], and what it did ([`Outcome`]). Plain data: the napi addon and the tests build
//! these directly.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use crate::TrapCode;

/// Limits of one run; each is enforced by Wasmtime itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Total linear memory across all memories. Growth past it returns -1 to the guest and is
    /// counted; a module whose initial memory is already over it fails with `memory-limit`.
    pub max_memory_bytes: usize,
    /// Wall clock from instantiation to the end of the call; past it the run traps `timeout`
    /// within about a millisecond (interrupt checks for modules, epochs for components).
    pub timeout: Duration,
    /// Instruction budget; `None` runs unmetered. Only an engine created with
    /// `EngineConfig::fuel` can meter. Core modules count in the units of the js engine's meter
    /// (see `fuel`; at most i64::MAX), components in Wasmtime's fuel units.
    pub fuel: Option<u64>,
    /// Bytes of stdout and stderr together. The write that crosses it is cut at the cap, then the
    /// run traps `output-limit`.
    pub max_output_bytes: usize,
}

/// One run: what to call, and everything the guest may see. Nothing is granted but what is
/// listed here: no directory, no variable, no socket.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    pub call: Call,
    /// argv; argv[0] is the program name (also for function and JSON calls).
    pub args: Vec<String>,
    /// Variables exactly as the guest sees them (grants are resolved by the caller).
    pub env: Vec<(String, String)>,
    pub stdin: Vec<u8>,
    pub preopens: Vec<Preopen>,
    /// Components only: WASI preview1 has no way to create sockets.
    pub network: NetworkPolicy,
    /// Fixed clocks and seeded randomness, so a run can be replayed byte for byte.
    pub deterministic: Option<Deterministic>,
}

/// What to call once the instance exists.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Call {
    /// `_start` of a preview1 command, or `wasi:cli/run` of a component.
    #[default]
    Command,
    /// One export with numeric arguments; its results come back in `Outcome::returns`.
    Function { name: String, args: Vec<Val> },
    /// The plugin protocol: `alloc(len) -> ptr`, the input written there, then
    /// `name(ptr, len)` returns `(ptr, len)` or one i64 `ptr << 32 | len` of the JSON reply.
    Json {
        name: String,
        alloc: String,
        input: Vec<u8>,
    },
}

/// A numeric wasm value (arguments and results of function calls).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
}

impl Val {
    /// The wasm type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::I32(_) => "i32",
            Val::I64(_) => "i64",
            Val::F32(_) => "f32",
            Val::F64(_) => "f64",
        }
    }
}

/// A host directory granted to the guest under `guest_path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preopen {
    pub host_path: PathBuf,
    pub guest_path: String,
    /// Refuse every create, write, rename, unlink and truncate.
    pub read_only: bool,
}

/// Outgoing network access of a component. `allow: false` or no hosts: no sockets and no name
/// lookup at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkPolicy {
    pub allow: bool,
    pub hosts: Vec<HostGrant>,
}

/// One destination: a host name (resolved when the run is set up), an IP address, or `*` for
/// any address; `port: None` allows every port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostGrant {
    pub host: String,
    pub port: Option<u16>,
}

/// Replayable runs: clocks start at `start_time_ns` (wall clock, Unix epoch) and 0 (monotonic)
/// and move a fixed step per read; random bytes come from a generator seeded with `seed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deterministic {
    pub start_time_ns: u64,
    pub seed: u64,
}

/// Which output stream a chunk was written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Callback for streamed output: every chunk that is kept, in write order.
pub type OutputCallback = Box<dyn Fn(Stream, &[u8]) + Send + Sync>;

/// How the caller steers a run while it is going.
pub struct RunControl {
    /// Set from another thread to stop the run; it traps `cancelled` within about a millisecond.
    pub cancel: Arc<AtomicBool>,
    /// Called on a helper thread with each chunk of output as it is written (never past the
    /// cap); every call has returned by the time `run` returns, and a panic in it is raised
    /// again there.
    pub on_output: Option<OutputCallback>,
}

impl Default for RunControl {
    fn default() -> Self {
        RunControl {
            cancel: Arc::new(AtomicBool::new(false)),
            on_output: None,
        }
    }
}

impl std::fmt::Debug for RunControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunControl")
            .field("cancel", &self.cancel)
            .field("on_output", &self.on_output.as_ref().map(|_| "Fn"))
            .finish()
    }
}

/// What a run did. `trap` is set when it stopped early; `exit_code` when the guest exited (or a
/// command returned normally).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Some for commands (0 when `_start` returned) and for calls that ended in `proc_exit`.
    pub exit_code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Every byte the guest tried to write to stdout and stderr, kept or not.
    pub output_bytes: u64,
    /// Results of a function call.
    pub returns: Vec<Val>,
    /// Raw bytes of the JSON reply (the caller parses them).
    pub json_output: Option<Vec<u8>>,
    /// Fuel used, when the run was metered.
    pub fuel_consumed: Option<u64>,
    /// Peak total linear memory.
    pub memory_used_bytes: u64,
    /// `memory.grow` calls refused because of `max_memory_bytes`.
    pub memory_grow_failures: u32,
    pub trap: Option<TrapCode>,
    /// A readable reason when the run failed.
    pub message: Option<String>,
    pub elapsed: Duration,
}
