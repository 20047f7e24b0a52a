//! The duplicate score (重复评分) of an arriving report against the open entries of its
//! enterprise's ledger, and the decision with the evidence shown to officers.
//!
//! The score is a weighted sum of signals, each first mapped to 0..1 (see
//! [`crate::DedupConfig`]): photo similarity, note similarity, place, time and category. A
//! weighted sum keeps the explanation honest: every [`Evidence`] item carries exactly what it
//! added, and the officer sees the parts that make up the whole. The same photo bytes are the
//! one exception: certain, score 1.
//!
//! Place, time and category are context, not proof: two different hazards at the same site
//! point on the same day share all three. [`crate::DedupConfig::validate`] guarantees that
//! everything but photo evidence together stays below the automatic threshold, so only photos
//! can make a merge automatic; notes and context can at most raise a flag.

use chrono::{DateTime, Utc};
use hazardsnap_model::{Category, Labelled, Lang, Location, ReportKind};
use hazardsnap_photo::{Fingerprint, Similarity, compare_at_least, compare_reference};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::category::{CategoryAffinity, category_affinity};
use crate::config::DedupConfig;
use crate::framing::{centre_offset, centre_offset_reference};
use crate::text::NoteProfile;

/// What scoring needs to know of one report, arriving or already filed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFacts {
    /// The report's id.
    pub report_id: Uuid,
    /// Code of the enterprise whose ledger the report is (or will be) filed in.
    pub enterprise: String,
    /// Hazard or suggestion; only hazards are deduplicated against each other.
    pub kind: ReportKind,
    /// The category the worker chose.
    pub category: Category,
    /// The site point (点位) scanned or chosen.
    pub site_code: Option<String>,
    /// GPS, when the phone had it.
    pub location: Option<Location>,
    /// Capture time, by the phone's clock.
    pub captured_at: DateTime<Utc>,
    /// What the worker wrote.
    pub note: String,
    /// Fingerprints of the report's photos.
    pub photos: Vec<Fingerprint>,
}

/// A report arriving at the server (新到报告), to be filed.
pub type IncomingReport = ReportFacts;

/// A report already filed in an open ledger entry (候选条目): the entry is what a duplicate
/// would be merged into. An entry with several reports is several candidates with one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The ledger entry (台账条目).
    pub entry_id: Uuid,
    /// Its ledger number, e.g. `E001-2026-0042`, for the officer's explanation.
    pub entry_number: String,
    /// The filed report.
    pub report: ReportFacts,
}

/// One observation that speaks for (or against) two reports being the same hazard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    /// The very same photo file (同一张照片).
    SamePhoto {
        /// The photo's SHA-256, lowercase hex.
        sha256: String,
    },
    /// Photos with close perceptual hashes: one picture re-encoded, resized or re-lit.
    SimilarPhoto {
        /// Hamming distance of the best pair, of 256.
        phash_distance: u32,
    },
    /// Photos of one scene from another framing: a re-shoot (同一场景重拍).
    SameScene {
        /// Keypoint matches consistent with one geometric transform, best pair.
        inliers: u32,
        /// Where one photo's centre lies in the other (0 = same centre, 0.5 = at the edge);
        /// absent when it could not be located.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        centre_offset: Option<f32>,
    },
    /// The same site point code (同一点位).
    SameSitePoint {
        /// The code.
        site_code: String,
    },
    /// Close GPS positions (位置相近).
    Nearby {
        /// Distance in metres.
        distance_m: f64,
    },
    /// How the two categories relate.
    Category {
        /// The relation.
        affinity: CategoryAffinity,
        /// The arriving report's category.
        incoming: Category,
        /// The filed report's category.
        candidate: Category,
    },
    /// Captured close in time (时间相近).
    CloseInTime {
        /// Hours between the capture times.
        hours_apart: f64,
    },
    /// Similar notes (描述相似).
    SimilarNote {
        /// Character n-gram cosine, 0..1.
        similarity: f32,
    },
}

