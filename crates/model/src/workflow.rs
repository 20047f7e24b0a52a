//! The closed loop of a hazard ledger entry (隐患闭环管理) as a pure state machine.
//!
//! reported → reviewed (confirmed with the "five in place" plan, rejected with a reason, or merged
//! into another entry as a duplicate) → being rectified → rectified with after-photos → verified
//! and closed (销号), or sent back. A major hazard can be escalated to the work-safety bureau for
//! listed supervision (挂牌督办) while it is open; escalation is a mark on the entry, not a status,
//! because the entry's own loop goes on under the bureau's eyes.
//!
//! The server applies every officer action through [`apply`], so an illegal move is refused the
//! same way from the API and from the web pages, naming the moves that are allowed.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::label::Labelled;
use crate::labelled_enum;
use crate::{LedgerStatus, RectificationLevel, Severity};

labelled_enum! {
    /// An officer's step on a ledger entry.
    pub enum LedgerAction: "ledger action" {
        /// 确认并制定整改方案 (五到位).
        Confirm = "confirm", "确认", "Confirm";
        /// 驳回（说明理由）.
        Reject = "reject", "驳回", "Reject";
        /// 合并为重复隐患.
        Merge = "merge", "合并", "Merge";
        /// 整改完成（附整改后照片）.
        Rectified = "rectified", "整改完成", "Mark rectified";
        /// 验收通过，销号.
        VerifyAccept = "verify_accept", "验收销号", "Verify and close";
        /// 验收不通过，退回整改.
        VerifyReturn = "verify_return", "退回整改", "Send back";
        /// 重大隐患提请安监局挂牌督办.
        Escalate = "escalate", "提请挂牌督办", "Escalate to bureau";
        /// 申请延期.
        RequestExtension = "request_extension", "申请延期", "Request extension";
        /// 审批延期申请.
        DecideExtension = "decide_extension", "审批延期", "Decide extension";
    }
}

/// What the state machine needs to know of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryState {
    /// Status in the loop.
    pub status: LedgerStatus,
    /// General or major.
    pub severity: Severity,
    /// Escalated to the bureau (挂牌督办).
    pub escalated: bool,
    /// An extension request waits for a decision.
    pub extension_pending: bool,
}

impl EntryState {
    /// A freshly filed entry.
    pub fn new(severity: Severity) -> Self {
        EntryState {
            status: LedgerStatus::PendingReview,
            severity,
            escalated: false,
            extension_pending: false,
        }
    }
}

/// A move the state machine refuses (HTTP 409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct IllegalMove {
    /// The entry's status.
    pub from: LedgerStatus,
    /// What was asked.
    pub action: LedgerAction,
    /// What is allowed instead.
    pub allowed: Vec<LedgerAction>,
}

impl IllegalMove {
    /// The API error code.
    pub const CODE: &'static str = "illegal_transition";
}

impl fmt::Display for IllegalMove {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zh: Vec<_> = self.allowed.iter().map(|a| a.label_zh()).collect();
        let en: Vec<_> = self.allowed.iter().map(|a| a.wire_name()).collect();
        write!(
            f,
            "当前状态「{}」不能执行「{}」，可执行：{} / cannot {} an entry that is {}; allowed: {}",
            self.from.label_zh(),
            self.action.label_zh(),
            if zh.is_empty() {
                "无".to_owned()
            } else {
                zh.join("、")
            },
            self.action.wire_name(),
            self.from.wire_name(),
            if en.is_empty() {
                "none".to_owned()
            } else {
                en.join(", ")
            },
        )
    }
}

/// The actions allowed on an entry in this state, in the order officers see them.
pub fn allowed_actions(s: &EntryState) -> Vec<LedgerAction> {
    use LedgerAction as A;
    use LedgerStatus as S;
    let mut out = match s.status {
        S::PendingReview => vec![A::Confirm, A::Reject, A::Merge],
        S::Rectifying if s.extension_pending => vec![A::Rectified, A::Merge, A::DecideExtension],
        S::Rectifying => vec![A::Rectified, A::Merge, A::RequestExtension],
        S::AwaitingVerification => vec![A::VerifyAccept, A::VerifyReturn],
        S::Closed | S::Rejected | S::Merged => vec![],
    };
    if s.status.is_open() && s.severity == Severity::Major && !s.escalated {
        out.push(A::Escalate);
    }
    out
}

