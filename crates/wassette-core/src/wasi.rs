//! The WASI context of one run, built from the request alone: args, env, stdin, capped output,
//! preopens, network and (optionally) deterministic clocks and randomness. Shared by preview1
//! modules and preview2 components.

use std::sync::Arc;

use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{DirPerms, FilePerms, WasiCtxBuilder};

use crate::output::OutputSink;
use crate::{clock, network, CoreError, RunRequest, Stream};

/// A builder holding everything `request` grants, writing into `sink`.
pub(crate) fn context(
    request: &RunRequest,
    sink: &Arc<OutputSink>,
) -> Result<WasiCtxBuilder, CoreError> {
    let mut b = WasiCtxBuilder::new();
    // Runs are synchronous and already on a thread of their own (a libuv pool thread from Node),
    // so file I/O is done in place rather than handed to tokio's blocking pool and waited for:
    // a thread hop per call that made small reads several times slower. Only runs that can do
    // file I/O get it (it also turns a lone relative sleep into a thread sleep).
    b.allow_blocking_current_thread(!request.preopens.is_empty());
    b.args(&request.args)
        .envs(&request.env)
        .stdin(MemoryInputPipe::new(request.stdin.clone()))
        .stdout(sink.stream(Stream::Stdout))
        .stderr(sink.stream(Stream::Stderr));
    for p in &request.preopens {
        let (dir, file) = if p.read_only {
            (DirPerms::READ, FilePerms::READ)
        } else {
            (DirPerms::all(), FilePerms::all())
        };
        b.preopened_dir(&p.host_path, &p.guest_path, dir, file)
            .map_err(|e| {
                CoreError::Grant(format!(
                    "directory {} (for {}) cannot be opened: {e:#}",
                    p.host_path.display(),
                    p.guest_path
                ))
            })?;
    }
    network::install(&mut b, &request.network)?;
    if let Some(d) = request.deterministic {
        clock::install(&mut b, d);
    }
    Ok(b)
}
