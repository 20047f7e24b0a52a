//! The officers' steps on a ledger entry (闭环管理): confirm with the plan, reject, merge,
//! split, mark rectified, verify or send back, escalate, request and decide an extension.
//!
//! One path for every step, whoever asks (the API, the web pages, the demo): the input is
//! checked ([`OfficerAction::checked`]), the entry is loaded for update inside the actor's
//! jurisdiction (outside it answers "not found", as if it did not exist), the actor's role is
//! checked, the state machine (`hazardsnap_model::workflow::apply`) allows or refuses the move
//! naming the allowed ones, and the change is saved with its history and the phones' feed in
//! the same transaction — so two officers acting at once cannot both move the same entry.

use chrono::{DateTime, NaiveDate, Utc};
use hazardsnap_model::workflow::{self, EntryState};
use hazardsnap_model::{
    Category, Labelled, LedgerAction, LedgerStatus, RectificationLevel, RectificationPlan, Role,
    Scope, Severity, is_sha256_hex,
};
use uuid::Uuid;

use super::history::{self, Step};
use super::numbering::{self, Series};
use super::{optional_text, required_text, with_reason};
use crate::error::{LedgerError, LedgerResult};
use crate::repo::rows::{EntryRecord, EntryRow, FeedEvent, Supervision, SupervisionState};
use crate::repo::{ReadTx, WriteTx};
use crate::rules::access::Actor;
use crate::rules::filing::new_entry;
use crate::service::{Ledger, Settings};

/// An officer's step on an entry, as asked.
#[derive(Debug, Clone, PartialEq)]
pub enum OfficerAction {
    /// 确认: the plan (五到位) and level.
    Confirm(RectificationPlan),
    /// 驳回, with a reason.
    Reject {
        /// Why.
        reason: String,
    },
    /// 合并: this entry duplicates `into`.
    Merge {
        /// The surviving entry.
        into: Uuid,
        /// Why, optional.
        reason: Option<String>,
    },
    /// 整改完成, with after-photos.
    Rectified {
        /// What was done.
        note: String,
        /// SHA-256 names of verified after-photos.
        photos: Vec<String>,
    },
    /// 验收: close, or send back.
    Verify {
        /// Accepted (销号) or sent back (退回).
        accepted: bool,
        /// The verifier's note (required to send back).
        note: Option<String>,
    },
    /// 挂牌督办: a major hazard to the bureau.
    Escalate {
        /// Why, optional.
        reason: Option<String>,
    },
    /// 申请延期.
    RequestExtension {
        /// The deadline asked for.
        new_deadline: NaiveDate,
        /// Why.
        reason: String,
    },
    /// 审批延期.
    DecideExtension {
        /// Granted or not.
        approved: bool,
        /// The decision's note.
        note: Option<String>,
    },
    /// 拆分: move one report out into a new entry (undoes a wrong merge).
    Split {
        /// The report to move.
        report_id: Uuid,
        /// Why.
        reason: String,
    },
    /// 不是同一隐患: clears filing's "possible duplicate" flag.
    NotDuplicate {
        /// Why, optional.
        reason: Option<String>,
    },
    /// 受理挂牌督办 (the bureau): the entry is listed until the bureau lifts it.
    AcceptSupervision {
        /// The supervising unit (督办单位).
        unit: String,
        /// The bureau's deadline.
        deadline: NaiveDate,
    },
    /// 不予挂牌 (the bureau), with a reason: the unions carry on.
    DeclineSupervision {
        /// Why.
        reason: String,
    },
    /// 调整类别或等级, recorded with a reason (a lowered severity takes the reward with it).
    Reclassify {
        /// The new category, if it changes.
        category: Option<Category>,
        /// The new severity, if it changes.
        severity: Option<Severity>,
        /// Why.
        reason: String,
    },
    /// 移交: a hazard at a boundary belongs to another enterprise. It moves into that
    /// enterprise's ledger under a new number; this entry records where it went.
    Transfer {
        /// The enterprise's code.
        enterprise: String,
        /// Why.
        reason: String,
    },
}

