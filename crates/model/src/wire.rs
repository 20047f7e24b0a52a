//! Wire types of the sync protocol between the phone core and the server.
//!
//! The phone sends [`SubmitReports`] (a batch of [`ReportSubmission`]s, each with a client-made
//! UUIDv7 that is its idempotency key) after uploading every photo the batch refers to; the
//! server answers one [`SubmitResult`] per report. The phone then pulls a [`ChangeFeed`] of what
//! became of its reports. Every request body carries [`PROTOCOL_VERSION`] so that a server can
//! keep serving phones that were not updated.
//!
//! Validation lives here, next to the types, so that the phone refuses at capture exactly what
//! the server would refuse at ingest: a worker must learn about a bad report while still
//! standing in front of the hazard, not after the next sync.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use chrono::NaiveDate;

use crate::{
    AtRisk, Category, CheckSource, LedgerStatus, ReportKind, Severity, SuggestionStatus,
    TrainingKind,
};

/// Version of the sync protocol this crate describes.
pub const PROTOCOL_VERSION: u32 = 1;
/// Photos one report may carry.
pub const MAX_PHOTOS_PER_REPORT: usize = 9;
/// Characters (not bytes) of a report's note. Notes are short: often typed with gloves on.
pub const MAX_NOTE_CHARS: usize = 2000;
/// Characters of a short free-text field (site code, workshop, team).
pub const MAX_SHORT_FIELD_CHARS: usize = 64;
/// Bytes of one stored photo as uploaded. The pipeline keeps stored photos far below this.
pub const MAX_PHOTO_BYTES: u64 = 8 * 1024 * 1024;
/// Reports in one `POST /api/v1/reports` batch.
pub const MAX_REPORTS_PER_BATCH: usize = 100;
/// How far in the future a capture time may lie (phone clocks drift).
pub const MAX_CLOCK_SKEW_SECS: i64 = 24 * 3600;

/// A GPS position as the phone had it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    /// Latitude in degrees, −90..=90.
    pub lat: f64,
    /// Longitude in degrees, −180..=180.
    pub lon: f64,
    /// Horizontal accuracy in metres, when the phone reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
}

impl Location {
    /// Checks the ranges; NaN and infinities are out of range.
    pub fn validate(&self) -> Result<(), ReportInvalid> {
        if !(self.lat.is_finite() && (-90.0..=90.0).contains(&self.lat)) {
            return Err(ReportInvalid::LatitudeOutOfRange(self.lat));
        }
        if !(self.lon.is_finite() && (-180.0..=180.0).contains(&self.lon)) {
            return Err(ReportInvalid::LongitudeOutOfRange(self.lon));
        }
        if let Some(a) = self.accuracy_m
            && !(a.is_finite() && a >= 0.0)
        {
            return Err(ReportInvalid::AccuracyOutOfRange(a));
        }
        Ok(())
    }

    /// Great-circle distance in metres (haversine; exact enough for geofences of metres).
    pub fn distance_m(&self, other: &Location) -> f64 {
        const EARTH_RADIUS_M: f64 = 6_371_008.8;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().asin()
    }
}

/// A photo a report refers to, by content. The bytes travel separately
/// (`PUT /api/v1/photos/{sha256}`); the server re-checks everything stated here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoRef {
    /// Lowercase hex SHA-256 of the stored photo's bytes.
    pub sha256: String,
    /// Size of the stored photo in bytes.
    pub bytes: u64,
    /// Pixel width of the stored photo.
    pub width: u32,
    /// Pixel height of the stored photo.
    pub height: u32,
    /// The phone's perceptual hash (lowercase hex). Advisory: the server computes its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phash: Option<String>,
}

