//! Core modules: WASI preview1 (`wasmtime_wasi::p1`) on a fresh store per run, then the
//! planned call (command, function or JSON). The module's first import is its interrupt page
//! (see `interrupt`), given per run; the rest come from the shared linker.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::{Extern, Instance, Linker, Module, Store, Trap};
use wasmtime_wasi::p1::{self, WasiP1Ctx};

use crate::interrupt::{Watchdog, IMPORT_MODULE, IMPORT_NAME};
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

/// The imports of `module`: the interrupt page first, then the linker's definitions; a link
/// error names the imports nothing provides.
fn imports(
    linker: &Linker<ModuleHost>,
    store: &mut Store<ModuleHost>,
    module: &Module,
    page: Extern,
) -> Result<Vec<Extern>, CoreError> {
    let mut found = Vec::with_capacity(module.imports().len());
    let mut missing = Vec::new();
    for (i, import) in module.imports().enumerate() {
        if i == 0 && (import.module(), import.name()) == (IMPORT_MODULE, IMPORT_NAME) {
            found.push(page.clone());
        } else if let Some(definition) = linker.get_by_import(&mut *store, &import) {
            found.push(definition);
        } else {
            missing.push(format!("{}::{}", import.module(), import.name()));
        }
    }
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(CoreError::Link(format!(
            "unknown imports; imports this engine cannot provide: {}",
            missing.join(", ")
        )))
    }
}

/// Everything a module run needs from the engine.
pub(crate) struct ModuleRun<'a> {
    pub(crate) engine: &'a wasmtime::Engine,
    pub(crate) linker: &'a Linker<ModuleHost>,
    pub(crate) watchdog: &'a Watchdog,
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
        let mut store = session::new_store(self.engine, host, limits, self.metered)?;
        let watch = self.watchdog.watch(limits.timeout, cancel)?;
        let imports = imports(self.linker, &mut store, module, watch.page().clone().into())?;
        let started = Instant::now();
        let result = Instance::new(&mut store, module, &imports)
            .and_then(|instance| {
                store.data_mut().limiter.instantiated();
                call::perform(&mut store, &instance, &plan)
            })
            .map_err(|e| match watch.stopped() {
                // A tripped interrupt check is the `unreachable` right after it.
                Some(stopped)
                    if e.downcast_ref::<Trap>() == Some(&Trap::UnreachableCodeReached) =>
                {
                    wasmtime::Error::new(stopped)
                }
                _ => e,
            });
        drop(watch);
        Ok(session::finish(store, &sink, limits, started, result))
    }
}
