//! The fuzz driver of the pages' multipart after-photo upload (`POST /entries/{id}/rectified`,
//! 整改后照片), shared by the cargo-fuzz target `fuzz/fuzz_targets/upload.rs` and the stable
//! test `server/tests/upload_hardening.rs`, which runs it over the seed corpus in
//! `fuzz/corpus/upload/`. Both include this file by path; it is not part of `common`.
//!
//! [`UploadDriver::new`] builds one server state on a temporary folder with the demo district
//! (its roster and its reports, so entries stand in every status), signs the district officer
//! in and picks an entry under rectification. [`UploadDriver::run`] sends one input twice
//! through the application's router in-process (`tower::ServiceExt::oneshot`, no socket):
//! as the whole multipart body (with [`CSRF_PLACEHOLDER`] replaced by the session's CSRF token,
//! so a seed can reach past the form check), and as the content of the one photo part of a
//! well-formed form. Neither answer may be a 5xx, and the data folder must stay consistent:
//! nothing outside its own files, every stored photo under its hash-derived name and
//! recorded, no staged file left behind. After an accepted after-photo the entry is sent back
//! by its town's officer, so the next input meets an entry under rectification again.

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hazardsnap_ledger::views::LedgerFilter;
use hazardsnap_ledger::{Actor, Officer, OfficerAction};
use hazardsnap_model::{LedgerStatus, Role, Roster};
use hazardsnap_server::{AppState, Config};
use tower::ServiceExt;
use uuid::Uuid;

/// The boundary every input is sent with (`Content-Type: multipart/form-data; boundary=…`).
pub const BOUNDARY: &str = "hazardsnap-fuzz-boundary";
/// Replaced in a raw input by the session's CSRF token.
pub const CSRF_PLACEHOLDER: &[u8] = b"@CSRF@";
/// The host the requests name (and their `Origin`), as a browser on the pages would.
const HOST: &str = "hazardsnap.fuzz";

/// One server, one officer's session, one entry under rectification.
pub struct UploadDriver {
    runtime: tokio::runtime::Runtime,
    state: AppState,
    app: axum::Router,
    data: tempfile::TempDir,
    cookie: String,
    csrf: String,
    entry: Uuid,
    /// The officer of the entry's town, who sends it back after an accepted after-photo.
    returner: Option<Actor>,
}

/// What one input got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answers {
    /// The status of the input as the whole body.
    pub raw: u16,
    /// The status of the input as the photo part of a well-formed form.
    pub as_photo: u16,
}

impl Answers {
    /// Whether either was an accepted rectification (a redirect).
    pub fn accepted(&self) -> bool {
        [self.raw, self.as_photo]
            .iter()
            .any(|s| (300..400).contains(s))
    }
}

impl Default for UploadDriver {
    fn default() -> Self {
        UploadDriver::new()
    }
}

impl UploadDriver {
    /// The server with the demo district, signed in. Panics when it cannot be built (a
    /// broken driver, not a finding).
    pub fn new() -> UploadDriver {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let data = tempfile::tempdir().expect("tempdir");
        let config = Config {
            data_dir: data.path().to_path_buf(),
            ..Config::new()
        };
        let state = AppState::open(config).expect("state");
        let roster =
            Roster::parse(hazardsnap_server::org::DEMO_ROSTER).expect("the demo roster parses");
        let (cookie, entry, returner) = runtime.block_on(async {
            hazardsnap_server::org::import_roster(&state.ledger, roster.clone())
                .await
                .expect("roster");
            hazardsnap_server::demo::load_demo_reports(&state, &roster)
                .await
                .expect("demo reports");
            let district = roster
                .users
                .iter()
                .find(|u| u.role == Role::District)
                .expect("a district officer");
            let signed = hazardsnap_server::routes::session::sign_in(
                &state,
                &district.username,
                &district.password,
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("sign in: {e}"));
            let actor = Actor::of(signed.officer.clone()).expect("district actor");
            let listed = state
                .ledger
                .list_entries(
                    &actor,
                    LedgerFilter {
                        status: Some(LedgerStatus::Rectifying),
                        per_page: 100,
                        page: 1,
                        ..Default::default()
                    },
                    state.now(),
                )
                .await
                .expect("list");
            // An entry the town verifies (a listed one is the bureau's).
            let chosen = listed
                .iter()
                .find(|e| !e.escalated && e.supervision.is_none())
                .or(listed.first())
                .expect("the demo has an entry under rectification");
            let returner = roster
                .users
                .iter()
                .find(|u| u.role == Role::Town && u.scope.as_deref() == Some(&chosen.town))
                .and_then(|u| {
                    Actor::of(Officer {
                        username: u.username.clone(),
                        role: u.role,
                        scope: u.scope.clone(),
                    })
                });
            (
                format!(
                    "{}={}",
                    hazardsnap_server::auth::SESSION_COOKIE,
                    signed.token
                ),
                chosen.id,
                returner,
            )
        });
        let app = hazardsnap_server::router(state.clone());
        let mut driver = UploadDriver {
            runtime,
            state,
            app,
            data,
            cookie,
            csrf: String::new(),
            entry,
            returner,
        };
        driver.csrf = driver.csrf_of_entry_page();
        driver
    }