/// One report as the phone submits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportSubmission {
    /// Made on the phone at capture (UUIDv7): the idempotency key of the report.
    pub id: Uuid,
    /// Hazard or suggestion.
    pub kind: ReportKind,
    /// One of the "six checks" or the two others.
    pub category: Category,
    /// General or major; a suggestion is always general.
    pub severity: Severity,
    /// Who or what is at risk (any of the "four protects"); may be empty.
    #[serde(default)]
    pub at_risk: Vec<AtRisk>,
    /// How it was found (the "four checks").
    pub source: CheckSource,
    /// What the worker wrote.
    #[serde(default)]
    pub note: String,
    /// When the photo was taken, by the phone's clock.
    pub captured_at: DateTime<Utc>,
    /// The photos, in the order the worker took them.
    #[serde(default)]
    pub photos: Vec<PhotoRef>,
    /// GPS, when the phone had it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The site point (key control point) code scanned or chosen, e.g. `E001-P01`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_code: Option<String>,
    /// The workshop (车间) named by the worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workshop: Option<String>,
    /// The team (班组) named by the worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Hide the reporter from everyone at enterprise level.
    #[serde(default)]
    pub anonymous: bool,
}

/// Why a report is refused, on the phone at capture or on the server at ingest.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportInvalid {
    #[error(
        "报告为空：至少需要一张照片或一段说明 / empty report: at least one photo or a note is required"
    )]
    Empty,
    #[error("隐患报告至少需要一张照片 / a hazard report needs at least one photo")]
    HazardWithoutPhoto,
    #[error("照片过多：{count} 张，最多 {max} 张 / too many photos: {count}, at most {max}")]
    TooManyPhotos { count: usize, max: usize },
    #[error("同一张照片出现了两次 / the same photo appears twice")]
    DuplicatePhoto,
    #[error(
        "说明过长：{chars} 字，最多 {max} 字 / note too long: {chars} characters, at most {max}"
    )]
    NoteTooLong { chars: usize, max: usize },
    #[error("{field} 过长：最多 {max} 字 / {field} too long: at most {max} characters")]
    FieldTooLong { field: &'static str, max: usize },
    #[error("纬度超出范围：{0} / latitude out of range: {0}")]
    LatitudeOutOfRange(f64),
    #[error("经度超出范围：{0} / longitude out of range: {0}")]
    LongitudeOutOfRange(f64),
    #[error("定位精度无效：{0} / invalid location accuracy: {0}")]
    AccuracyOutOfRange(f64),
    #[error("第 {index} 张照片的 SHA-256 无效 / photo {index}: invalid SHA-256")]
    BadPhotoHash { index: usize },
    #[error("第 {index} 张照片的大小或尺寸无效 / photo {index}: invalid size or dimensions")]
    BadPhotoSize { index: usize },
    #[error("报告编号必须是 UUIDv7 / the report id must be a UUIDv7")]
    BadId,
    #[error("拍摄时间晚于当前时间 / capture time lies in the future")]
    CapturedInFuture,
    #[error("合理化建议不能标为重大隐患 / a suggestion cannot be a major hazard")]
    MajorSuggestion,
}

impl ReportInvalid {
    /// The stable snake_case error code, as in the API's `{error, message}`.
    pub fn code(&self) -> &'static str {
        match self {
            ReportInvalid::Empty => "empty_report",
            ReportInvalid::HazardWithoutPhoto => "hazard_without_photo",
            ReportInvalid::TooManyPhotos { .. } => "too_many_photos",
            ReportInvalid::DuplicatePhoto => "duplicate_photo",
            ReportInvalid::NoteTooLong { .. } => "note_too_long",
            ReportInvalid::FieldTooLong { .. } => "field_too_long",
            ReportInvalid::LatitudeOutOfRange(_)
            | ReportInvalid::LongitudeOutOfRange(_)
            | ReportInvalid::AccuracyOutOfRange(_) => "invalid_location",
            ReportInvalid::BadPhotoHash { .. } => "invalid_photo_hash",
            ReportInvalid::BadPhotoSize { .. } => "invalid_photo_size",
            ReportInvalid::BadId => "invalid_report_id",
            ReportInvalid::CapturedInFuture => "captured_in_future",
            ReportInvalid::MajorSuggestion => "major_suggestion",
        }
    }
}

