//! The sync client (同步): enrollment, then the outbox sent to the server and the ledger status
//! brought back.
//!
//! One run goes photos first (`HEAD` then `PUT /api/v1/photos/{sha256}`, resumed from the
//! server's `Upload-Offset` after a cut), then reports in batches (`POST /api/v1/reports`, each
//! answer applied to the outbox through [`crate::store::Store::apply_submit_result`]), then the
//! change feed until `more` is false. Everything the run learns is committed as it goes, so a
//! run killed at any point loses nothing and the next run continues; the server's idempotency
//! by report id makes a resend harmless. The feed cursor is only an optimisation: without it
//! the feed is read from the start (a full resync).
//!
//! Retries: a request that fails in a way that may pass (connection cut, timeout, 5xx, 429) is
//! retried a few times with exponential backoff and jitter; if it still fails the reports
//! concerned get a retry count and a `next_attempt_at`, and the run ends with what it has done.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::Duration;

use chrono::Utc;
use hazardsnap_model::{
    ChangeFeed, DeviceTrainings, EnrollRequest, EnrollResponse, ErrorBody, MAX_REPORTS_PER_BATCH,
    PROTOCOL_VERSION, ReportSubmission, SubmitOutcome, SubmitReports, SubmitResult, SubmitResults,
};
use rand::Rng;
use reqwest::{Client, Response, StatusCode};

use crate::error::HazardError;
use crate::outbox::LocalState;
use crate::{HazardCore, Progress, ProgressListener, ProgressStage};

const KEY_SERVER: &str = "server_url";
const KEY_TOKEN: &str = "device_token";
const KEY_DEVICE: &str = "device_id";
const KEY_ENTERPRISE_CODE: &str = "enterprise_code";
const KEY_ENTERPRISE_NAME: &str = "enterprise_name";
const KEY_CURSOR: &str = "changes_cursor";
const KEY_UNMETERED_ONLY: &str = "unmetered_only";
const UPLOAD_OFFSET: &str = "upload-offset";
/// Attempts of one request within a run before the run gives up on it.
const ATTEMPTS: u32 = 4;
/// Photo uploads in flight at once within a run.
const PHOTO_CONCURRENCY: usize = 3;
/// `429` answers one request waits out (by `Retry-After`) before they count as failures.
const RATE_LIMIT_WAITS: u32 = 30;
/// The longest wait for one `429` within a run, whatever its `Retry-After` says.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// The device's enrollment (设备注册信息).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Enrollment {
    pub server_url: String,
    pub device_id: String,
    pub enterprise_code: String,
    pub enterprise_name: String,
}

/// What the app says about the moment of a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct SyncOptions {
    /// The phone is on a metered network (mobile data). With the "only on unmetered networks"
    /// setting on, nothing is sent.
    pub metered_network: bool,
    /// Send reports now even if their backoff has not expired (the worker pressed "send").
    pub ignore_backoff: bool,
}

/// What a sync did (同步结果).
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct SyncOutcome {
    /// Reports the server accepted in this run.
    pub uploaded: u64,
    /// Reports the server refused for good in this run.
    pub failed: u64,
    /// Reports still queued after the run.
    pub pending: u64,
    /// Photos sent (not those the server had).
    pub photos_uploaded: u64,
    /// Photo bytes sent.
    pub bytes_uploaded: u64,
    /// Status changes applied from the change feed.
    pub changes_applied: u64,
    /// Nothing was sent because of the unmetered-only setting.
    pub skipped_metered: bool,
    /// The worker's trainings changed (新的培训记录).
    pub trainings_changed: bool,
    /// The last transient error, if the run stopped early because of one.
    pub last_error: Option<String>,
}

/// Cancels a running sync from another thread (取消). The run stops at the next request
/// boundary, with everything done so far committed.
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelToken(AtomicBool);

#[uniffi::export]
impl CancelToken {
    /// A token not cancelled yet.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(CancelToken::default())
    }

    /// Asks the run to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A failure of one request.
enum Fail {
    /// May pass: retry later.
    Transient(String),
    /// The token is refused: enroll again.
    Unauthorized,
    /// The server says no for good.
    Permanent(ErrorBody),
    Cancelled,
}

fn client() -> Result<Client, HazardError> {
    Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .user_agent(concat!("hazardsnap-core/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| HazardError::Internal {
            code: "http_client".into(),
            message: format!("无法创建网络客户端 / cannot create the HTTP client: {e}"),
        })
}

