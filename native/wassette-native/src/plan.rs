//! What `compile` and `run` accept: the shapes (declared here so that napi writes them into
//! `index.d.ts`) and the readers that turn JavaScript objects into `wassette-core` requests.
//!
//! The shapes are declarations only. The readers go field by field so that a bad plan fails
//! with `code: 'invalid'` and a message naming the field, never with a generic conversion
//! error, and never after the work was queued.

use std::path::PathBuf;
use std::time::Duration;

use napi::bindgen_prelude::{BigInt, Either, Uint8Array, Unknown};
use napi::ValueType;
use napi_derive::napi;
use wassette_core::{
    Call, Deterministic, HostGrant, Limits, NetworkPolicy, Preopen, RunRequest, Val,
};

use crate::failure::Failure;
use crate::reader::{self, Reader};

/// JavaScript's `Number.MAX_SAFE_INTEGER`: the largest count a number holds exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The most native stack wasm may use: Wasmtime refuses more than its async stack size (2 MiB
/// by default) in an engine built with async support, as the core's is. Runs happen on libuv
/// pool threads with 8 MiB stacks, so this also leaves room for Wasmtime and host functions.
pub(crate) const MAX_WASM_STACK_LIMIT: u64 = 2 * 1024 * 1024;
const MIN_WASM_STACK: u64 = 64 * 1024;

/// Options of `new NativeEngine(options)`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct NativeEngineOptions {
    /// Bytes of native stack wasm may use before a call traps `stack-overflow`
    /// (64 KiB to 2 MiB; default 512 KiB).
    pub max_wasm_stack: Option<u32>,
}

/// Options of `NativeEngine.compile`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct NativeCompileOptions {
    /// Compile for the engine with fuel metering: needed to run with `limits.fuel`.
    pub metered: bool,
    /// A directory for the verified `.cwasm` cache (created if missing).
    pub cache_dir: Option<String>,
}

/// One run. Nothing is granted but what is listed: no directory, no variable, no socket.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct NativePlan {
    #[napi(ts_type = "'command' | 'function' | 'json'")]
    pub kind: String,
    /// argv, program name first (also for function and json kinds).
    pub args: Vec<String>,
    /// `[name, value]` pairs, exactly what the guest sees.
    #[napi(ts_type = "string[][]")]
    pub env: Vec<Vec<String>>,
    pub stdin: Option<Uint8Array>,
    pub preopens: Vec<NativePreopen>,
    pub network: NativeNetwork,
    /// The export to call (function and json kinds).
    pub function: Option<String>,
    /// Arguments of a function call; i64 values as bigint (or a safe integer number).
    pub fn_args: Option<Vec<NativeFnArg>>,
    /// UTF-8 JSON handed to a json call.
    pub json_input: Option<Uint8Array>,
    /// The allocator export of a json call; default `alloc`.
    pub alloc_export: Option<String>,
    pub limits: NativeLimits,
    pub deterministic: Option<NativeDeterministic>,
}

/// A host directory granted under `guestPath`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct NativePreopen {
    pub host_path: String,
    pub guest_path: String,
    pub read_only: bool,
}

/// Outgoing network of a component; `allow: false` means no sockets and no name lookup.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct NativeNetwork {
    pub allow: bool,
    pub hosts: Vec<NativeHost>,
}

/// A destination: a host name (resolved when the run starts) or an IP address; no port means
/// every port. The core refuses globs (`*.example.com`) with a `grant` error.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct NativeHost {
    pub host: String,
    pub port: Option<u32>,
}

/// One numeric argument of a function call.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct NativeFnArg {
    #[napi(ts_type = "'i32' | 'i64' | 'f32' | 'f64'")]
    pub r#type: String,
    pub value: Either<f64, BigInt>,
}

/// Limits of one run; see `wassette_core::Limits` for what happens at each.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct NativeLimits {
    /// Total linear memory; growth past it fails in the guest and is counted.
    pub max_memory_bytes: f64,
    /// Wall clock; past it the run traps `timeout`.
    pub timeout_ms: f64,
    /// Fuel budget; needs a module compiled with `metered: true`. Absent: unmetered.
    pub fuel: Option<f64>,
    /// stdout and stderr together; past it the run traps `output-limit`.
    pub max_output_bytes: f64,
}

/// Replayable runs: fixed clocks from `startTimeNs`, randomness seeded with `seed`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct NativeDeterministic {
    #[napi(ts_type = "bigint")]
    pub start_time_ns: BigInt,
    pub seed: f64,
}

/// Reads `new NativeEngine(options)`: the stack size.
pub(crate) fn read_engine_options(options: Option<Unknown>) -> Result<usize, Failure> {
    let default = wassette_core::EngineConfig::default().max_wasm_stack;
    let Some(options) = options.filter(|o| !reader::is_absent(o)) else {
        return Ok(default);
    };
    let options = Reader::new(options, "options")?;
    let Some(stack) = options.optional_count("maxWasmStack", MAX_WASM_STACK_LIMIT)? else {
        return Ok(default);
    };
    if stack < MIN_WASM_STACK {
        return Err(Failure::invalid(format!(
            "options.maxWasmStack must be at least {MIN_WASM_STACK} bytes (got {stack})"
        )));
    }
    Ok(stack as usize)
}

