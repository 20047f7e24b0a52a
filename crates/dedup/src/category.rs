//! Which report categories can describe the same hazard (类别相容表).
//!
//! Workers pick a category in a hurry and the "six checks" (六查) overlap: a missing guard on a
//! pump at the tank farm is "equipment guarding" to one worker and "key-point control" to the
//! next. Such pairs are compatible and still count as agreement. Pairs that describe different
//! kinds of fault (a missing helmet versus an unfollowed rule) are incompatible and count
//! against a merge. "Other" (其他) is neutral: it says nothing either way.

use hazardsnap_model::Category;
use serde::{Deserialize, Serialize};

/// How two categories relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryAffinity {
    /// The same category.
    Same,
    /// Different but commonly confused for one hazard.
    Compatible,
    /// One of them is "other": no information.
    Neutral,
    /// Different kinds of fault.
    Incompatible,
}

impl CategoryAffinity {
    /// The category signal in -0.5..=1 (multiplied by the category weight).
    pub fn signal(self) -> f32 {
        match self {
            CategoryAffinity::Same => 1.0,
            CategoryAffinity::Compatible => 0.6,
            CategoryAffinity::Neutral => 0.0,
            CategoryAffinity::Incompatible => -0.5,
        }
    }
}

/// Unordered pairs of categories that often describe one hazard, with the reason in comments.
const COMPATIBLE: &[(Category, Category)] = &[
    // A guard missing at a key danger point.
    (Category::EquipmentGuarding, Category::KeyPoints),
    // Tools or material left on or around a machine.
    (Category::EquipmentGuarding, Category::FixedPosition),
    // A blocked passage or misplaced drum at a key point.
    (Category::FixedPosition, Category::KeyPoints),
    // A procedure not followed is both a rules and a work-practice finding.
    (Category::Rules, Category::StandardWork),
    // Working without the protective equipment the job requires.
    (Category::StandardWork, Category::Ppe),
    // Dust masks, ear defenders: protective equipment against occupational disease.
    (Category::Ppe, Category::OccupationalHealth),
    // A dusty or noisy key point.
    (Category::KeyPoints, Category::OccupationalHealth),
];

/// How two categories relate (symmetric).
pub fn category_affinity(a: Category, b: Category) -> CategoryAffinity {
    if a == b {
        CategoryAffinity::Same
    } else if a == Category::Other || b == Category::Other {
        CategoryAffinity::Neutral
    } else if COMPATIBLE
        .iter()
        .any(|&(x, y)| (x, y) == (a, b) || (x, y) == (b, a))
    {
        CategoryAffinity::Compatible
    } else {
        CategoryAffinity::Incompatible
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hazardsnap_model::Labelled;

    #[test]
    fn examples_of_the_brief() {
        use Category::*;
        assert_eq!(
            category_affinity(EquipmentGuarding, KeyPoints),
            CategoryAffinity::Compatible
        );
        assert_eq!(
            category_affinity(Ppe, Rules),
            CategoryAffinity::Incompatible
        );
        assert_eq!(category_affinity(Ppe, Ppe), CategoryAffinity::Same);
        assert_eq!(category_affinity(Other, Rules), CategoryAffinity::Neutral);
    }

    #[test]
    fn the_table_is_symmetric() {
        for &a in Category::ALL {
            for &b in Category::ALL {
                assert_eq!(category_affinity(a, b), category_affinity(b, a));
            }
        }
    }
}
