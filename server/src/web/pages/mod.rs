//! The pages' handlers, one module per page family. Each turns a request into a call to the
//! ledger service and its answer into a template; none decides anything the rules decide.

mod accountability;
mod admin;
mod campaign;
mod entry;
mod home;
mod ledger;
mod map;
mod monthly;
mod photos;
mod review;
mod stats;
mod suggestions;
mod training;
mod visits;

pub use accountability::{
    file_entry, grant, new_entry, notices, paid, redeem, register, register_xlsx,
};
pub use admin::{admin, code_poster, revoke_device, roster};
pub use campaign::{create_draw, draws, rewards};
pub use entry::{act, entry, notice, rectified};
pub use home::{home, login, logout, switch_lang};
pub use ledger::{ledger, ledger_print};
pub use map::{map_points, sites};
pub use monthly::{monthly, monthly_town, reopen_monthly, submit_monthly};
pub use photos::{MAX_UPLOAD_BYTES, thumbnail};
pub use review::review;
pub use stats::stats;
pub use suggestions::{review_suggestion, suggestions};
pub use training::{file_training_finding, record_training, training, trainings};
pub use visits::{file_visit_finding, record_visit, visit, visits};

use axum::http::StatusCode;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use hazardsnap_ledger::views::ReporterView;
use hazardsnap_ledger::{Calendar, ErrorKind, LedgerError};
use hazardsnap_model::{Labelled, Lang};
use uuid::Uuid;

use super::PageError;
use super::i18n::texts;
use crate::error::AppError;

/// A time as the district reads it.
fn local(calendar: &Calendar, t: DateTime<Utc>) -> String {
    calendar.local_minute(t)
}

/// An id from a page's address; anything else names a page that does not exist (404).
fn id_of(id: &str, lang: Lang) -> Result<Uuid, PageError> {
    Uuid::parse_str(id).map_err(|_| PageError::new(lang, AppError::NotFound))
}

/// A finding's index from a page's address, likewise.
fn index_of(index: &str, lang: Lang) -> Result<usize, PageError> {
    index
        .parse()
        .map_err(|_| PageError::new(lang, AppError::NotFound))
}

/// A reporter as shown: the device's name, or 匿名.
fn finder_name(r: &ReporterView, lang: Lang) -> String {
    if r.anonymous {
        texts(lang).anonymous.to_owned()
    } else {
        r.device_name.clone().unwrap_or_default()
    }
}

/// What a history action is called, in the reader's language.
fn history_action(action: &str, lang: Lang) -> String {
    use hazardsnap_model::{Labelled, LedgerAction};
    if let Ok(a) = LedgerAction::from_wire(action) {
        return a.label(lang).to_owned();
    }
    let (zh, en) = match action {
        "reported" => ("上报", "Reported"),
        "auto_merged" => ("自动并入（重复上报）", "Joined as a duplicate"),
        "possible_duplicate" => ("疑似重复", "Possible duplicate"),
        "severity_raised" => ("等级上调为重大", "Raised to major"),
        "merge_in" => ("并入重复条目", "Duplicate merged in"),
        "split" => ("拆出报告", "Report split out"),
        "split_from" => ("拆分自", "Split from"),
        "not_duplicate" => ("不是同一隐患", "Not the same hazard"),
        "supervision_accepted" => ("安监局挂牌督办", "Listed by the bureau"),
        "supervision_declined" => ("安监局不予挂牌", "Declined by the bureau"),
        "reclassify" => ("调整类别/等级", "Reclassified"),
        "transfer_in" => ("移交转入", "Transferred in"),
        "transfer_out" => ("移交转出", "Transferred out"),
        "filed_by_officer" => ("工作人员登记", "Filed by an officer"),
        other => (other, other),
    };
    match lang {
        Lang::Zh => zh.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// A message with its `{name}` placeholders filled in.
fn fill(message: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(message.to_owned(), |m, (k, v)| {
        m.replace(&format!("{{{k}}}"), v)
    })
}

/// A month as a sentence names it: `10 月` or `October 2026`.
fn month_words(month: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{} 月", month.month()),
        Lang::En => month.format("%B %Y").to_string(),
    }
}

/// A day as a sentence names it: `11 月 25 日` or `25 November`.
fn day_words(day: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{} 月 {} 日", day.month(), day.day()),
        Lang::En => day.format("%-d %B").to_string(),
    }
}

