//! Components: `wasi:cli/run` through WASI preview2 (`wasmtime_wasi::p2`), under the same store
//! limits as modules, with outgoing `wasi:http` checked against the network policy
//! (`http.rs`). Only commands run in this release.

use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime_wasi::p2::bindings::sync::CommandPre;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::{WasiHttpCtxView, WasiHttpView};
use wasmtime_wasi_http::WasiHttpCtx;

use crate::call::Completed;
use crate::http::HttpPolicy;
use crate::limits::MemoryLimiter;
use crate::output::{Chunk, OutputSink};
use crate::session::{self, Limited};
use crate::{deadline, wasi, CoreError, Limits, Outcome, RunRequest};

/// The interface packages the linker provides (`p2::add_to_linker_sync` and wasi:http).
const PROVIDED_PACKAGES: [&str; 7] = [
    "wasi:cli/",
    "wasi:clocks/",
    "wasi:filesystem/",
    "wasi:http/",
    "wasi:io/",
    "wasi:random/",
    "wasi:sockets/",
];

/// Store data of a component run.
pub(crate) struct ComponentHost {
    wasi: WasiCtx,
    table: ResourceTable,
    http: WasiHttpCtx,
    http_policy: HttpPolicy,
    limiter: MemoryLimiter,
}

impl WasiHttpView for ComponentHost {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.http_policy,
        }
    }
}

impl WasiView for ComponentHost {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl Limited for ComponentHost {
    fn limiter(&mut self) -> &mut MemoryLimiter {
        &mut self.limiter
    }
}

/// The preview2 linker every component run shares.
pub(crate) fn linker(engine: &wasmtime::Engine) -> wasmtime::Result<Linker<ComponentHost>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?;
    Ok(linker)
}

/// A link error that names what the component asks for and this engine lacks.
fn link_error(engine: &wasmtime::Engine, component: &Component, e: wasmtime::Error) -> CoreError {
    let foreign: Vec<String> = component
        .component_type()
        .imports(engine)
        .map(|(name, _)| name.to_string())
        .filter(|name| !PROVIDED_PACKAGES.iter().any(|p| name.starts_with(p)))
        .collect();
    let mut message = format!("{e:#}");
    if !foreign.is_empty() {
        message.push_str(&format!(
            "; imports this engine does not provide: {}",
            foreign.join(", ")
        ));
    }
    CoreError::Link(message)
}

/// Everything a component run needs from the engine.
pub(crate) struct ComponentRun<'a> {
    pub(crate) engine: &'a wasmtime::Engine,
    pub(crate) linker: &'a Linker<ComponentHost>,
    pub(crate) metered: bool,
}

impl ComponentRun<'_> {
    pub(crate) fn run(
        &self,
        component: &Component,
        request: &RunRequest,
        limits: &Limits,
        cancel: &Arc<AtomicBool>,
        forward: Option<Sender<Chunk>>,
    ) -> Result<Outcome, CoreError> {
        let pre = self
            .linker
            .instantiate_pre(component)
            .map_err(|e| link_error(self.engine, component, e))?;
        let pre = CommandPre::new(pre).map_err(|e| {
            CoreError::Invalid(format!(
                "the component is not a command (it must export wasi:cli/run): {e:#}"
            ))
        })?;
        let sink = OutputSink::new(limits.max_output_bytes, forward);
        let host = ComponentHost {
            wasi: wasi::context(request, &sink)?.build(),
            table: ResourceTable::new(),
            http: WasiHttpCtx::new(),
            http_policy: HttpPolicy::new(&request.network, limits.timeout),
            limiter: MemoryLimiter::new(limits.max_memory_bytes),
        };
        let mut store = session::new_store(self.engine, host, limits, self.metered)?;
        deadline::arm(&mut store, limits.timeout, cancel.clone());
        let started = Instant::now();
        let result = pre.instantiate(&mut store).and_then(|command| {
            store.data_mut().limiter.instantiated();
            let status = command.wasi_cli_run().call_run(&mut store)?;
            Ok(Completed {
                exit_code: Some(if status.is_ok() { 0 } else { 1 }),
                ..Completed::default()
            })
        });
        let fuel_consumed = session::engine_fuel_consumed(&store, limits);
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
