//! The reward register (奖励登记): rewards go to people, once per hazard or suggestion, and can
//! be audited — what was granted, for what, how much, approved by whom, paid on which day and
//! by whom.
//!
//! **Who is rewarded.** The credited first finder of a closed **major** hazard (by the
//! server's receive time, `rules::reads::finder_order`; the severity as it stands now, so a
//! severity an officer lowered takes the reward with it), or the proposer of an adopted
//! suggestion. A named report's reward goes to the roster worker its phone belongs to (the
//! phone must be linked to one). An anonymous report's reward goes to nobody named: the server
//! makes a redemption code (兑奖码), tells it to the reporting phone only (in its change feed),
//! keeps only the code's hash, and the district pays whoever presents it — once. A hazard an
//! officer's desk found first earns nothing.
//!
//! **Once.** A reward's key is its subject (`hazard/ENTRY` or `suggestion/ID`), unique in the
//! records: a second grant is refused. The district grants and pays; others read their
//! jurisdiction's register (anonymous lines never name anyone).

use chrono::{DateTime, NaiveDate, Utc};
use hazardsnap_model::{Funds, Jurisdiction, LedgerStatus, Role, Scope, Severity};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::reads::finder_order;
use crate::error::{LedgerError, LedgerResult, RepoError};
use crate::repo::query::RecordQuery;
use crate::repo::rows::{FeedEvent, RecordKind, RecordRow, ReportLink};
use crate::repo::{ReadTx, WriteTx};
use crate::rules::access::Actor;
use crate::service::Ledger;
use crate::views::RewardKind;

/// Most rewards listed.
const MAX_REWARDS: u64 = 20_000;
/// The alphabet of redemption codes: no 0/O, 1/I/L (read aloud, typed by hand).
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A reward as recorded (the stored body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Stored {
    kind: RewardKind,
    subject: Uuid,
    number: String,
    enterprise: String,
    report_id: Uuid,
    worker: Option<String>,
    worker_name: Option<String>,
    /// SHA-256 of the redemption code of an anonymous reward.
    code_sha256: Option<String>,
    amount: Funds,
    approved_by: String,
    granted_at: DateTime<Utc>,
    paid_on: Option<NaiveDate>,
    paid_by: Option<String>,
}

/// A reward as officers see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RewardView {
    /// Id.
    pub id: Uuid,
    /// What it rewards.
    pub kind: RewardKind,
    /// The hazard entry or the suggestion.
    pub subject_id: Uuid,
    /// Its number.
    pub number: String,
    /// Enterprise code.
    pub enterprise: String,
    /// The credited report.
    pub report_id: Uuid,
    /// The worker rewarded (roster code), none for an anonymous reward.
    pub worker: Option<String>,
    /// Their name.
    pub worker_name: Option<String>,
    /// An anonymous reward, paid against its redemption code.
    pub anonymous: bool,
    /// Amount in yuan.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "500.00"))]
    pub amount: Funds,
    /// Approved by.
    pub approved_by: String,
    /// Granted at.
    pub granted_at: DateTime<Utc>,
    /// Paid on.
    pub paid_on: Option<NaiveDate>,
    /// Paid by.
    pub paid_by: Option<String>,
}

/// A grant, and the code to hand to an anonymous finder (only this once, and only in the
/// reporting phone's feed).
#[derive(Debug, Clone, PartialEq)]
pub struct Granted {
    /// The reward.
    pub reward: RewardView,
    /// The redemption code of an anonymous reward.
    pub code: Option<String>,
}

fn view(row: &RecordRow, s: Stored) -> RewardView {
    RewardView {
        id: row.id,
        kind: s.kind,
        subject_id: s.subject,
        number: s.number,
        enterprise: s.enterprise,
        report_id: s.report_id,
        anonymous: s.code_sha256.is_some(),
        worker: s.worker,
        worker_name: s.worker_name,
        amount: s.amount,
        approved_by: s.approved_by,
        granted_at: s.granted_at,
        paid_on: s.paid_on,
        paid_by: s.paid_by,
    }
}