fn network_error(reason: &str) -> HazardError {
    HazardError::Network {
        code: "network".into(),
        message: format!(
            "无法连接服务器，稍后会自动重试 / the server cannot be reached; it will be retried: {reason}"
        ),
    }
}

/// Backoff before attempt `n` (0-based) within a run: 0.25 s, 0.5 s, 1 s… with ±50 % jitter
/// so that phones cut off together do not come back together.
fn pause(n: u32) -> Duration {
    let base = 250.0 * f64::from(1u32 << n.min(6));
    Duration::from_millis((base * rand::rng().random_range(0.5..1.5)) as u64)
}

/// When a report that failed `retries` times may be tried again: 30 s doubling up to 6 h, with
/// jitter.
fn next_attempt_ms(retries: u32) -> i64 {
    let secs = (30.0 * f64::from(1u32 << retries.min(10))).min(6.0 * 3600.0);
    Utc::now().timestamp_millis() + (secs * 1000.0 * rand::rng().random_range(0.5..1.5)) as i64
}

async fn error_body(resp: Response) -> ErrorBody {
    let status = resp.status();
    match resp.json::<ErrorBody>().await {
        Ok(b) => b,
        Err(_) => ErrorBody::new(
            format!("http_{}", status.as_u16()),
            format!("服务器返回 {status} / the server answered {status}"),
        ),
    }
}

async fn classify(resp: Response) -> Fail {
    let status = resp.status();
    if status == StatusCode::UNAUTHORIZED {
        Fail::Unauthorized
    } else if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        Fail::Transient(format!("HTTP {status}"))
    } else {
        Fail::Permanent(error_body(resp).await)
    }
}

struct Run<'a> {
    core: &'a HazardCore,
    http: Client,
    base: String,
    token: String,
    listener: Option<Arc<dyn ProgressListener>>,
    cancel: Option<Arc<CancelToken>>,
    out: SyncOutcome,
}

