//! Compiled code: a core module or a component, told apart by the layer field of the binary
//! header (WAT text is converted to a binary first).

use std::borrow::Cow;

use wasmtime::component::Component;
use wasmtime::{Engine, Module};

use crate::CoreError;

/// A compiled core module or component, ready for many runs. Cloning is cheap (shared code).
#[derive(Clone)]
pub enum Compiled {
    Module(Module),
    Component(Component),
}

impl Compiled {
    pub fn is_component(&self) -> bool {
        matches!(self, Compiled::Component(_))
    }

    /// `"core"` or `"component"`, as the addon reports it.
    pub fn kind(&self) -> &'static str {
        match self {
            Compiled::Module(_) => "core",
            Compiled::Component(_) => "component",
        }
    }

    pub(crate) fn kind_of(&self) -> Kind {
        match self {
            Compiled::Module(_) => Kind::Module,
            Compiled::Component(_) => Kind::Component,
        }
    }

    pub(crate) fn engine(&self) -> &Engine {
        match self {
            Compiled::Module(m) => m.engine(),
            Compiled::Component(c) => c.engine(),
        }
    }

    pub(crate) fn serialize(&self) -> wasmtime::Result<Vec<u8>> {
        match self {
            Compiled::Module(m) => m.serialize(),
            Compiled::Component(c) => c.serialize(),
        }
    }
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Compiled::Module(m) => f.debug_tuple("Module").field(&m.name()).finish(),
            Compiled::Component(_) => f.write_str("Component"),
        }
    }
}

/// What a binary holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Module,
    Component,
}

/// The binary form of `bytes`: binaries as they are, WAT text parsed.
pub(crate) fn binary(bytes: &[u8]) -> Result<Cow<'_, [u8]>, CoreError> {
    wat::parse_bytes(bytes).map_err(|e| CoreError::Compile(format!("{e}")))
}

/// Core modules have layer 0 in bytes 6..8 of the header, components layer 1.
pub(crate) fn kind_of(binary: &[u8]) -> Kind {
    if binary.len() >= 8 && binary[6..8] == [1, 0] {
        Kind::Component
    } else {
        Kind::Module
    }
}

/// Compiles a binary of the given kind.
pub(crate) fn compile(engine: &Engine, binary: &[u8], kind: Kind) -> Result<Compiled, CoreError> {
    let compiled = match kind {
        Kind::Module => Module::new(engine, binary).map(Compiled::Module),
        Kind::Component => Component::new(engine, binary).map(Compiled::Component),
    };
    compiled.map_err(|e| CoreError::Compile(format!("{e:#}")))
}