impl OfficerAction {
    /// The workflow move this is, if it is one (a split is not a status move).
    pub fn ledger_action(&self) -> Option<LedgerAction> {
        Some(match self {
            OfficerAction::Confirm(_) => LedgerAction::Confirm,
            OfficerAction::Reject { .. } => LedgerAction::Reject,
            OfficerAction::Merge { .. } => LedgerAction::Merge,
            OfficerAction::Rectified { .. } => LedgerAction::Rectified,
            OfficerAction::Verify { accepted: true, .. } => LedgerAction::VerifyAccept,
            OfficerAction::Verify {
                accepted: false, ..
            } => LedgerAction::VerifyReturn,
            OfficerAction::Escalate { .. } => LedgerAction::Escalate,
            OfficerAction::RequestExtension { .. } => LedgerAction::RequestExtension,
            OfficerAction::DecideExtension { .. } => LedgerAction::DecideExtension,
            OfficerAction::Split { .. }
            | OfficerAction::NotDuplicate { .. }
            | OfficerAction::AcceptSupervision { .. }
            | OfficerAction::DeclineSupervision { .. }
            | OfficerAction::Reclassify { .. }
            | OfficerAction::Transfer { .. } => return None,
        })
    }

    /// The action with its texts trimmed and every input rule checked, as of `today`: the
    /// refusals a form shows next to its fields, before any entry is looked at.
    pub fn checked(self, today: NaiveDate) -> LedgerResult<OfficerAction> {
        Ok(match self {
            OfficerAction::Confirm(mut plan) => {
                plan.validate(today)?;
                plan.responsible = plan.responsible.trim().to_owned();
                plan.measures = plan.measures.trim().to_owned();
                plan.contingency = plan.contingency.trim().to_owned();
                OfficerAction::Confirm(plan)
            }
            OfficerAction::Reject { reason } => OfficerAction::Reject {
                reason: required_text("reason", "理由", &reason)?,
            },
            OfficerAction::Merge { into, reason } => OfficerAction::Merge {
                into,
                reason: optional_text("reason", "理由", reason.as_deref())?,
            },
            OfficerAction::Rectified { note, mut photos } => {
                let note = required_text("note", "整改说明", &note)?;
                if photos.is_empty() {
                    return Err(LedgerError::invalid(
                        "missing_field",
                        "至少需要一张整改后照片 / at least one after-photo is required",
                    ));
                }
                let most = hazardsnap_model::MAX_PHOTOS_PER_REPORT;
                if photos.len() > most || !photos.iter().all(|p| is_sha256_hex(p)) {
                    return Err(LedgerError::invalid(
                        "invalid_photo_hash",
                        format!(
                            "照片须为 1–{most} 个 64 位小写十六进制 SHA-256 / photos must be 1–{most} lowercase hex SHA-256 names"
                        ),
                    ));
                }
                photos.sort();
                photos.dedup();
                OfficerAction::Rectified { note, photos }
            }
            OfficerAction::Verify { accepted, note } => OfficerAction::Verify {
                accepted,
                note: if accepted {
                    optional_text("note", "验收意见", note.as_deref())?
                } else {
                    Some(required_text(
                        "note",
                        "退回理由",
                        note.as_deref().unwrap_or_default(),
                    )?)
                },
            },
            OfficerAction::Escalate { reason } => OfficerAction::Escalate {
                reason: optional_text("reason", "理由", reason.as_deref())?,
            },
            OfficerAction::RequestExtension {
                new_deadline,
                reason,
            } => {
                let reason = required_text("reason", "理由", &reason)?;
                if new_deadline < today {
                    return Err(LedgerError::invalid(
                        "deadline_in_past",
                        "新时限早于今天 / the new deadline lies in the past",
                    ));
                }
                OfficerAction::RequestExtension {
                    new_deadline,
                    reason,
                }
            }
            OfficerAction::DecideExtension { approved, note } => OfficerAction::DecideExtension {
                approved,
                note: optional_text("note", "意见", note.as_deref())?,
            },
            OfficerAction::Split { report_id, reason } => OfficerAction::Split {
                report_id,
                reason: required_text("reason", "理由", &reason)?,
            },
            OfficerAction::NotDuplicate { reason } => OfficerAction::NotDuplicate {
                reason: optional_text("reason", "理由", reason.as_deref())?,
            },
            OfficerAction::AcceptSupervision { unit, deadline } => {
                if deadline < today {
                    return Err(LedgerError::invalid(
                        "deadline_in_past",
                        "督办时限早于今天 / the deadline lies in the past",
                    ));
                }
                OfficerAction::AcceptSupervision {
                    unit: required_text("unit", "督办单位", &unit)?,
                    deadline,
                }
            }
            OfficerAction::DeclineSupervision { reason } => OfficerAction::DeclineSupervision {
                reason: required_text("reason", "理由", &reason)?,
            },
            OfficerAction::Reclassify {
                category,
                severity,
                reason,
            } => {
                if category.is_none() && severity.is_none() {
                    return Err(LedgerError::invalid(
                        "nothing_to_change",
                        "请选择新的类别或等级 / choose a new category or severity",
                    ));
                }
                OfficerAction::Reclassify {
                    category,
                    severity,
                    reason: required_text("reason", "理由", &reason)?,
                }
            }
            OfficerAction::Transfer { enterprise, reason } => OfficerAction::Transfer {
                enterprise: required_text("enterprise", "企业", &enterprise)?,
                reason: required_text("reason", "理由", &reason)?,
            },
        })
    }
}