/// Whether `s` is a lowercase hex SHA-256 (64 characters).
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn check_short(field: &'static str, v: &Option<String>) -> Result<(), ReportInvalid> {
    match v {
        Some(s) if s.chars().count() > MAX_SHORT_FIELD_CHARS => Err(ReportInvalid::FieldTooLong {
            field,
            max: MAX_SHORT_FIELD_CHARS,
        }),
        _ => Ok(()),
    }
}

impl ReportSubmission {
    /// Checks the report against the protocol's rules, as of `now`.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), ReportInvalid> {
        if self.id.get_version_num() != 7 {
            return Err(ReportInvalid::BadId);
        }
        self.validate_content(now)
    }

    /// Checks everything but the id (a draft on the phone has its id already; this is what an
    /// edit must keep valid).
    pub fn validate_content(&self, now: DateTime<Utc>) -> Result<(), ReportInvalid> {
        let note_chars = self.note.trim().chars().count();
        if self.photos.is_empty() && note_chars == 0 {
            return Err(ReportInvalid::Empty);
        }
        if self.kind == ReportKind::Hazard && self.photos.is_empty() {
            return Err(ReportInvalid::HazardWithoutPhoto);
        }
        if self.kind == ReportKind::Suggestion && self.severity == Severity::Major {
            return Err(ReportInvalid::MajorSuggestion);
        }
        if self.photos.len() > MAX_PHOTOS_PER_REPORT {
            return Err(ReportInvalid::TooManyPhotos {
                count: self.photos.len(),
                max: MAX_PHOTOS_PER_REPORT,
            });
        }
        let chars = self.note.chars().count();
        if chars > MAX_NOTE_CHARS {
            return Err(ReportInvalid::NoteTooLong {
                chars,
                max: MAX_NOTE_CHARS,
            });
        }
        check_short("site_code", &self.site_code)?;
        check_short("workshop", &self.workshop)?;
        check_short("team", &self.team)?;
        for (index, p) in self.photos.iter().enumerate() {
            if !is_sha256_hex(&p.sha256) {
                return Err(ReportInvalid::BadPhotoHash { index });
            }
            if p.bytes == 0 || p.bytes > MAX_PHOTO_BYTES || p.width == 0 || p.height == 0 {
                return Err(ReportInvalid::BadPhotoSize { index });
            }
            if self.photos[..index].iter().any(|q| q.sha256 == p.sha256) {
                return Err(ReportInvalid::DuplicatePhoto);
            }
        }
        if let Some(loc) = &self.location {
            loc.validate()?;
        }
        if (self.captured_at - now).num_seconds() > MAX_CLOCK_SKEW_SECS {
            return Err(ReportInvalid::CapturedInFuture);
        }
        Ok(())
    }
}

/// Body of `POST /api/v1/reports`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmitReports {
    /// [`PROTOCOL_VERSION`] of the phone.
    pub version: u32,
    /// At most [`MAX_REPORTS_PER_BATCH`].
    pub reports: Vec<ReportSubmission>,
}

/// What the server made of one submitted report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SubmitOutcome {
    /// Stored now.
    Accepted,
    /// The same id with the same content was stored before: the same answer again.
    AlreadyAccepted,
    /// The same id was stored before with other content (HTTP 409 semantics): never retry.
    Conflict,
    /// Some photos are not on the server yet: upload them, then submit again.
    MissingPhotos,
    /// The report breaks a protocol rule: never retry.
    Invalid,
}

