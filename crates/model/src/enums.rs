//! The campaign's closed vocabularies (see `DOMAIN.md`).
//!
//! Wire names are part of the protocol and of every stored row: append new values, never rename
//! or reuse one.

use crate::label::Labelled;
use crate::labelled_enum;

labelled_enum! {
    /// What a worker sends: a hazard (隐患) or a safety suggestion (合理化建议, "金点子").
    pub enum ReportKind: "report kind" {
        Hazard = "hazard", "隐患", "Hazard";
        Suggestion = "suggestion", "合理化建议", "Safety suggestion";
    }
}

labelled_enum! {
    /// The category of a report: the plan's "six checks" (六查) plus occupational health and other.
    pub enum Category: "category" {
        /// 查安全生产制度落实
        Rules = "rules", "安全生产制度落实", "Safety rules followed";
        /// 查职工标准化作业
        StandardWork = "standard_work", "职工标准化作业", "Standardized work";
        /// 查生产设备安全防护
        EquipmentGuarding = "equipment_guarding", "生产设备安全防护", "Equipment guarding";
        /// 查职工劳动保护用品配备
        Ppe = "ppe", "劳动保护用品配备", "Personal protective equipment";
        /// 查安全生产定置管理
        FixedPosition = "fixed_position", "安全生产定置管理", "Fixed-position management";
        /// 查安全生产现场关键点控制
        KeyPoints = "key_points", "现场关键点控制", "Key-point control";
        /// 职业病危害
        OccupationalHealth = "occupational_health", "职业健康", "Occupational health";
        Other = "other", "其他", "Other";
    }
}

labelled_enum! {
    /// How serious a hazard is. Finding a major one (重大隐患) earns a reward.
    pub enum Severity: "severity" {
        General = "general", "一般隐患", "General hazard";
        Major = "major", "重大隐患", "Major hazard";
    }
}

labelled_enum! {
    /// Who or what is at risk: the "four protects" (四保). A report may name several.
    pub enum AtRisk: "at-risk" {
        Oneself = "oneself", "自身安全", "Oneself";
        Others = "others", "他人安全", "Others";
        Equipment = "equipment", "设备安全", "Equipment";
        Environment = "environment", "环境安全", "Environment";
    }
}

labelled_enum! {
    /// How the hazard was found: the "four checks" (四查).
    pub enum CheckSource: "source" {
        /// 职工排查隐患
        WorkerCheck = "worker_check", "职工排查", "Worker's own check";
        /// 专家查找隐患
        ExpertCheck = "expert_check", "专家查找", "Expert check";
        /// 职工代表巡查隐患
        RepresentativePatrol = "representative_patrol", "职工代表巡查", "Worker representative's patrol";
        /// 班组互查隐患
        TeamCrossCheck = "team_cross_check", "班组互查", "Team cross-check";
    }
}

labelled_enum! {
    /// Where an entry stands in the closed loop of its enterprise's hazard ledger (隐患台账).
    pub enum LedgerStatus: "ledger status" {
        PendingReview = "pending_review", "待审核", "Pending review";
        Rectifying = "rectifying", "整改中", "Being rectified";
        AwaitingVerification = "awaiting_verification", "待验收", "Awaiting verification";
        Closed = "closed", "已销号", "Closed";
        Rejected = "rejected", "已驳回", "Rejected";
        Merged = "merged", "已合并", "Merged";
    }
}

impl LedgerStatus {
    /// Whether the entry is still open: it can receive duplicates and can become overdue.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            LedgerStatus::PendingReview
                | LedgerStatus::Rectifying
                | LedgerStatus::AwaitingVerification
        )
    }
}

labelled_enum! {
    /// The lowest level that can fix a hazard (能由个人和岗位改正的要迅速改正……).
    pub enum RectificationLevel: "rectification level" {
        Post = "post", "个人/岗位", "Individual or post";
        Team = "team", "班组", "Team";
        Workshop = "workshop", "车间", "Workshop";
        Enterprise = "enterprise", "企业", "Enterprise";
        /// 挂牌督办: listed, supervised rectification by the work-safety bureau.
        BureauSupervised = "bureau_supervised", "安监局挂牌督办", "Bureau-supervised";
    }
}

labelled_enum! {
    /// An officer's role; each sees only their own jurisdiction.
    pub enum Role: "role" {
        /// 区总工会: all towns and enterprises.
        District = "district", "区总工会", "District union";
        /// 镇、街道总工会: the enterprises of one town.
        Town = "town", "镇/街道总工会", "Town union";
        /// 企业工会: one enterprise.
        Enterprise = "enterprise", "企业工会", "Enterprise union";
        /// 区安监局: what was escalated to it.
        Bureau = "bureau", "区安监局", "Work-safety bureau";
    }
}

impl Role {
    /// Whether the role's scope names a town or an enterprise (and which), or nothing.
    pub fn scope_kind(self) -> Option<&'static str> {
        match self {
            Role::Town => Some("town"),
            Role::Enterprise => Some("enterprise"),
            Role::District | Role::Bureau => None,
        }
    }
}

labelled_enum! {
    /// An enterprise's industry. The plan's high-risk industries come first in supervision.
    pub enum Industry: "industry" {
        Chemicals = "chemicals", "化工", "Chemicals";
        NonCoalMining = "non_coal_mining", "非煤矿山", "Non-coal mining";
        Metallurgy = "metallurgy", "冶金", "Metallurgy";
        Construction = "construction", "建筑", "Construction";
        Transport = "transport", "交通运输", "Transport";
        BuildingMaterials = "building_materials", "建材", "Building materials";
        HazardousChemicals = "hazardous_chemicals", "危险化学品", "Hazardous chemicals";
        Other = "other", "其他", "Other";
    }
}