/// Listed supervision the bureau accepted and has not lifted.
fn supervised(e: &EntryRow) -> bool {
    e.supervision
        .as_ref()
        .is_some_and(|s| s.state == SupervisionState::Accepted)
}

fn refuse(code: &'static str, message: &str) -> LedgerError {
    LedgerError::forbidden(code, message)
}

/// Whether the actor's role may take this step on this entry (the state machine decides
/// whether the entry's state allows it). Separation of duties lives here: who may verify,
/// close, decide, escalate — by role, not only by jurisdiction.
fn role_allows(
    tx: &mut dyn ReadTx,
    role: Role,
    by: &str,
    e: &EntryRow,
    action: &OfficerAction,
) -> LedgerResult<()> {
    use OfficerAction as A;
    let union = matches!(role, Role::District | Role::Town);
    match (role, action) {
        // The bureau acts on what was handed to it, and only there.
        (Role::Bureau, A::AcceptSupervision { .. } | A::DeclineSupervision { .. }) => {}
        (Role::Bureau, A::Verify { .. } | A::DecideExtension { .. }) if supervised(e) => {}
        (Role::Bureau, _) => {
            return Err(refuse(
                "forbidden",
                "安监局只处理挂牌督办的隐患：受理、不予受理、验收摘牌、审批延期 / the bureau acts only on listed supervision: accept, decline, verify and lift, decide extensions",
            ));
        }
        (_, A::AcceptSupervision { .. } | A::DeclineSupervision { .. }) => {
            return Err(refuse(
                "forbidden",
                "挂牌督办由安监局受理 / only the bureau accepts or declines listed supervision",
            ));
        }
        (_, A::Escalate { .. }) if !union => {
            return Err(refuse(
                "forbidden",
                "由区、镇/街道总工会提请挂牌督办 / district and town unions escalate",
            ));
        }
        (_, A::Reclassify { .. } | A::Transfer { .. }) if !union => {
            return Err(refuse(
                "forbidden",
                "由区、镇/街道总工会调整类别等级或移交 / district and town unions reclassify and transfer",
            ));
        }
        (Role::Enterprise, A::DecideExtension { .. }) => {
            return Err(refuse(
                "forbidden",
                "企业不能审批自己的延期申请 / an enterprise cannot decide its own extension",
            ));
        }
        _ => {}
    }
    if supervised(e) && role != Role::Bureau {
        match action {
            A::Verify { .. } | A::DecideExtension { .. } | A::Transfer { .. } => {
                return Err(refuse(
                    "supervised",
                    "挂牌督办的隐患由安监局验收摘牌、审批延期 / a listed hazard is verified, lifted and extended by the bureau",
                ));
            }
            _ => {}
        }
    }
    if let A::Verify { .. } = action {
        if e.severity == Severity::Major && role == Role::Enterprise {
            return Err(refuse(
                "major_needs_town",
                "重大隐患由镇/街道总工会或以上验收 / a major hazard is verified at town level or above",
            ));
        }
        // Whoever marked it rectified does not verify their own work.
        let history = tx.history_of(&[e.id])?;
        let rectifier = history
            .get(&e.id)
            .and_then(|h| {
                h.iter()
                    .rev()
                    .find(|ev| ev.action == LedgerAction::Rectified.wire_name())
            })
            .and_then(|ev| ev.actor.clone());
        if rectifier.as_deref() == Some(by) {
            return Err(refuse(
                "separation_of_duties",
                "标记整改完成的人不能验收同一隐患 / whoever marked it rectified cannot verify it",
            ));
        }
    }
    if let A::Confirm(plan) = action
        && plan.level == RectificationLevel::BureauSupervised
        && !supervised(e)
    {
        return Err(LedgerError::invalid(
            "invalid_level",
            "「安监局挂牌督办」层级只能由安监局受理挂牌产生 / the bureau-supervised level comes only from the bureau accepting the escalation",
        ));
    }
    Ok(())
}