impl Run<'_> {
    fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c.is_cancelled())
    }

    fn progress(&self, stage: ProgressStage, done: u64, total: u64) {
        if let Some(l) = &self.listener {
            l.on_progress(Progress { stage, done, total });
        }
    }

    /// Sends a request built by `make`, retrying transient failures with backoff. A 429 is
    /// waited out for as long as the server's `Retry-After` says (a few times, without using
    /// up the attempts): a phone with a full outbox meets the rate limit on every long sync,
    /// and giving up after a few quick retries would end the run with most of it unsent.
    async fn send<F>(&self, make: F) -> Result<Response, Fail>
    where
        F: Fn() -> reqwest::RequestBuilder,
    {
        let mut last = String::new();
        let (mut n, mut waits) = (0, 0);
        while n < ATTEMPTS {
            if self.cancelled() {
                return Err(Fail::Cancelled);
            }
            match make().bearer_auth(&self.token).send().await {
                Ok(resp) => {
                    let s = resp.status();
                    if s == StatusCode::TOO_MANY_REQUESTS && waits < RATE_LIMIT_WAITS {
                        waits += 1;
                        last = format!("HTTP {s}");
                        tokio::time::sleep(retry_after(&resp)).await;
                        continue;
                    }
                    if !(s.is_server_error()
                        || s == StatusCode::TOO_MANY_REQUESTS
                        || s == StatusCode::REQUEST_TIMEOUT)
                    {
                        return Ok(resp);
                    }
                    last = format!("HTTP {s}");
                }
                Err(e) => last = e.without_url().to_string(),
            }
            n += 1;
            if n < ATTEMPTS {
                tokio::time::sleep(pause(n - 1)).await;
            }
        }
        Err(Fail::Transient(last))
    }

    /// Makes sure the server has the photo; returns bytes sent.
    async fn upload_photo(&self, sha: &str) -> Result<u64, Fail> {
        let url = format!("{}/api/v1/photos/{sha}", self.base);
        let head = self.send(|| self.http.head(&url)).await?;
        let mut offset = match head.status() {
            StatusCode::OK => return Ok(0),
            StatusCode::NOT_FOUND => header_offset(&head).unwrap_or(0),
            _ => return Err(classify(head).await),
        };
        let path = self
            .core
            .with_store({
                let sha = sha.to_owned();
                move |s| Ok(s.files().photo_path(&sha))
            })
            .await
            .map_err(|e| Fail::Transient(e.to_string()))?;
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| Fail::Transient(format!("photo file: {:?}", e.kind())))?;
        for _ in 0..ATTEMPTS {
            if offset > bytes.len() as u64 {
                offset = 0;
            }
            let start = offset as usize;
            let body = bytes[start..].to_vec();
            let resp = self
                .send(|| {
                    let req = self.http.put(&url).body(body.clone());
                    if start > 0 {
                        req.header(UPLOAD_OFFSET, start.to_string())
                    } else {
                        req
                    }
                })
                .await;
            match resp {
                Ok(r) if r.status().is_success() => return Ok((bytes.len() - start) as u64),
                Ok(r) if r.status() == StatusCode::CONFLICT => {
                    // The server holds a different partial upload: resume from its offset.
                    offset = header_offset(&r).unwrap_or(0);
                }
                Ok(r) => return Err(classify(r).await),
                Err(Fail::Transient(e)) => {
                    // The cut may have left part of the body on the server: ask where it is.
                    match self.send(|| self.http.head(&url)).await {
                        Ok(h) if h.status() == StatusCode::OK => {
                            return Ok((bytes.len() - start) as u64);
                        }
                        Ok(h) if h.status() == StatusCode::NOT_FOUND => {
                            offset = header_offset(&h).unwrap_or(0);
                        }
                        _ => return Err(Fail::Transient(e)),
                    }
                }
                Err(other) => return Err(other),
            }
        }
        Err(Fail::Transient("photo upload did not complete".into()))
    }

    async fn mark_failed(&self, ids: Vec<String>, reason: String) -> Result<(), HazardError> {
        self.core
            .with_store(move |s| {
                for id in ids {
                    let retries = s.get(&id).map(|d| d.retry_count).unwrap_or(0);
                    s.record_transient_failure(&id, &reason, Some(next_attempt_ms(retries)))?;
                }
                Ok(())
            })
            .await
    }

    /// Sends the due reports: their photos, then the reports in batches.
    async fn push(&mut self, ignore_backoff: bool) -> Result<Option<Fail>, HazardError> {
        let now = if ignore_backoff {
            i64::MAX
        } else {
            Utc::now().timestamp_millis()
        };
        let subs: Vec<ReportSubmission> = self
            .core
            .with_store(move |s| {
                let ids = s.due_queued(now, 100_000)?;
                ids.iter().map(|id| s.submission(id)).collect()
            })
            .await?;
        let total_reports = subs.len() as u64;
        let mut sent = 0;
        for batch in subs.chunks(MAX_REPORTS_PER_BATCH) {
            // Photos first: the server refuses a report whose photos it does not have.
            let mut shas: Vec<String> = batch
                .iter()
                .flat_map(|r| r.photos.iter().map(|p| p.sha256.clone()))
                .collect();
            // Two reports may share a photo: upload it once (and never twice at the same time,
            // which the server refuses as an upload in progress).
            let mut seen = HashSet::new();
            shas.retain(|s| seen.insert(s.clone()));
            let known = {
                let shas = shas.clone();
                self.core
                    .with_store(move |s| s.uploaded_photos(&shas))
                    .await?
            };
            let todo: Vec<_> = shas.into_iter().filter(|s| !known.contains(s)).collect();
            let total_bytes: u64 = batch
                .iter()
                .flat_map(|r| r.photos.iter())
                .filter(|p| todo.contains(&p.sha256))
                .map(|p| p.bytes)
                .sum();
            let mut done_bytes = 0;
            let (mut photos_sent, mut bytes_sent, mut refused) = (0, 0, 0);
            let mut stop = None;
            {
                // A few photos in flight: the server verifies each one (hash, full decode,
                // fingerprint) before it answers, and one at a time leaves its cores and the
                // link idle in turns. Each upload is still HEAD then PUT, resumable.
                let this: &Self = self;
                let mut queue = todo.iter();
                let mut in_flight: Vec<PhotoUpload<'_>> = Vec::new();
                loop {
                    while stop.is_none() && in_flight.len() < PHOTO_CONCURRENCY {
                        let Some(sha) = queue.next() else { break };
                        in_flight.push(Box::pin(async move {
                            (sha.as_str(), this.upload_photo(sha).await)
                        }));
                    }
                    if in_flight.is_empty() {
                        break;
                    }
                    let (sha, result) = next_done(&mut in_flight).await;
                    match result {
                        Ok(n) => {
                            if n > 0 {
                                photos_sent += 1;
                                bytes_sent += n;
                            }
                            done_bytes += n;
                            this.progress(ProgressStage::UploadingPhotos, done_bytes, total_bytes);
                            let sha = sha.to_owned();
                            this.core.with_store(move |s| s.mark_uploaded(&sha)).await?;
                        }
                        Err(Fail::Permanent(body)) => {
                            // A photo the server will never take: its reports can never go.
                            let ids: Vec<_> = batch
                                .iter()
                                .filter(|r| r.photos.iter().any(|p| p.sha256 == sha))
                                .map(|r| r.id)
                                .collect();
                            refused += ids.len() as u64;
                            this.core
                                .with_store(move |s| {
                                    for id in ids {
                                        s.apply_submit_result(&SubmitResult {
                                            id,
                                            outcome: SubmitOutcome::Invalid,
                                            entry_id: None,
                                            entry_number: None,
                                            status: None,
                                            missing_photos: Vec::new(),
                                            error: Some(body.clone()),
                                        })?;
                                    }
                                    Ok(())
                                })
                                .await?;
                        }
                        // Stop starting uploads; those in flight finish (what they send is
                        // kept either way: the server keeps partial uploads for resuming).
                        Err(f) => {
                            if stop.is_none() {
                                stop = Some(f);
                            }
                        }
                    }
                }
            }
            self.out.photos_uploaded += photos_sent;
            self.out.bytes_uploaded += bytes_sent;
            self.out.failed += refused;
            if let Some(f) = stop {
                let ids = batch.iter().map(|r| r.id.to_string()).collect();
                if let Fail::Transient(reason) = &f {
                    self.mark_failed(ids, reason.clone()).await?;
                }
                return Ok(Some(f));
            }

            // Reports refused above are no longer queued; send the rest.
            let still: Vec<ReportSubmission> = {
                let batch = batch.to_vec();
                self.core
                    .with_store(move |s| {
                        Ok(batch
                            .into_iter()
                            .filter(|r| {
                                s.get(&r.id.to_string())
                                    .is_ok_and(|d| d.local_state == LocalState::Queued)
                            })
                            .collect())
                    })
                    .await?
            };
            if still.is_empty() {
                continue;
            }
            let body = SubmitReports {
                version: PROTOCOL_VERSION,
                reports: still.clone(),
            };
            let url = format!("{}/api/v1/reports", self.base);
            let mut answer = None;
            let mut lost = String::new();
            for n in 0..ATTEMPTS {
                if n > 0 {
                    tokio::time::sleep(pause(n - 1)).await;
                }
                let resp = match self.send(|| self.http.post(&url).json(&body)).await {
                    Ok(r) if r.status().is_success() => r,
                    Ok(r) => {
                        let f = classify(r).await;
                        if let Fail::Permanent(b) = &f {
                            let reason = format!("{}: {}", b.error, b.message);
                            self.mark_failed(
                                still.iter().map(|r| r.id.to_string()).collect(),
                                reason,
                            )
                            .await?;
                        }
                        return Ok(Some(f));
                    }
                    Err(f) => {
                        if let Fail::Transient(reason) = &f {
                            self.mark_failed(
                                still.iter().map(|r| r.id.to_string()).collect(),
                                reason.clone(),
                            )
                            .await?;
                        }
                        return Ok(Some(f));
                    }
                };
                match resp.json::<SubmitResults>().await {
                    Ok(r) => {
                        answer = Some(r);
                        break;
                    }
                    // The answer was cut after the server committed the batch: sending it
                    // again is harmless (idempotent by report id) and brings the answer back
                    // as `already_accepted`, so the run goes on instead of ending here.
                    Err(e) => lost = e.without_url().to_string(),
                }
            }
            let Some(results) = answer else {
                self.mark_failed(
                    still.iter().map(|r| r.id.to_string()).collect(),
                    lost.clone(),
                )
                .await?;
                return Ok(Some(Fail::Transient(lost)));
            };
            let applied = self
                .core
                .with_store(move |s| {
                    let mut states = Vec::new();
                    for r in &results.results {
                        states.push(s.apply_submit_result(r)?);
                    }
                    Ok(states)
                })
                .await?;
            for st in applied.into_iter().flatten() {
                match st {
                    LocalState::Synced => self.out.uploaded += 1,
                    LocalState::Failed => self.out.failed += 1,
                    _ => {}
                }
            }
            sent += still.len() as u64;
            self.progress(ProgressStage::SendingReports, sent, total_reports);
        }
        Ok(None)
    }

    /// Reads the change feed to its end.
    async fn pull(&mut self) -> Result<Option<Fail>, HazardError> {
        let mut cursor = self
            .core
            .with_store(|s| s.setting(KEY_CURSOR))
            .await?
            .unwrap_or_default();
        loop {
            let url = format!("{}/api/v1/device/changes", self.base);
            let resp = match self
                .send(|| self.http.get(&url).query(&[("since", cursor.as_str())]))
                .await
            {
                Ok(r) if r.status().is_success() => r,
                Ok(r) if r.status() == StatusCode::BAD_REQUEST && !cursor.is_empty() => {
                    // A cursor the server no longer understands: start over from zero.
                    cursor.clear();
                    continue;
                }
                Ok(r) => return Ok(Some(classify(r).await)),
                Err(f) => return Ok(Some(f)),
            };
            let feed: ChangeFeed = match resp.json().await {
                Ok(f) => f,
                Err(e) => return Ok(Some(Fail::Transient(e.without_url().to_string()))),
            };
            let more = feed.more;
            let next = feed.cursor.clone();
            let n = self
                .core
                .with_store(move |s| {
                    let mut n = 0;
                    for c in &feed.changes {
                        if s.apply_change(c)? {
                            n += 1;
                        }
                    }
                    // Saved after the changes it covers: a crash in between re-reads a page.
                    s.set_setting(KEY_CURSOR, &feed.cursor)?;
                    Ok(n)
                })
                .await?;
            self.out.changes_applied += n;
            self.progress(
                ProgressStage::FetchingChanges,
                self.out.changes_applied,
                self.out.changes_applied,
            );
            if !more || next == cursor {
                return Ok(None);
            }
            cursor = next;
        }
    }
}