/// What `compile` was asked for.
pub(crate) struct CompileOptions {
    pub metered: bool,
    pub cache_dir: Option<PathBuf>,
}

pub(crate) fn read_compile_options(options: Option<Unknown>) -> Result<CompileOptions, Failure> {
    let Some(options) = options.filter(|o| !reader::is_absent(o)) else {
        return Err(Failure::invalid(
            "options is missing: pass { metered: boolean, cacheDir?: string }",
        ));
    };
    let options = Reader::new(options, "options")?;
    let cache_dir = options.optional_string("cacheDir")?;
    if cache_dir.as_deref() == Some("") {
        return Err(Failure::invalid(
            "options.cacheDir must be a directory path, not an empty string",
        ));
    }
    Ok(CompileOptions {
        metered: options.boolean("metered")?,
        cache_dir: cache_dir.map(PathBuf::from),
    })
}

/// Reads a `NativePlan` into the request and limits of one core run.
pub(crate) fn read_plan(plan: Unknown) -> Result<(RunRequest, Limits), Failure> {
    let plan = Reader::new(plan, "plan")?;
    let request = RunRequest {
        call: read_call(&plan)?,
        args: read_strings(&plan, "args")?,
        env: read_env(&plan)?,
        stdin: plan.optional_bytes("stdin")?.unwrap_or_default(),
        preopens: read_preopens(&plan)?,
        network: read_network(&plan)?,
        deterministic: read_deterministic(&plan)?,
    };
    Ok((request, read_limits(&plan.object("limits")?)?))
}

fn read_call(plan: &Reader) -> Result<Call, Failure> {
    let kind = plan.string("kind")?;
    let only_for = |field: &str, kinds: &str| -> Result<(), Failure> {
        match plan.optional(field)? {
            Some(_) => Err(Failure::invalid(format!(
                "{} is only for {kinds}, not for kind '{kind}'",
                plan.path_of(field)
            ))),
            None => Ok(()),
        }
    };
    match kind.as_str() {
        "command" => {
            only_for("function", "the function and json kinds")?;
            only_for("fnArgs", "the function kind")?;
            only_for("jsonInput", "the json kind")?;
            only_for("allocExport", "the json kind")?;
            Ok(Call::Command)
        }
        "function" => {
            only_for("jsonInput", "the json kind")?;
            only_for("allocExport", "the json kind")?;
            let args = plan.optional_array("fnArgs")?.unwrap_or_default();
            Ok(Call::Function {
                name: read_export(plan, "function")?,
                args: args
                    .into_iter()
                    .enumerate()
                    .map(|(i, a)| read_fn_arg(a, &format!("{}[{i}]", plan.path_of("fnArgs"))))
                    .collect::<Result<_, _>>()?,
            })
        }
        "json" => {
            only_for("fnArgs", "the function kind")?;
            let input = plan.optional_bytes("jsonInput")?.ok_or_else(|| {
                Failure::invalid("plan.jsonInput is missing: a json call needs its UTF-8 input")
            })?;
            let alloc = match plan.optional("allocExport")? {
                Some(_) => read_export(plan, "allocExport")?,
                None => "alloc".to_string(),
            };
            Ok(Call::Json {
                name: read_export(plan, "function")?,
                alloc,
                input,
            })
        }
        other => Err(Failure::invalid(format!(
            "plan.kind must be 'command', 'function' or 'json' (got '{other}')"
        ))),
    }
}

/// An export name: a non-empty string.
fn read_export(plan: &Reader, field: &str) -> Result<String, Failure> {
    let path = plan.path_of(field);
    let name = plan
        .optional_string(field)?
        .ok_or_else(|| Failure::invalid(format!("{path} is missing: name the export to call")))?;
    if name.is_empty() {
        return Err(Failure::invalid(format!(
            "{path} must name an export, not be empty"
        )));
    }
    Ok(name)
}

