//! Core modules: WASI preview1 (`wasmtime_wasi::p1`) on a fresh store per run, then the
//! planned call (command, function or JSON).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::{Linker, Module, Store};
use wasmtime_wasi::p1::{self, WasiP1Ctx};

use crate::limits::MemoryLimiter;
use crate::output::{Chunk, OutputSink};
use crate::session::{self, Limited};
use crate::{call, wasi, CoreError, Limits, Outcome, RunRequest};

/// Store data of a module run.
pub(crate) struct ModuleHost {
    wasi: WasiP1Ctx,
    limiter: MemoryLimiter,
}

impl Limited for ModuleHost {
    fn limiter(&mut self) -> &mut MemoryLimiter {
        &mut self.limiter
    }
}

/// The preview1 linker every module run shares.
pub(crate) fn linker(engine: &wasmtime::Engine) -> wasmtime::Result<Linker<ModuleHost>> {
    let mut linker = Linker::new(engine);
    p1::add_to_linker_sync(&mut linker, |h: &mut ModuleHost| &mut h.wasi)?;
    Ok(linker)
}

/// The imports of `module` the linker does not provide, as `module::name`.
fn missing_imports(
    linker: &Linker<ModuleHost>,
    store: &mut Store<ModuleHost>,
    module: &Module,
) -> Vec<String> {
    module
        .imports()
        .filter(|i| linker.get_by_import(&mut *store, i).is_none())
        .map(|i| format!("{}::{}", i.module(), i.name()))
        .collect()
}

/// Everything a module run needs from the engine.
pub(crate) struct ModuleRun<'a> {
    pub(crate) engine: &'a wasmtime::Engine,
    pub(crate) linker: &'a Linker<ModuleHost>,
    pub(crate) metered: bool,
}

impl ModuleRun<'_> {
    pub(crate) fn run(
        &self,
        module: &Module,
        request: &RunRequest,
        limits: &Limits,
        cancel: &Arc<AtomicBool>,
        forward: Option<std::sync::mpsc::Sender<Chunk>>,
    ) -> Result<Outcome, CoreError> {
        let plan = call::plan(module, &request.call)?;
        let sink = OutputSink::new(limits.max_output_bytes, forward);
        let wasi = wasi::context(request, &sink)?.build_p1();
        let host = ModuleHost {
            wasi,
            limiter: MemoryLimiter::new(limits.max_memory_bytes),
        };
        let mut store = session::new_store(self.engine, host, limits, cancel, self.metered)?;
        let pre = match self.linker.instantiate_pre(module) {
            Ok(pre) => pre,
            Err(e) => {
                let missing = missing_imports(self.linker, &mut store, module);
                let listed = if missing.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; imports this engine cannot provide: {}",
                        missing.join(", ")
                    )
                };
                return Err(CoreError::Link(format!("{e:#}{listed}")));
            }
        };
        let started = Instant::now();
        let result = pre.instantiate(&mut store).and_then(|instance| {
            store.data_mut().limiter.instantiated();
            call::perform(&mut store, &instance, &plan)
        });
        Ok(session::finish(store, &sink, limits, started, result))
    }
}