/// The status a refused form is answered with: 409 for the state of a record, 422 for
/// something not ready, else 400.
fn refusal_status(e: &LedgerError) -> StatusCode {
    match e.kind() {
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// A vocabulary's values as `(wire name, label)` options of a select.
fn options<L: Labelled>(lang: Lang) -> Vec<(&'static str, &'static str)> {
    L::ALL
        .iter()
        .map(|v| (v.wire_name(), v.label(lang)))
        .collect()
}

/// A refusal shown on one of the campaign forms: the field it concerns (when it names one)
/// and the message in the reader's language.
#[derive(Debug)]
pub struct FieldError {
    /// The form field, or none: the message stands above the form.
    pub field: Option<String>,
    /// The message.
    pub message: String,
}

impl FieldError {
    /// A form's own refusal of one field.
    fn at(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    /// A refusal of the rules, placed at the field it names (`fields` maps the rules' own
    /// codes to the form's fields for refusals that name none).
    fn of(e: &LedgerError, lang: Lang, fields: &[(&str, &str)]) -> FieldError {
        let field = e.field().map(str::to_owned).or_else(|| {
            fields
                .iter()
                .find(|(code, _)| *code == e.code())
                .map(|(_, f)| (*f).to_owned())
        });
        FieldError {
            field,
            message: super::i18n::localize(&e.to_string(), lang),
        }
    }
}

/// A finding of a drill or a visit as its page shows it.
pub struct FindingLine {
    /// Its index in the record (the filing form's address).
    index: usize,
    /// What was found.
    note: String,
    /// The ledger entry it became: id and number.
    entry: Option<(Uuid, String)>,
    /// The refusal of its filing form, if it was just refused.
    error: Option<String>,
}

/// The findings of a record, with the refusal of finding `refused` if one was refused.
fn finding_lines(
    findings: &[hazardsnap_ledger::rules::training::Finding],
    refused: Option<(usize, String)>,
) -> Vec<FindingLine> {
    findings
        .iter()
        .enumerate()
        .map(|(index, f)| FindingLine {
            index,
            note: f.note.clone(),
            entry: f.entry_id.zip(f.entry_number.clone()),
            error: refused
                .as_ref()
                .filter(|(i, _)| *i == index)
                .map(|(_, m)| m.clone()),
        })
        .collect()
}

/// Text split into lines, each trimmed, empty ones dropped.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_dates_read_per_language() {
        assert_eq!(
            fill("{a} 与 {b}，{a}", &[("a", "甲"), ("b", "乙")]),
            "甲 与 乙，甲"
        );
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(month_words(d, Lang::Zh), "11 月");
        assert_eq!(month_words(d, Lang::En), "November 2026");
        assert_eq!(day_words(d, Lang::Zh), "11 月 25 日");
        assert_eq!(day_words(d, Lang::En), "25 November");
        assert_eq!(lines(" a \n\n b\r\n"), ["a", "b"]);
    }

    #[test]
    fn a_refusal_lands_at_its_field() {
        let e = LedgerError::Missing {
            field: "reason",
            zh: "退回原因",
        };
        let f = FieldError::of(&e, Lang::Zh, &[]);
        assert_eq!(f.field.as_deref(), Some("reason"));
        assert_eq!(f.message, "缺少「退回原因」");
        let e = LedgerError::invalid("unknown_team", "没有 / no such team");
        let f = FieldError::of(&e, Lang::En, &[("unknown_team", "teams")]);
        assert_eq!(f.field.as_deref(), Some("teams"));
        assert_eq!(f.message, "no such team");
        assert_eq!(refusal_status(&e), StatusCode::BAD_REQUEST);
        assert_eq!(
            refusal_status(&LedgerError::conflict("already_filed", "x / x")),
            StatusCode::CONFLICT
        );
    }
}
