//! Traps and limits as the closed set of codes the TypeScript `BridgeError` uses. They are
//! mapped from Wasmtime's own `Trap` enum, never from message text.

use wasmtime::Trap;

/// Why a run stopped early; `as_str` gives the TypeScript `TrapCode` spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrapCode {
    OutOfFuel,
    Timeout,
    MemoryLimit,
    OutputLimit,
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

    /// The code for a Wasmtime trap. Epoch interruption is how deadlines are enforced, so
    /// `Interrupt` means the run passed its deadline.
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