fn parse(row: &RecordRow) -> LedgerResult<Stored> {
    serde_json::from_value(row.body.clone())
        .map_err(|e| RepoError::corrupt(format!("reward {}: {e}", row.id)).into())
}

fn code_hash(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex::encode(Sha256::digest(format!("hazardsnap reward\n{norm}")))
}

/// A fresh redemption code, `XXXX-XXXX` (40 bits from a fresh UUIDv4's random bits).
fn new_code() -> String {
    let bytes = Uuid::new_v4().into_bytes();
    let mut n = u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default());
    let mut out = String::new();
    for i in 0..8 {
        if i == 4 {
            out.push('-');
        }
        out.push(CODE_ALPHABET[(n % CODE_ALPHABET.len() as u64) as usize] as char);
        n /= CODE_ALPHABET.len() as u64;
    }
    out
}

fn district_only(actor: &Actor) -> LedgerResult<()> {
    if actor.role() == Role::District {
        Ok(())
    } else {
        Err(LedgerError::forbidden(
            "forbidden",
            "奖励由区总工会审批发放 / the district union grants and pays rewards",
        ))
    }
}

/// The credited report of a reward (the first finder), unless an officer's desk found it.
fn credited(tx: &mut dyn ReadTx, mut reports: Vec<ReportLink>) -> LedgerResult<ReportLink> {
    let desks = tx.officer_devices()?;
    reports.sort_by(finder_order);
    let first = reports.into_iter().next().ok_or(LedgerError::NotFound)?;
    if desks.contains(&first.device_id) {
        return Err(LedgerError::conflict(
            "found_by_officer",
            "该隐患由工作人员首先发现，不发放职工奖励 / an officer found it first: no worker's reward",
        ));
    }
    Ok(first)
}