/// A signal and what it added to the score (negative: what it took away).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// What was observed.
    #[serde(flatten)]
    pub signal: Signal,
    /// Its part of the score.
    pub contribution: f32,
}

impl Evidence {
    /// One line for the officer, in the given language.
    pub fn describe(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let text = match &self.signal {
            Signal::SamePhoto { sha256 } => {
                let short = sha256.get(..12).unwrap_or(sha256);
                if zh {
                    format!("同一张照片（SHA-256 {short}…）")
                } else {
                    format!("the same photo file (SHA-256 {short}…)")
                }
            }
            Signal::SimilarPhoto { phash_distance } => {
                if zh {
                    format!(
                        "照片高度相似：感知哈希相差 {phash_distance}/256 位（同一张照片重新压缩或缩放）"
                    )
                } else {
                    format!(
                        "near-identical photo: perceptual hashes differ in {phash_distance}/256 bits (one picture re-encoded or resized)"
                    )
                }
            }
            Signal::SameScene {
                inliers,
                centre_offset,
            } => {
                let off_centre = centre_offset.is_none_or(|o| o > 0.3);
                match (zh, off_centre) {
                    (true, false) => {
                        format!("同一场景：{inliers} 个特征点几何一致，画面中心一致（换角度重拍）")
                    }
                    (true, true) => format!(
                        "背景相同：{inliers} 个特征点几何一致，但画面中心不一致（可能是旁边的另一处隐患）"
                    ),
                    (false, false) => format!(
                        "same scene: {inliers} keypoints agree geometrically, centred alike (re-shot from another framing)"
                    ),
                    (false, true) => format!(
                        "same background: {inliers} keypoints agree geometrically, but centred elsewhere (maybe another hazard next to it)"
                    ),
                }
            }
            Signal::SameSitePoint { site_code } => {
                if zh {
                    format!("同一点位 {site_code}")
                } else {
                    format!("same site point {site_code}")
                }
            }
            Signal::Nearby { distance_m } => {
                if zh {
                    format!("位置相距约 {distance_m:.0} 米")
                } else {
                    format!("about {distance_m:.0} m apart")
                }
            }
            Signal::Category {
                affinity,
                incoming,
                candidate,
            } => {
                let (a, b) = (incoming.label(lang), candidate.label(lang));
                match (affinity, zh) {
                    (CategoryAffinity::Same, true) => format!("类别相同：{a}"),
                    (CategoryAffinity::Same, false) => format!("same category: {a}"),
                    (CategoryAffinity::Compatible, true) => format!("类别相容：{a} / {b}"),
                    (CategoryAffinity::Compatible, false) => {
                        format!("compatible categories: {a} / {b}")
                    }
                    (CategoryAffinity::Neutral, true) => format!("类别无从比较：{a} / {b}"),
                    (CategoryAffinity::Neutral, false) => {
                        format!("categories say nothing: {a} / {b}")
                    }
                    (CategoryAffinity::Incompatible, true) => format!("类别不同：{a} / {b}"),
                    (CategoryAffinity::Incompatible, false) => {
                        format!("different categories: {a} / {b}")
                    }
                }
            }
            Signal::CloseInTime { hours_apart } => {
                if zh {
                    format!("拍摄时间相差 {hours_apart:.1} 小时")
                } else {
                    format!("captured {hours_apart:.1} h apart")
                }
            }
            Signal::SimilarNote { similarity } => {
                let pct = similarity * 100.0;
                if zh {
                    format!("文字描述相似度 {pct:.0}%")
                } else {
                    format!("notes {pct:.0}% alike")
                }
            }
        };
        format!("{text} ({:+.2})", self.contribution)
    }
}

