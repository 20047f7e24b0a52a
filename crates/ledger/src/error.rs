//! The two error types of the ledger: [`LedgerError`], what the rules refuse (a domain error
//! with a stable code and a bilingual message, never an HTTP status), and [`RepoError`], what
//! a storage backend failed at.
//!
//! The HTTP layer and the web pages turn a [`LedgerError`] into an answer by its
//! [`kind`](LedgerError::kind); what the rules decide stays here, what a status code is stays
//! there.

use hazardsnap_model::workflow::PlanInvalid;
use hazardsnap_model::{IllegalMove, Labelled, LedgerStatus};

/// A failure of the storage backend (数据存储故障). Never a rule.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The database refused or failed an operation.
    #[error("数据库错误 / database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database was written by a newer server.
    #[error(
        "数据库版本 {found} 高于本程序支持的 {supported}，请升级服务器 / database schema {found} is newer than the supported {supported}: upgrade the server"
    )]
    TooNew {
        /// Schema version found.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// A stored value could not be read back (a bug or a hand-edited database).
    #[error("数据库中的数据无效 / corrupt stored value: {0}")]
    Corrupt(String),
    /// The worker running the transaction died.
    #[error("后台任务失败 / background task failed: {0}")]
    Worker(String),
}

impl RepoError {
    /// A stored value that does not parse.
    pub fn corrupt(what: impl std::fmt::Display) -> RepoError {
        RepoError::Corrupt(what.to_string())
    }
}

/// Shorthand for repository results.
pub type RepoResult<T> = Result<T, RepoError>;

/// The broad kind of a refusal, which the HTTP layer maps to a status and the pages to a
/// message placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// What was named does not exist, or lies outside the actor's jurisdiction (the same
    /// answer for both, so an officer cannot probe other enterprises).
    NotFound,
    /// The actor's role may not do this, whatever the entry's state.
    Forbidden,
    /// The input breaks a rule of its own (a missing reason, a past deadline).
    Invalid,
    /// The input is well-formed but refers to something not ready (a photo not uploaded).
    Unprocessable,
    /// The state of the ledger does not allow it now (an illegal move, a closed target).
    Conflict,
    /// The storage failed.
    Internal,
}

/// What the ledger's rules refuse (规则拒绝), or a storage failure underneath.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// Not there, or not in the actor's jurisdiction.
    #[error("未找到 / not found")]
    NotFound,
    /// The actor's role may not do this.
    #[error("{message}")]
    Forbidden {
        /// Stable code.
        code: &'static str,
        /// 中文 / English.
        message: String,
    },
    /// The workflow refuses the move; the allowed ones are named.
    #[error("{0}")]
    Illegal(IllegalMove),
    /// A rectification plan misses one of the five in place, or its deadline is past.
    #[error("{0}")]
    Plan(PlanInvalid),
    /// A required text is empty.
    #[error("缺少「{zh}」/ '{field}' is required")]
    Missing {
        /// The field's wire name.
        field: &'static str,
        /// Its Chinese name.
        zh: &'static str,
    },
    /// A text is longer than allowed.
    #[error("「{zh}」过长（最多 {max} 字）/ '{field}' too long (at most {max} characters)")]
    TooLong {
        /// The field's wire name.
        field: &'static str,
        /// Its Chinese name.
        zh: &'static str,
        /// Most characters.
        max: usize,
    },
    /// Another input rule, with its own code.
    #[error("{message}")]
    Invalid {
        /// Stable code.
        code: &'static str,
        /// 中文 / English.
        message: String,
    },
    /// The state of a record does not allow it now, with its own code.
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// 中文 / English.
        message: String,
    },
    /// Photos named by an action were never uploaded.
    #[error("整改后照片 {} 尚未上传 / after-photo {} has not been uploaded", .0.join(", "), .0.join(", "))]
    MissingPhotos(Vec<String>),
    /// An entry cannot be merged into itself.
    #[error("不能合并到自身 / an entry cannot be merged into itself")]
    MergeIntoSelf,
    /// The entry to merge into is no longer open.
    #[error("目标条目 {number} 已结束（{}），不能并入 / target entry {number} is no longer open ({})", .status.label_zh(), .status.wire_name())]
    MergeTargetClosed {
        /// The target's number.
        number: String,
        /// Its status.
        status: LedgerStatus,
    },
    /// A split names a report the entry does not hold.
    #[error("该条目中没有这份报告 / this entry holds no such report")]
    NotInEntry,
    /// A split would leave the entry empty.
    #[error("条目只有这一份报告，无需拆分 / the entry holds only this report: nothing to split")]
    LastReport,
    /// The storage failed.
    #[error("{0}")]
    Repo(#[from] RepoError),
}