impl Ledger {
    /// The district grants a reward for a closed major hazard or an adopted suggestion.
    pub async fn grant_reward(
        &self,
        actor: &Actor,
        kind: RewardKind,
        subject: Uuid,
        amount: Funds,
        now: DateTime<Utc>,
    ) -> LedgerResult<Granted> {
        district_only(actor)?;
        if amount.0 <= 0 || amount.0 > 100_000_000 {
            return Err(LedgerError::invalid(
                "invalid_amount",
                "金额须大于 0 且不超过 1,000,000 元 / the amount must be more than 0 and at most 1,000,000 yuan",
            ));
        }
        let by = actor.name().to_owned();
        self.repo
            .write(move |tx| {
                let prefix = match kind {
                    RewardKind::MajorHazard => "hazard",
                    RewardKind::AdoptedSuggestion => "suggestion",
                };
                let key = format!("{prefix}/{subject}");
                if tx.lock_record(RecordKind::Reward, &key)?.is_some() {
                    return Err(LedgerError::conflict(
                        "already_rewarded",
                        "该隐患或建议已发放过奖励 / this hazard or suggestion was already rewarded",
                    ));
                }
                let (number, enterprise, report) = match kind {
                    RewardKind::MajorHazard => {
                        let e = tx
                            .entry(&Scope::All, subject)?
                            .ok_or(LedgerError::NotFound)?
                            .entry;
                        if e.status != LedgerStatus::Closed || e.severity != Severity::Major {
                            return Err(LedgerError::conflict(
                                "not_rewardable",
                                "只奖励已整改销号的重大隐患 / only a closed major hazard is rewarded",
                            ));
                        }
                        let reports = tx.report_links(&[e.id])?;
                        (e.number, e.enterprise, credited(tx, reports)?)
                    }
                    RewardKind::AdoptedSuggestion => {
                        let s = tx.suggestion(subject)?.ok_or(LedgerError::NotFound)?;
                        if s.adopted_at.is_none() {
                            return Err(LedgerError::conflict(
                                "not_rewardable",
                                "只奖励被采纳的合理化建议 / only an adopted suggestion is rewarded",
                            ));
                        }
                        let reports: Vec<ReportLink> = tx
                            .suggestions(&crate::repo::query::SuggestionQuery {
                                scope: Scope::Enterprise(s.enterprise.clone()),
                                id: Some(subject),
                                adopted_in: None,
                                limit: 1,
                            })?
                            .into_iter()
                            .map(|r| r.report)
                            .collect();
                        (s.number, s.enterprise, credited(tx, reports)?)
                    }
                };
                let (worker, worker_name, code) = if report.anonymous {
                    (None, None, Some(new_code()))
                } else {
                    let device = tx.device(report.device_id)?.ok_or(LedgerError::NotFound)?;
                    let Some(w) = device.worker.as_deref().and_then(|w| tx.worker(w).ok().flatten())
                    else {
                        return Err(LedgerError::conflict(
                            "finder_not_linked",
                            format!(
                                "首报人的手机「{}」未关联名册职工，请先在管理页关联 / the finder's phone '{}' is not linked to a roster worker: link it first",
                                device.name, device.name
                            ),
                        ));
                    };
                    (Some(w.code), Some(w.name), None)
                };
                let stored = Stored {
                    kind,
                    subject,
                    number: number.clone(),
                    enterprise,
                    report_id: report.id,
                    worker,
                    worker_name,
                    code_sha256: code.as_deref().map(code_hash),
                    amount,
                    approved_by: by,
                    granted_at: now,
                    paid_on: None,
                    paid_by: None,
                };
                let row = RecordRow {
                    kind: RecordKind::Reward,
                    id: Uuid::now_v7(),
                    key: Some(key),
                    town: None,
                    enterprise: Some(stored.enterprise.clone()),
                    day: now.date_naive(),
                    body: serde_json::to_value(&stored).map_err(RepoError::corrupt)?,
                    created_by: stored.approved_by.clone(),
                    created_at: now,
                    updated_at: now,
                };
                tx.put_record(&row)?;
                // The worker hears of it on their phone; an anonymous one gets the code there.
                let (status, suggestion) = match kind {
                    RewardKind::MajorHazard => (LedgerStatus::Closed, None),
                    RewardKind::AdoptedSuggestion => tx
                        .suggestion(subject)?
                        .map_or((LedgerStatus::Closed, None), |s| (s.status, Some(s.review))),
                };
                let notice = match &code {
                    Some(c) => format!(
                        "已发放奖励 {amount} 元。匿名兑奖码 {c}，请凭码到区总工会领取（仅显示于本机）/ a reward of {amount} yuan was granted. Anonymous redemption code {c}: present it at the district union (shown on this phone only)"
                    ),
                    None => format!(
                        "已发放奖励 {amount} 元 / a reward of {amount} yuan was granted"
                    ),
                };
                tx.append_feed(&FeedEvent {
                    report_id: report.id,
                    device_id: report.device_id,
                    status,
                    entry_id: subject,
                    entry_number: number,
                    merged_into: None,
                    reason: Some(notice),
                    suggestion,
                    at: now,
                })?;
                Ok(Granted {
                    reward: view(&row, stored),
                    code,
                })
            })
            .await
    }

    /// The register of the actor's jurisdiction, newest first.
    pub async fn rewards_register(&self, actor: &Actor) -> LedgerResult<Vec<RewardView>> {
        let scope = match &actor.jurisdiction {
            Jurisdiction::Bureau => return Ok(Vec::new()),
            _ => actor.jurisdiction.scope(),
        };
        self.repo
            .read(move |tx| {
                let enterprises: std::collections::HashSet<String> =
                    super::campaign::enterprises_of(tx, &scope)?
                        .into_iter()
                        .map(|e| e.code)
                        .collect();
                let rows = tx.records(&RecordQuery {
                    kind: RecordKind::Reward,
                    scope: Scope::All,
                    enterprise: None,
                    from: None,
                    to: None,
                    limit: MAX_REWARDS,
                })?;
                let mut out = Vec::new();
                for row in rows.iter().rev() {
                    if row
                        .enterprise
                        .as_ref()
                        .is_some_and(|e| enterprises.contains(e))
                    {
                        out.push(view(row, parse(row)?));
                    }
                }
                Ok(out)
            })
            .await
    }