/// What to do with an arriving report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Merge into this entry without asking (自动合并).
    AutoMerge {
        /// The entry.
        entry: Uuid,
        /// Its ledger number.
        number: String,
    },
    /// Create a new entry, flagged "possible duplicate of N" (疑似重复) for the officer.
    PossibleDuplicate {
        /// The entry it may duplicate.
        entry: Uuid,
        /// Its ledger number.
        number: String,
    },
    /// Create a new entry (新条目).
    New,
}

/// The decision on an arriving report, with why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// What to do.
    pub verdict: Verdict,
    /// The best score against any candidate entry (0 with no candidate).
    pub score: f32,
    /// The evidence behind that score, strongest first.
    pub evidence: Vec<Evidence>,
    /// The best-scoring entry, also when the verdict is `New`.
    pub closest_entry: Option<Uuid>,
}

impl Decision {
    /// A summary for the officer, e.g. "疑似与 E001-2026-0042 重复（评分 0.55）：…".
    pub fn describe(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let head = match (&self.verdict, zh) {
            (Verdict::AutoMerge { number, .. }, true) => format!("已自动合并到 {number}"),
            (Verdict::AutoMerge { number, .. }, false) => {
                format!("merged automatically into {number}")
            }
            (Verdict::PossibleDuplicate { number, .. }, true) => format!("疑似与 {number} 重复"),
            (Verdict::PossibleDuplicate { number, .. }, false) => {
                format!("possible duplicate of {number}")
            }
            (Verdict::New, true) => "新隐患条目".to_owned(),
            (Verdict::New, false) => "new ledger entry".to_owned(),
        };
        let parts: Vec<String> = self.evidence.iter().map(|e| e.describe(lang)).collect();
        let score = if zh { "评分" } else { "score" };
        if parts.is_empty() {
            format!("{head} ({score} {:.2})", self.score)
        } else {
            let sep = if zh { "；" } else { "; " };
            format!("{head} ({score} {:.2}): {}", self.score, parts.join(sep))
        }
    }
}

/// The score of one pair of reports, with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct PairScore {
    /// 0..=1.
    pub score: f32,
    /// The contributing signals, strongest first.
    pub evidence: Vec<Evidence>,
}

/// 1 at or below `full`, 0 at or above `zero`, linear between.
fn ramp_down(x: f64, full: f64, zero: f64) -> f32 {
    if x <= full {
        1.0
    } else if x >= zero {
        0.0
    } else {
        ((zero - x) / (zero - full)) as f32
    }
}

/// 0 at or below `zero`, 1 at or above `full`, linear between.
fn ramp_up(x: f64, zero: f64, full: f64) -> f32 {
    1.0 - ramp_down(x, zero, full)
}

/// Which photo comparison scoring uses. Both give the same evidence; the reference is the
/// code as first written, kept for [`decide_exhaustive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Matcher {
    /// The fast descriptor matcher, skipping geometric verification where its result could not
    /// count (see [`hazardsnap_photo::compare_at_least`]).
    Fast,
    /// `hazardsnap_photo::compare_reference` and the reference centre offset.
    Reference,
}

impl Matcher {
    fn compare(self, a: &Fingerprint, b: &Fingerprint, cfg: &DedupConfig) -> Similarity {
        match self {
            // Scene inliers at or below `scene_inliers_min` add nothing (`ramp_up` is 0 there)
            // and are not shown, so they need not be verified.
            Matcher::Fast => compare_at_least(a, b, cfg.scene_inliers_min),
            Matcher::Reference => compare_reference(a, b),
        }
    }

    fn centre_offset(self, a: &Fingerprint, b: &Fingerprint, sim: &Similarity) -> Option<f32> {
        match self {
            Matcher::Fast => centre_offset(&a.scene, &b.scene, sim),
            Matcher::Reference => centre_offset_reference(&a.scene, &b.scene, sim),
        }
    }
}

/// The first pair of the same photo file (in the order the pairs are compared), if any.
fn same_photo<'f>(a: &'f [Fingerprint], b: &[Fingerprint]) -> Option<&'f Fingerprint> {
    a.iter()
        .find(|fa| b.iter().any(|fb| fa.sha256 == fb.sha256))
}

