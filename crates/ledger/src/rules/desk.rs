//! Hazards an officer files (工作人员登记隐患): a drill's finding, a supervision visit's, an
//! inspection. They go into the ledger through the very filing a phone's report goes through
//! (storage, assignment, duplicates, numbering, history), sent by the officer's **desk**: a
//! device row per officer and enterprise that no token opens (its token hash is random and it
//! is born revoked), marked with the officer's name. A desk is never a worker: it is not
//! counted among the workers taking part, and a hazard it found first earns no reward.
//!
//! [`Ledger::file_entry`](crate::Ledger::file_entry) is the officers' own door: a hazard found on an inspection (检查) or
//! reported on the hotline (热线), with photos uploaded from the browser.

use chrono::{DateTime, Utc};
use hazardsnap_model::{
    Category, CheckSource, ErrorBody, PhotoRef, ReportKind, ReportSubmission, Scope, Severity,
    SubmitOutcome,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::filing::{CheckedReport, submit_one};
use super::history::{self, Step};
use crate::error::{LedgerError, LedgerResult};
use crate::repo::WriteTx;
use crate::repo::rows::{DeviceRow, EnterpriseRow};
use crate::rules::access::{Actor, Device};
use crate::service::Settings;

/// What an officer files.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// What was found.
    pub note: String,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Photos (sha256 of uploaded, verified photos).
    pub photos: Vec<PhotoRef>,
    /// Where it came from, for the entry's history (`中文 / English`).
    pub origin: String,
    /// The site point (关键点位) it was found at, one of the enterprise's.
    pub site_code: Option<String>,
}

/// The desk device of `actor` for enterprise `e`, made on first use.
pub(crate) fn desk_device(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    e: &EnterpriseRow,
    now: DateTime<Utc>,
) -> LedgerResult<Device> {
    // One desk per officer and enterprise, found again by its name-derived id.
    let digest = Sha256::digest(format!("hazardsnap desk\n{}\n{}", actor.name(), e.code));
    let mut name_bytes = [0u8; 16];
    name_bytes.copy_from_slice(&digest[..16]);
    let id = uuid::Builder::from_sha1_bytes(name_bytes).into_uuid();
    if tx.device(id)?.is_none() {
        // A hash of nothing anyone holds: no token opens a desk (and it is born revoked).
        let mut seed = Vec::with_capacity(32);
        seed.extend_from_slice(Uuid::now_v7().as_bytes());
        seed.extend_from_slice(Uuid::now_v7().as_bytes());
        let token_sha256: [u8; 32] = Sha256::digest(&seed).into();
        tx.insert_desk_device(&DeviceRow {
            id,
            token_sha256,
            enterprise: e.code.clone(),
            name: format!("工作人员 {}", actor.name()),
            enrollment_code: format!("desk:{}", actor.name()),
            enrolled_at: now,
            revoked_at: Some(now),
            worker: None,
            officer: Some(actor.name().to_owned()),
        })?;
    }
    Ok(Device {
        id,
        enterprise: e.code.clone(),
    })
}

/// Files an officer's finding in enterprise `e`'s ledger; the entry's id and number.
pub(crate) fn file(
    tx: &mut dyn WriteTx,
    settings: &Settings,
    actor: &Actor,
    e: &EnterpriseRow,
    f: Finding,
    now: DateTime<Utc>,
) -> LedgerResult<(Uuid, String)> {
    let device = desk_device(tx, actor, e, now)?;
    let submission = ReportSubmission {
        id: Uuid::now_v7(),
        kind: ReportKind::Hazard,
        category: f.category,
        severity: f.severity,
        at_risk: Vec::new(),
        source: CheckSource::ExpertCheck,
        note: f.note,
        captured_at: now,
        photos: f.photos,
        location: None,
        site_code: f.site_code,
        workshop: None,
        team: None,
        anonymous: false,
    };
    // An officer's finding may have no photo (a drill's, a visit's notes): the phone's rule
    // that a hazard needs one is for workers. Its text is required like every note.
    super::required_text("note", "问题描述", &submission.note)?;
    let result = submit_one(tx, settings, &device, &CheckedReport::new(submission), now)?;
    match (result.outcome, result.entry_id, result.entry_number) {
        (SubmitOutcome::Accepted, Some(id), Some(number)) => {
            if let Some(r) = tx.entry(&Scope::All, id)? {
                history::note_unchanged(
                    tx,
                    &r.entry,
                    "filed_by_officer",
                    Step::by(actor.name(), f.origin),
                    now,
                )?;
            }
            Ok((id, number))
        }
        (SubmitOutcome::MissingPhotos, ..) => {
            Err(LedgerError::MissingPhotos(result.missing_photos))
        }
        _ => Err(LedgerError::invalid(
            "not_filed",
            result
                .error
                .map(|ErrorBody { message, .. }| message)
                .unwrap_or_else(|| "未能登记 / could not be filed".into()),
        )),
    }
}