/// Applies an action: the new state, or the refusal naming the allowed moves.
pub fn apply(s: &EntryState, action: LedgerAction) -> Result<EntryState, IllegalMove> {
    use LedgerAction as A;
    use LedgerStatus as S;
    if !allowed_actions(s).contains(&action) {
        return Err(IllegalMove {
            from: s.status,
            action,
            allowed: allowed_actions(s),
        });
    }
    let mut next = *s;
    match action {
        A::Confirm | A::VerifyReturn => next.status = S::Rectifying,
        A::Reject => next.status = S::Rejected,
        A::Merge => {
            next.status = S::Merged;
            next.extension_pending = false;
        }
        A::Rectified => {
            next.status = S::AwaitingVerification;
            next.extension_pending = false;
        }
        A::VerifyAccept => next.status = S::Closed,
        A::Escalate => next.escalated = true,
        A::RequestExtension => next.extension_pending = true,
        A::DecideExtension => next.extension_pending = false,
    }
    Ok(next)
}

/// Money in fen (分), exact. On the wire: a number or a string of yuan, e.g. `1500` or `"1500.50"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Funds(pub i64);

impl Funds {
    /// Parses yuan with at most two decimals.
    pub fn parse_yuan(s: &str) -> Option<Funds> {
        let s = s.trim();
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || int.len() > 12 {
            return None;
        }
        if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let frac_fen = format!("{frac:0<2}").parse::<i64>().ok()?;
        Some(Funds(int.parse::<i64>().ok()? * 100 + frac_fen))
    }
}

impl fmt::Display for Funds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl Serialize for Funds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Funds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(serde_json::Number),
            S(String),
        }
        let text = match Raw::deserialize(d)? {
            Raw::N(n) => n.to_string(),
            Raw::S(s) => s,
        };
        Funds::parse_yuan(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "资金「{text}」无效：应为非负金额（元，最多两位小数） / invalid funds '{text}': expected a non-negative amount in yuan with at most two decimals"
            ))
        })
    }
}

/// The rectification plan: the "five in place" (五到位) and the level that fixes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RectificationPlan {
    /// 责任：who is responsible.
    pub responsible: String,
    /// 措施：what will be done.
    pub measures: String,
    /// 资金：money set aside.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "800.00"))]
    pub funds: Funds,
    /// 时限：by when.
    pub deadline: NaiveDate,
    /// 预案：what to do until it is fixed.
    pub contingency: String,
    /// The lowest level that can fix it.
    pub level: RectificationLevel,
}

/// A plan that misses one of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanInvalid {
    #[error("整改方案缺少「{zh}」 / the plan lacks '{field}'")]
    Missing {
        field: &'static str,
        zh: &'static str,
    },
    #[error("「{zh}」过长（最多 {max} 字） / '{field}' too long (at most {max} characters)")]
    TooLong {
        field: &'static str,
        zh: &'static str,
        max: usize,
    },
    #[error("整改时限早于今天 / the deadline lies in the past")]
    DeadlineInPast,
}

impl PlanInvalid {
    /// The API error code.
    pub fn code(&self) -> &'static str {
        match self {
            PlanInvalid::Missing { .. } => "plan_incomplete",
            PlanInvalid::TooLong { .. } => "plan_field_too_long",
            PlanInvalid::DeadlineInPast => "deadline_in_past",
        }
    }
}

/// Characters of a plan's text field.
pub const MAX_PLAN_FIELD_CHARS: usize = 2000;