impl Industry {
    /// The plan's high-risk industries (高危行业).
    pub fn is_high_risk(self) -> bool {
        !matches!(self, Industry::Other)
    }

    /// Supervision weight of the industry: hazardous chemicals above all, then the other
    /// high-risk industries, then the rest.
    pub fn supervision_weight(self) -> u32 {
        match self {
            Industry::HazardousChemicals => 4,
            Industry::Other => 1,
            _ => 2,
        }
    }
}

/// One row of a vocabulary table: `(wire name, Chinese label, English label)`.
pub type VocabularyRow = (&'static str, &'static str, &'static str);

/// Every vocabulary, for the documentation and the UI's pickers: `(what, rows)`.
pub fn vocabularies() -> Vec<(&'static str, Vec<VocabularyRow>)> {
    fn table<T: Labelled>() -> (&'static str, Vec<VocabularyRow>) {
        (
            T::WHAT,
            T::ALL
                .iter()
                .map(|v| (v.wire_name(), v.label_zh(), v.label_en()))
                .collect(),
        )
    }
    vec![
        table::<ReportKind>(),
        table::<Category>(),
        table::<Severity>(),
        table::<AtRisk>(),
        table::<CheckSource>(),
        table::<LedgerStatus>(),
        table::<RectificationLevel>(),
        table::<Role>(),
        table::<Industry>(),
        table::<crate::workflow::LedgerAction>(),
    ]
}

labelled_enum! {
    /// A campaign record of an enterprise's safety education: a training session (安全培训,
    /// every worker at least once a year) or an emergency drill (应急演练, at least two a year
    /// with every team taking part).
    pub enum TrainingKind: "training kind" {
        Training = "training", "安全培训", "Safety training";
        Drill = "drill", "应急演练", "Emergency drill";
    }
}

labelled_enum! {
    /// How a supervision visit (督导检查) rated the enterprise's campaign work.
    pub enum VisitRating: "visit rating" {
        Good = "good", "好", "Good";
        Fair = "fair", "较好", "Fair";
        Average = "average", "一般", "Average";
        Poor = "poor", "差", "Poor";
    }
}

labelled_enum! {
    /// What became of a safety suggestion (金点子处理状态), shown to the worker who sent it.
    pub enum SuggestionStatus: "suggestion status" {
        Received = "received", "已收到", "Received";
        UnderReview = "under_review", "评估中", "Under review";
        Adopted = "adopted", "已采纳", "Adopted";
        NotAdopted = "not_adopted", "未采纳", "Not adopted";
    }
}

impl SuggestionStatus {
    /// Whether the suggestion has been decided (adopted or not): a decision is final.
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            SuggestionStatus::Adopted | SuggestionStatus::NotAdopted
        )
    }

    /// The ledger status a decided or pending suggestion shows to a phone that does not know
    /// suggestion statuses (an app older than them).
    pub fn ledger_status(self) -> LedgerStatus {
        match self {
            SuggestionStatus::Received | SuggestionStatus::UnderReview => {
                LedgerStatus::PendingReview
            }
            SuggestionStatus::Adopted => LedgerStatus::Closed,
            SuggestionStatus::NotAdopted => LedgerStatus::Rejected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn contract_category_names() {
        let names: Vec<_> = Category::ALL.iter().map(|c| c.wire_name()).collect();
        assert_eq!(
            names,
            [
                "rules",
                "standard_work",
                "equipment_guarding",
                "ppe",
                "fixed_position",
                "key_points",
                "occupational_health",
                "other"
            ]
        );
    }

    #[test]
    fn contract_status_names() {
        let names: Vec<_> = LedgerStatus::ALL.iter().map(|c| c.wire_name()).collect();
        assert_eq!(
            names,
            [
                "pending_review",
                "rectifying",
                "awaiting_verification",
                "closed",
                "rejected",
                "merged"
            ]
        );
    }

    #[test]
    fn wire_names_round_trip_through_serde_and_fromstr() {
        for (what, rows) in vocabularies() {
            let mut seen = HashSet::new();
            for (wire, zh, en) in rows {
                assert!(seen.insert(wire), "{what}: duplicate wire name {wire}");
                assert!(!zh.is_empty() && !en.is_empty());
                assert!(wire.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            }
        }
        for c in Category::ALL {
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.wire_name()));
            assert_eq!(serde_json::from_str::<Category>(&json).unwrap(), *c);
            assert_eq!(c.to_string().parse::<Category>().unwrap(), *c);
        }
    }

    #[test]
    fn unknown_value_names_the_choices_in_both_languages() {
        let err = "valve".parse::<Category>().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("未知"), "{text}");
        assert!(text.contains("unknown category 'valve'"), "{text}");
        assert!(text.contains("equipment_guarding"), "{text}");
    }

    #[test]
    fn high_risk_industries() {
        assert!(Industry::HazardousChemicals.is_high_risk());
        assert!(Industry::Transport.is_high_risk());
        assert!(!Industry::Other.is_high_risk());
        assert!(
            Industry::HazardousChemicals.supervision_weight()
                > Industry::Chemicals.supervision_weight()
        );
    }
}
