//! A typed value of one field, going into or coming out of the database. Every column
//! pacts stores is one of these four, nullable.

use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Date(Option<NaiveDate>),
}

impl Val {
    pub fn text(s: impl Into<String>) -> Val {
        Val::Text(Some(s.into()))
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Val::Text(Some(s)) => Some(s),
            _ => None,
        }
    }

    /// The value as JSON: text, number, boolean, `YYYY-MM-DD`, or null.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Val::Text(Some(s)) => Value::String(s.clone()),
            Val::Int(Some(n)) => Value::from(*n),
            Val::Bool(Some(b)) => Value::Bool(*b),
            Val::Date(Some(d)) => Value::String(d.format("%Y-%m-%d").to_string()),
            _ => Value::Null,
        }
    }

    /// The value as it appears in a URL path or a message: text or digits; empty if null.
    pub fn key_text(&self) -> String {
        match self {
            Val::Text(Some(s)) => s.clone(),
            Val::Int(Some(n)) => n.to_string(),
            Val::Date(Some(d)) => d.format("%Y-%m-%d").to_string(),
            Val::Bool(Some(b)) => b.to_string(),
            _ => String::new(),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(
            self,
            Val::Text(None) | Val::Int(None) | Val::Bool(None) | Val::Date(None)
        )
    }
}