    /// The district records that a named reward was paid.
    pub async fn pay_reward(
        &self,
        actor: &Actor,
        id: Uuid,
        paid_on: NaiveDate,
        now: DateTime<Utc>,
    ) -> LedgerResult<RewardView> {
        district_only(actor)?;
        let by = actor.name().to_owned();
        self.repo
            .write(move |tx| {
                let row = tx
                    .record(RecordKind::Reward, id)?
                    .ok_or(LedgerError::NotFound)?;
                let key = row.key.clone().unwrap_or_default();
                let mut row = tx.lock_record(RecordKind::Reward, &key)?.unwrap_or(row);
                let mut s = parse(&row)?;
                if s.code_sha256.is_some() {
                    return Err(LedgerError::conflict(
                        "anonymous_reward",
                        "匿名奖励凭兑奖码兑付 / an anonymous reward is paid against its code",
                    ));
                }
                paid(&mut s, paid_on, by)?;
                save(tx, &mut row, &s, now)?;
                Ok(view(&row, s))
            })
            .await
    }

    /// The district pays an anonymous reward to whoever presents its code: once, naming no
    /// one.
    pub async fn redeem_reward(
        &self,
        actor: &Actor,
        code: String,
        now: DateTime<Utc>,
    ) -> LedgerResult<RewardView> {
        district_only(actor)?;
        let hash = code_hash(&code);
        let by = actor.name().to_owned();
        let today = self.settings.calendar.today(now);
        self.repo
            .write(move |tx| {
                let rows = tx.records(&RecordQuery {
                    kind: RecordKind::Reward,
                    scope: Scope::All,
                    enterprise: None,
                    from: None,
                    to: None,
                    limit: MAX_REWARDS,
                })?;
                let mut found = None;
                for row in rows {
                    let s = parse(&row)?;
                    if s.code_sha256.as_deref() == Some(hash.as_str()) {
                        found = Some(row);
                        break;
                    }
                }
                let row = found.ok_or_else(|| {
                    LedgerError::invalid("unknown_code", "兑奖码无效 / no reward has this code")
                })?;
                let key = row.key.clone().unwrap_or_default();
                let mut row = tx.lock_record(RecordKind::Reward, &key)?.unwrap_or(row);
                let mut s = parse(&row)?;
                paid(&mut s, today, by)?;
                save(tx, &mut row, &s, now)?;
                Ok(view(&row, s))
            })
            .await
    }
}

fn paid(s: &mut Stored, on: NaiveDate, by: String) -> LedgerResult<()> {
    if s.paid_on.is_some() {
        return Err(LedgerError::conflict(
            "already_paid",
            "该奖励已兑付 / this reward was already paid",
        ));
    }
    s.paid_on = Some(on);
    s.paid_by = Some(by);
    Ok(())
}

fn save(
    tx: &mut dyn WriteTx,
    row: &mut RecordRow,
    s: &Stored,
    now: DateTime<Utc>,
) -> LedgerResult<()> {
    row.body = serde_json::to_value(s).map_err(RepoError::corrupt)?;
    row.updated_at = now;
    tx.put_record(row)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_hash_the_same_however_typed() {
        let c = new_code();
        assert_eq!(c.len(), 9);
        assert!(
            c.chars()
                .all(|ch| ch == '-' || CODE_ALPHABET.contains(&(ch as u8)))
        );
        assert_eq!(
            code_hash(&c),
            code_hash(&c.to_lowercase().replace('-', " "))
        );
        assert_ne!(new_code(), new_code());
    }
}