impl SubmitOutcome {
    /// Whether the phone may consider the report delivered.
    pub fn is_delivered(self) -> bool {
        matches!(
            self,
            SubmitOutcome::Accepted | SubmitOutcome::AlreadyAccepted
        )
    }
    /// Whether retrying the same report can never succeed.
    pub fn is_permanent_failure(self) -> bool {
        matches!(self, SubmitOutcome::Conflict | SubmitOutcome::Invalid)
    }
}

/// The server's answer for one report of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmitResult {
    /// The report's id.
    pub id: Uuid,
    /// What happened.
    pub outcome: SubmitOutcome,
    /// The ledger entry the report was filed in, once filed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<Uuid>,
    /// Its ledger number, e.g. `E001-2026-0042`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_number: Option<String>,
    /// The entry's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<LedgerStatus>,
    /// For `missing_photos`: the sha256 names to upload.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_photos: Vec<String>,
    /// For refusals: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// Body of the answer to `POST /api/v1/reports`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmitResults {
    /// One per submitted report, in order.
    pub results: Vec<SubmitResult>,
}

/// One change of one of the device's reports, as the change feed gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportChange {
    /// The report.
    pub report_id: Uuid,
    /// The status of the entry the report is filed in now.
    pub status: LedgerStatus,
    /// The entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<Uuid>,
    /// Its ledger number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_number: Option<String>,
    /// When merged: the number of the entry it was merged into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
    /// When rejected: the officer's reason; for a suggestion, the officer's reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a suggestion: its own status (received, under review, adopted, not adopted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<SuggestionStatus>,
    /// When the change happened on the server.
    pub changed_at: DateTime<Utc>,
}

/// Answer to `GET /api/v1/device/changes?since=CURSOR`.
///
/// The cursor is opaque to the phone; the server derives it from its own append-only event
/// log, so `since` absent (or `0`) always rebuilds the full state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeFeed {
    /// The latest state of each changed report, oldest change first.
    pub changes: Vec<ReportChange>,
    /// Pass as `since` next time.
    pub cursor: String,
    /// Whether more changes wait behind this page.
    pub more: bool,
}

/// A training session or drill a worker took part in (本人培训记录), as a phone sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerTraining {
    /// The record's id.
    pub id: Uuid,
    /// Training or drill.
    pub kind: TrainingKind,
    /// When.
    pub date: NaiveDate,
    /// Topic (or a drill's scenario).
    pub topic: String,
    /// Hours.
    pub hours: f64,
}

/// Answer to `GET /api/v1/device/trainings`: the trainings of the worker a phone belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceTrainings {
    /// The worker's roster code (none when the phone is not linked to a worker).
    pub worker: Option<String>,
    /// Their trainings and drills, newest first.
    pub trainings: Vec<WorkerTraining>,
}

/// Body of `POST /api/v1/enroll`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollRequest {
    /// The enrollment code the enterprise union handed out.
    pub code: String,
    /// A name for the device, shown to officers.
    pub device_name: String,
    /// The worker (职工 code of the roster) the phone belongs to, when the worker names
    /// themself at enrollment; the enterprise can also link it later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
}

/// An enterprise, as the phone knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseRef {
    /// Roster code, e.g. `E001`.
    pub code: String,
    /// Name, e.g. `某化工有限公司`.
    pub name: String,
}

/// Answer to `POST /api/v1/enroll`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollResponse {
    /// The device's id on the server.
    pub device_id: Uuid,
    /// The bearer token; the server keeps only its hash.
    pub token: String,
    /// The enterprise the device is enrolled to.
    pub enterprise: EnterpriseRef,
}

/// The body of every error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable snake_case code, e.g. `missing_photos`.
    pub error: String,
    /// Human-readable text, Chinese first.
    pub message: String,
}

impl ErrorBody {
    /// Builds an error body.
    pub fn new(error: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorBody {
            error: error.into(),
            message: message.into(),
        }
    }
}

