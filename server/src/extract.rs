//! [`ApiJson`]: the JSON body extractor of every route, which refuses bad input with the
//! server's own `{error, message}` instead of axum's plain-text rejections, and names what is
//! wrong: the body is not JSON (`invalid_json`), a field is unknown (`unknown_field`) or
//! missing (`missing_field`), or a field's value is wrong (`invalid_field`), each with the
//! field's path (`reports[0].captured_at`) and one message.

use std::fmt;
use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::AppError;
use crate::state::AppState;

/// A JSON body of type `T`.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        if !is_json(req.headers()) {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge {
                    limit: state.config.max_json_bytes as u64,
                }
            } else {
                AppError::InvalidJson(e.body_text())
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

/// Whether the request declares a JSON body (`application/json`, or `application/…+json`).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        || (essence.len() > 17
            && essence[..12].eq_ignore_ascii_case("application/")
            && essence[essence.len() - 5..].eq_ignore_ascii_case("+json"))
}

/// Reads a body of type `T`, naming what is wrong with it.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let Object(v) =
        serde_path_to_error::deserialize::<_, Object<T>>(&mut de).map_err(body_error)?;
    de.end()
        .map_err(|e| AppError::InvalidJson(without_position(&e)))?;
    Ok(v)
}

/// serde_json's message without its trailing ` at line L column C`.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) if e.line() > 0 => text[..i].to_owned(),
        _ => text,
    }
}

/// The text between the first pair of backticks.
fn quoted(s: &str) -> Option<&str> {
    let start = s.find('`')? + 1;
    let end = start + s[start..].find('`')?;
    Some(&s[start..end])
}

/// `parent.name`, or `name` at the root.
fn join(parent: &str, name: &str) -> String {
    if parent == "." || parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// The refusal of a body serde could not read, by what went wrong where.
fn body_error(e: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let detail = without_position(&inner);
    if !inner.is_data() {
        return AppError::InvalidJson(detail);
    }
    if let Some(rest) = detail.strip_prefix("unknown field ") {
        let name = quoted(rest).unwrap_or(rest);
        // The path already ends with the unknown field's name.
        let field = if path.ends_with(name) {
            path.clone()
        } else {
            join(&path, name)
        };
        let expected = rest.find(", expected").map_or("", |i| &rest[i..]);
        return AppError::bad_request(
            "unknown_field",
            format!("未知字段「{field}」 / unknown field '{field}'{expected}"),
        );
    }
    if let Some(rest) = detail.strip_prefix("missing field ") {
        let field = join(&path, quoted(rest).unwrap_or(rest));
        return AppError::bad_request(
            "missing_field",
            format!("缺少字段「{field}」 / missing field '{field}'"),
        );
    }
    if path == "." {
        // The body as a whole has the wrong shape (an array, a number…).
        return AppError::InvalidJson(detail);
    }
    AppError::bad_request(
        "invalid_field",
        format!("字段「{path}」的值无效 / invalid value for field '{path}': {detail}"),
    )
}

/// `T` from a JSON object only. serde's derived structs also accept an array of their fields in
/// order, so `[]` would pass as a body whose fields all have defaults; no client means that.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjectOnly<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOnly<T> {
            type Value = T;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }

        d.deserialize_map(ObjectOnly(PhantomData)).map(Object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[serde(default)]
        note: String,
        #[serde(default)]
        seed: Option<u64>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[allow(dead_code)]
        items: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[allow(dead_code)]
        day: chrono::NaiveDate,
    }

    fn code_and_message<T: DeserializeOwned + fmt::Debug>(text: &str) -> (&'static str, String) {
        let e = parse::<T>(text.as_bytes()).unwrap_err();
        (e.code(), e.to_string())
    }

    #[test]
    fn only_an_object_is_a_body() {
        assert_eq!(parse::<Body>(b"{}").unwrap(), Body::default());
        assert_eq!(
            parse::<Body>(br#"{"note": "x", "seed": 18446744073709551615}"#).unwrap(),
            Body {
                note: "x".into(),
                seed: Some(u64::MAX)
            }
        );
        for not_an_object in ["[]", r#"["x", 1]"#, "null", "1", r#""x""#, "true"] {
            let (code, message) = code_and_message::<Body>(not_an_object);
            assert_eq!(code, "invalid_json", "{not_an_object}");
            assert!(
                message.contains("a JSON object"),
                "{not_an_object}: {message}"
            );
        }
    }

    #[test]
    fn each_wrong_field_is_named_with_its_own_code_once() {
        let (code, message) = code_and_message::<Body>(r#"{"other": 1}"#);
        assert_eq!(code, "unknown_field");
        assert!(
            message.starts_with("未知字段「other」 / unknown field 'other'"),
            "{message}"
        );
        assert!(message.contains("expected `note` or `seed`"), "{message}");
        let (code, message) = code_and_message::<Body>(r#"{"seed": -1}"#);
        assert_eq!(code, "invalid_field");
        assert!(message.contains("'seed'"), "{message}");
        assert_eq!(
            message.matches("integer `-1`").count(),
            1,
            "said once: {message}"
        );
        let (code, message) =
            code_and_message::<Outer>(r#"{"items": [{"day": "2026-01-01"}, {"day": "x"}]}"#);
        assert_eq!(code, "invalid_field");
        assert!(message.contains("items[1].day"), "{message}");
        assert!(!message.contains("line"), "no position: {message}");
        let (code, message) = code_and_message::<Outer>(r#"{"items": [{}]}"#);
        assert_eq!(code, "missing_field");
        assert!(message.contains("「items[0].day」"), "{message}");
        let (code, _) = code_and_message::<Body>(r#"{"note": "x""#);
        assert_eq!(code, "invalid_json");
        let (code, message) = code_and_message::<Body>(r#"{} trailing"#);
        assert_eq!(code, "invalid_json");
        assert_eq!(message.matches("trailing").count(), 1, "{message}");
    }

    #[test]
    fn json_content_types() {
        let mut h = HeaderMap::new();
        assert!(!is_json(&h));
        for (ct, ok) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("application/problem+json", true),
            ("text/plain", false),
            ("application/jsonx", false),
        ] {
            h.insert(header::CONTENT_TYPE, ct.parse().unwrap());
            assert_eq!(is_json(&h), ok, "{ct}");
        }
    }
}
