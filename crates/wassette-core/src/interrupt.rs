//! Wall-clock deadlines and cancellation for core modules, through an interrupt flag the guest
//! checks itself.
//!
//! Why not epochs: Wasmtime's epoch check (and its fuel check) at a loop header ends in a call
//! into the runtime on its slow path. That call clobbers every vector register, and Cranelift
//! then spills values the loop keeps in them on the hot path: on a floating-point matrix product
//! the loop ran 3.8x slower with epochs (or fuel) than without (Wasmtime issue 7244). A check
//! whose slow path is a trap has no call, so nothing is spilled: the same kernel with this check
//! runs within a few percent of no check at all.
//!
//! How: at compile time the module gets one more import, a one-page shared memory
//! (`wassette:runtime` / `interrupt`, memory index 0, every other memory index moved up by one,
//! so no instruction of the guest can name it), and every function entry and loop header gets
//! `if (i32.atomic.load interrupt[0]) unreachable` (atomic, so the compiler never reuses an
//! earlier read: a loop without stores still sees the flag change). Each run takes a page from
//! the engine's pool and registers it with the [`Watchdog`] thread, which writes 1 into it when
//! the run's deadline passes or its cancel flag is set. The guest then traps at its next check,
//! and the run maps that trap to `timeout` or `cancelled` from what the watchdog recorded
//! ([`Watch::stopped`]). Pages are reused, so a run maps no memory for its page (a fresh page
//! per run measured about 4 us more per trivial run); the page is host-created, so it never
//! counts against the guest's memory cap.
//!
//! The page is a shared memory because it is written from another thread. Wasmtime supports
//! shared memories at tier 2 only (no security fixes for that code), so guests get none: a
//! module that declares or imports a shared memory is refused at compile time, and the only
//! shared memory in a store is the page, read by our atomic loads alone.
//!
//! Like epochs, the check cannot stop a guest blocked inside a host call.

use std::cell::UnsafeCell;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{BlockType, Function, ImportSection, Instruction, MemArg, SectionId};
use wasmtime::{Engine, MemoryType, SharedMemory};

use crate::deadline::Stopped;
use crate::fuel;
use crate::CoreError;

/// The import every instrumented module has first.
pub(crate) const IMPORT_MODULE: &str = "wassette:runtime";
pub(crate) const IMPORT_NAME: &str = "interrupt";

/// Names the pass in `.cwasm` cache keys; change it whenever the instrumentation changes.
pub(crate) const PASS_VERSION: &str = "interrupt-v4";

/// How often the watchdog looks at the runs: the resolution of deadlines and cancellation.
pub(crate) const TICK: Duration = Duration::from_millis(1);

/// Adds the interrupt import and checks to a core module binary, and with `metered` the fuel
/// import and meter of `fuel`.
pub(crate) fn instrument(binary: &[u8], metered: bool) -> Result<Vec<u8>, CoreError> {
    let mut module = wasm_encoder::Module::new();
    let mut pass = Interruptible {
        imported: false,
        meter: if metered {
            Some(Meter {
                params: function_params(binary)?,
                next: 0,
            })
        } else {
            None
        },
    };
    pass.parse_core_module(&mut module, wasmparser::Parser::new(0), binary)
        .map_err(|e| match e {
            reencode::Error::UserError(SharedMemoryRefused) => CoreError::Compile(
                "the module declares or imports a shared memory, which the wasmtime engine \
                 does not run (shared memories are a tier-2 feature of Wasmtime, without \
                 security support); run it on the js engine or build it without threads"
                    .into(),
            ),
            other => CoreError::Compile(format!("{other}")),
        })?;
    Ok(module.finish())
}

/// The parameter count of each function the module defines, in order (the fuel local comes
/// after the parameters and the declared locals).
fn function_params(binary: &[u8]) -> Result<Vec<u32>, CoreError> {
    let bad = |e: wasmparser::BinaryReaderError| CoreError::Compile(format!("{e}"));
    let mut types: Vec<u32> = Vec::new();
    let mut params = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(binary) {
        match payload.map_err(bad)? {
            wasmparser::Payload::TypeSection(section) => {
                for group in section {
                    for sub in group.map_err(bad)?.into_types() {
                        types.push(match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(f) => f.params().len() as u32,
                            _ => 0,
                        });
                    }
                }
            }
            wasmparser::Payload::FunctionSection(section) => {
                for ty in section {
                    let ty = ty.map_err(bad)? as usize;
                    params.push(types.get(ty).copied().ok_or_else(|| {
                        CoreError::Compile(format!("function type index {ty} out of bounds"))
                    })?);
                }
            }
            wasmparser::Payload::CodeSectionStart { .. } => break,
            _ => {}
        }
    }
    Ok(params)
}

