//! Reading plain JavaScript objects field by field, so that every mistake is an `invalid`
//! failure naming the field (`plan.fnArgs[1].value must be ...`) rather than a generic
//! conversion error.

use napi::bindgen_prelude::{
    Array, BigInt, FromNapiValue, JsObjectValue, JsValue, Object, Uint8ArraySlice, Unknown,
};
use napi::ValueType;

use crate::failure::Failure;

/// The `typeof`-style name of a value, for messages.
pub(crate) fn type_name(value: &Unknown) -> &'static str {
    match value.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "boolean",
        Ok(ValueType::Number) => "number",
        Ok(ValueType::String) => "string",
        Ok(ValueType::Symbol) => "symbol",
        Ok(ValueType::Object) if value.is_array().unwrap_or(false) => "array",
        Ok(ValueType::Object) => "object",
        Ok(ValueType::Function) => "function",
        Ok(ValueType::BigInt) => "bigint",
        Ok(ValueType::External) => "external",
        _ => "unknown",
    }
}

/// True for `undefined` and `null`: an optional field that was left out.
pub(crate) fn is_absent(value: &Unknown) -> bool {
    matches!(
        value.get_type(),
        Ok(ValueType::Undefined) | Ok(ValueType::Null)
    )
}

/// A JavaScript object being read; `path` names it in messages (`plan.limits`).
pub(crate) struct Reader<'e> {
    object: Object<'e>,
    path: String,
}

impl<'e> Reader<'e> {
    /// Reads `value` as an object, or fails naming `path`.
    pub fn new(value: Unknown<'e>, path: impl Into<String>) -> Result<Reader<'e>, Failure> {
        let path = path.into();
        if !is(&value, ValueType::Object) || value.is_array().unwrap_or(false) {
            return Err(Failure::invalid(format!(
                "{path} must be an object (got {})",
                type_name(&value)
            )));
        }
        // SAFETY: checked to be an object just above.
        let object = unsafe { value.cast::<Object>() }.map_err(|e| napi_failure(&path, e))?;
        Ok(Reader { object, path })
    }

    pub fn path_of(&self, name: &str) -> String {
        format!("{}.{name}", self.path)
    }

    /// The field, or `None` when it is `undefined` or `null`.
    pub fn optional(&self, name: &str) -> Result<Option<Unknown<'e>>, Failure> {
        let value: Unknown<'e> = self
            .object
            .get_named_property_unchecked(name)
            .map_err(|e| napi_failure(&self.path_of(name), e))?;
        Ok(if is_absent(&value) { None } else { Some(value) })
    }

    pub fn required(&self, name: &str) -> Result<Unknown<'e>, Failure> {
        self.optional(name)?
            .ok_or_else(|| Failure::invalid(format!("{} is missing", self.path_of(name))))
    }

    pub fn string(&self, name: &str) -> Result<String, Failure> {
        string(self.required(name)?, &self.path_of(name))
    }

    pub fn optional_string(&self, name: &str) -> Result<Option<String>, Failure> {
        self.optional(name)?
            .map(|v| string(v, &self.path_of(name)))
            .transpose()
    }

    pub fn boolean(&self, name: &str) -> Result<bool, Failure> {
        let value = self.required(name)?;
        if !is(&value, ValueType::Boolean) {
            return Err(expected(&self.path_of(name), "a boolean", &value));
        }
        // SAFETY: checked to be a boolean just above.
        unsafe { value.cast::<bool>() }.map_err(|e| napi_failure(&self.path_of(name), e))
    }

    pub fn object(&self, name: &str) -> Result<Reader<'e>, Failure> {
        Reader::new(self.required(name)?, self.path_of(name))
    }

    pub fn optional_object(&self, name: &str) -> Result<Option<Reader<'e>>, Failure> {
        self.optional(name)?
            .map(|v| Reader::new(v, self.path_of(name)))
            .transpose()
    }

    pub fn array(&self, name: &str) -> Result<Vec<Unknown<'e>>, Failure> {
        array(self.required(name)?, &self.path_of(name))
    }

    pub fn optional_array(&self, name: &str) -> Result<Option<Vec<Unknown<'e>>>, Failure> {
        self.optional(name)?
            .map(|v| array(v, &self.path_of(name)))
            .transpose()
    }

    pub fn optional_bytes(&self, name: &str) -> Result<Option<Vec<u8>>, Failure> {
        self.optional(name)?
            .map(|v| bytes(v, &self.path_of(name)))
            .transpose()
    }

    /// A whole number in `0..=max` (numbers only; JavaScript's safe integers bound it too).
    pub fn count(&self, name: &str, max: u64) -> Result<u64, Failure> {
        count(self.required(name)?, &self.path_of(name), max)
    }

    pub fn optional_count(&self, name: &str, max: u64) -> Result<Option<u64>, Failure> {
        self.optional(name)?
            .map(|v| count(v, &self.path_of(name), max))
            .transpose()
    }

    /// A finite number, at least `min`.
    pub fn number_at_least(&self, name: &str, min: f64) -> Result<f64, Failure> {
        let path = self.path_of(name);
        let n = number(self.required(name)?, &path)?;
        if !n.is_finite() || n < min {
            return Err(Failure::invalid(format!(
                "{path} must be a finite number of at least {min} (got {n})"
            )));
        }
        Ok(n)
    }
}

