//! Core modules: WASI preview1 (`wasmtime_wasi::p1`) on a fresh store per run, then the
//! planned call (command, function or JSON). The module's first import is its interrupt page
//! (see `interrupt`) and, on a metered engine, its second the fuel global (see `fuel`), both
//! given per run; the rest come from the shared linker.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::{
    Extern, Global, GlobalType, Instance, Linker, Module, Mutability, Store, Trap, Val, ValType,
};
use wasmtime_wasi::p1::{self, WasiP1Ctx};

use crate::fuel;
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

/// The imports of `module`: the interrupt page first, the fuel global second when there is
/// one, then the linker's definitions; a link error names the imports nothing provides.
fn imports(
    linker: &Linker<ModuleHost>,
    store: &mut Store<ModuleHost>,
    module: &Module,
    page: Extern,
    fuel: Option<Global>,
) -> Result<Vec<Extern>, CoreError> {
    let mut found = Vec::with_capacity(module.imports().len());
    let mut missing = Vec::new();
    for (i, import) in module.imports().enumerate() {
        let name = (import.module(), import.name());
        if i == 0 && name == (IMPORT_MODULE, IMPORT_NAME) {
            found.push(page.clone());
        } else if let Some(fuel) =
            fuel.filter(|_| i == 1 && name == (IMPORT_MODULE, fuel::IMPORT_NAME))
        {
            found.push(fuel.into());
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
        // The engine meters no fuel of its own: modules carry the meter (see `fuel`).
        let mut store = session::new_store(self.engine, host, limits, false)?;
        // The budget, at most i64::MAX units (about 290 years of execution at 1e9 per second).
        let budget = limits
            .fuel
            .map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
        let fuel =
            if self.metered {
                let ty = GlobalType::new(ValType::I64, Mutability::Var);
                Some(Global::new(&mut store, ty, Val::I64(budget)).map_err(|e| {
                    CoreError::Invalid(format!("cannot create the fuel global: {e:#}"))
                })?)
            } else {
                None
            };
        let watch = self.watchdog.watch(limits.timeout, cancel)?;
        let imports = imports(
            self.linker,
            &mut store,
            module,
            watch.page().clone().into(),
            fuel,
        )?;
        let started = Instant::now();
        let result = Instance::new(&mut store, module, &imports).and_then(|instance| {
            store.data_mut().limiter.instantiated();
            call::perform(&mut store, &instance, &plan)
        });
        // The fuel left; negative after the meter ran out (and trapped).
        let left = fuel.map(|g| g.get(&mut store).i64().unwrap_or(0));
        let result = result.map_err(|e| {
            // A tripped interrupt check or fuel charge is an `unreachable` right after it.
            if e.downcast_ref::<Trap>() != Some(&Trap::UnreachableCodeReached) {
                return e;
            }
            match (watch.stopped(), left) {
                (Some(stopped), _) => wasmtime::Error::new(stopped),
                (None, Some(left)) if left < 0 => wasmtime::Error::new(Trap::OutOfFuel),
                _ => e,
            }
        });
        drop(watch);
        let fuel_consumed = match (limits.fuel, left) {
            (Some(_), Some(left)) => Some(if left < 0 { budget } else { budget - left } as u64),
            _ => None,
        };
        Ok(session::finish(
            store,
            &sink,
            limits,
            started,
            result,
            fuel_consumed,
        ))
    }
}
