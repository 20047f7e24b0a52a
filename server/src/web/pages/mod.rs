//! The pages' handlers, one module per page family. Each turns a request into a call to the
//! ledger service and its answer into a template; none decides anything the rules decide.

mod admin;
mod campaign;
mod entry;
mod home;
mod ledger;
mod map;
mod photos;
mod review;
mod stats;

pub use admin::{admin, code_poster, revoke_device, roster};
pub use campaign::{create_draw, draws, rewards};
pub use entry::{act, entry, notice, rectified};
pub use home::{home, login, logout, switch_lang};
pub use ledger::{ledger, ledger_print};
pub use map::{map_points, sites};
pub use photos::{MAX_UPLOAD_BYTES, thumbnail};
pub use review::review;
pub use stats::stats;

use chrono::{DateTime, Utc};
use hazardsnap_ledger::Calendar;
use hazardsnap_ledger::views::ReporterView;
use hazardsnap_model::Lang;

use super::i18n::texts;

/// A time as the district reads it.
fn local(calendar: &Calendar, t: DateTime<Utc>) -> String {
    calendar.local_minute(t)
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
        other => (other, other),
    };
    match lang {
        Lang::Zh => zh.to_owned(),
        Lang::En => en.to_owned(),
    }
}
