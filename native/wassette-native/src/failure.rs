//! Rejections with a `code`: the one error shape the TypeScript engine matches on.

use napi::bindgen_prelude::{JsError, Unknown};
use napi::Env;
use wassette_core::CoreError;

/// Why a `compile` or `run` could not start. Built on any thread; turned into a JavaScript
/// error on the JavaScript thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `compile` | `link` | `grant` | `invalid`: the `error.code` the caller matches on.
    pub code: &'static str,
    pub message: String,
}

impl Failure {
    /// A bad argument: the message names the field and what it should be.
    pub fn invalid(message: impl Into<String>) -> Failure {
        Failure {
            code: "invalid",
            message: message.into(),
        }
    }

    /// A JavaScript `Error` with `code` and `message`, as a napi error that hands that very
    /// object to the Promise rejection (napi's own `Status` codes cannot spell ours).
    pub fn into_napi(self, env: &Env) -> napi::Error {
        let error = napi::Error::new(self.code, self.message);
        // SAFETY: `env` is the live environment of the JavaScript thread this runs on.
        let value = unsafe { JsError::from(error).into_value(env.raw()) };
        let value = unsafe { Unknown::from_raw_unchecked(env.raw(), value) };
        napi::Error::from(value)
    }
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Failure {
        let code = match &e {
            CoreError::Compile(_) => "compile",
            CoreError::Link(_) => "link",
            CoreError::Grant(_) => "grant",
            CoreError::Invalid(_) => "invalid",
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}
