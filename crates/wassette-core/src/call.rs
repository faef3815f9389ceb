//! What to call on a core module once it is instantiated: `_start`, one export with numeric
//! arguments, or a JSON call through the plugin protocol. The plan is checked against the
//! module's export types before anything runs, so a bad request is a `CoreError::Invalid` and
//! never a trap.

use wasmtime::{AsContextMut, ExternType, FuncType, Instance, Module, ValType};

use crate::{Call, CoreError, Val};

/// A JSON call's allocation or reply outside the guest's memory; carried inside the error the
/// run ends with and reported as `protocol-error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProtocolViolation(pub(crate) String);

impl std::fmt::Display for ProtocolViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProtocolViolation {}

/// A call checked against the module.
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    /// Run `_initialize` first (a reactor), for function and JSON calls.
    initialize: bool,
    kind: PlanKind<'a>,
}

#[derive(Debug)]
enum PlanKind<'a> {
    Command,
    Function {
        name: &'a str,
        args: Vec<wasmtime::Val>,
        results: usize,
    },
    Json {
        name: &'a str,
        alloc: &'a str,
        input: &'a [u8],
        /// Returns one i64 `ptr << 32 | len` rather than `(ptr, len)`.
        packed: bool,
    },
}

/// What a call produced when it ended without a trap.
#[derive(Debug, Default)]
pub(crate) struct Completed {
    pub(crate) exit_code: Option<i32>,
    pub(crate) returns: Vec<Val>,
    pub(crate) json_output: Option<Vec<u8>>,
}

fn func_type(module: &Module, name: &str, role: &str) -> Result<FuncType, CoreError> {
    match module.get_export(name) {
        Some(ExternType::Func(f)) => Ok(f),
        Some(_) => Err(CoreError::Invalid(format!(
            "the export `{name}` ({role}) is not a function"
        ))),
        None => Err(CoreError::Invalid(format!(
            "the module has no export `{name}` ({role})"
        ))),
    }
}

fn signature(ty: &FuncType) -> String {
    let list = |it: &mut dyn Iterator<Item = ValType>| {
        it.map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
    };
    format!(
        "({}) -> ({})",
        list(&mut ty.params()),
        list(&mut ty.results())
    )
}

fn is(ty: &ValType, want: &ValType) -> bool {
    matches!(
        (ty, want),
        (ValType::I32, ValType::I32)
            | (ValType::I64, ValType::I64)
            | (ValType::F32, ValType::F32)
            | (ValType::F64, ValType::F64)
    )
}

fn numeric(ty: &ValType) -> bool {
    matches!(
        ty,
        ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64
    )
}

fn has_shape(ty: &FuncType, params: &[ValType], results: &[ValType]) -> bool {
    ty.params().len() == params.len()
        && ty.results().len() == results.len()
        && ty.params().zip(params).all(|(a, b)| is(&a, b))
        && ty.results().zip(results).all(|(a, b)| is(&a, b))
}

fn to_wasm(v: &Val) -> wasmtime::Val {
    match *v {
        Val::I32(x) => wasmtime::Val::I32(x),
        Val::I64(x) => wasmtime::Val::I64(x),
        Val::F32(x) => wasmtime::Val::F32(x.to_bits()),
        Val::F64(x) => wasmtime::Val::F64(x.to_bits()),
    }
}

fn from_wasm(v: &wasmtime::Val) -> Option<Val> {
    match *v {
        wasmtime::Val::I32(x) => Some(Val::I32(x)),
        wasmtime::Val::I64(x) => Some(Val::I64(x)),
        wasmtime::Val::F32(x) => Some(Val::F32(f32::from_bits(x))),
        wasmtime::Val::F64(x) => Some(Val::F64(f64::from_bits(x))),
        _ => None,
    }
}

fn wasm_type(v: &Val) -> ValType {
    match v {
        Val::I32(_) => ValType::I32,
        Val::I64(_) => ValType::I64,
        Val::F32(_) => ValType::F32,
        Val::F64(_) => ValType::F64,
    }
}

