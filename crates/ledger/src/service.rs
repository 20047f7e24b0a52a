//! [`Ledger`]: the service the HTTP handlers and the web pages call. Each method is one unit
//! of work in one transaction of the [`Repository`], applying the rules of [`crate::rules`];
//! the methods are spread over the rule modules they belong to (`impl Ledger` in
//! `rules/filing.rs`, `rules/workflow.rs`, …).
//!
//! Every method takes `now` from its caller (the server's clock, a test's clock, the demo's
//! backdated one): the rules never read a clock of their own.

use std::sync::Arc;

use hazardsnap_dedup::DedupConfig;

use crate::calendar::Calendar;
use crate::repo::Repository;

/// Settings of the rules.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The district's calendar (time zone).
    pub calendar: Calendar,
    /// Deduplication thresholds and weights.
    pub dedup: DedupConfig,
    /// An officer's session ends after this long unused (闲置超时).
    pub session_idle: chrono::Duration,
    /// The day of the following month by which a town's monthly report is due (月报截止日).
    pub monthly_due_day: u32,
    /// From this day of that month the workbench reminds of a report not yet submitted.
    pub monthly_reminder_day: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            calendar: Calendar::default(),
            dedup: DedupConfig::default(),
            session_idle: chrono::Duration::minutes(60),
            monthly_due_day: 25,
            monthly_reminder_day: 20,
        }
    }
}

/// The ledger service. Cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    pub(crate) repo: Arc<dyn Repository>,
    pub(crate) settings: Arc<Settings>,
}

impl Ledger {
    /// The service over `repo`.
    pub fn new(repo: Arc<dyn Repository>, settings: Settings) -> Ledger {
        Ledger {
            repo,
            settings: Arc::new(settings),
        }
    }

    /// The repository (for health checks, tests and operators' checks).
    pub fn repo(&self) -> &Arc<dyn Repository> {
        &self.repo
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The district's calendar.
    pub fn calendar(&self) -> &Calendar {
        &self.settings.calendar
    }
}

impl Ledger {
    /// Row counts (for tests and the benchmarks).
    pub async fn counts(&self) -> crate::LedgerResult<crate::repo::rows::StoreCounts> {
        self.repo.read(|tx| Ok(tx.counts()?)).await
    }

    /// How the backend's derived structures differ from its rows (empty when they agree):
    /// an operator's check, and every fault test's last assertion.
    pub async fn integrity_problems(&self) -> crate::LedgerResult<Vec<String>> {
        self.repo.read(|tx| Ok(tx.integrity_problems()?)).await
    }
}
