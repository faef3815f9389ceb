//! What `run` resolves with: the core `Outcome` as a plain JavaScript object.

use napi::bindgen_prelude::i64n;
use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use wassette_core::{Outcome, Val};

/// What a run did. `trap` is set when it stopped early (a guest fault, a limit, cancellation);
/// `exitCode` when the guest exited or a command returned.
#[napi(object, object_from_js = false)]
pub struct NativeOutcome {
    pub exit_code: Option<i32>,
    pub stdout: Buffer,
    pub stderr: Buffer,
    /// Every byte the guest tried to write, kept or not.
    pub output_bytes: f64,
    /// Results of a function call: i64 as bigint, floats as numbers (NaN and Infinity kept).
    pub returns: Option<Vec<Either<f64, i64n>>>,
    /// Raw bytes of a json call's reply.
    pub json_output: Option<Buffer>,
    pub fuel_consumed: Option<f64>,
    /// Peak total linear memory.
    pub memory_used_bytes: f64,
    pub memory_grow_failures: u32,
    /// A trap code such as `out-of-fuel`, `timeout` or `cancelled`.
    pub trap: Option<String>,
    pub message: Option<String>,
    pub elapsed_ms: f64,
    /// How many `onOutput` calls were queued; they may arrive after the Promise settles.
    pub chunks: u32,
}

impl NativeOutcome {
    /// `function_call`: whether `returns` is reported (an empty list for a void export).
    pub(crate) fn new(outcome: Outcome, function_call: bool, chunks: u32) -> NativeOutcome {
        NativeOutcome {
            exit_code: outcome.exit_code,
            stdout: outcome.stdout.into(),
            stderr: outcome.stderr.into(),
            output_bytes: outcome.output_bytes as f64,
            returns: function_call.then(|| outcome.returns.iter().map(js_value).collect()),
            json_output: outcome.json_output.map(Buffer::from),
            fuel_consumed: outcome.fuel_consumed.map(|f| f as f64),
            memory_used_bytes: outcome.memory_used_bytes as f64,
            memory_grow_failures: outcome.memory_grow_failures,
            trap: outcome.trap.map(|t| t.as_str().to_string()),
            message: outcome.message,
            elapsed_ms: outcome.elapsed.as_secs_f64() * 1000.0,
            chunks,
        }
    }
}

fn js_value(v: &Val) -> Either<f64, i64n> {
    match *v {
        Val::I32(n) => Either::A(n as f64),
        Val::I64(n) => Either::B(i64n(n)),
        Val::F32(n) => Either::A(n as f64),
        Val::F64(n) => Either::A(n),
    }
}