fn state(e: &EntryRow) -> EntryState {
    EntryState {
        status: e.status,
        severity: e.severity,
        escalated: e.escalated,
        extension_pending: e.extension_pending,
    }
}

/// The moves an entry allows now (for the pages' buttons).
pub fn allowed_actions(e: &EntryRow) -> Vec<LedgerAction> {
    workflow::allowed_actions(&state(e))
}

/// What an officer may do to one entry now, for the pages' forms: asked of the same rules
/// that decide the step (`role_allows`, the state machine), so a page offers a form only to
/// an actor whose step would go through (an input may still be refused).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permitted {
    /// The moves the entry's state allows that the actor's role may make.
    pub actions: Vec<LedgerAction>,
    /// Accept or decline listed supervision (the bureau, on an escalation it has not decided).
    pub supervise: bool,
    /// Change the category or severity.
    pub reclassify: bool,
    /// Move the entry to another enterprise.
    pub transfer: bool,
    /// The entry is listed (挂牌): accepted by the bureau and not lifted.
    pub listed: bool,
}

/// A step of kind `a` with empty inputs: what [`role_allows`] looks at is the kind.
fn sample(a: LedgerAction) -> OfficerAction {
    let text = String::new;
    match a {
        LedgerAction::Confirm => OfficerAction::Confirm(RectificationPlan {
            responsible: text(),
            measures: text(),
            funds: hazardsnap_model::Funds(0),
            deadline: NaiveDate::MIN,
            contingency: text(),
            level: RectificationLevel::Enterprise,
        }),
        LedgerAction::Reject => OfficerAction::Reject { reason: text() },
        LedgerAction::Merge => OfficerAction::Merge {
            into: Uuid::nil(),
            reason: None,
        },
        LedgerAction::Rectified => OfficerAction::Rectified {
            note: text(),
            photos: Vec::new(),
        },
        LedgerAction::VerifyAccept | LedgerAction::VerifyReturn => OfficerAction::Verify {
            accepted: a == LedgerAction::VerifyAccept,
            note: None,
        },
        LedgerAction::Escalate => OfficerAction::Escalate { reason: None },
        LedgerAction::RequestExtension => OfficerAction::RequestExtension {
            new_deadline: NaiveDate::MIN,
            reason: text(),
        },
        LedgerAction::DecideExtension => OfficerAction::DecideExtension {
            approved: false,
            note: None,
        },
    }
}

impl Ledger {
    /// What `actor` may do to entry `id` now ([`Permitted`]); not found outside the
    /// jurisdiction.
    pub async fn permitted(&self, actor: &Actor, id: Uuid) -> LedgerResult<Permitted> {
        let scope = actor.jurisdiction.scope();
        let (role, by) = (actor.role(), actor.name().to_owned());
        self.repo
            .read(move |tx| {
                let e = tx.entry(&scope, id)?.ok_or(LedgerError::NotFound)?.entry;
                let may = |tx: &mut dyn ReadTx, a: &OfficerAction| -> LedgerResult<bool> {
                    match role_allows(tx, role, &by, &e, a) {
                        Ok(()) => Ok(true),
                        Err(err)
                            if matches!(
                                err.kind(),
                                crate::error::ErrorKind::Forbidden
                                    | crate::error::ErrorKind::Invalid
                            ) =>
                        {
                            Ok(false)
                        }
                        Err(err) => Err(err),
                    }
                };
                let mut actions = Vec::new();
                for a in allowed_actions(&e) {
                    if may(tx, &sample(a))? {
                        actions.push(a);
                    }
                }
                let reason = String::new;
                let supervise = requested(&e).is_ok()
                    && may(tx, &OfficerAction::DeclineSupervision { reason: reason() })?;
                let reclassify = may(
                    tx,
                    &OfficerAction::Reclassify {
                        category: None,
                        severity: None,
                        reason: reason(),
                    },
                )?;
                let transfer = e.status.is_open()
                    && may(
                        tx,
                        &OfficerAction::Transfer {
                            enterprise: String::new(),
                            reason: reason(),
                        },
                    )?;
                Ok(Permitted {
                    actions,
                    supervise,
                    reclassify,
                    transfer,
                    listed: supervised(&e),
                })
            })
            .await
    }
}

