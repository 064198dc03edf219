//! A cursor into the spec document that always knows its JSON pointer, so
//! every lookup failure can be reported where it happened.

use serde_json::{Map, Value};

use crate::error::{CodegenError, Result};

/// A spec node and its JSON pointer.
#[derive(Clone)]
pub(crate) struct At<'a> {
    pub value: &'a Value,
    pub pointer: String,
}

impl<'a> At<'a> {
    pub fn root(value: &'a Value) -> Self {
        Self {
            value,
            pointer: String::new(),
        }
    }

    pub fn err(&self, message: impl Into<String>) -> CodegenError {
        CodegenError::at(self.pointer.clone(), message)
    }

    pub fn child_pointer(&self, key: &str) -> String {
        let escaped = key.replace('~', "~0").replace('/', "~1");
        format!("{}/{}", self.pointer, escaped)
    }

    pub fn object(&self) -> Result<&'a Map<String, Value>> {
        self.value
            .as_object()
            .ok_or_else(|| self.err(format!("expected an object, found {}", kind(self.value))))
    }

    /// The member `key`, if present.
    pub fn get(&self, key: &str) -> Result<Option<At<'a>>> {
        Ok(self.object()?.get(key).map(|value| At {
            value,
            pointer: self.child_pointer(key),
        }))
    }

    /// The member `key`, which must be present.
    pub fn req(&self, key: &str) -> Result<At<'a>> {
        self.get(key)?
            .ok_or_else(|| self.err(format!("missing required member `{key}`")))
    }

    pub fn str(&self) -> Result<&'a str> {
        self.value
            .as_str()
            .ok_or_else(|| self.err(format!("expected a string, found {}", kind(self.value))))
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>> {
        self.get(key)?.map(|n| n.str()).transpose()
    }

    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>> {
        self.get(key)?
            .map(|n| {
                n.value
                    .as_f64()
                    .ok_or_else(|| n.err(format!("expected a number, found {}", kind(n.value))))
            })
            .transpose()
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        self.get(key)?
            .map(|n| {
                n.value
                    .as_bool()
                    .ok_or_else(|| n.err(format!("expected a boolean, found {}", kind(n.value))))
            })
            .transpose()
    }

    /// The elements of an array member, each with its pointer.
    pub fn items(&self) -> Result<Vec<At<'a>>> {
        let array = self
            .value
            .as_array()
            .ok_or_else(|| self.err(format!("expected an array, found {}", kind(self.value))))?;
        Ok(array
            .iter()
            .enumerate()
            .map(|(i, value)| At {
                value,
                pointer: format!("{}/{i}", self.pointer),
            })
            .collect())
    }

    /// The members of an object, in document order, each with its pointer.
    pub fn entries(&self) -> Result<Vec<(&'a str, At<'a>)>> {
        Ok(self
            .object()?
            .iter()
            .map(|(k, value)| {
                (
                    k.as_str(),
                    At {
                        value,
                        pointer: self.child_pointer(k),
                    },
                )
            })
            .collect())
    }
}

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