/// The photo evidence of two sets of fingerprints: the best pair for each signal.
fn photo_signals(
    a: &[Fingerprint],
    b: &[Fingerprint],
    cfg: &DedupConfig,
    matcher: Matcher,
) -> (f32, Vec<Signal>) {
    // The same file anywhere settles it, whatever the other pairs would say.
    if let Some(fa) = same_photo(a, b) {
        return (
            1.0,
            vec![Signal::SamePhoto {
                sha256: fa.sha256_hex(),
            }],
        );
    }
    let mut best_phash: Option<(f32, u32)> = None;
    let mut best_scene: Option<(f32, u32, Option<f32>)> = None;
    for fa in a {
        for fb in b {
            let sim = matcher.compare(fa, fb, cfg);
            let d = sim.phash_distance;
            let strength = ramp_down(
                f64::from(d),
                f64::from(cfg.phash_same_max),
                f64::from(cfg.phash_unrelated_min),
            );
            if best_phash.is_none_or(|(s, bd)| strength > s || (strength == s && d < bd)) {
                best_phash = Some((strength, d));
            }
            let matched = ramp_up(
                f64::from(sim.scene_inliers),
                f64::from(cfg.scene_inliers_min),
                f64::from(cfg.scene_inliers_full),
            );
            if matched > 0.0 {
                // A shared background is not a shared hazard: the match counts fully only when
                // both photos are centred alike (see `framing`).
                let offset = matcher.centre_offset(fa, fb, &sim);
                let centred = offset.map_or(0.0, |o| {
                    ramp_down(
                        f64::from(o),
                        f64::from(cfg.centre_offset_full),
                        f64::from(cfg.centre_offset_zero),
                    )
                });
                let floor = cfg.off_centre_floor.clamp(0.0, 1.0);
                let strength = matched * (floor + (1.0 - floor) * centred);
                if best_scene.is_none_or(|(s, _, _)| strength > s) {
                    best_scene = Some((strength, sim.scene_inliers, offset));
                }
            }
        }
    }
    let mut signals: Vec<(f32, Signal)> = Vec::new();
    if let Some((s, d)) = best_phash.filter(|(s, _)| *s > 0.0) {
        signals.push((s, Signal::SimilarPhoto { phash_distance: d }));
    }
    if let Some((s, inliers, centre_offset)) = best_scene {
        signals.push((
            s,
            Signal::SameScene {
                inliers,
                centre_offset,
            },
        ));
    }
    // Only the stronger of the two counts (they measure the same thing two ways); the weaker
    // is still shown, with no contribution, because officers find both useful.
    signals.sort_by(|x, y| y.0.total_cmp(&x.0));
    let strength = signals.first().map_or(0.0, |s| s.0);
    (strength, signals.into_iter().map(|s| s.1).collect())
}

/// Place signal: the same site point, or GPS distance less the phones' stated accuracy.
fn place_signal(a: &ReportFacts, b: &ReportFacts, cfg: &DedupConfig) -> Option<(f32, Signal)> {
    let site = match (&a.site_code, &b.site_code) {
        (Some(x), Some(y)) if !x.trim().is_empty() && x.trim() == y.trim() => Some((
            1.0,
            Signal::SameSitePoint {
                site_code: x.trim().to_owned(),
            },
        )),
        _ => None,
    };
    if site.is_some() {
        return site;
    }
    let (la, lb) = (a.location.as_ref()?, b.location.as_ref()?);
    if la.validate().is_err() || lb.validate().is_err() {
        return None;
    }
    let d = la.distance_m(lb);
    let allowance = |l: &Location| {
        l.accuracy_m
            .unwrap_or(0.0)
            .clamp(0.0, cfg.max_accuracy_allowance_m)
    };
    let effective = (d - allowance(la) - allowance(lb)).max(0.0);
    let s = ramp_down(effective, cfg.near_m, cfg.far_m);
    (s > 0.0).then_some((s, Signal::Nearby { distance_m: d }))
}