/// A guest memory type was shared.
#[derive(Debug)]
struct SharedMemoryRefused;

impl fmt::Display for SharedMemoryRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("shared memories are refused")
    }
}

struct Interruptible {
    imported: bool,
    /// Set when the module gets a fuel meter.
    meter: Option<Meter>,
}

struct Meter {
    /// Parameter counts of the defined functions.
    params: Vec<u32>,
    /// The index of the next body among them.
    next: usize,
}

impl Interruptible {
    fn add_import(&mut self, imports: &mut ImportSection) {
        let page = wasm_encoder::MemoryType {
            minimum: 1,
            maximum: Some(1),
            memory64: false,
            shared: true,
            page_size_log2: None,
        };
        imports.import(IMPORT_MODULE, IMPORT_NAME, page);
        if self.meter.is_some() {
            let fuel = wasm_encoder::GlobalType {
                val_type: wasm_encoder::ValType::I64,
                mutable: true,
                shared: false,
            };
            imports.import(IMPORT_MODULE, fuel::IMPORT_NAME, fuel);
        }
        self.imported = true;
    }
}

/// `if (i32.atomic.load interrupt[0]) unreachable`: a trap, not a call, on the slow path.
fn check(f: &mut Function) {
    f.instruction(&Instruction::I32Const(0));
    f.instruction(&Instruction::I32AtomicLoad(MemArg {
        offset: 0,
        align: 2,
        memory_index: 0,
    }));
    f.instruction(&Instruction::If(BlockType::Empty));
    f.instruction(&Instruction::Unreachable);
    f.instruction(&Instruction::End);
}

type Failure = reencode::Error<SharedMemoryRefused>;

impl Reencode for Interruptible {
    type Error = SharedMemoryRefused;

    /// Every memory type of the guest passes here (definitions and imports).
    fn memory_type(
        &mut self,
        memory: wasmparser::MemoryType,
    ) -> Result<wasm_encoder::MemoryType, Failure> {
        if memory.shared {
            return Err(reencode::Error::UserError(SharedMemoryRefused));
        }
        Ok(reencode::utils::memory_type(self, memory))
    }

    fn memory_index(&mut self, memory: u32) -> Result<u32, Failure> {
        Ok(memory + 1)
    }

    /// With a meter, the fuel global comes first.
    fn global_index(&mut self, global: u32) -> Result<u32, Failure> {
        Ok(global + u32::from(self.meter.is_some()))
    }

