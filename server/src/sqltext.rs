//! The one translation of the rules' questions into SQL, for both backends: a [`Scope`] into a
//! condition on a thing's owner, an [`EntryPredicate`] into a condition on `ledger_entries le`
//! joined with its enterprise `en`, an order into `ORDER BY`. Each variant is translated
//! mechanically and in this file only; what the variants mean is decided by the rules. The SQL
//! is the dialect SQLite and PostgreSQL share (`TRUE`/`FALSE`, `NULLS FIRST`, which SQLite
//! reads since 3.23 and 3.30), so both backends run the same text; only the type of the bound
//! values differs (`Q<V>`), and each backend's `sql` module names its own.

use crate::sqlite::ts;
use hazardsnap_ledger::repo::query::{EntryGroup, EntryOrder, EntryPredicate, Scope};
use hazardsnap_model::Labelled;

/// A piece of SQL with its positional arguments (of the backend's value type `V`), built
/// together so they cannot drift.
#[derive(Debug, Clone)]
pub(crate) struct Q<V> {
    pub sql: String,
    pub args: Vec<V>,
}

impl<V> Default for Q<V> {
    fn default() -> Self {
        Q {
            sql: String::new(),
            args: Vec::new(),
        }
    }
}

impl<V> Q<V> {
    /// Starts with fixed SQL.
    pub fn new(sql: impl Into<String>) -> Q<V> {
        Q {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    /// Appends SQL.
    pub fn push(&mut self, sql: &str) -> &mut Q<V> {
        self.sql.push_str(sql);
        self
    }

    /// Appends a `?` bound to `v`.
    pub fn arg(&mut self, v: impl Into<V>) -> &mut Q<V> {
        self.sql.push('?');
        self.args.push(v.into());
        self
    }

    /// Appends `(?, ?, …)` bound to `vs`; `(NULL)` when empty (matches nothing).
    pub fn list<T: Into<V>>(&mut self, vs: impl IntoIterator<Item = T>) -> &mut Q<V> {
        self.sql.push('(');
        let mut any = false;
        for v in vs {
            if any {
                self.sql.push(',');
            }
            self.sql.push('?');
            self.args.push(v.into());
            any = true;
        }
        if !any {
            self.sql.push_str("NULL");
        }
        self.sql.push(')');
        self
    }

    /// Appends `('a','b',…)` written out, not bound: for the fixed vocabulary only (wire
    /// names), so that the planner can match a partial index whose condition names the same values;
    /// `(NULL)` when empty (matches nothing).
    pub fn literals<'a>(&mut self, vs: impl IntoIterator<Item = &'a str>) -> &mut Q<V> {
        self.sql.push('(');
        let mut any = false;
        for v in vs {
            if any {
                self.sql.push(',');
            }
            self.sql.push('\'');
            self.sql.push_str(&v.replace('\'', "''"));
            self.sql.push('\'');
            any = true;
        }
        if !any {
            self.sql.push_str("NULL");
        }
        self.sql.push(')');
        self
    }

    /// Appends another piece.
    pub fn append(&mut self, other: Q<V>) -> &mut Q<V> {
        self.sql.push_str(&other.sql);
        self.args.extend(other.args);
        self
    }
}

/// The columns that say who owns a thing, for [`scope`].
pub(crate) struct Owner {
    /// The owning enterprise's code.
    pub enterprise: &'static str,
    /// The owning enterprise's town (a joined `enterprises` row).
    pub town: &'static str,
    /// Whether the owning entry is escalated (0 for things that cannot be).
    pub escalated: &'static str,
}

/// A ledger entry `le` with its enterprise `en`.
pub(crate) const ENTRY: Owner = Owner {
    enterprise: "le.enterprise",
    town: "en.town",
    escalated: "le.escalated",
};

/// A report `r`, its entry `le` (LEFT JOIN) and the owning enterprise `en` (that of its
/// entry, else its own).
pub(crate) const REPORT: Owner = Owner {
    enterprise: "COALESCE(le.enterprise, r.enterprise)",
    town: "en.town",
    escalated: "COALESCE(le.escalated, 0)",
};

/// A suggestion `s` with its enterprise `en`.
pub(crate) const SUGGESTION: Owner = Owner {
    enterprise: "s.enterprise",
    town: "en.town",
    escalated: "0",
};

/// The scope as a condition on a thing's owner.
pub(crate) fn scope<V: From<String>>(s: &Scope, owner: &Owner) -> Q<V> {
    let mut q = Q::default();
    match s {
        Scope::All => {
            q.push("TRUE");
        }
        Scope::Town(t) => {
            q.push(owner.town).push(" = ").arg(t.clone());
        }
        Scope::Enterprise(e) => {
            q.push(owner.enterprise).push(" = ").arg(e.clone());
        }
        Scope::Escalated => {
            q.push(owner.escalated).push(" = 1");
        }
    }
    q
}

/// One predicate as a condition on `le` / `en`.
fn predicate<V: From<String>>(p: &EntryPredicate) -> Q<V> {
    let mut q = Q::default();
    match p {
        EntryPredicate::Enterprise(e) => {
            q.push("le.enterprise = ").arg(e.clone());
        }
        EntryPredicate::Town(t) => {
            q.push("en.town = ").arg(t.clone());
        }
        EntryPredicate::StatusIn(v) => {
            // Written out: the partial index of open entries' deadlines
            // (`ledger_entries_open_deadline`) is usable only when the query spells its
            // condition; a bound list would leave the overdue counts a walk of every deadline.
            q.push("le.status IN ")
                .literals(v.iter().map(|s| s.wire_name()));
        }
        EntryPredicate::Severity(s) => {
            q.push("le.severity = ").arg(s.wire_name().to_owned());
        }
        EntryPredicate::Category(c) => {
            q.push("le.category = ").arg(c.wire_name().to_owned());
        }
        EntryPredicate::Escalated(b) => {
            // Written out, for the partial index `ledger_entries_escalated` (escalated = 1).
            q.push(if *b {
                "le.escalated = 1"
            } else {
                "le.escalated = 0"
            });
        }
        EntryPredicate::DeadlineBefore(d) => {
            q.push("(le.deadline IS NOT NULL AND le.deadline < ")
                .arg(d.to_string())
                .push(")");
        }
        EntryPredicate::DeadlineWithin(a, b) => {
            q.push("(le.deadline IS NOT NULL AND le.deadline >= ")
                .arg(a.to_string())
                .push(" AND le.deadline <= ")
                .arg(b.to_string())
                .push(")");
        }
        EntryPredicate::CreatedIn(a, b) => {
            q.push("(le.created_at >= ")
                .arg(ts(*a))
                .push(" AND le.created_at < ")
                .arg(ts(*b))
                .push(")");
        }
        EntryPredicate::ClosedIn(a, b) => {
            q.push("(le.closed_at >= ")
                .arg(ts(*a))
                .push(" AND le.closed_at < ")
                .arg(ts(*b))
                .push(")");
        }
        EntryPredicate::IdIn(ids) => {
            q.push("le.id IN ").list(ids.iter().map(|i| i.to_string()));
        }
        EntryPredicate::Number(n) => {
            q.push("le.number = ").arg(n.clone());
        }
        EntryPredicate::Not(inner) => {
            // A condition on a NULL column (a never-closed entry's `closed_at`) is unknown, not
            // false, in SQL; `Not` means "the conjunction does not hold", so unknown counts
            // as not holding.
            q.push("NOT COALESCE(").append(all(inner)).push(", FALSE)");
        }
    }
    q
}

/// Whether a count of entries needs their enterprise `en` joined: only for its town (a town
/// scope, a town predicate, grouping by town). Every entry has its enterprise (a foreign key),
/// so leaving the join out never changes a count, and spares a lookup per entry counted. A
/// translation that starts using `en` without being listed here fails loudly (no such column).
pub(crate) fn needs_enterprise(s: &Scope, filter: &[EntryPredicate], g: EntryGroup) -> bool {
    fn town(p: &EntryPredicate) -> bool {
        match p {
            EntryPredicate::Town(_) => true,
            EntryPredicate::Not(inner) => inner.iter().any(town),
            _ => false,
        }
    }
    matches!(s, Scope::Town(_)) || g == EntryGroup::Town || filter.iter().any(town)
}

/// All predicates, as one condition (`TRUE` when there are none).
pub(crate) fn all<V: From<String>>(ps: &[EntryPredicate]) -> Q<V> {
    let mut q = Q::new("(TRUE");
    for p in ps {
        q.push(" AND ").append(predicate(p));
    }
    q.push(")");
    q
}

/// The `ORDER BY` of an entry order.
pub(crate) fn order(o: EntryOrder) -> &'static str {
    match o {
        EntryOrder::NewestFirst => " ORDER BY le.created_at DESC, le.number DESC",
        EntryOrder::OldestFirst => " ORDER BY le.created_at, le.number",
        EntryOrder::Deadline => " ORDER BY le.deadline IS NULL, le.deadline, le.number",
        EntryOrder::Number => " ORDER BY le.number",
        // A never-closed entry first, as SQLite sorts NULL anyway (PostgreSQL would put it last).
        EntryOrder::ClosedAt => " ORDER BY le.closed_at NULLS FIRST, le.number",
    }
}

