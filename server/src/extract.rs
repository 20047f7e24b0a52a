//! [`ApiJson`]: the JSON body extractor of every route, which refuses bad input with the
//! server's own `{error, message}` instead of axum's plain-text rejections.

use std::fmt;
use std::marker::PhantomData;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
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
        match Json::<Object<T>>::from_request(req, state).await {
            Ok(Json(Object(v))) => Ok(ApiJson(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AppError::UnsupportedMediaType),
            // serde's own message names the field, the line and the column; axum's wrapper
            // around it adds nothing a client can use.
            Err(JsonRejection::JsonDataError(e)) => Err(AppError::InvalidJson(innermost(&e))),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(AppError::InvalidJson(innermost(&e))),
            Err(JsonRejection::BytesRejection(e))
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(AppError::PayloadTooLarge {
                    limit: state.config.max_json_bytes as u64,
                })
            }
            Err(other) => Err(AppError::InvalidJson(other.body_text())),
        }
    }
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

fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
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

    fn parse(text: &str) -> Result<Body, serde_json::Error> {
        serde_json::from_str::<Object<Body>>(text).map(|Object(b)| b)
    }

    #[test]
    fn only_an_object_is_a_body() {
        assert_eq!(parse("{}").unwrap(), Body::default());
        assert_eq!(
            parse(r#"{"note": "x", "seed": 18446744073709551615}"#).unwrap(),
            Body {
                note: "x".into(),
                seed: Some(u64::MAX)
            }
        );
        for not_an_object in ["[]", r#"["x", 1]"#, "null", "1", r#""x""#, "true"] {
            let e = parse(not_an_object).unwrap_err();
            assert!(
                e.to_string().contains("a JSON object"),
                "{not_an_object}: {e}"
            );
        }
        // The struct's own rules still hold inside the object.
        assert!(parse(r#"{"other": 1}"#).is_err());
        assert!(parse(r#"{"seed": -1}"#).is_err());
    }
}