    fn parse_import_section(
        &mut self,
        imports: &mut ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> Result<(), Failure> {
        self.add_import(imports);
        reencode::utils::parse_import_section(self, imports, section)
    }

    /// A module without imports gets an import section of its own, where one belongs.
    fn intersperse_section_hook(
        &mut self,
        module: &mut wasm_encoder::Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), Failure> {
        if !self.imported && !matches!(before, Some(SectionId::Type | SectionId::Import)) {
            let mut imports = ImportSection::new();
            self.add_import(&mut imports);
            module.section(&imports);
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), Failure> {
        let mut locals = Vec::new();
        let mut declared = 0u32;
        for pair in func.get_locals_reader()? {
            let (count, ty) = pair?;
            declared = declared.saturating_add(count);
            locals.push((count, self.val_type(ty)?));
        }
        let fuel_local = match &mut self.meter {
            Some(meter) => {
                let params = meter.params.get(meter.next).copied().unwrap_or(0);
                meter.next += 1;
                locals.push((1, wasm_encoder::ValType::I64));
                Some(params.saturating_add(declared))
            }
            None => None,
        };
        let mut f = Function::new(locals);
        check(&mut f);
        let mut reader = func.get_operators_reader()?;
        let Some(local) = fuel_local else {
            while !reader.eof() {
                let instruction = self.parse_instruction(&mut reader)?;
                f.instruction(&instruction);
                if matches!(instruction, Instruction::Loop(_)) {
                    check(&mut f);
                }
            }
            code.function(&f);
            return Ok(());
        };
        let mut ops = Vec::new();
        while !reader.eof() {
            ops.push(reader.read()?);
        }
        let costs = fuel::costs(&ops);
        if fuel::has_handlers(&ops) {
            fuel::charge_global(&mut f, costs.entry);
            for (i, op) in ops.into_iter().enumerate() {
                let is_loop = matches!(op, wasmparser::Operator::Loop { .. });
                f.instruction(&self.instruction(op)?);
                if is_loop {
                    check(&mut f);
                    fuel::charge_global(&mut f, costs.loops.get(&i).copied().unwrap_or(1));
                }
            }
        } else {
            fuel::reload(&mut f, local);
            fuel::charge_local(&mut f, local, costs.entry);
            let mut depth = fuel::Depth::default();
            for (i, op) in ops.into_iter().enumerate() {
                let (call, is_loop) = (
                    fuel::is_call(&op),
                    matches!(op, wasmparser::Operator::Loop { .. }),
                );
                if call || depth.leaves_body(&op) {
                    fuel::flush(&mut f, local);
                }
                depth.after(&op);
                f.instruction(&self.instruction(op)?);
                if call {
                    fuel::reload(&mut f, local);
                }
                if is_loop {
                    check(&mut f);
                    fuel::charge_local(&mut f, local, costs.loops.get(&i).copied().unwrap_or(1));
                }
            }
        }
        code.function(&f);
        Ok(())
    }
}

/// The first word of an interrupt page, the one the checks read.
fn flag(page: &SharedMemory) -> &AtomicU32 {
    let data: &[UnsafeCell<u8>] = page.data();
    // SAFETY: the page is 64 KiB of shared linear memory, page-aligned and alive as long as
    // `page`; shared memory may be accessed from several threads at once, and every access to
    // this word (the watchdog's stores, the guest's checks) is atomic.
    unsafe { &*(data.as_ptr() as *const AtomicU32) }
}

/// One run under watch: its interrupt page, deadline and cancel flag.
pub(crate) struct Watch {
    page: SharedMemory,
    deadline: Option<Instant>,
    timeout: Duration,
    cancel: Arc<AtomicBool>,
    /// 0 while running; then 1 (timeout) or 2 (cancelled), set once by the watchdog.
    stopped: AtomicU8,
}

impl Watch {
    /// The page to give the module as its interrupt import.
    pub(crate) fn page(&self) -> &SharedMemory {
        &self.page
    }

    /// Why the watchdog interrupted this run, if it did.
    pub(crate) fn stopped(&self) -> Option<Stopped> {
        match self.stopped.load(Ordering::Acquire) {
            1 => Some(Stopped::Timeout(self.timeout)),
            2 => Some(Stopped::Cancelled),
            _ => None,
        }
    }

    /// Interrupts the run once, for `reason` (1 or 2).
    fn interrupt(&self, reason: u8) {
        if self
            .stopped
            .compare_exchange(0, reason, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            flag(&self.page).store(1, Ordering::SeqCst);
        }
    }
}

struct Shared {
    runs: Mutex<Vec<Arc<Watch>>>,
    /// Pages of finished runs, flag cleared, for the next runs.
    pool: Mutex<Vec<SharedMemory>>,
    stop: AtomicBool,
}

/// The thread that interrupts runs past their deadline or cancelled; one per engine, stopped
/// and joined on drop. It also advances `epoch_engine`'s epoch every tick, for the engine that
/// runs components (their inner modules are not instrumented).
pub(crate) struct Watchdog {
    engine: Engine,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    pub(crate) fn start(engine: &Engine, epoch_engine: &Engine) -> std::io::Result<Watchdog> {
        let shared = Arc::new(Shared {
            runs: Mutex::new(Vec::new()),
            pool: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let thread = {
            let (shared, epoch_engine) = (shared.clone(), epoch_engine.clone());
            std::thread::Builder::new()
                .name("wassette-watchdog".into())
                .spawn(move || {
                    while !shared.stop.load(Ordering::Relaxed) {
                        std::thread::sleep(TICK);
                        epoch_engine.increment_epoch();
                        let now = Instant::now();
                        for run in lock(&shared.runs).iter() {
                            if run.cancel.load(Ordering::Relaxed) {
                                run.interrupt(2);
                            } else if run.deadline.is_some_and(|d| now >= d) {
                                run.interrupt(1);
                            }
                        }
                    }
                })?
        };
        Ok(Watchdog {
            engine: engine.clone(),
            shared,
            thread: Some(thread),
        })
    }

    /// Starts watching a run; it stays watched until the guard is dropped.
    pub(crate) fn watch(
        &self,
        timeout: Duration,
        cancel: &Arc<AtomicBool>,
    ) -> Result<WatchGuard<'_>, CoreError> {
        let pooled = lock(&self.shared.pool).pop();
        let page = match pooled {
            Some(page) => page,
            None => SharedMemory::new(&self.engine, MemoryType::shared(1, 1)).map_err(|e| {
                CoreError::Invalid(format!("cannot create an interrupt page: {e:#}"))
            })?,
        };
        let watch = Arc::new(Watch {
            page,
            deadline: Instant::now().checked_add(timeout),
            timeout,
            cancel: cancel.clone(),
            stopped: AtomicU8::new(0),
        });
        lock(&self.shared.runs).push(watch.clone());
        Ok(WatchGuard {
            shared: &self.shared,
            watch,
        })
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A watched run; dropping it stops the watch and returns the page, cleared, to the pool.
pub(crate) struct WatchGuard<'a> {
    shared: &'a Shared,
    watch: Arc<Watch>,
}

impl std::ops::Deref for WatchGuard<'_> {
    type Target = Watch;
    fn deref(&self) -> &Watch {
        &self.watch
    }
}

impl Drop for WatchGuard<'_> {
    fn drop(&mut self) {
        lock(&self.shared.runs).retain(|w| !Arc::ptr_eq(w, &self.watch));
        // The watchdog no longer sees this run, so nothing raises the flag after this.
        flag(&self.watch.page).store(0, Ordering::SeqCst);
        lock(&self.shared.pool).push(self.watch.page.clone());
    }
}

/// A poisoned lock only means another run panicked while holding it; the lists stay usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instrumented(wat: &str) -> Vec<u8> {
        instrument(&wat::parse_str(wat).unwrap(), false).unwrap()
    }