/// The evidence that needs no photo comparison, in the order it is added up: note, place,
/// time, category. `incoming_note` is the arriving report's precomputed note profile.
fn context_evidence(
    incoming: &ReportFacts,
    incoming_note: &NoteProfile,
    filed: &ReportFacts,
    cfg: &DedupConfig,
) -> Vec<Evidence> {
    let w = &cfg.weights;
    let mut evidence: Vec<Evidence> = Vec::new();

    let filed_note = NoteProfile::new(&filed.note);
    let text = incoming_note.similarity(&filed_note);
    if text > 0.0 {
        evidence.push(Evidence {
            signal: Signal::SimilarNote { similarity: text },
            contribution: w.text * text,
        });
    }

    if let Some((s, signal)) = place_signal(incoming, filed, cfg) {
        evidence.push(Evidence {
            signal,
            contribution: w.place * s,
        });
    }

    let hours = (incoming.captured_at - filed.captured_at)
        .num_seconds()
        .unsigned_abs() as f64
        / 3600.0;
    let t = ramp_down(hours, cfg.same_time_hours, cfg.time_window_days * 24.0);
    if t > 0.0 {
        evidence.push(Evidence {
            signal: Signal::CloseInTime { hours_apart: hours },
            contribution: w.time * t,
        });
    }

    let affinity = category_affinity(incoming.category, filed.category);
    if affinity != CategoryAffinity::Neutral {
        evidence.push(Evidence {
            signal: Signal::Category {
                affinity,
                incoming: incoming.category,
                candidate: filed.category,
            },
            contribution: w.category * affinity.signal(),
        });
    }
    evidence
}

/// Photo strength is at most 1; the bound allows for the rounding of the products that give it.
const PHOTO_STRENGTH_CEILING: f32 = 1.001;

/// The highest score a pair with this context evidence can reach, whatever its photos say
/// (short of the same file, checked separately).
///
/// The score adds the photo contribution first, then the context in order, and clamps.
/// Rounded `f32` addition and multiplication never decrease when an operand increases, so
/// putting the largest possible photo contribution in its place gives a bound that holds
/// bit for bit, not just up to rounding: pruning with it changes no decision.
fn score_ceiling(context: &[Evidence], cfg: &DedupConfig) -> f32 {
    let w = cfg.weights.photo;
    // A negative (or NaN) weight only ever takes away: at most nothing is added.
    let photo = if w > 0.0 {
        w * PHOTO_STRENGTH_CEILING
    } else {
        0.0
    };
    std::iter::once(photo)
        .chain(context.iter().map(|e| e.contribution))
        .sum::<f32>()
        .clamp(0.0, 1.0)
}

/// Scores one pair, given its context evidence.
fn score_with(
    incoming: &ReportFacts,
    filed: &ReportFacts,
    context: Vec<Evidence>,
    cfg: &DedupConfig,
    matcher: Matcher,
) -> PairScore {
    let w = &cfg.weights;
    let mut evidence: Vec<Evidence> = Vec::new();

    let (photo, photo_signals) = photo_signals(&incoming.photos, &filed.photos, cfg, matcher);
    if let Some(Signal::SamePhoto { .. }) = photo_signals.first() {
        return PairScore {
            score: 1.0,
            evidence: photo_signals
                .into_iter()
                .map(|signal| Evidence {
                    signal,
                    contribution: 1.0,
                })
                .collect(),
        };
    }
    for (i, signal) in photo_signals.into_iter().enumerate() {
        let contribution = if i == 0 { w.photo * photo } else { 0.0 };
        evidence.push(Evidence {
            signal,
            contribution,
        });
    }
    evidence.extend(context);

    let score = evidence
        .iter()
        .map(|e| e.contribution)
        .sum::<f32>()
        .clamp(0.0, 1.0);
    evidence.sort_by(|x, y| y.contribution.abs().total_cmp(&x.contribution.abs()));
    PairScore { score, evidence }
}

