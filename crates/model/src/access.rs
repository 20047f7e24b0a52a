//! Who may see what: jurisdiction and reporter anonymity as pure rules.
//!
//! The server enforces these in one place (its authorisation layer) and the tests check them
//! route by route; keeping the rules here, free of I/O, lets both refer to one definition.

use serde::{Deserialize, Serialize};

use crate::Role;

/// An officer's jurisdiction, resolved from their role and scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Jurisdiction {
    /// 区总工会: every enterprise.
    District,
    /// 镇/街道总工会: the enterprises of this town.
    Town {
        /// Town code.
        town: String,
    },
    /// 企业工会: this enterprise.
    Enterprise {
        /// Enterprise code.
        enterprise: String,
    },
    /// 区安监局: only entries escalated to it.
    Bureau,
}

impl Jurisdiction {
    /// The role this jurisdiction belongs to.
    pub fn role(&self) -> Role {
        match self {
            Jurisdiction::District => Role::District,
            Jurisdiction::Town { .. } => Role::Town,
            Jurisdiction::Enterprise { .. } => Role::Enterprise,
            Jurisdiction::Bureau => Role::Bureau,
        }
    }

    /// What the jurisdiction may touch, as the [`Scope`] every read and every action is cut
    /// to: the one definition of who sees what (the server's queries translate the scope,
    /// never the jurisdiction).
    pub fn scope(&self) -> Scope {
        match self {
            Jurisdiction::District => Scope::All,
            Jurisdiction::Town { town } => Scope::Town(town.clone()),
            Jurisdiction::Enterprise { enterprise } => Scope::Enterprise(enterprise.clone()),
            Jurisdiction::Bureau => Scope::Escalated,
        }
    }

    /// Whether an entry of `enterprise` in `town`, escalated or not, is inside.
    pub fn covers(&self, enterprise: &str, town: &str, escalated: bool) -> bool {
        self.scope().covers(enterprise, town, escalated)
    }

    /// Whether the reporter of a report may be shown in ordinary answers. An anonymous report
    /// hides its reporter from every officer; the district may look one up for rewards only,
    /// through a separate, recorded action.
    pub fn sees_reporter(&self, anonymous: bool) -> bool {
        !anonymous
    }

    /// Whether this jurisdiction may reveal an anonymous reporter (for rewards, recorded).
    pub fn may_reveal_for_reward(&self) -> bool {
        matches!(self, Jurisdiction::District)
    }
}

/// Which things a read or an action may touch, by their owner: an entry's enterprise, that
/// enterprise's town, and whether the entry is escalated (a report is owned like its entry, a
/// suggestion like its enterprise and never escalated). Storage backends translate each
/// variant mechanically into their query language.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Everything.
    All,
    /// Things of the enterprises of this town.
    Town(String),
    /// Things of this enterprise.
    Enterprise(String),
    /// Escalated entries (and their reports and photos) only.
    Escalated,
}

impl Scope {
    /// Whether a thing owned by `enterprise` in `town`, escalated or not, is inside.
    pub fn covers(&self, enterprise: &str, town: &str, escalated: bool) -> bool {
        match self {
            Scope::All => true,
            Scope::Town(t) => t == town,
            Scope::Enterprise(e) => e == enterprise,
            Scope::Escalated => escalated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jurisdiction_covers_only_its_own() {
        let e = Jurisdiction::Enterprise {
            enterprise: "E001".into(),
        };
        assert!(e.covers("E001", "T01", false));
        assert!(!e.covers("E002", "T01", true));
        let t = Jurisdiction::Town { town: "T01".into() };
        assert!(t.covers("E002", "T01", false));
        assert!(!t.covers("E003", "T02", false));
        assert!(Jurisdiction::District.covers("E003", "T02", false));
        assert!(Jurisdiction::Bureau.covers("E003", "T02", true));
        assert!(!Jurisdiction::Bureau.covers("E003", "T02", false));
    }

    #[test]
    fn anonymous_reporters_stay_hidden() {
        for j in [
            Jurisdiction::District,
            Jurisdiction::Bureau,
            Jurisdiction::Town { town: "T01".into() },
            Jurisdiction::Enterprise {
                enterprise: "E001".into(),
            },
        ] {
            assert!(!j.sees_reporter(true));
            assert!(j.sees_reporter(false));
            assert_eq!(j.may_reveal_for_reward(), j == Jurisdiction::District);
        }
    }
}