fn read_fn_arg(arg: Unknown, path: &str) -> Result<Val, Failure> {
    let arg = Reader::new(arg, path)?;
    let ty = arg.string("type")?;
    let value = arg.required("value")?;
    let value_path = arg.path_of("value");
    let whole = |min: i128, max: i128| -> Result<i128, Failure> {
        let n = match value.get_type() {
            Ok(ValueType::BigInt) => reader::bigint(value, &value_path)?.get_i128().0,
            Ok(ValueType::Number) => {
                let n = reader::number(value, &value_path)?;
                if n.fract() != 0.0 || n.abs() > MAX_SAFE_INTEGER as f64 {
                    return Err(Failure::invalid(format!(
                        "{value_path} must be a whole number for type {ty} (got {n})"
                    )));
                }
                n as i128
            }
            _ => {
                return Err(Failure::invalid(format!(
                    "{value_path} must be a number or a bigint for type {ty} (got {})",
                    reader::type_name(&value)
                )))
            }
        };
        if n < min || n > max {
            return Err(Failure::invalid(format!(
                "{value_path} is out of range for type {ty}: {n} is not in {min}..={max}"
            )));
        }
        Ok(n)
    };
    // Unsigned spellings are accepted and wrap, as wasm reads the same bits either way.
    match ty.as_str() {
        "i32" => {
            if reader::is(&value, ValueType::BigInt) {
                return Err(Failure::invalid(format!(
                    "{value_path} must be a number for type i32 (got bigint)"
                )));
            }
            Ok(Val::I32(
                whole(i32::MIN as i128, u32::MAX as i128)? as u32 as i32
            ))
        }
        "i64" => Ok(Val::I64(
            whole(i64::MIN as i128, u64::MAX as i128)? as u64 as i64
        )),
        "f32" => Ok(Val::F32(reader::number(value, &value_path)? as f32)),
        "f64" => Ok(Val::F64(reader::number(value, &value_path)?)),
        other => Err(Failure::invalid(format!(
            "{} must be 'i32', 'i64', 'f32' or 'f64' (got '{other}')",
            arg.path_of("type")
        ))),
    }
}

fn read_strings(plan: &Reader, field: &str) -> Result<Vec<String>, Failure> {
    let path = plan.path_of(field);
    plan.array(field)?
        .into_iter()
        .enumerate()
        .map(|(i, s)| reader::string(s, &format!("{path}[{i}]")))
        .collect()
}

fn read_env(plan: &Reader) -> Result<Vec<(String, String)>, Failure> {
    let path = plan.path_of("env");
    plan.array("env")?
        .into_iter()
        .enumerate()
        .map(|(i, pair)| {
            let pair_path = format!("{path}[{i}]");
            let items = reader::array(pair, &pair_path)?;
            let [name, value] = <[Unknown; 2]>::try_from(items).map_err(|items| {
                Failure::invalid(format!(
                    "{pair_path} must be a [name, value] pair (got {} items)",
                    items.len()
                ))
            })?;
            Ok((
                reader::string(name, &format!("{pair_path}[0]"))?,
                reader::string(value, &format!("{pair_path}[1]"))?,
            ))
        })
        .collect()
}

fn read_preopens(plan: &Reader) -> Result<Vec<Preopen>, Failure> {
    let path = plan.path_of("preopens");
    plan.array("preopens")?
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let p = Reader::new(p, format!("{path}[{i}]"))?;
            let host_path = p.string("hostPath")?;
            if host_path.is_empty() {
                return Err(Failure::invalid(format!(
                    "{} must be a directory path, not empty",
                    p.path_of("hostPath")
                )));
            }
            Ok(Preopen {
                host_path: PathBuf::from(host_path),
                guest_path: p.string("guestPath")?,
                read_only: p.boolean("readOnly")?,
            })
        })
        .collect()
}

fn read_network(plan: &Reader) -> Result<NetworkPolicy, Failure> {
    let network = plan.object("network")?;
    let path = network.path_of("hosts");
    let hosts = network
        .array("hosts")?
        .into_iter()
        .enumerate()
        .map(|(i, h)| {
            let h = Reader::new(h, format!("{path}[{i}]"))?;
            Ok(HostGrant {
                host: h.string("host")?,
                port: h.optional_count("port", u16::MAX as u64)?.map(|p| p as u16),
            })
        })
        .collect::<Result<_, Failure>>()?;
    Ok(NetworkPolicy {
        allow: network.boolean("allow")?,
        hosts,
    })
}

fn read_limits(limits: &Reader) -> Result<Limits, Failure> {
    let timeout_ms = limits.number_at_least("timeoutMs", 0.0)?;
    if timeout_ms > MAX_SAFE_INTEGER as f64 {
        return Err(Failure::invalid(format!(
            "{} must be at most {MAX_SAFE_INTEGER} (got {timeout_ms})",
            limits.path_of("timeoutMs")
        )));
    }
    Ok(Limits {
        max_memory_bytes: limits.count("maxMemoryBytes", usize::MAX as u64)? as usize,
        timeout: Duration::from_secs_f64(timeout_ms / 1000.0),
        fuel: limits.optional_count("fuel", u64::MAX)?,
        max_output_bytes: limits.count("maxOutputBytes", usize::MAX as u64)? as usize,
    })
}

fn read_deterministic(plan: &Reader) -> Result<Option<Deterministic>, Failure> {
    let Some(d) = plan.optional_object("deterministic")? else {
        return Ok(None);
    };
    Ok(Some(Deterministic {
        start_time_ns: d.count("startTimeNs", u64::MAX)?,
        seed: d.count("seed", u64::MAX)?,
    }))
}