pub(crate) fn string(value: Unknown, path: &str) -> Result<String, Failure> {
    if !is(&value, ValueType::String) {
        return Err(expected(path, "a string", &value));
    }
    // SAFETY: checked to be a string just above.
    unsafe { value.cast::<String>() }.map_err(|e| napi_failure(path, e))
}

pub(crate) fn number(value: Unknown, path: &str) -> Result<f64, Failure> {
    if !is(&value, ValueType::Number) {
        return Err(expected(path, "a number", &value));
    }
    // SAFETY: checked to be a number just above.
    unsafe { value.cast::<f64>() }.map_err(|e| napi_failure(path, e))
}

pub(crate) fn bigint(value: Unknown, path: &str) -> Result<BigInt, Failure> {
    // SAFETY: callers check the type first; `BigInt::from_napi_value` checks it again.
    unsafe { value.cast::<BigInt>() }.map_err(|e| napi_failure(path, e))
}

/// A whole number in `0..=max`, given as a number or a bigint.
pub(crate) fn count(value: Unknown, path: &str, max: u64) -> Result<u64, Failure> {
    let n = match value.get_type() {
        Ok(ValueType::BigInt) => {
            let (negative, n, lossless) = bigint(value, path)?.get_u64();
            (!negative && lossless).then_some(n)
        }
        Ok(ValueType::Number) => {
            let n = number(value, path)?;
            (n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0)
                .then_some(n as u64)
        }
        _ => return Err(expected(path, "a whole number", &value)),
    };
    match n {
        Some(n) if n <= max => Ok(n),
        _ => Err(Failure::invalid(format!(
            "{path} must be a whole number from 0 to {max}"
        ))),
    }
}

pub(crate) fn array<'e>(value: Unknown<'e>, path: &str) -> Result<Vec<Unknown<'e>>, Failure> {
    if !value.is_array().unwrap_or(false) {
        return Err(expected(path, "an array", &value));
    }
    // SAFETY: checked to be an array just above.
    let array = unsafe { value.cast::<Array>() }.map_err(|e| napi_failure(path, e))?;
    (0..array.len())
        .map(|i| match array.get::<Unknown>(i) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(Failure::invalid(format!("{path}[{i}] cannot be read"))),
            Err(e) => Err(napi_failure(&format!("{path}[{i}]"), e)),
        })
        .collect()
}

/// The bytes of a `Uint8Array` (or a `Buffer`), copied: the work happens on another thread.
pub(crate) fn bytes(value: Unknown, path: &str) -> Result<Vec<u8>, Failure> {
    if !is(&value, ValueType::Object) {
        return Err(expected(path, "a Uint8Array", &value));
    }
    // SAFETY: `from_napi_value` checks that this is a typed array of bytes.
    let slice = unsafe { Uint8ArraySlice::from_napi_value(value.value().env, value.raw()) }
        .map_err(|_| Failure::invalid(format!("{path} must be a Uint8Array")))?;
    Ok(slice.as_ref().to_vec())
}

fn expected(path: &str, what: &str, value: &Unknown) -> Failure {
    Failure::invalid(format!("{path} must be {what} (got {})", type_name(value)))
}

/// A napi call that failed while reading (a throwing getter, a proxy, ...).
fn napi_failure(path: &str, e: napi::Error) -> Failure {
    Failure::invalid(format!("{path} cannot be read: {}", e.reason))
}

/// Whether `value` has the type `t`.
pub(crate) fn is(value: &Unknown, t: ValueType) -> bool {
    value.get_type().is_ok_and(|v| v == t)
}
