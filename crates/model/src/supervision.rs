//! The supervision draw (督导随机抽查): which enterprises the supervision team visits.
//!
//! The plan asks for a random draw, high-risk industries first (hazardous chemicals above all)
//! and small private enterprises (非公中小企业) as the focus. The draw must be checkable: anyone
//! holding the seed and the list of enterprises gets the same result. So it depends only on the
//! seed and the enterprises' codes and weights (not on their order in the database), and uses a
//! specified generator (ChaCha20) rather than whatever `rand` defaults to in its next version.

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use crate::Industry;

/// An enterprise that can be drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawCandidate {
    /// Roster code.
    pub code: String,
    /// Industry.
    pub industry: Industry,
    /// Small or medium private enterprise.
    pub private_sme: bool,
}

impl DrawCandidate {
    /// Relative chance of being drawn: the industry's weight, doubled for private SMEs.
    pub fn weight(&self) -> u32 {
        self.industry.supervision_weight() * if self.private_sme { 2 } else { 1 }
    }
}

/// Draws `n` distinct enterprises (all of them if fewer), weighted, reproducibly from `seed`.
///
/// Weighted sampling without replacement by exponential keys (Efraimidis–Spirakis): each
/// candidate gets `ln(u) / w` for a uniform `u`, and the `n` largest keys win. Candidates are
/// visited in code order so the result does not depend on the input's order.
pub fn draw(candidates: &[DrawCandidate], n: usize, seed: u64) -> Vec<String> {
    let mut sorted: Vec<&DrawCandidate> = candidates.iter().collect();
    sorted.sort_by(|a, b| a.code.cmp(&b.code));
    sorted.dedup_by(|a, b| a.code == b.code);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut keyed: Vec<(f64, &str)> = sorted
        .into_iter()
        .map(|c| {
            // `random::<f64>()` is in [0, 1); 1 − u is in (0, 1], so ln is finite.
            let u = 1.0 - rng.random::<f64>();
            (u.ln() / f64::from(c.weight().max(1)), c.code.as_str())
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    keyed
        .into_iter()
        .take(n)
        .map(|(_, c)| c.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn pool() -> Vec<DrawCandidate> {
        let mut v = Vec::new();
        for i in 0..20 {
            v.push(DrawCandidate {
                code: format!("H{i:02}"),
                industry: Industry::HazardousChemicals,
                private_sme: true,
            });
            v.push(DrawCandidate {
                code: format!("O{i:02}"),
                industry: Industry::Other,
                private_sme: false,
            });
        }
        v
    }

    #[test]
    fn same_seed_same_draw_whatever_the_order() {
        let p = pool();
        let a = draw(&p, 5, 20260125);
        let mut rev = p.clone();
        rev.reverse();
        assert_eq!(a, draw(&rev, 5, 20260125));
        assert_eq!(a.len(), 5);
        assert_ne!(a, draw(&p, 5, 20260126));
        let mut uniq = a.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), 5);
    }

    #[test]
    fn high_risk_private_enterprises_come_first() {
        // Weight 8 against 1: over many seeds the hazardous-chemicals SMEs dominate the draws.
        let p = pool();
        let mut hits: HashMap<char, usize> = HashMap::new();
        for seed in 0..400 {
            for code in draw(&p, 4, seed) {
                *hits.entry(code.chars().next().unwrap()).or_default() += 1;
            }
        }
        assert!(
            hits[&'H'] > 5 * hits.get(&'O').copied().unwrap_or(0),
            "{hits:?}"
        );
    }

    #[test]
    fn asking_for_more_than_there_are_gives_all() {
        let p = pool();
        assert_eq!(draw(&p, 100, 1).len(), 40);
        assert!(draw(&[], 3, 1).is_empty());
    }
}