impl Ledger {
    /// Applies an officer's step to an entry in the actor's jurisdiction, in one transaction;
    /// the entry to show afterwards (for a split, the new entry).
    pub async fn act(
        &self,
        actor: &Actor,
        entry: Uuid,
        action: OfficerAction,
        now: DateTime<Utc>,
    ) -> LedgerResult<Uuid> {
        let action = action.checked(self.settings.calendar.today(now))?;
        let actor = actor.clone();
        let settings = self.settings.clone();
        self.repo
            .write(move |tx| act(tx, &settings, &actor, entry, &action, now))
            .await
    }
}

fn load(tx: &mut dyn WriteTx, scope: &Scope, id: Uuid) -> LedgerResult<EntryRecord> {
    tx.lock_entry(scope, id)?.ok_or(LedgerError::NotFound)
}

fn act(
    tx: &mut dyn WriteTx,
    settings: &Settings,
    actor: &Actor,
    entry_id: Uuid,
    action: &OfficerAction,
    now: DateTime<Utc>,
) -> LedgerResult<Uuid> {
    let scope = actor.jurisdiction.scope();
    let mut e = load(tx, &scope, entry_id)?.entry;
    // What lies outside the jurisdiction does not exist, whatever the role: a merge's target
    // is looked at before anything is refused.
    if let OfficerAction::Merge { into, .. } = action
        && tx.entry(&scope, *into)?.is_none()
    {
        return Err(LedgerError::NotFound);
    }
    role_allows(tx, actor.role(), actor.name(), &e, action)?;
    let next = match action.ledger_action() {
        Some(a) => workflow::apply(&state(&e), a)?,
        None => state(&e),
    };
    let by = actor.name();
    match action {
        OfficerAction::Confirm(plan) => {
            let mut plan = plan.clone();
            if let Some(s) = e.supervision.as_ref().filter(|_| supervised(&e)) {
                // A listed hazard's plan is the bureau's level, within the bureau's deadline.
                plan.level = RectificationLevel::BureauSupervised;
                if let Some(d) = s.deadline {
                    plan.deadline = plan.deadline.min(d);
                }
            }
            let plan = &plan;
            e.deadline = Some(plan.deadline);
            e.plan = Some(plan.clone());
            history::move_to(
                tx,
                &mut e,
                next.status,
                LedgerAction::Confirm.wire_name(),
                Step::by(by, plan_text(plan)),
                None,
                now,
            )?;
        }
        OfficerAction::Reject { reason } => {
            history::move_to(
                tx,
                &mut e,
                next.status,
                LedgerAction::Reject.wire_name(),
                Step::by(by, reason.clone()),
                None,
                now,
            )?;
        }
        OfficerAction::Merge { into, reason } => {
            merge(tx, &scope, &mut e, *into, reason.as_deref(), by, now)?;
        }
        OfficerAction::Rectified { note, photos } => {
            let known = tx.photo_sizes(photos)?;
            let missing: Vec<String> = photos
                .iter()
                .filter(|p| !known.contains_key(*p))
                .cloned()
                .collect();
            if !missing.is_empty() {
                return Err(LedgerError::MissingPhotos(missing));
            }
            for p in photos {
                tx.add_entry_photo(e.id, p, by, now)?;
            }
            e.rectified_note = Some(note.clone());
            e.extension_pending = false;
            e.requested_deadline = None;
            history::move_to(
                tx,
                &mut e,
                next.status,
                LedgerAction::Rectified.wire_name(),
                Step::by(by, note.clone()),
                None,
                now,
            )?;
        }
        OfficerAction::Verify { accepted, note } => {
            let a = if *accepted {
                LedgerAction::VerifyAccept
            } else {
                LedgerAction::VerifyReturn
            };
            if *accepted
                && let Some(s) = e
                    .supervision
                    .as_mut()
                    .filter(|s| s.state == SupervisionState::Accepted)
            {
                // 摘牌: the bureau verified and lifts the listing.
                s.state = SupervisionState::Lifted;
                s.by = Some(by.to_owned());
                s.at = now;
                s.note = note.clone();
            }
            history::move_to(
                tx,
                &mut e,
                next.status,
                a.wire_name(),
                Step::by(by, note.clone().unwrap_or_default()),
                None,
                now,
            )?;
        }
        OfficerAction::Escalate { reason } => {
            e.escalated = true;
            e.supervision = Some(Supervision {
                state: SupervisionState::Requested,
                unit: None,
                deadline: None,
                by: Some(by.to_owned()),
                at: now,
                note: reason.clone(),
            });
            history::note(
                tx,
                &mut e,
                LedgerAction::Escalate.wire_name(),
                Step::by(
                    by,
                    with_reason(
                        "提请安监局挂牌督办 / escalated to the work-safety bureau".to_owned(),
                        reason.as_deref(),
                    ),
                ),
                now,
            )?;
        }
        OfficerAction::RequestExtension {
            new_deadline,
            reason,
        } => {
            e.extension_pending = true;
            e.requested_deadline = Some(*new_deadline);
            history::note(
                tx,
                &mut e,
                LedgerAction::RequestExtension.wire_name(),
                Step::by(
                    by,
                    format!(
                        "申请延期至 {new_deadline}：{reason} / extension to {new_deadline} requested: {reason}"
                    ),
                ),
                now,
            )?;
        }
        OfficerAction::DecideExtension { approved, note } => {
            let note = note.clone().unwrap_or_default();
            let text = match (approved, e.requested_deadline) {
                (true, Some(d)) => {
                    e.deadline = Some(d);
                    format!("批准延期至 {d}：{note} / extension to {d} approved: {note}")
                }
                _ => format!("不批准延期：{note} / extension refused: {note}"),
            };
            e.extension_pending = false;
            e.requested_deadline = None;
            history::note(
                tx,
                &mut e,
                LedgerAction::DecideExtension.wire_name(),
                Step::by(by, text),
                now,
            )?;
        }
        OfficerAction::Split { report_id, reason } => {
            return split(tx, settings, &e, *report_id, reason, by, now);
        }
        OfficerAction::AcceptSupervision { unit, deadline } => {
            requested(&e)?;
            e.supervision = Some(Supervision {
                state: SupervisionState::Accepted,
                unit: Some(unit.clone()),
                deadline: Some(*deadline),
                by: Some(by.to_owned()),
                at: now,
                note: None,
            });
            // The plan, if there is one, is the bureau's now, within its deadline.
            if let Some(plan) = e.plan.as_mut() {
                plan.level = RectificationLevel::BureauSupervised;
                plan.deadline = plan.deadline.min(*deadline);
                e.deadline = Some(plan.deadline);
            }
            history::note(
                tx,
                &mut e,
                "supervision_accepted",
                Step::by(
                    by,
                    format!(
                        "安监局挂牌督办：督办单位 {unit}，时限 {deadline} / listed by the bureau: supervising unit {unit}, deadline {deadline}"
                    ),
                ),
                now,
            )?;
        }
        OfficerAction::DeclineSupervision { reason } => {
            requested(&e)?;
            e.escalated = false;
            e.supervision = Some(Supervision {
                state: SupervisionState::Declined,
                unit: None,
                deadline: None,
                by: Some(by.to_owned()),
                at: now,
                note: Some(reason.clone()),
            });
            history::note(
                tx,
                &mut e,
                "supervision_declined",
                Step::by(
                    by,
                    format!("安监局不予挂牌：{reason} / the bureau declined: {reason}"),
                ),
                now,
            )?;
        }
        OfficerAction::Reclassify {
            category,
            severity,
            reason,
        } => {
            // Each language's sentence whole (`中文 / English`), the reason in both.
            let (mut zh, mut en) = (Vec::new(), Vec::new());
            if let Some(c) = category.filter(|c| *c != e.category) {
                zh.push(format!("类别 {} → {}", e.category.label_zh(), c.label_zh()));
                en.push(format!(
                    "category {} → {}",
                    e.category.label_en(),
                    c.label_en()
                ));
                e.category = c;
            }
            if let Some(s) = severity.filter(|s| *s != e.severity) {
                zh.push(format!("等级 {} → {}", e.severity.label_zh(), s.label_zh()));
                en.push(format!(
                    "severity {} → {}",
                    e.severity.label_en(),
                    s.label_en()
                ));
                e.severity = s;
            }
            if zh.is_empty() {
                return Err(LedgerError::invalid(
                    "nothing_to_change",
                    "类别和等级均未改变 / neither the category nor the severity changes",
                ));
            }
            history::note(
                tx,
                &mut e,
                "reclassify",
                Step::by(
                    by,
                    format!(
                        "{}，理由：{reason} / {}; reason: {reason}",
                        zh.join("；"),
                        en.join("; ")
                    ),
                ),
                now,
            )?;
        }
        OfficerAction::Transfer { enterprise, reason } => {
            return transfer(tx, settings, &scope, &mut e, enterprise, reason, by, now);
        }
        OfficerAction::NotDuplicate { reason } => {
            // Only an open entry that filing flagged has something to clear.
            let Some(other) = e.possible_duplicate_of.filter(|_| e.status.is_open()) else {
                return Err(LedgerError::invalid(
                    "not_flagged",
                    "该条目没有疑似重复标记 / this entry is not flagged as a possible duplicate",
                ));
            };
            let number = tx
                .entry(&Scope::All, other)?
                .map(|r| r.entry.number)
                .unwrap_or_default();
            e.possible_duplicate_of = None;
            history::note(
                tx,
                &mut e,
                "not_duplicate",
                Step::by(
                    by,
                    with_reason(
                        format!("与 {number} 不是同一隐患 / not the same hazard as {number}"),
                        reason.as_deref(),
                    ),
                ),
                now,
            )?;
        }
    }
    Ok(entry_id)
}