/// Scores an arriving report against one filed report: 0 when they can never be duplicates
/// (another enterprise, another kind, the same report).
pub fn score_pair(incoming: &ReportFacts, filed: &ReportFacts, cfg: &DedupConfig) -> PairScore {
    if !comparable(incoming, filed) {
        return PairScore {
            score: 0.0,
            evidence: Vec::new(),
        };
    }
    let context = context_evidence(incoming, &NoteProfile::new(&incoming.note), filed, cfg);
    score_with(incoming, filed, context, cfg, Matcher::Fast)
}

fn comparable(incoming: &ReportFacts, filed: &ReportFacts) -> bool {
    // Suggestions (金点子) go to their own list; two workers with the same idea are both
    // credited, so only hazards are merged. The same report id is the server's idempotency,
    // not a duplicate.
    incoming.kind == ReportKind::Hazard
        && filed.kind == ReportKind::Hazard
        && incoming.enterprise == filed.enterprise
        && incoming.report_id != filed.report_id
}

/// Decides what to do with an arriving report, given the reports of the open entries the
/// index proposed. An entry scores as its best-matching report. Ties go to the candidate that
/// comes first, so pass candidates in a stable order (oldest entry first).
///
/// `cfg` must have passed [`DedupConfig::validate`]; an invalid configuration still gives an
/// answer, but the rule "no automatic merge without photo evidence" is then not guaranteed.
pub fn decide(incoming: &IncomingReport, candidates: &[Candidate], cfg: &DedupConfig) -> Decision {
    decide_with(incoming, candidates, cfg, Matcher::Fast)
}

/// [`decide`] as first written: every candidate scored in full with the reference photo
/// comparison. The oracle of the equivalence tests and the "before" of the crowded-site
/// benchmark; not a stable API.
#[doc(hidden)]
pub fn decide_exhaustive(
    incoming: &IncomingReport,
    candidates: &[Candidate],
    cfg: &DedupConfig,
) -> Decision {
    decide_with(incoming, candidates, cfg, Matcher::Reference)
}

fn decide_with(
    incoming: &IncomingReport,
    candidates: &[Candidate],
    cfg: &DedupConfig,
    matcher: Matcher,
) -> Decision {
    // At a crowded site point the photo comparison is nearly all of the cost, so the fast
    // path skips it for a candidate that could not beat the best so far even with perfect
    // photo evidence (`score_ceiling`). A later candidate must score strictly higher to win,
    // so a ceiling equal to the best is enough to skip it: the decision is exactly that of
    // comparing every candidate, as the reference path does.
    let note = NoteProfile::new(&incoming.note);
    let mut best: Option<(&Candidate, PairScore)> = None;
    for c in candidates {
        if !comparable(incoming, &c.report) {
            continue;
        }
        let context = context_evidence(incoming, &note, &c.report, cfg);
        if matcher == Matcher::Fast
            && let Some((_, b)) = &best
        {
            let ceiling = if same_photo(&incoming.photos, &c.report.photos).is_some() {
                1.0
            } else {
                score_ceiling(&context, cfg)
            };
            if ceiling <= b.score {
                continue;
            }
        }
        let s = score_with(incoming, &c.report, context, cfg, matcher);
        if best.as_ref().is_none_or(|(_, b)| s.score > b.score) {
            best = Some((c, s));
        }
    }
    conclude(best, cfg)
}

