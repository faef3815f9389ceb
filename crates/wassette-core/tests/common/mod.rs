//! Helpers shared by the test binaries: engines, default limits, compile-and-run.

#![allow(dead_code)]

pub mod components;

use std::time::Duration;

use wassette_core::{Call, CoreEngine, EngineConfig, Limits, Outcome, RunControl, RunRequest, Val};

pub const PAGE: usize = 65536;

/// An unmetered engine.
pub fn engine() -> CoreEngine {
    CoreEngine::new(&EngineConfig::default()).expect("engine")
}

/// An engine that meters fuel.
pub fn metered() -> CoreEngine {
    CoreEngine::new(&EngineConfig {
        fuel: true,
        ..EngineConfig::default()
    })
    .expect("engine")
}

pub fn limits() -> Limits {
    Limits {
        max_memory_bytes: 16 * PAGE,
        timeout: Duration::from_secs(10),
        fuel: None,
        max_output_bytes: 1 << 20,
    }
}

/// A command request with argv `prog.wasm`.
pub fn command() -> RunRequest {
    RunRequest {
        args: vec!["prog.wasm".into()],
        ..RunRequest::default()
    }
}

/// A function call request.
pub fn function(name: &str, args: Vec<Val>) -> RunRequest {
    RunRequest {
        call: Call::Function {
            name: name.into(),
            args,
        },
        ..command()
    }
}

/// A JSON call request with the allocator `alloc`.
pub fn json(name: &str, input: &str) -> RunRequest {
    RunRequest {
        call: Call::Json {
            name: name.into(),
            alloc: "alloc".into(),
            input: input.as_bytes().to_vec(),
        },
        ..command()
    }
}

/// Compiles `wat` and runs `request` under `limits`, expecting it to start.
pub fn run_with(e: &CoreEngine, wat: &str, request: &RunRequest, limits: &Limits) -> Outcome {
    let m = e.compile(wat.as_bytes()).expect("compiles");
    e.run(&m, request, limits, &RunControl::default())
        .expect("starts")
}

/// Compiles `wat` and runs it as a command with default limits.
pub fn run(e: &CoreEngine, wat: &str) -> Outcome {
    run_with(e, wat, &command(), &limits())
}