impl From<&ReportInvalid> for ErrorBody {
    fn from(e: &ReportInvalid) -> Self {
        ErrorBody::new(e.code(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 14, h, 30, 0).unwrap()
    }

    const SHA_A: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    const SHA_B: &str = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";

    fn report() -> ReportSubmission {
        ReportSubmission {
            id: Uuid::parse_str("01900000-0000-7000-8000-000000000001").unwrap(),
            kind: ReportKind::Hazard,
            category: Category::EquipmentGuarding,
            severity: Severity::Major,
            at_risk: vec![AtRisk::Oneself, AtRisk::Equipment],
            source: CheckSource::WorkerCheck,
            note: "液氯储罐区阀门泄漏".into(),
            captured_at: at(9),
            photos: vec![PhotoRef {
                sha256: SHA_A.into(),
                bytes: 412_345,
                width: 1920,
                height: 1440,
                phash: Some("00ff".repeat(16)),
            }],
            location: Some(Location {
                lat: 36.8012,
                lon: 117.8703,
                accuracy_m: Some(8.0),
            }),
            site_code: Some("E001-P01".into()),
            workshop: Some("一车间".into()),
            team: Some("甲班".into()),
            anonymous: true,
        }
    }

    #[test]
    fn snapshot_submit_reports() {
        let minimal = ReportSubmission {
            id: Uuid::parse_str("01900000-0000-7000-8000-000000000002").unwrap(),
            kind: ReportKind::Suggestion,
            category: Category::Other,
            severity: Severity::General,
            at_risk: vec![],
            source: CheckSource::TeamCrossCheck,
            note: "建议在通道口加装反光镜".into(),
            captured_at: at(10),
            photos: vec![],
            location: None,
            site_code: None,
            workshop: None,
            team: None,
            anonymous: false,
        };
        insta::assert_json_snapshot!(SubmitReports {
            version: PROTOCOL_VERSION,
            reports: vec![report(), minimal],
        });
    }

    #[test]
    fn snapshot_submit_results() {
        let id = report().id;
        insta::assert_json_snapshot!(SubmitResults {
            results: vec![
                SubmitResult {
                    id,
                    outcome: SubmitOutcome::Accepted,
                    entry_id: Some(
                        Uuid::parse_str("01900000-0000-7000-8000-0000000000e1").unwrap()
                    ),
                    entry_number: Some("E001-2026-0042".into()),
                    status: Some(LedgerStatus::PendingReview),
                    missing_photos: vec![],
                    error: None,
                },
                SubmitResult {
                    id,
                    outcome: SubmitOutcome::MissingPhotos,
                    entry_id: None,
                    entry_number: None,
                    status: None,
                    missing_photos: vec![SHA_B.into()],
                    error: Some(ErrorBody::new(
                        "missing_photos",
                        "照片尚未上传 / photos not uploaded yet"
                    )),
                },
            ]
        });
    }

    #[test]
    fn snapshot_change_feed() {
        insta::assert_json_snapshot!(ChangeFeed {
            changes: vec![
                ReportChange {
                    report_id: report().id,
                    status: LedgerStatus::Merged,
                    entry_id: Some(
                        Uuid::parse_str("01900000-0000-7000-8000-0000000000e2").unwrap()
                    ),
                    entry_number: Some("E001-2026-0043".into()),
                    merged_into: Some("E001-2026-0042".into()),
                    reason: None,
                    suggestion: None,
                    changed_at: at(11),
                },
                ReportChange {
                    report_id: Uuid::parse_str("01900000-0000-7000-8000-000000000003").unwrap(),
                    status: LedgerStatus::Rejected,
                    entry_id: None,
                    entry_number: None,
                    merged_into: None,
                    reason: Some("非安全隐患".into()),
                    suggestion: None,
                    changed_at: at(12),
                },
            ],
            cursor: "17".into(),
            more: false,
        });
    }

    #[test]
    fn snapshot_enrollment_and_error() {
        insta::assert_json_snapshot!(
            "enroll_request",
            EnrollRequest {
                code: "E001-JOIN-7H3K".into(),
                device_name: "张三的手机".into(),
                worker: None,
            }
        );
        insta::assert_json_snapshot!(
            "enroll_response",
            EnrollResponse {
                device_id: Uuid::parse_str("01900000-0000-7000-8000-0000000000d1").unwrap(),
                token: "hsd_example".into(),
                enterprise: EnterpriseRef {
                    code: "E001".into(),
                    name: "某化工有限公司".into()
                },
            }
        );
        insta::assert_json_snapshot!("error_body", ErrorBody::from(&ReportInvalid::Empty));
    }

    #[test]
    fn a_valid_report_passes() {
        report().validate(at(12)).unwrap();
    }

    #[test]
    fn validation_names_each_fault() {
        let now = at(12);
        let check = |f: &dyn Fn(&mut ReportSubmission), code: &str| {
            let mut r = report();
            f(&mut r);
            let err = r.validate(now).unwrap_err();
            assert_eq!(err.code(), code, "{err}");
            assert!(err.to_string().contains(" / "), "bilingual: {err}");
        };
        check(
            &|r| {
                r.photos.clear();
                r.note.clear();
            },
            "empty_report",
        );
        check(&|r| r.photos.clear(), "hazard_without_photo");
        check(
            &|r| {
                r.kind = ReportKind::Suggestion;
            },
            "major_suggestion",
        );
        check(
            &|r| {
                let p = r.photos[0].clone();
                r.photos = (0..10)
                    .map(|i| PhotoRef {
                        sha256: format!("{:064x}", i),
                        ..p.clone()
                    })
                    .collect();
            },
            "too_many_photos",
        );
        check(&|r| r.note = "漏".repeat(10_000), "note_too_long");
        check(&|r| r.team = Some("班".repeat(65)), "field_too_long");
        check(
            &|r| r.location.as_mut().unwrap().lat = 91.0,
            "invalid_location",
        );
        check(
            &|r| r.location.as_mut().unwrap().lon = f64::NAN,
            "invalid_location",
        );
        check(&|r| r.photos[0].sha256 = "XYZ".into(), "invalid_photo_hash");
        check(&|r| r.photos[0].bytes = 0, "invalid_photo_size");
        check(
            &|r| {
                let p = r.photos[0].clone();
                r.photos.push(p);
            },
            "duplicate_photo",
        );
        check(&|r| r.id = Uuid::new_v4(), "invalid_report_id");
        check(
            &|r| r.captured_at = at(12) + chrono::Duration::days(3),
            "captured_in_future",
        );
    }

    #[test]
    fn unknown_enum_values_are_rejected_on_the_wire() {
        let mut v = serde_json::to_value(report()).unwrap();
        v["category"] = "valve".into();
        let err = serde_json::from_value::<ReportSubmission>(v).unwrap_err();
        assert!(err.to_string().contains("valve"), "{err}");
    }

    #[test]
    fn haversine_is_metres() {
        let a = Location {
            lat: 36.80,
            lon: 117.87,
            accuracy_m: None,
        };
        let b = Location {
            lat: 36.80045,
            lon: 117.87,
            accuracy_m: None,
        };
        let d = a.distance_m(&b);
        assert!((d - 50.0).abs() < 0.5, "{d}");
    }

    proptest::proptest! {
        #[test]
        fn any_valid_report_round_trips(
            lat in -90.0f64..=90.0, lon in -180.0f64..=180.0,
            note in "\\PC{0,200}", anonymous: bool,
        ) {
            let mut r = report();
            r.location = Some(Location { lat, lon, accuracy_m: None });
            r.note = note;
            r.anonymous = anonymous;
            let json = serde_json::to_string(&r).unwrap();
            let back: ReportSubmission = serde_json::from_str(&json).unwrap();
            proptest::prop_assert_eq!(back, r);
        }
    }
}
