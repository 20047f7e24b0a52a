//! What an enrollment QR code holds (注册二维码): the server's address and an enterprise's
//! enrollment code, so that a worker enrolls a phone by scanning the poster on the notice
//! board instead of typing either. One definition for the server that prints the poster and
//! the phone that reads it:
//!
//! ```text
//! hazardsnap://enroll?server=https%3A%2F%2Fsafety.example.cn&code=E001-JOIN-7H3K
//! ```

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters is encoded.
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An enrollment link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentLink {
    /// The server's base URL, e.g. `https://safety.example.cn`.
    pub server: String,
    /// The enterprise's enrollment code.
    pub code: String,
}

/// The link's scheme and path.
const PREFIX: &str = "hazardsnap://enroll?";

impl EnrollmentLink {
    /// The link as text, for a QR code.
    pub fn to_uri(&self) -> String {
        format!(
            "{PREFIX}server={}&code={}",
            utf8_percent_encode(&self.server, ENCODED),
            utf8_percent_encode(&self.code, ENCODED)
        )
    }

    /// Reads a scanned link; `None` when it is not one of ours (or lacks a part).
    pub fn parse(text: &str) -> Option<EnrollmentLink> {
        let query = text.trim().strip_prefix(PREFIX)?;
        let mut server = None;
        let mut code = None;
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=')?;
            let v = percent_decode_str(v).decode_utf8().ok()?.into_owned();
            match k {
                "server" => server = Some(v),
                "code" => code = Some(v),
                _ => {}
            }
        }
        let (server, code) = (server?, code?);
        let plausible = (server.starts_with("https://") || server.starts_with("http://"))
            && !code.trim().is_empty();
        plausible.then_some(EnrollmentLink { server, code })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_round_trips_and_strangers_are_refused() {
        let l = EnrollmentLink {
            server: "https://safety.example.cn:8443/hz".into(),
            code: "E001-JOIN-7H3K".into(),
        };
        let uri = l.to_uri();
        assert!(
            uri.starts_with("hazardsnap://enroll?server=https%3A%2F%2F"),
            "{uri}"
        );
        assert_eq!(EnrollmentLink::parse(&uri), Some(l));
        assert_eq!(EnrollmentLink::parse("https://evil.example/?code=x"), None);
        assert_eq!(
            EnrollmentLink::parse("hazardsnap://enroll?server=javascript%3Aalert(1)&code=x"),
            None
        );
        assert_eq!(EnrollmentLink::parse("hazardsnap://enroll?code=x"), None);
    }
}