impl From<PlanInvalid> for LedgerError {
    fn from(e: PlanInvalid) -> Self {
        LedgerError::Plan(e)
    }
}

impl From<IllegalMove> for LedgerError {
    fn from(e: IllegalMove) -> Self {
        LedgerError::Illegal(e)
    }
}

impl LedgerError {
    /// The stable snake_case code (the API's `error`).
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::NotFound | LedgerError::NotInEntry => "not_found",
            LedgerError::Forbidden { code, .. }
            | LedgerError::Invalid { code, .. }
            | LedgerError::Conflict { code, .. } => code,
            LedgerError::Illegal(_) => IllegalMove::CODE,
            LedgerError::Plan(p) => p.code(),
            LedgerError::Missing { .. } => "missing_field",
            LedgerError::TooLong { .. } => "field_too_long",
            LedgerError::MissingPhotos(_) => "missing_photos",
            LedgerError::MergeIntoSelf => "merge_into_self",
            LedgerError::MergeTargetClosed { .. } => "merge_target_closed",
            LedgerError::LastReport => "last_report",
            LedgerError::Repo(_) => "internal",
        }
    }

    /// The broad kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            LedgerError::NotFound | LedgerError::NotInEntry => ErrorKind::NotFound,
            LedgerError::Forbidden { .. } => ErrorKind::Forbidden,
            LedgerError::Plan(_)
            | LedgerError::Missing { .. }
            | LedgerError::TooLong { .. }
            | LedgerError::Invalid { .. }
            | LedgerError::MergeIntoSelf => ErrorKind::Invalid,
            LedgerError::MissingPhotos(_) => ErrorKind::Unprocessable,
            LedgerError::Illegal(_)
            | LedgerError::Conflict { .. }
            | LedgerError::MergeTargetClosed { .. }
            | LedgerError::LastReport => ErrorKind::Conflict,
            LedgerError::Repo(_) => ErrorKind::Internal,
        }
    }

    /// The field an input error is about, for a form to show the message next to it.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            LedgerError::Missing { field, .. } | LedgerError::TooLong { field, .. } => Some(field),
            LedgerError::Plan(PlanInvalid::Missing { field, .. })
            | LedgerError::Plan(PlanInvalid::TooLong { field, .. }) => Some(field),
            LedgerError::Plan(PlanInvalid::DeadlineInPast) => Some("deadline"),
            _ => None,
        }
    }

    /// A refusal by role.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> LedgerError {
        LedgerError::Forbidden {
            code,
            message: message.into(),
        }
    }

    /// A refusal by the state of a record.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> LedgerError {
        LedgerError::Conflict {
            code,
            message: message.into(),
        }
    }

    /// Another input rule.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> LedgerError {
        LedgerError::Invalid {
            code,
            message: message.into(),
        }
    }
}

/// Shorthand for rule results.
pub type LedgerResult<T> = Result<T, LedgerError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_a_code_and_both_languages() {
        let cases = [
            LedgerError::NotFound,
            LedgerError::MergeIntoSelf,
            LedgerError::LastReport,
            LedgerError::MissingPhotos(vec!["ab".into()]),
            LedgerError::Missing {
                field: "reason",
                zh: "理由",
            },
            LedgerError::MergeTargetClosed {
                number: "E001-2026-0001".into(),
                status: LedgerStatus::Closed,
            },
        ];
        for e in cases {
            let text = e.to_string();
            assert!(text.contains("/ "), "Chinese, then English: {text}");
            assert!(!e.code().is_empty());
            assert_ne!(e.kind(), ErrorKind::Internal);
        }
        assert_eq!(
            LedgerError::Missing {
                field: "reason",
                zh: "理由"
            }
            .field(),
            Some("reason")
        );
    }
}