/// The bureau decides only an escalation it has not decided yet.
fn requested(e: &EntryRow) -> LedgerResult<()> {
    match &e.supervision {
        Some(s) if s.state == SupervisionState::Requested && e.status.is_open() => Ok(()),
        _ => Err(LedgerError::conflict(
            "not_requested",
            "该隐患没有待受理的挂牌督办申请 / no escalation waits for the bureau on this entry",
        )),
    }
}

/// 移交: the entry's reports move into a new entry of `enterprise` (pending review there,
/// numbered in that enterprise's series); this one becomes merged into it, recorded on both.
#[allow(clippy::too_many_arguments)]
fn transfer(
    tx: &mut dyn WriteTx,
    settings: &Settings,
    scope: &Scope,
    e: &mut EntryRow,
    enterprise: &str,
    reason: &str,
    by: &str,
    now: DateTime<Utc>,
) -> LedgerResult<Uuid> {
    if !e.status.is_open() {
        return Err(LedgerError::conflict(
            "not_open",
            "只能移交未结束的隐患 / only an open entry can be transferred",
        ));
    }
    if enterprise == e.enterprise {
        return Err(LedgerError::invalid(
            "same_enterprise",
            "目标企业与当前企业相同 / the entry already belongs to that enterprise",
        ));
    }
    let target = crate::rules::training::enterprise(tx, enterprise)?
        .filter(|t| crate::rules::training::in_scope(scope, t))
        .ok_or_else(|| {
            LedgerError::invalid(
                "unknown_enterprise",
                format!(
                    "辖区内没有企业 {enterprise} / no enterprise {enterprise} in your jurisdiction"
                ),
            )
        })?;
    let n = numbering::next(tx, &settings.calendar, &target.code, Series::Hazard, now)?;
    let fresh = new_entry(n, &target.code, e.severity, e.category, now);
    tx.insert_entry(&fresh)?;
    history::opened(
        tx,
        &fresh,
        "transfer_in",
        Step::by(
            by,
            format!(
                "由 {} 移交：{reason} / transferred from {}: {reason}",
                e.number, e.number
            ),
        ),
        now,
    )?;
    e.extension_pending = false;
    history::move_to(
        tx,
        e,
        LedgerStatus::Merged,
        "transfer_out",
        Step::by(
            by,
            format!(
                "移交至 {}（{}）：{reason} / transferred to {} ({}): {reason}",
                fresh.number, target.name, fresh.number, target.name
            ),
        ),
        Some((fresh.id, &fresh.number)),
        now,
    )?;
    tx.move_reports(e.id, fresh.id)?;
    Ok(fresh.id)
}