    #[test]
    fn the_interrupt_page_is_memory_zero_and_the_guest_memories_move_up() {
        let bytes = instrumented(
            r#"(module
                 (import "env" "f" (func))
                 (memory (export "memory") 1)
                 (data (i32.const 0) "hi")
                 (func (export "g") (result i32) (loop) (i32.load8_u (i32.const 1))))"#,
        );
        wasmparser::Validator::new().validate_all(&bytes).unwrap();
        let mut imports = Vec::new();
        let mut memory_export = None;
        let mut loads = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
            match payload.unwrap() {
                wasmparser::Payload::ImportSection(s) => {
                    for i in s.into_imports() {
                        let i = i.unwrap();
                        imports.push((i.module.to_string(), i.name.to_string(), i.ty));
                    }
                }
                wasmparser::Payload::ExportSection(s) => {
                    for e in s {
                        let e = e.unwrap();
                        if e.name == "memory" {
                            memory_export = Some(e.index);
                        }
                    }
                }
                wasmparser::Payload::CodeSectionEntry(body) => {
                    for op in body.get_operators_reader().unwrap() {
                        match op.unwrap() {
                            wasmparser::Operator::I32AtomicLoad { memarg } => {
                                loads.push(("check", memarg.memory))
                            }
                            wasmparser::Operator::I32Load8U { memarg } => {
                                loads.push(("guest", memarg.memory))
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let (module, name, ty) = &imports[0];
        assert_eq!(
            (module.as_str(), name.as_str()),
            (IMPORT_MODULE, IMPORT_NAME)
        );
        assert!(
            matches!(ty, wasmparser::TypeRef::Memory(m) if m.shared && m.initial == 1 && m.maximum == Some(1))
        );
        assert_eq!(imports[1].1, "f");
        assert_eq!(memory_export, Some(1));
        // One check at entry, one after the loop header, then the guest's own load, on memory 1.
        assert_eq!(loads, vec![("check", 0), ("check", 0), ("guest", 1)]);
    }

    #[test]
    fn a_module_without_imports_gets_an_import_section_after_its_types() {
        let bytes = instrumented(r#"(module (func (export "f") (param i32)))"#);
        wasmparser::Validator::new().validate_all(&bytes).unwrap();
        let ids: Vec<u8> = wasmparser::Parser::new(0)
            .parse_all(&bytes)
            .filter_map(|p| p.unwrap().as_section().map(|(id, _)| id))
            .collect();
        assert_eq!(&ids[..3], &[1, 2, 3]);
    }

    #[test]
    fn a_guest_shared_memory_is_refused_with_the_reason() {
        for wat in [
            r#"(module (memory 1 1 shared))"#,
            r#"(module (import "env" "m" (memory 1 1 shared)))"#,
        ] {
            let err = instrument(&wat::parse_str(wat).unwrap(), false).unwrap_err();
            assert!(
                matches!(&err, CoreError::Compile(m) if m.contains("shared memory") && m.contains("js engine")),
                "{err:?}"
            );
        }
    }
}
