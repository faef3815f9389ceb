//! Errors before anything runs. Failures of the guest itself are not errors: they come back in
//! the `Outcome` as a trap code.

/// Why a module or a run could not be set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// The bytes are not a valid module or component (or the engine could not be created).
    Compile(String),
    /// Imports the engine cannot satisfy; the message lists them.
    Link(String),
    /// A grant that cannot be set up: a preopen that cannot be opened, a host that cannot be
    /// resolved.
    Grant(String),
    /// A bad request: no such export, wrong argument types, fuel on an unmetered engine, ...
    Invalid(String),
}

impl CoreError {
    /// The spelling the addon puts in `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::Compile(_) => "compile",
            CoreError::Link(_) => "link",
            CoreError::Grant(_) => "grant",
            CoreError::Invalid(_) => "invalid",
        }
    }

    /// The message without the kind prefix.
    pub fn message(&self) -> &str {
        match self {
            CoreError::Compile(m)
            | CoreError::Link(m)
            | CoreError::Grant(m)
            | CoreError::Invalid(m) => m,
        }
    }
}

impl std::fmt::Display for CoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CoreError::Compile(m) => write!(f, "the module does not compile: {m}"),
            CoreError::Link(m) => write!(f, "the module cannot be linked: {m}"),
            CoreError::Grant(m) => write!(f, "a grant cannot be set up: {m}"),
            CoreError::Invalid(m) => write!(f, "invalid request: {m}"),
        }
    }
}

impl std::error::Error for CoreError {}