    /// The CSRF token the entry page's forms carry.
    fn csrf_of_entry_page(&self) -> String {
        let request = Request::get(format!("/entries/{}", self.entry))
            .header(header::HOST, HOST)
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .expect("request");
        let (status, html) = self.runtime.block_on(async {
            let response = self.app.clone().oneshot(request).await.expect("infallible");
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            (status, String::from_utf8_lossy(&body).into_owned())
        });
        assert_eq!(status, StatusCode::OK, "the entry page: {html}");
        html.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a CSRF field on the entry page")
            .to_owned()
    }

    /// The data folder (to look at what the server wrote).
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// Sends `input` both ways; an `Err` names what went wrong (a 5xx, an inconsistency).
    pub fn run(&self, input: &[u8]) -> Result<Answers, String> {
        let raw = replace_all(input, CSRF_PLACEHOLDER, self.csrf.as_bytes());
        let as_photo = self.form_with_photo(input);
        self.runtime.block_on(async {
            let raw = self.post(raw).await?;
            let as_photo = self.post(as_photo).await?;
            Ok(Answers { raw, as_photo })
        })
    }

    /// A well-formed rectification form whose one photo is `photo`.
    fn form_with_photo(&self, photo: &[u8]) -> Vec<u8> {
        let mut body = Vec::with_capacity(photo.len() + 512);
        for (name, value) in [("csrf", self.csrf.as_str()), ("note", "已更换阀门密封件")] {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"after.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(photo);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        body
    }

    /// One POST of a multipart body to the entry's after-photo form; its status, once the
    /// folder was found consistent.
    async fn post(&self, body: Vec<u8>) -> Result<u16, String> {
        let request = Request::post(format!("/entries/{}/rectified", self.entry))
            .header(header::HOST, HOST)
            .header(header::ORIGIN, format!("http://{HOST}"))
            .header(header::COOKIE, &self.cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .map_err(|e| format!("request: {e}"))?;
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let status = response.status();
        let to_entry = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/entries/"));
        let text = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map_err(|e| format!("body: {e}"))?;
        if status.is_server_error() {
            return Err(format!(
                "answered {status}: {}",
                String::from_utf8_lossy(&text)
            ));
        }
        self.consistent().await?;
        // Accepted: the entry awaits verification now.
        if status.is_redirection() && to_entry {
            self.send_back().await?;
        }
        Ok(status.as_u16())
    }

    /// Sends the entry back to rectification (the town's officer, not the one who marked it).
    async fn send_back(&self) -> Result<(), String> {
        let Some(returner) = &self.returner else {
            return Ok(());
        };
        let step = OfficerAction::Verify {
            accepted: false,
            note: Some("整改不到位，重新整改".into()),
        };
        self.state
            .ledger
            .act(returner, self.entry, step, self.state.now())
            .await
            .map(|_| ())
            .map_err(|e| format!("sending the entry back: {e}"))
    }

    /// The data folder holds only the server's own files; every stored photo lies under its
    /// hash-derived name and is recorded; no staged file is left.
    async fn consistent(&self) -> Result<(), String> {
        let root = self.data.path();
        for entry in std::fs::read_dir(root).map_err(|e| e.to_string())? {
            let name = entry.map_err(|e| e.to_string())?.file_name();
            let name = name.to_string_lossy();
            let known = name.starts_with(hazardsnap_server::state::DB_FILE)
                || ["photos", "uploads", "thumbs"].contains(&name.as_ref());
            if !known {
                return Err(format!("a file the server does not make: {name}"));
            }
        }
        let mut photos = Vec::new();
        files_under(&root.join("photos"), &mut photos)?;
        for p in &photos {
            let rel = p
                .strip_prefix(root.join("photos"))
                .map_err(|e| e.to_string())?;
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let named = parts.len() == 3
                && hazardsnap_model::is_sha256_hex(&parts[2])
                && parts[0] == parts[2][..2]
                && parts[1] == parts[2][2..4];
            if !named {
                return Err(format!("a photo not under its own name: {}", p.display()));
            }
        }
        let recorded = self
            .state
            .ledger
            .counts()
            .await
            .map_err(|e| e.to_string())?
            .photos;
        if recorded != photos.len() as u64 {
            return Err(format!(
                "{} photo files but {recorded} recorded",
                photos.len()
            ));
        }
        let mut staged = Vec::new();
        files_under(&root.join("uploads"), &mut staged)?;
        if !staged.is_empty() {
            return Err(format!("staged files left behind: {staged:?}"));
        }
        Ok(())
    }
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<(), String> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    for entry in rd {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            files_under(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// `haystack` with every `needle` replaced by `with`.
fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}