/// Checks `call` against the exports of `module`.
pub(crate) fn plan<'a>(module: &Module, call: &'a Call) -> Result<Plan<'a>, CoreError> {
    if let Call::Command = call {
        let start = func_type(module, "_start", "the entry point of a command")?;
        if !has_shape(&start, &[], &[]) {
            return Err(CoreError::Invalid(format!(
                "`_start` must take and return nothing, it is {}",
                signature(&start)
            )));
        }
        return Ok(Plan {
            initialize: false,
            kind: PlanKind::Command,
        });
    }
    let initialize = match module.get_export("_initialize") {
        None => false,
        Some(ExternType::Func(f)) if has_shape(&f, &[], &[]) => true,
        Some(_) => {
            return Err(CoreError::Invalid(
                "`_initialize` must be a function that takes and returns nothing".into(),
            ))
        }
    };
    let kind = match call {
        Call::Command => unreachable!("handled above"),
        Call::Function { name, args } => {
            let ty = func_type(module, name, "the function to call")?;
            let params: Vec<ValType> = ty.params().collect();
            let fits = params.len() == args.len()
                && params.iter().zip(args).all(|(p, a)| is(p, &wasm_type(a)));
            if !fits {
                let passed: Vec<&str> = args.iter().map(Val::type_name).collect();
                return Err(CoreError::Invalid(format!(
                    "`{name}` is {} but the call passes ({})",
                    signature(&ty),
                    passed.join(", ")
                )));
            }
            let numeric_results = ty.results().all(|r| numeric(&r));
            if !numeric_results {
                return Err(CoreError::Invalid(format!(
                    "`{name}` is {}; only i32, i64, f32 and f64 results can be returned",
                    signature(&ty)
                )));
            }
            let results = ty.results().len();
            PlanKind::Function {
                name,
                args: args.iter().map(to_wasm).collect(),
                results,
            }
        }
        Call::Json { name, alloc, input } => {
            let alloc_ty = func_type(module, alloc, "the allocator of the JSON protocol")?;
            if !has_shape(&alloc_ty, &[ValType::I32], &[ValType::I32]) {
                return Err(CoreError::Invalid(format!(
                    "`{alloc}` must be (i32) -> (i32) for the JSON protocol, it is {}",
                    signature(&alloc_ty)
                )));
            }
            let ty = func_type(module, name, "the function to call")?;
            let pair = [ValType::I32, ValType::I32];
            let packed = if has_shape(&ty, &pair, &pair) {
                false
            } else if has_shape(&ty, &pair, &[ValType::I64]) {
                true
            } else {
                return Err(CoreError::Invalid(format!(
                    "`{name}` must be (i32, i32) -> (i32, i32) or (i32, i32) -> (i64) for the \
                     JSON protocol, it is {}",
                    signature(&ty)
                )));
            };
            match module.get_export("memory") {
                Some(ExternType::Memory(m)) if !m.is_64() => {}
                _ => {
                    return Err(CoreError::Invalid(
                        "the JSON protocol needs a 32-bit memory exported as `memory`".into(),
                    ))
                }
            }
            if u32::try_from(input.len()).is_err() {
                return Err(CoreError::Invalid(format!(
                    "the JSON input is {} bytes, more than a 32-bit memory can take",
                    input.len()
                )));
            }
            PlanKind::Json {
                name,
                alloc,
                input,
                packed,
            }
        }
    };
    Ok(Plan { initialize, kind })
}

/// Runs the plan on a fresh instance.
pub(crate) fn perform(
    mut store: impl AsContextMut,
    instance: &Instance,
    plan: &Plan<'_>,
) -> wasmtime::Result<Completed> {
    let mut store = store.as_context_mut();
    if plan.initialize {
        instance
            .get_typed_func::<(), ()>(&mut store, "_initialize")?
            .call(&mut store, ())?;
    }
    match &plan.kind {
        PlanKind::Command => {
            instance
                .get_typed_func::<(), ()>(&mut store, "_start")?
                .call(&mut store, ())?;
            Ok(Completed {
                exit_code: Some(0),
                ..Completed::default()
            })
        }
        PlanKind::Function {
            name,
            args,
            results,
        } => {
            let func = instance
                .get_func(&mut store, name)
                .ok_or_else(|| wasmtime::format_err!("export `{name}` vanished"))?;
            let mut out = vec![wasmtime::Val::I32(0); *results];
            func.call(&mut store, args, &mut out)?;
            Ok(Completed {
                returns: out.iter().filter_map(from_wasm).collect(),
                ..Completed::default()
            })
        }
        PlanKind::Json {
            name,
            alloc,
            input,
            packed,
        } => {
            let memory = instance
                .get_memory(&mut store, "memory")
                .ok_or_else(|| wasmtime::format_err!("export `memory` vanished"))?;
            let len = input.len() as u32;
            let ptr = instance
                .get_typed_func::<i32, i32>(&mut store, alloc)?
                .call(&mut store, len as i32)? as u32;
            let size = memory.data_size(&store) as u64;
            if u64::from(ptr) + u64::from(len) > size {
                return Err(wasmtime::Error::new(ProtocolViolation(format!(
                    "{alloc}({len}) returned {ptr}, which is outside the guest's {size}-byte \
                     memory (bytes {ptr}..{end})",
                    end = u64::from(ptr) + u64::from(len)
                ))));
            }
            memory.write(&mut store, ptr as usize, input)?;
            let (out_ptr, out_len) = if *packed {
                let v = instance
                    .get_typed_func::<(i32, i32), i64>(&mut store, name)?
                    .call(&mut store, (ptr as i32, len as i32))? as u64;
                ((v >> 32) as u32, v as u32)
            } else {
                let (p, l) = instance
                    .get_typed_func::<(i32, i32), (i32, i32)>(&mut store, name)?
                    .call(&mut store, (ptr as i32, len as i32))?;
                (p as u32, l as u32)
            };
            let size = memory.data_size(&store) as u64;
            if u64::from(out_ptr) + u64::from(out_len) > size {
                return Err(wasmtime::Error::new(ProtocolViolation(format!(
                    "{name} returned bytes {out_ptr}..{end}, outside the guest's {size}-byte \
                     memory",
                    end = u64::from(out_ptr) + u64::from(out_len)
                ))));
            }
            let mut reply = vec![0; out_len as usize];
            memory.read(&store, out_ptr as usize, &mut reply)?;
            Ok(Completed {
                json_output: Some(reply),
                ..Completed::default()
            })
        }
    }
}
