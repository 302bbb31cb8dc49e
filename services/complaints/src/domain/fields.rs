//! Reading a JSON object field by field while collecting every problem, so a body with three
//! bad fields is one 422 naming all three.

use chrono::{DateTime, Utc};
use kuaidi_shared::money::Money;
use kuaidi_shared::{ApiError, FieldError};
use serde_json::{Map, Value};
use std::str::FromStr;
use uuid::Uuid;

/// Longest free text accepted in a field.
pub const MAX_TEXT: usize = 10_000;

/// A JSON body that may be empty (`investigate` has none): malformed JSON is a 422.
pub fn json_body(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::validation("body", format!("not valid JSON: {e}")))
}

pub struct Fields {
    map: Map<String, Value>,
    pub errors: Vec<FieldError>,
}

impl Fields {
    /// A body must be an object (`null` or absent counts as `{}`).
    pub fn new(body: Value) -> Self {
        let mut errors = Vec::new();
        let map = match body {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            _ => {
                errors.push(FieldError::new("body", "must be a JSON object"));
                Map::new()
            }
        };
        for (key, value) in &map {
            if !storable(key) || !storable_value(value) {
                errors.push(FieldError::new(
                    key.as_str(),
                    "must not contain NUL characters",
                ));
            }
        }
        Self { map, errors }
    }

    fn get(&mut self, name: &str, required: bool) -> Option<Value> {
        match self.map.get(name) {
            None | Some(Value::Null) => {
                if required {
                    self.errors.push(FieldError::new(name, "is required"));
                }
                None
            }
            Some(v) => Some(v.clone()),
        }
    }

    fn refuse<T>(&mut self, name: &str, message: impl Into<String>) -> Option<T> {
        self.errors.push(FieldError::new(name, message));
        None
    }

    /// A non-blank string of at most [`MAX_TEXT`] characters.
    pub fn text(&mut self, name: &str, required: bool) -> Option<String> {
        match self.get(name, required)? {
            Value::String(s) if s.trim().is_empty() => {
                if required {
                    self.refuse(name, "must not be blank")
                } else {
                    None
                }
            }
            Value::String(s) if s.chars().count() > MAX_TEXT => {
                self.refuse(name, format!("must be at most {MAX_TEXT} characters"))
            }
            Value::String(s) => Some(s.trim().to_owned()),
            _ => self.refuse(name, "must be a string"),
        }
    }

    pub fn boolean(&mut self, name: &str, required: bool) -> Option<bool> {
        match self.get(name, required)? {
            Value::Bool(b) => Some(b),
            _ => self.refuse(name, "must be true or false"),
        }
    }

    pub fn uuid(&mut self, name: &str, required: bool) -> Option<Uuid> {
        match self.get(name, required)? {
            Value::String(s) => match Uuid::parse_str(&s) {
                Ok(u) => Some(u),
                Err(_) => self.refuse(name, "must be a UUID"),
            },
            _ => self.refuse(name, "must be a UUID"),
        }
    }

    pub fn time(&mut self, name: &str, required: bool) -> Option<DateTime<Utc>> {
        match self.get(name, required)? {
            Value::String(s) => match DateTime::parse_from_rfc3339(&s) {
                Ok(t) => Some(t.with_timezone(&Utc)),
                Err(_) => self.refuse(name, "must be an RFC 3339 timestamp"),
            },
            _ => self.refuse(name, "must be an RFC 3339 timestamp"),
        }
    }

    /// One of an enumeration; `listed` names the allowed values.
    pub fn one_of<T: FromStr>(&mut self, name: &str, required: bool, listed: &str) -> Option<T> {
        match self.get(name, required)? {
            Value::String(s) => match s.parse() {
                Ok(v) => Some(v),
                Err(_) => self.refuse(name, format!("must be one of {listed}")),
            },
            _ => self.refuse(name, format!("must be one of {listed}")),
        }
    }

    /// A non-empty array of values of an enumeration.
    pub fn many_of<T: FromStr>(&mut self, name: &str, listed: &str) -> Option<Vec<T>> {
        let message = format!("must be a non-empty array of {listed}");
        match self.get(name, true)? {
            Value::Array(items) if !items.is_empty() => {
                let parsed: Option<Vec<T>> = items
                    .iter()
                    .map(|v| v.as_str().and_then(|s| s.parse().ok()))
                    .collect();
                parsed.or_else(|| self.refuse(name, message))
            }
            _ => self.refuse(name, message),
        }
    }

    /// Money `{amount, currency}`, strictly positive; returned with its minor units.
    pub fn money(&mut self, name: &str, required: bool) -> Option<(Money, i64)> {
        let value = self.get(name, required)?;
        let money: Money = match serde_json::from_value(value) {
            Ok(m) => m,
            Err(_) => return self.refuse(name, "must be {amount: decimal string, currency}"),
        };
        match money.to_minor() {
            Ok(minor) if minor > 0 => Some((money, minor)),
            Ok(_) => self.refuse(name, "must be greater than zero"),
            Err(e) => self.refuse(name, e),
        }
    }

    /// An integer within `range`.
    pub fn score(&mut self, name: &str, required: bool) -> Option<i16> {
        match self.get(name, required)? {
            Value::Number(n) => match n.as_i64() {
                Some(v @ 1..=5) => i16::try_from(v).ok(),
                _ => self.refuse(name, "must be an integer from 1 to 5"),
            },
            _ => self.refuse(name, "must be an integer from 1 to 5"),
        }
    }

    /// A nested object, read with its own field names prefixed (`report.content`).
    pub fn object(&mut self, name: &str, required: bool) -> Option<Fields> {
        match self.get(name, required)? {
            Value::Object(m) => Some(Fields {
                map: m,
                errors: Vec::new(),
            }),
            _ => self.refuse(name, "must be an object"),
        }
    }

    /// Takes over the problems of a nested object.
    pub fn absorb(&mut self, prefix: &str, nested: Fields) {
        for e in nested.errors {
            self.errors
                .push(FieldError::new(format!("{prefix}.{}", e.field), e.message));
        }
    }

    /// The whole object as given (for the history).
    pub fn raw(&self) -> Value {
        Value::Object(self.map.clone())
    }

    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Checks a query parameter that must be one of an enumeration (absent is fine).
pub fn query_enum<T: FromStr>(
    errors: &mut Vec<FieldError>,
    name: &str,
    value: Option<&str>,
    listed: &str,
) {
    if value.is_some_and(|v| v.parse::<T>().is_err()) {
        errors.push(FieldError::new(name, format!("must be one of {listed}")));
    }
}

/// Whether PostgreSQL can store this text (no NUL character).
pub fn storable(s: &str) -> bool {
    !s.contains('\0')
}

/// Whether every string in a JSON value (keys included) is [`storable`].
pub fn storable_value(v: &Value) -> bool {
    match v {
        Value::String(s) => storable(s),
        Value::Array(items) => items.iter().all(storable_value),
        Value::Object(m) => m.iter().all(|(k, v)| storable(k) && storable_value(v)),
        _ => true,
    }
}