impl Run<'_> {
    /// Brings the worker's own trainings (我的培训) from the server, replacing the phone's copy.
    /// A server older than the trainings (404) leaves the phone's copy as it is.
    async fn trainings(&mut self) -> Result<Option<Fail>, HazardError> {
        let url = format!("{}/api/v1/device/trainings", self.base);
        let resp = match self.send(|| self.http.get(&url)).await {
            Ok(r) if r.status().is_success() => r,
            Ok(r) if r.status() == StatusCode::NOT_FOUND => return Ok(None),
            Ok(r) => return Ok(Some(classify(r).await)),
            Err(f) => return Ok(Some(f)),
        };
        let answer: DeviceTrainings = match resp.json().await {
            Ok(a) => a,
            Err(e) => return Ok(Some(Fail::Transient(e.without_url().to_string()))),
        };
        self.out.trainings_changed = self
            .core
            .with_store(move |s| s.replace_trainings(&answer))
            .await?;
        Ok(None)
    }
}

/// One photo upload in flight: the photo's name and how its upload ended.
type PhotoUpload<'a> = Pin<Box<dyn Future<Output = (&'a str, Result<u64, Fail>)> + Send + 'a>>;

/// Waits for the first of the uploads in flight to end and takes it out of the set.
async fn next_done<'a>(in_flight: &mut Vec<PhotoUpload<'a>>) -> (&'a str, Result<u64, Fail>) {
    std::future::poll_fn(|cx| {
        for i in 0..in_flight.len() {
            if let Poll::Ready(out) = in_flight[i].as_mut().poll(cx) {
                drop(in_flight.swap_remove(i));
                return Poll::Ready(out);
            }
        }
        Poll::Pending
    })
    .await
}

