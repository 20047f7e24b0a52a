//! The tunable numbers of deduplication (去重配置): thresholds, weights and ramps.
//!
//! The server reads a [`DedupConfig`] from its configuration file (every field optional, the
//! defaults below fill the gaps) and must call [`DedupConfig::validate`] before use: validation
//! is where the one rule that may never be configured away is enforced, namely that place, time
//! and category together can never reach the automatic-merge threshold (nor, with the note text,
//! can anything that is not photo evidence).

use serde::{Deserialize, Serialize};

/// How much each kind of evidence can add to the score (each signal is first mapped to 0..1).
///
/// `category` may also subtract: an incompatible category counts `-category / 2`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// Photo similarity (照片相似): the same photo re-encoded, or the same scene re-shot.
    pub photo: f32,
    /// Note text similarity (文字描述相似), character n-grams.
    pub text: f32,
    /// Same site point (同一点位) or nearby GPS position.
    pub place: f32,
    /// Captured close in time.
    pub time: f32,
    /// Same or compatible category (类别相容).
    pub category: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            photo: 0.60,
            text: 0.20,
            place: 0.14,
            time: 0.08,
            category: 0.06,
        }
    }
}

/// Thresholds and ramps of the duplicate score.
///
/// # How the defaults were chosen
///
/// By measurement on the labelled set of `tests/labelled.rs`: generated factory scenes, eight
/// photos of each hazard (original, re-encoded at q45, rescaled to 60 %, cropped 10 %,
/// brightened, re-shot shifted, re-shot from a step aside at another scale, re-shot rotated 3°),
/// and as hard negatives the other hazards of the same site point on the same day, a quarter of
/// them sharing ~40 % of their view with a neighbour. All photos went through
/// `hazardsnap_photo::process`; the test prints a threshold sweep (`BENCH.md` keeps it).
///
/// - `auto_merge_threshold` 0.70: the highest hard negative scored 0.63, duplicates scored
///   0.88 at the median; auto-merge precision 1.000 with a 0.07 margin, auto recall 0.97.
///   At 0.60 a neighbour hazard sharing its background was merged (precision 0.996).
/// - `flag_threshold` 0.50: auto + flag recall 0.997 (0.999 at 0.40, but then 19 of 20
///   flags would be different hazards at the same site; at 0.50 about half are right).
/// - `centre_offset_full` 0.25 / `centre_offset_zero` 0.35: re-shoots of one hazard had
///   centre offsets up to 0.24, different hazards sharing a background from 0.32 up.
///
/// Change them only with that test as the judge.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DedupConfig {
    /// At or above: merged into the existing entry automatically (自动合并).
    pub auto_merge_threshold: f32,
    /// At or above (and below the automatic one): a new entry flagged "possible duplicate of N"
    /// (疑似重复) for the officer to decide.
    pub flag_threshold: f32,
    /// Weights of the evidence.
    pub weights: Weights,
    /// Perceptual-hash distance (of 256 bits) up to which two photos count as the same photo
    /// re-encoded, rescaled or brightened: full photo strength.
    pub phash_same_max: u32,
    /// Perceptual-hash distance from which the hash says nothing (unrelated photos sit near 128).
    pub phash_unrelated_min: u32,
    /// Scene-signal inliers below which a scene match is noise.
    pub scene_inliers_min: u32,
    /// Scene-signal inliers from which a re-shoot of the same scene is certain.
    pub scene_inliers_full: u32,
    /// Offset of one photo's centre in the other (fraction of width/height, see
    /// [`crate::framing`]) up to which a scene match counts fully: a step aside or a shift.
    pub centre_offset_full: f32,
    /// Offset from which a scene match counts only [`DedupConfig::off_centre_floor`]: the
    /// shared part lies at the edge, as with a different hazard next to the first.
    pub centre_offset_zero: f32,
    /// What is left of a scene match whose centres disagree (or cannot be located).
    pub off_centre_floor: f32,
    /// GPS distance (after allowing for accuracy) within which two reports are at the same place.
    pub near_m: f64,
    /// GPS distance from which place evidence is zero.
    pub far_m: f64,
    /// The largest GPS accuracy (metres) that may be allowed for: a phone claiming ±2 km must
    /// not make everything "nearby".
    pub max_accuracy_allowance_m: f64,
    /// Capture times within this many hours count fully as "same time".
    pub same_time_hours: f64,
    /// Capture times further apart than this many days add nothing.
    pub time_window_days: f64,
    /// The index returns site/location neighbours captured within this many days (photo-hash
    /// neighbours regardless of time): a hazard stays in place until rectified, so a re-shoot
    /// weeks later is still a duplicate if the photos say so.
    pub candidate_window_days: f64,
    /// Perceptual-hash distance above which a hash-bucket hit of the index is dropped as a
    /// chance collision of a 16-bit band.
    pub candidate_phash_radius: u32,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            auto_merge_threshold: 0.70,
            flag_threshold: 0.50,
            weights: Weights::default(),
            phash_same_max: 32,
            phash_unrelated_min: 80,
            scene_inliers_min: 8,
            scene_inliers_full: 24,
            centre_offset_full: 0.25,
            centre_offset_zero: 0.35,
            off_centre_floor: 0.25,
            near_m: 30.0,
            far_m: 150.0,
            max_accuracy_allowance_m: 50.0,
            same_time_hours: 24.0,
            time_window_days: 14.0,
            candidate_window_days: 60.0,
            candidate_phash_radius: 80,
        }
    }
}