fn conclude(best: Option<(&Candidate, PairScore)>, cfg: &DedupConfig) -> Decision {
    let Some((c, s)) = best else {
        return Decision {
            verdict: Verdict::New,
            score: 0.0,
            evidence: Vec::new(),
            closest_entry: None,
        };
    };
    let (entry, number) = (c.entry_id, c.entry_number.clone());
    let verdict = if s.score >= cfg.auto_merge_threshold {
        Verdict::AutoMerge { entry, number }
    } else if s.score >= cfg.flag_threshold {
        Verdict::PossibleDuplicate { entry, number }
    } else {
        Verdict::New
    };
    Decision {
        verdict,
        score: s.score,
        evidence: s.evidence,
        closest_entry: Some(entry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use hazardsnap_photo::SceneSignature;

    fn fp(sha: u8, phash: [u8; 32]) -> Fingerprint {
        Fingerprint {
            sha256: [sha; 32],
            phash,
            scene: SceneSignature::default(),
        }
    }

    fn facts(id: u128, hour: u32, note: &str, photos: Vec<Fingerprint>) -> ReportFacts {
        ReportFacts {
            report_id: Uuid::from_u128(id),
            enterprise: "E001".into(),
            kind: ReportKind::Hazard,
            category: Category::EquipmentGuarding,
            site_code: Some("E001-P01".into()),
            location: Some(Location {
                lat: 36.8,
                lon: 117.87,
                accuracy_m: Some(10.0),
            }),
            captured_at: Utc.with_ymd_and_hms(2026, 3, 14, hour, 0, 0).unwrap(),
            note: note.into(),
            photos,
        }
    }

    fn candidate(entry: u128, report: ReportFacts) -> Candidate {
        Candidate {
            entry_id: Uuid::from_u128(entry),
            entry_number: format!("E001-2026-{entry:04}"),
            report,
        }
    }

    /// Two photos whose hashes differ in `bits` bits and whose scene signatures are empty
    /// (so only the hash speaks).
    fn hashes(bits: usize) -> ([u8; 32], [u8; 32]) {
        let a = [0b1010_1010u8; 32];
        let mut b = a;
        for i in 0..bits {
            b[i / 8] ^= 1 << (i % 8);
        }
        (a, b)
    }

    #[test]
    fn same_photo_bytes_are_certain() {
        let (h, _) = hashes(0);
        let a = facts(1, 9, "", vec![fp(7, h)]);
        let mut b = facts(2, 9, "", vec![fp(7, h)]);
        b.site_code = None;
        b.location = None;
        b.category = Category::Rules;
        let d = decide(&a, &[candidate(10, b)], &DedupConfig::default());
        assert_eq!(d.score, 1.0);
        assert!(matches!(d.verdict, Verdict::AutoMerge { .. }));
        assert!(matches!(d.evidence[0].signal, Signal::SamePhoto { .. }));
    }

    #[test]
    fn a_re_encoded_photo_at_the_same_place_merges() {
        let (ha, hb) = hashes(12);
        let a = facts(1, 9, "阀门泄漏", vec![fp(1, ha)]);
        let b = facts(2, 10, "储罐阀门漏液", vec![fp(2, hb)]);
        let d = decide(&a, &[candidate(10, b)], &DedupConfig::default());
        assert!(matches!(d.verdict, Verdict::AutoMerge { .. }), "{d:?}");
        let text = d.describe(Lang::Zh);
        assert!(text.contains("已自动合并到 E001-2026-0010"), "{text}");
        assert!(text.contains("同一点位 E001-P01"), "{text}");
        assert!(d.describe(Lang::En).contains("same site point"));
    }

    #[test]
    fn same_place_and_day_without_photo_evidence_never_merges() {
        let (ha, _) = hashes(0);
        let unrelated = [0b0101_0101u8; 32];
        let a = facts(1, 9, "液氯储罐区阀门泄漏", vec![fp(1, ha)]);
        // Identical note, same site, same hour, same category: never automatic, and with the
        // measured defaults not even flagged (all of it adds up to 0.48 < 0.50).
        let cfg = DedupConfig::default();
        let b = facts(2, 9, "液氯储罐区阀门泄漏", vec![fp(2, unrelated)]);
        let d = decide(&a, &[candidate(10, b.clone())], &cfg);
        assert!((d.score - cfg.non_photo_ceiling()).abs() < 1e-5, "{d:?}");
        assert!(d.score < cfg.auto_merge_threshold);
        let lenient = DedupConfig {
            flag_threshold: 0.4,
            ..cfg
        };
        let d = decide(&a, &[candidate(10, b)], &lenient);
        assert!(
            matches!(d.verdict, Verdict::PossibleDuplicate { .. }),
            "{d:?}"
        );
        let c = facts(3, 9, "护栏缺失", vec![fp(3, unrelated)]);
        let d = decide(&a, &[candidate(11, c)], &DedupConfig::default());
        assert_eq!(d.verdict, Verdict::New, "{d:?}");
        assert_eq!(d.closest_entry, Some(Uuid::from_u128(11)));
    }

    #[test]
    fn other_enterprises_suggestions_and_the_report_itself_are_no_candidates() {
        let (h, _) = hashes(0);
        let a = facts(1, 9, "", vec![fp(7, h)]);
        let mut other = facts(2, 9, "", vec![fp(7, h)]);
        other.enterprise = "E002".into();
        let mut idea = facts(3, 9, "", vec![fp(7, h)]);
        idea.kind = ReportKind::Suggestion;
        let itself = facts(1, 9, "", vec![fp(7, h)]);
        let cands = [
            candidate(1, other),
            candidate(2, idea),
            candidate(3, itself),
        ];
        let d = decide(&a, &cands, &DedupConfig::default());
        assert_eq!(d.verdict, Verdict::New);
        assert_eq!(d.closest_entry, None);
    }

    #[test]
    fn the_best_entry_wins() {
        let (ha, hb) = hashes(40);
        let (_, hc) = hashes(4);
        let a = facts(1, 9, "", vec![fp(1, ha)]);
        let far = facts(2, 9, "", vec![fp(2, hb)]);
        let near = facts(3, 9, "", vec![fp(3, hc)]);
        let d = decide(
            &a,
            &[candidate(10, far), candidate(11, near)],
            &DedupConfig::default(),
        );
        assert_eq!(d.closest_entry, Some(Uuid::from_u128(11)));
    }

    #[test]
    fn evidence_serialises_for_the_entry_history() {
        let (ha, hb) = hashes(10);
        let a = facts(1, 9, "阀门泄漏", vec![fp(1, ha)]);
        let b = facts(2, 11, "阀门泄漏", vec![fp(2, hb)]);
        let d = decide(&a, &[candidate(10, b)], &DedupConfig::default());
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["verdict"]["verdict"], "auto_merge");
        assert!(
            json["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "same_site_point")
        );
        let back: Decision = serde_json::from_value(json).unwrap();
        assert_eq!(back, d);
    }

    proptest::proptest! {
        /// The rule of the issue, for every place, time, category and note: with photos that
        /// share nothing, the score stays below the automatic threshold.
        #[test]
        fn context_and_text_alone_never_auto_merge(
            same_site: bool, metres in 0.0f64..500.0, hours in 0u32..23,
            cat_a in 0usize..8, cat_b in 0usize..8, note in "\\PC{0,20}",
        ) {
            let cfg = DedupConfig::default();
            let a_hash = [0b1010_1010u8; 32];
            let b_hash = [0b0101_0101u8; 32];
            let mut a = facts(1, 0, &note, vec![fp(1, a_hash)]);
            let mut b = facts(2, hours, &note, vec![fp(2, b_hash)]);
            a.category = Category::ALL[cat_a];
            b.category = Category::ALL[cat_b];
            if !same_site {
                b.site_code = Some("E001-P02".into());
            }
            b.location = Some(Location { lat: 36.8 + metres / 111_195.0, lon: 117.87, accuracy_m: None });
            let s = score_pair(&a, &b, &cfg);
            proptest::prop_assert!(s.score < cfg.auto_merge_threshold, "{s:?}");
        }
    }
}
