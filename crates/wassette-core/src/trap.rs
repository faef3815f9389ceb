//! Traps and limits as the closed set of codes the TypeScript `BridgeError` uses. They are
//! found by downcasting the error a run ended with (Wasmtime's `Trap` enum, or our own error
//! types for the output cap, deadlines, cancellation and the JSON protocol), never from message
//! text.

use wasmtime::Trap;
use wasmtime_wasi::I32Exit;

use crate::call::ProtocolViolation;
use crate::deadline::Stopped;
use crate::output::OutputLimitExceeded;

/// Why a run stopped early; `as_str` gives the TypeScript `TrapCode` spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrapCode {
    OutOfFuel,
    Timeout,
    MemoryLimit,
    OutputLimit,
    /// Stopped through `RunControl::cancel`.
    Cancelled,
    /// A JSON call whose allocation or reply lies outside the guest's memory.
    ProtocolError,
    Unreachable,
    StackOverflow,
    MemoryOutOfBounds,
    TableOutOfBounds,
    IndirectCallToNull,
    BadSignature,
    IntegerOverflow,
    IntegerDivideByZero,
    BadConversionToInteger,
    NullReference,
    Exception,
    Unknown,
}

impl TrapCode {
    pub fn as_str(self) -> &'static str {
        match self {
            TrapCode::OutOfFuel => "out-of-fuel",
            TrapCode::Timeout => "timeout",
            TrapCode::MemoryLimit => "memory-limit",
            TrapCode::OutputLimit => "output-limit",
            TrapCode::Cancelled => "cancelled",
            TrapCode::ProtocolError => "protocol-error",
            TrapCode::Unreachable => "unreachable",
            TrapCode::StackOverflow => "stack-overflow",
            TrapCode::MemoryOutOfBounds => "memory-out-of-bounds",
            TrapCode::TableOutOfBounds => "table-out-of-bounds",
            TrapCode::IndirectCallToNull => "indirect-call-to-null",
            TrapCode::BadSignature => "bad-signature",
            TrapCode::IntegerOverflow => "integer-overflow",
            TrapCode::IntegerDivideByZero => "integer-divide-by-zero",
            TrapCode::BadConversionToInteger => "bad-conversion-to-integer",
            TrapCode::NullReference => "null-reference",
            TrapCode::Exception => "exception",
            TrapCode::Unknown => "unknown",
        }
    }

    /// Limits (kind `limit-exceeded`) as opposed to faults of the guest (kind `trap`).
    pub fn is_limit(self) -> bool {
        matches!(
            self,
            TrapCode::OutOfFuel
                | TrapCode::Timeout
                | TrapCode::MemoryLimit
                | TrapCode::OutputLimit
                | TrapCode::StackOverflow
        )
    }

    /// The code for a Wasmtime trap. Deadlines stop runs through our own epoch callback error,
    /// so a bare `Interrupt` (never raised by this crate) is reported as a timeout too.
    pub fn from_trap(trap: Trap) -> TrapCode {
        match trap {
            Trap::OutOfFuel => TrapCode::OutOfFuel,
            Trap::Interrupt => TrapCode::Timeout,
            Trap::StackOverflow => TrapCode::StackOverflow,
            Trap::UnreachableCodeReached => TrapCode::Unreachable,
            Trap::MemoryOutOfBounds | Trap::HeapMisaligned | Trap::ArrayOutOfBounds => {
                TrapCode::MemoryOutOfBounds
            }
            Trap::TableOutOfBounds => TrapCode::TableOutOfBounds,
            Trap::IndirectCallToNull => TrapCode::IndirectCallToNull,
            Trap::BadSignature | Trap::CastFailure => TrapCode::BadSignature,
            Trap::IntegerOverflow => TrapCode::IntegerOverflow,
            Trap::IntegerDivisionByZero => TrapCode::IntegerDivideByZero,
            Trap::BadConversionToInteger => TrapCode::BadConversionToInteger,
            Trap::NullReference => TrapCode::NullReference,
            Trap::UnhandledTag => TrapCode::Exception,
            _ => TrapCode::Unknown,
        }
    }
}

/// How a run that returned an error ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// `proc_exit` / `wasi:cli/exit`: not a failure of the sandbox.
    Exit(i32),
    Trap(TrapCode, String),
}

/// Finds an error of type `E` in `err` or anything it wraps.
fn find<E>(err: &wasmtime::Error) -> Option<&E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    err.downcast_ref::<E>()
        .or_else(|| err.chain().find_map(|cause| cause.downcast_ref::<E>()))
}

/// Classifies the error a run ended with. `initial_memory_refused` comes from the store's
/// limiter: a memory created over the cap fails instantiation with a generic error.
pub(crate) fn classify(
    err: &wasmtime::Error,
    initial_memory_refused: bool,
    max_memory_bytes: usize,
) -> Ending {
    if let Some(exit) = find::<I32Exit>(err) {
        return Ending::Exit(exit.0);
    }
    if let Some(e) = find::<OutputLimitExceeded>(err) {
        return Ending::Trap(TrapCode::OutputLimit, e.to_string());
    }
    if let Some(stopped) = find::<Stopped>(err) {
        let code = match stopped {
            Stopped::Timeout(_) => TrapCode::Timeout,
            Stopped::Cancelled => TrapCode::Cancelled,
        };
        return Ending::Trap(code, stopped.to_string());
    }
    if let Some(p) = find::<ProtocolViolation>(err) {
        return Ending::Trap(TrapCode::ProtocolError, p.to_string());
    }
    if initial_memory_refused {
        return Ending::Trap(
            TrapCode::MemoryLimit,
            format!(
                "the module's initial linear memory is larger than max_memory_bytes ({max_memory_bytes} bytes): {err:#}"
            ),
        );
    }
    let code = find::<Trap>(err).map_or(TrapCode::Unknown, |t| TrapCode::from_trap(*t));
    Ending::Trap(code, format!("{err:#}"))
}