/// A configuration that would break a rule of deduplication.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "去重阈值无效：需要 0 < 疑似阈值 {flag} < 自动合并阈值 {auto} ≤ 1 / invalid dedup thresholds: need 0 < flag {flag} < auto {auto} ≤ 1"
    )]
    Thresholds { flag: f32, auto: f32 },
    #[error("去重权重 {name} 无效：{value} / invalid dedup weight {name}: {value}")]
    Weight { name: &'static str, value: f32 },
    #[error(
        "地点、时间、类别与文字相加（{sum}）达到了自动合并阈值 {auto}：没有照片证据不得自动合并 / place, time, category and text add up to {sum}, reaching the automatic threshold {auto}: no automatic merge without photo evidence"
    )]
    ContextCanAutoMerge { sum: f32, auto: f32 },
    #[error("去重配置的区间无效：{name} / invalid dedup range: {name}")]
    Range { name: &'static str },
}

impl DedupConfig {
    /// Checks the configuration, in particular that nothing but photo evidence can lift a
    /// score to the automatic threshold.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let (flag, auto) = (self.flag_threshold, self.auto_merge_threshold);
        if !(flag.is_finite() && auto.is_finite() && 0.0 < flag && flag < auto && auto <= 1.0) {
            return Err(ConfigError::Thresholds { flag, auto });
        }
        let w = &self.weights;
        for (name, value) in [
            ("photo", w.photo),
            ("text", w.text),
            ("place", w.place),
            ("time", w.time),
            ("category", w.category),
        ] {
            if !(value.is_finite() && (0.0..=1.0).contains(&value)) {
                return Err(ConfigError::Weight { name, value });
            }
        }
        // The rule of the issue: two different hazards at the same site point on the same day,
        // even with similar notes, must never merge by themselves. Checked on the weights so
        // that it holds for every input, not just the ones we tested.
        let sum = self.non_photo_ceiling();
        if sum >= auto {
            return Err(ConfigError::ContextCanAutoMerge { sum, auto });
        }
        let ranges: [(&'static str, bool); 8] = [
            (
                "0 <= centre_offset_full < centre_offset_zero",
                self.centre_offset_full >= 0.0
                    && self.centre_offset_full < self.centre_offset_zero
                    && self.centre_offset_zero.is_finite(),
            ),
            (
                "0 <= off_centre_floor <= 1",
                (0.0..=1.0).contains(&self.off_centre_floor),
            ),
            (
                "phash_same_max < phash_unrelated_min",
                self.phash_same_max < self.phash_unrelated_min,
            ),
            (
                "scene_inliers_min < scene_inliers_full",
                self.scene_inliers_min < self.scene_inliers_full,
            ),
            (
                "0 <= near_m < far_m",
                self.near_m >= 0.0 && self.near_m < self.far_m && self.far_m.is_finite(),
            ),
            (
                "0 <= same_time_hours < time_window_days * 24",
                self.same_time_hours >= 0.0
                    && self.same_time_hours < self.time_window_days * 24.0
                    && self.time_window_days.is_finite(),
            ),
            (
                "0 <= max_accuracy_allowance_m",
                self.max_accuracy_allowance_m >= 0.0 && self.max_accuracy_allowance_m.is_finite(),
            ),
            (
                "0 <= candidate_window_days",
                self.candidate_window_days >= 0.0 && self.candidate_window_days.is_finite(),
            ),
        ];
        for (name, ok) in ranges {
            if !ok {
                return Err(ConfigError::Range { name });
            }
        }
        Ok(())
    }

    /// The highest score reachable without any photo evidence.
    pub fn non_photo_ceiling(&self) -> f32 {
        let w = &self.weights;
        w.text + w.place + w.time + w.category
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        DedupConfig::default().validate().unwrap();
    }

    #[test]
    fn partial_toml_fills_in_defaults() {
        let cfg: DedupConfig =
            toml::from_str("auto_merge_threshold = 0.8\n[weights]\ntext = 0.1").expect("parse");
        assert_eq!(cfg.auto_merge_threshold, 0.8);
        assert_eq!(cfg.weights.text, 0.1);
        assert_eq!(cfg.weights.photo, Weights::default().photo);
        assert_eq!(cfg.flag_threshold, DedupConfig::default().flag_threshold);
        cfg.validate().unwrap();
    }

    #[test]
    fn context_that_could_auto_merge_is_refused() {
        let mut cfg = DedupConfig::default();
        cfg.weights.place = 0.5;
        let err = cfg.validate().unwrap_err();
        assert!(matches!(err, ConfigError::ContextCanAutoMerge { .. }));
        assert!(err.to_string().contains(" / "), "{err}");
    }

    #[test]
    fn bad_thresholds_are_refused() {
        let cfg = DedupConfig {
            flag_threshold: 0.9,
            auto_merge_threshold: 0.8,
            ..DedupConfig::default()
        };
        assert!(matches!(
            cfg.validate(),
            Err(ConfigError::Thresholds { .. })
        ));
        let cfg = DedupConfig {
            auto_merge_threshold: f32::NAN,
            ..DedupConfig::default()
        };
        assert!(cfg.validate().is_err());
    }
}