/// How long a `429` asks to wait: its `Retry-After` seconds (at most [`MAX_RETRY_AFTER`]),
/// else one second; with jitter, so that phones limited together do not return together.
fn retry_after(r: &Response) -> Duration {
    let secs = r
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(1.0)
        .clamp(0.0, MAX_RETRY_AFTER.as_secs_f64());
    Duration::from_secs_f64(secs * rand::rng().random_range(1.0..1.25))
}

fn header_offset(r: &Response) -> Option<u64> {
    r.headers()
        .get(UPLOAD_OFFSET)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[uniffi::export(async_runtime = "tokio")]
impl HazardCore {
    /// Enrolls the device with a code from the enterprise union; keeps the token.
    pub async fn enroll(
        &self,
        server_url: String,
        code: String,
        device_name: String,
    ) -> Result<Enrollment, HazardError> {
        let base = server_url.trim().trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(HazardError::InvalidArgument {
                code: "invalid_server_url".into(),
                message: "服务器地址应以 http:// 或 https:// 开头 / the server URL must start with http:// or https://".into(),
            });
        }
        let http = client()?;
        let resp = http
            .post(format!("{base}/api/v1/enroll"))
            .json(&EnrollRequest {
                code: code.trim().to_owned(),
                device_name,
                worker: None,
            })
            .send()
            .await
            .map_err(|e| network_error(&e.without_url().to_string()))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = error_body(resp).await;
            return Err(if status.is_client_error() {
                HazardError::NotEnrolled {
                    code: body.error,
                    message: body.message,
                }
            } else {
                network_error(&format!("HTTP {status}"))
            });
        }
        let e: EnrollResponse = resp
            .json()
            .await
            .map_err(|e| network_error(&e.without_url().to_string()))?;
        let info = Enrollment {
            server_url: base,
            device_id: e.device_id.to_string(),
            enterprise_code: e.enterprise.code,
            enterprise_name: e.enterprise.name,
        };
        let (i, token) = (info.clone(), e.token);
        self.with_store(move |s| {
            s.set_setting(KEY_SERVER, &i.server_url)?;
            s.set_setting(KEY_TOKEN, &token)?;
            s.set_setting(KEY_DEVICE, &i.device_id)?;
            s.set_setting(KEY_ENTERPRISE_CODE, &i.enterprise_code)?;
            s.set_setting(KEY_ENTERPRISE_NAME, &i.enterprise_name)?;
            // A new enrollment is a new device on the server: its feed starts from zero.
            s.delete_setting(KEY_CURSOR)
        })
        .await?;
        Ok(info)
    }

    /// The device's enrollment, if any.
    pub async fn enrollment(&self) -> Result<Option<Enrollment>, HazardError> {
        self.with_store(|s| {
            let get = |k| s.setting(k);
            Ok(
                match (
                    get(KEY_SERVER)?,
                    get(KEY_DEVICE)?,
                    get(KEY_ENTERPRISE_CODE)?,
                    get(KEY_ENTERPRISE_NAME)?,
                ) {
                    (Some(server_url), Some(device_id), Some(code), Some(name)) => {
                        Some(Enrollment {
                            server_url,
                            device_id,
                            enterprise_code: code,
                            enterprise_name: name,
                        })
                    }
                    _ => None,
                },
            )
        })
        .await
    }

    /// The "only on unmetered networks" (仅在 Wi-Fi 下发送) setting.
    pub async fn set_unmetered_only(&self, on: bool) -> Result<(), HazardError> {
        self.with_store(move |s| s.set_setting(KEY_UNMETERED_ONLY, if on { "1" } else { "0" }))
            .await
    }

    /// Sends the outbox and fetches status changes. Returns what was done; fails only when
    /// nothing could be done at all (not enrolled, token refused, server unreachable).
    pub async fn sync(
        &self,
        options: SyncOptions,
        listener: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<SyncOutcome, HazardError> {
        let (base, token, unmetered_only) = self
            .with_store(|s| {
                Ok((
                    s.setting(KEY_SERVER)?,
                    s.setting(KEY_TOKEN)?,
                    s.setting(KEY_UNMETERED_ONLY)?.as_deref() == Some("1"),
                ))
            })
            .await?;
        let (Some(base), Some(token)) = (base, token) else {
            return Err(HazardError::not_enrolled());
        };
        let mut run = Run {
            core: self,
            http: client()?,
            base,
            token,
            listener,
            cancel,
            out: SyncOutcome::default(),
        };
        if unmetered_only && options.metered_network {
            run.out.skipped_metered = true;
        } else {
            let mut stop = run.push(options.ignore_backoff).await?;
            if stop.is_none() {
                stop = run.pull().await?;
            }
            if stop.is_none() {
                stop = run.trainings().await?;
            }
            match stop {
                None => {}
                Some(Fail::Cancelled) => {
                    return Err(HazardError::Cancelled {
                        code: "cancelled".into(),
                        message: "同步已取消 / sync cancelled".into(),
                    });
                }
                Some(Fail::Unauthorized) => return Err(HazardError::not_enrolled()),
                Some(Fail::Transient(reason)) => {
                    if run.out.uploaded == 0 && run.out.changes_applied == 0 {
                        return Err(network_error(&reason));
                    }
                    run.out.last_error = Some(reason);
                }
                Some(Fail::Permanent(body)) => {
                    run.out.last_error = Some(format!("{}: {}", body.error, body.message));
                }
            }
        }
        run.out.pending = self.with_store(|s| s.counts()).await?.queued;
        Ok(run.out)
    }
}