/// The grouping expression of an entry count.
pub(crate) fn group(g: EntryGroup) -> &'static str {
    match g {
        EntryGroup::Total => "''",
        EntryGroup::Enterprise => "le.enterprise",
        EntryGroup::Town => "en.town",
        EntryGroup::Status => "le.status",
        EntryGroup::Category => "le.category",
        EntryGroup::Severity => "le.severity",
    }
}

/// A count or offset as the databases' 64-bit integer.
pub(crate) fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hazardsnap_model::LedgerStatus;

    #[test]
    fn predicates_bind_every_value_but_the_vocabulary() {
        let q: Q<String> = all(&[
            EntryPredicate::StatusIn(vec![LedgerStatus::Closed, LedgerStatus::Rejected]),
            EntryPredicate::Not(vec![EntryPredicate::Escalated(true)]),
            EntryPredicate::StatusIn(vec![]),
            EntryPredicate::Enterprise("E'01".into()),
        ]);
        assert_eq!(
            q.sql,
            "(TRUE AND le.status IN ('closed','rejected') AND NOT COALESCE((TRUE AND le.escalated = 1), FALSE) \
             AND le.status IN (NULL) AND le.enterprise = ?)"
        );
        assert_eq!(q.args.len(), 1);
        let mut l: Q<String> = Q::default();
        l.literals(["it's"]);
        assert_eq!(l.sql, "('it''s')");
        assert!(needs_enterprise(
            &Scope::All,
            &[EntryPredicate::Not(vec![EntryPredicate::Town(
                "T01".into()
            )])],
            EntryGroup::Total
        ));
        assert!(!needs_enterprise(
            &Scope::Enterprise("E001".into()),
            &[EntryPredicate::Escalated(true)],
            EntryGroup::Status
        ));
        let s: Q<String> = scope(&Scope::Town("T01".into()), &REPORT);
        assert_eq!((s.sql.as_str(), s.args.len()), ("en.town = ?", 1));
    }
}