/// The plan as the history records it, in both languages.
fn plan_text(plan: &RectificationPlan) -> String {
    format!(
        "整改方案：责任 {}；措施 {}；资金 {} 元；时限 {}；预案 {}；层级 {} / plan: responsible {}; measures {}; funds {} yuan; deadline {}; contingency {}; level {}",
        plan.responsible,
        plan.measures,
        plan.funds,
        plan.deadline,
        plan.contingency,
        plan.level.label_zh(),
        plan.responsible,
        plan.measures,
        plan.funds,
        plan.deadline,
        plan.contingency,
        plan.level.wire_name(),
    )
}

/// 合并: `e` duplicates `into`. Its reports (and so their photos and their workers' credit)
/// move to the surviving entry, which records what came in.
fn merge(
    tx: &mut dyn WriteTx,
    scope: &Scope,
    e: &mut EntryRow,
    into: Uuid,
    reason: Option<&str>,
    by: &str,
    now: DateTime<Utc>,
) -> LedgerResult<()> {
    if into == e.id {
        return Err(LedgerError::MergeIntoSelf);
    }
    let mut target = load(tx, scope, into)?.entry;
    if target.enterprise != e.enterprise {
        return Err(LedgerError::conflict(
            "cross_enterprise_merge",
            format!(
                "不能跨企业合并（{} 属于 {}，{} 属于 {}）；如属另一企业，请先移交 / entries of different enterprises cannot be merged ({} is {}'s, {} is {}'s): transfer it first",
                e.number,
                e.enterprise,
                target.number,
                target.enterprise,
                e.number,
                e.enterprise,
                target.number,
                target.enterprise
            ),
        ));
    }
    if !target.status.is_open() {
        return Err(LedgerError::MergeTargetClosed {
            number: target.number,
            status: target.status,
        });
    }
    e.extension_pending = false;
    history::move_to(
        tx,
        e,
        LedgerStatus::Merged,
        LedgerAction::Merge.wire_name(),
        Step::by(
            by,
            with_reason(
                format!("合并至 {} / merged into {}", target.number, target.number),
                reason,
            ),
        ),
        Some((target.id, &target.number)),
        now,
    )?;
    let moved = tx.move_reports(e.id, target.id)?;
    history::note(
        tx,
        &mut target,
        "merge_in",
        Step::by(
            by,
            with_reason(
                format!(
                    "{} 并入本条目（{moved} 份报告）/ {} merged into this entry ({moved} reports)",
                    e.number, e.number
                ),
                reason,
            ),
        ),
        now,
    )?;
    Ok(())
}