impl RectificationPlan {
    /// Checks all five are there, as of `today`.
    pub fn validate(&self, today: NaiveDate) -> Result<(), PlanInvalid> {
        for (field, zh, v) in [
            ("responsible", "责任", &self.responsible),
            ("measures", "措施", &self.measures),
            ("contingency", "预案", &self.contingency),
        ] {
            if v.trim().is_empty() {
                return Err(PlanInvalid::Missing { field, zh });
            }
            if v.chars().count() > MAX_PLAN_FIELD_CHARS {
                return Err(PlanInvalid::TooLong {
                    field,
                    zh,
                    max: MAX_PLAN_FIELD_CHARS,
                });
            }
        }
        if self.deadline < today {
            return Err(PlanInvalid::DeadlineInPast);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The loop as DOMAIN.md states it, written independently of [`allowed_actions`] as a
    /// table of (from, action) → to, for the property test to compare against.
    fn reference(s: &EntryState, a: LedgerAction) -> Option<EntryState> {
        use LedgerAction as A;
        use LedgerStatus as S;
        let open = matches!(
            s.status,
            S::PendingReview | S::Rectifying | S::AwaitingVerification
        );
        let mut n = *s;
        match (s.status, a) {
            (S::PendingReview, A::Confirm) => n.status = S::Rectifying,
            (S::PendingReview, A::Reject) => n.status = S::Rejected,
            (S::PendingReview | S::Rectifying, A::Merge) => {
                n.status = S::Merged;
                n.extension_pending = false;
            }
            (S::Rectifying, A::Rectified) => {
                n.status = S::AwaitingVerification;
                n.extension_pending = false;
            }
            (S::AwaitingVerification, A::VerifyAccept) => n.status = S::Closed,
            (S::AwaitingVerification, A::VerifyReturn) => n.status = S::Rectifying,
            (S::Rectifying, A::RequestExtension) if !s.extension_pending => {
                n.extension_pending = true
            }
            (S::Rectifying, A::DecideExtension) if s.extension_pending => {
                n.extension_pending = false
            }
            (_, A::Escalate) if open && s.severity == Severity::Major && !s.escalated => {
                n.escalated = true
            }
            _ => return None,
        }
        Some(n)
    }

    fn action() -> impl Strategy<Value = LedgerAction> {
        (0..LedgerAction::ALL.len()).prop_map(|i| LedgerAction::ALL[i])
    }

    proptest! {
        #[test]
        fn the_machine_agrees_with_the_reference(
            major: bool,
            actions in proptest::collection::vec(action(), 0..40),
        ) {
            let sev = if major { Severity::Major } else { Severity::General };
            let mut s = EntryState::new(sev);
            let mut closed_via_verify = false;
            for a in actions {
                let got = apply(&s, a);
                let want = reference(&s, a);
                match (&got, want) {
                    (Ok(n), Some(w)) => prop_assert_eq!(*n, w),
                    (Err(e), None) => {
                        prop_assert_eq!(e.from, s.status);
                        prop_assert!(!e.allowed.contains(&a));
                        for ok in &e.allowed {
                            prop_assert!(reference(&s, *ok).is_some(), "allowed {:?} refused by reference", ok);
                        }
                    }
                    (g, w) => prop_assert!(false, "{:?} {:?}: machine {:?}, reference {:?}", s, a, g, w),
                }
                if let Ok(n) = got {
                    if n.status == LedgerStatus::Closed && s.status != LedgerStatus::Closed {
                        closed_via_verify = a == LedgerAction::VerifyAccept;
                        prop_assert!(closed_via_verify);
                    }
                    s = n;
                }
                // Invariants: only major entries are escalated; a terminal entry allows nothing.
                prop_assert!(!s.escalated || s.severity == Severity::Major);
                if !s.status.is_open() {
                    prop_assert!(allowed_actions(&s).is_empty());
                }
            }
            let _ = closed_via_verify;
        }
    }

    #[test]
    fn illegal_move_names_the_allowed_ones() {
        let s = EntryState::new(Severity::General);
        let e = apply(&s, LedgerAction::VerifyAccept).unwrap_err();
        assert_eq!(
            e.allowed,
            [
                LedgerAction::Confirm,
                LedgerAction::Reject,
                LedgerAction::Merge
            ]
        );
        let text = e.to_string();
        assert!(text.contains("确认、驳回、合并"), "{text}");
        assert!(text.contains("allowed: confirm, reject, merge"), "{text}");
    }

    #[test]
    fn only_major_open_entries_escalate_once() {
        let g = EntryState::new(Severity::General);
        assert!(apply(&g, LedgerAction::Escalate).is_err());
        let m = EntryState::new(Severity::Major);
        let e = apply(&m, LedgerAction::Escalate).unwrap();
        assert!(e.escalated && e.status == LedgerStatus::PendingReview);
        assert!(apply(&e, LedgerAction::Escalate).is_err());
    }

    #[test]
    fn funds_are_exact() {
        assert_eq!(Funds::parse_yuan("1500"), Some(Funds(150_000)));
        assert_eq!(Funds::parse_yuan("0.5"), Some(Funds(50)));
        assert_eq!(Funds::parse_yuan("12.34"), Some(Funds(1234)));
        assert_eq!(Funds::parse_yuan("-1"), None);
        assert_eq!(Funds::parse_yuan("1.234"), None);
        assert_eq!(Funds::parse_yuan("abc"), None);
        let f: Funds = serde_json::from_str("2500.5").unwrap();
        assert_eq!(f.to_string(), "2500.50");
        assert!(serde_json::from_str::<Funds>("\"-3\"").is_err());
    }

    #[test]
    fn a_plan_needs_all_five() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 14).unwrap();
        let plan = RectificationPlan {
            responsible: "设备科 王工".into(),
            measures: "更换阀门密封件".into(),
            funds: Funds(80_000),
            deadline: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            contingency: "关闭上游阀门，设置警戒区".into(),
            level: RectificationLevel::Workshop,
        };
        plan.validate(today).unwrap();
        let mut p = plan.clone();
        p.contingency = " ".into();
        assert_eq!(p.validate(today).unwrap_err().code(), "plan_incomplete");
        let mut p = plan.clone();
        p.deadline = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(p.validate(today).unwrap_err().code(), "deadline_in_past");
        let json = serde_json::json!({
            "responsible": "a", "measures": "b", "funds": 10, "deadline": "2026-04-01",
            "contingency": "c", "level": "team"
        });
        let p: RectificationPlan = serde_json::from_value(json).unwrap();
        assert_eq!(p.level, RectificationLevel::Team);
    }
}