/// Where an officer's own entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OfficerSource {
    /// An officer's inspection (检查发现).
    Inspection,
    /// A call to the hotline (热线举报).
    Hotline,
}

/// A hazard an officer files.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewEntry {
    /// Enterprise code (in the officer's jurisdiction).
    pub enterprise: String,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// What was found.
    pub note: String,
    /// Photos already uploaded (`PUT /api/v1/photos/{sha256}`), by name.
    #[serde(default)]
    pub photos: Vec<String>,
    /// Inspection or hotline.
    pub source: OfficerSource,
    /// The site point (关键点位) where it was found: one of the enterprise's, by code.
    #[serde(default)]
    pub site: Option<String>,
}

impl crate::service::Ledger {
    /// Whether the officer may file entries themselves: every union officer; not the bureau,
    /// which receives what is escalated to it.
    pub fn may_file_entries(actor: &Actor) -> bool {
        actor.role() != hazardsnap_model::Role::Bureau
    }

    /// The active enterprises an officer may file in or transfer to: those of their
    /// jurisdiction, by town and code; none for the bureau (it files nothing).
    pub async fn enterprise_choices(
        &self,
        actor: &Actor,
    ) -> LedgerResult<Vec<hazardsnap_model::EnterpriseRef>> {
        if !Self::may_file_entries(actor) {
            return Ok(Vec::new());
        }
        let scope = actor.jurisdiction.scope();
        self.repo
            .read(move |tx| {
                Ok(crate::rules::campaign::enterprises_of(tx, &scope)?
                    .into_iter()
                    .filter(|e| e.active)
                    .map(|e| hazardsnap_model::EnterpriseRef {
                        code: e.code,
                        name: e.name,
                    })
                    .collect())
            })
            .await
    }

    /// Files a hazard an officer found (or took on the hotline) in an enterprise of their
    /// jurisdiction: the same filing as a phone's, by the officer's desk; the entry's id.
    pub async fn file_entry(
        &self,
        actor: &Actor,
        new: NewEntry,
        now: DateTime<Utc>,
    ) -> LedgerResult<Uuid> {
        if !Self::may_file_entries(actor) {
            return Err(LedgerError::forbidden(
                "forbidden",
                "安监局不在此登记隐患 / the bureau does not file entries here",
            ));
        }
        if new.photos.len() > hazardsnap_model::MAX_PHOTOS_PER_REPORT
            || !new
                .photos
                .iter()
                .all(|p| hazardsnap_model::is_sha256_hex(p))
        {
            return Err(LedgerError::invalid(
                "invalid_photo_hash",
                "照片须为 64 位小写十六进制 SHA-256 名称 / photos must be lowercase hex SHA-256 names",
            ));
        }
        let actor = actor.clone();
        let settings = self.settings.clone();
        self.repo
            .write(move |tx| {
                let e = crate::rules::training::enterprise(tx, &new.enterprise)?
                    .ok_or(LedgerError::NotFound)?;
                if !crate::rules::training::in_scope(&actor.jurisdiction.scope(), &e) {
                    return Err(LedgerError::NotFound);
                }
                let site = new
                    .site
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned);
                if let Some(code) = &site
                    && tx.site_point(code)?.is_none_or(|p| p.enterprise != e.code)
                {
                    return Err(LedgerError::invalid(
                        "unknown_site",
                        format!(
                            "{} 没有关键点位 {code} / {} has no site point {code}",
                            e.code, e.code
                        ),
                    ));
                }
                let sizes = tx.photo_sizes(&new.photos)?;
                let missing: Vec<String> = new
                    .photos
                    .iter()
                    .filter(|p| !sizes.contains_key(*p))
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    return Err(LedgerError::MissingPhotos(missing));
                }
                let photos = new
                    .photos
                    .iter()
                    .map(|p| PhotoRef {
                        sha256: p.clone(),
                        bytes: sizes[p],
                        width: 0,
                        height: 0,
                        phash: None,
                    })
                    .collect();
                let origin = match new.source {
                    OfficerSource::Inspection => format!(
                        "工作人员检查发现，由 {} 登记 / found on an inspection, filed by {}",
                        actor.name(),
                        actor.name()
                    ),
                    OfficerSource::Hotline => format!(
                        "热线举报，由 {} 登记 / reported on the hotline, filed by {}",
                        actor.name(),
                        actor.name()
                    ),
                };
                let (id, _) = file(
                    tx,
                    &settings,
                    &actor,
                    &e,
                    Finding {
                        note: new.note,
                        category: new.category,
                        severity: new.severity,
                        photos,
                        origin,
                        site_code: site,
                    },
                    now,
                )?;
                Ok(id)
            })
            .await
    }
}