/// 拆分: moves one report out of an entry into a new entry of the same enterprise, pending
/// review, with a number of its own from the same counter as filing (never reused).
fn split(
    tx: &mut dyn WriteTx,
    settings: &Settings,
    e: &EntryRow,
    report_id: Uuid,
    reason: &str,
    by: &str,
    now: DateTime<Utc>,
) -> LedgerResult<Uuid> {
    let reports = tx.reports_of_entries(&[e.id])?;
    let Some(report) = reports.iter().find(|r| r.id == report_id) else {
        return Err(LedgerError::NotInEntry);
    };
    if reports.len() < 2 {
        return Err(LedgerError::LastReport);
    }
    let n = numbering::next(tx, &settings.calendar, &e.enterprise, Series::Hazard, now)?;
    let fresh = new_entry(
        n,
        &e.enterprise,
        report.submission.severity,
        report.submission.category,
        now,
    );
    tx.insert_entry(&fresh)?;
    tx.set_report_entry(report_id, fresh.id)?;
    history::note_unchanged(
        tx,
        e,
        "split",
        Step::by(
            by,
            format!(
                "拆出报告 {report_id} 至 {}：{reason} / report {report_id} split out into {}: {reason}",
                fresh.number, fresh.number
            ),
        ),
        now,
    )?;
    history::opened(
        tx,
        &fresh,
        "split_from",
        Step::by(
            by,
            format!(
                "自 {} 拆出报告 {report_id}：{reason} / report {report_id} split out of {}: {reason}",
                e.number, e.number
            ),
        ),
        now,
    )?;
    tx.append_feed(&FeedEvent {
        report_id,
        device_id: report.device_id,
        status: fresh.status,
        entry_id: fresh.id,
        entry_number: fresh.number.clone(),
        merged_into: None,
        reason: Some(reason.to_owned()),
        suggestion: None,
        at: now,
    })?;
    Ok(fresh.id)
}
