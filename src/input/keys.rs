//! Keys and dates as they arrive in paths, bodies and query strings.

use chrono::NaiveDate;

use crate::model::{KeyKind, Resource, Val};

/// Longest slug or token.
pub const MAX_KEY: usize = 64;

/// A key as named by a client: the canonical key, or a value of the collection's
/// alternative key column (a state's alpha-3 code) still to be looked up.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyRef {
    Key(Val),
    Alt(String),
}

/// A path key (or a reference, or a filter value) in canonical form, or `None` when it
/// cannot name anything in `res`.
pub fn key_ref(res: &Resource, raw: &str) -> Option<KeyRef> {
    match res.key_kind {
        KeyKind::Id => raw
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(|n| KeyRef::Key(Val::Int(Some(n)))),
        KeyKind::StateCode => {
            if !raw.bytes().all(|b| b.is_ascii_alphabetic()) {
                return None;
            }
            let upper = raw.to_ascii_uppercase();
            match raw.len() {
                2 => Some(KeyRef::Key(Val::text(upper))),
                3 if res.alt_key.is_some() => Some(KeyRef::Alt(upper)),
                _ => None,
            }
        }
        KeyKind::Slug => {
            let lower = raw.to_ascii_lowercase();
            is_slug(&lower).then_some(KeyRef::Key(Val::Text(Some(lower))))
        }
    }
}

/// The key as given in a body; must already be in canonical form except for case.
pub fn body_key(res: &Resource, v: &serde_json::Value) -> Result<Val, String> {
    match res.key_kind {
        KeyKind::Id => match v.as_i64() {
            Some(n) if n > 0 => Ok(Val::Int(Some(n))),
            _ => Err("must be a positive integer".into()),
        },
        KeyKind::StateCode => match v.as_str() {
            Some(s) if s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic()) => {
                Ok(Val::text(s.to_ascii_uppercase()))
            }
            Some(_) => Err("must be an ISO 3166-1 alpha-2 code: two letters".into()),
            None => Err("must be a string".into()),
        },
        KeyKind::Slug => match v.as_str() {
            Some(s) if is_slug(s) => Ok(Val::text(s)),
            Some(_) => Err(format!(
                "must be lower case letters, digits and '-', at most {MAX_KEY} characters"
            )),
            None => Err("must be a string".into()),
        },
    }
}

/// What a reference to `target` must look like, for messages.
pub fn ref_hint(target: &Resource) -> &'static str {
    match target.key_kind {
        KeyKind::StateCode => "must be a state's ISO 3166-1 alpha-2 (or alpha-3) code",
        KeyKind::Id => "must be a positive integer id",
        KeyKind::Slug => "must be a slug: lower case letters, digits and '-'",
    }
}

pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_KEY
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
}

/// Exactly `YYYY-MM-DD` (chrono alone would accept "2020-1-5").
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MEMBERSHIPS, ORGANISATIONS, STATES};

    #[test]
    fn dates_must_be_exactly_iso() {
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("2020-1-05").is_none());
        assert!(parse_date("20200105").is_none());
    }

    #[test]
    fn keys_take_their_canonical_form() {
        assert_eq!(key_ref(&STATES, "kz"), Some(KeyRef::Key(Val::text("KZ"))));
        assert_eq!(key_ref(&STATES, "kaz"), Some(KeyRef::Alt("KAZ".into())));
        assert_eq!(key_ref(&STATES, "k1"), None);
        assert_eq!(
            key_ref(&ORGANISATIONS, "CSTO"),
            Some(KeyRef::Key(Val::text("csto")))
        );
        assert_eq!(key_ref(&MEMBERSHIPS, "0"), None);
        assert_eq!(
            key_ref(&MEMBERSHIPS, "12"),
            Some(KeyRef::Key(Val::Int(Some(12))))
        );
    }
}
