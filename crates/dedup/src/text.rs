//! Similarity of two workers' notes (文字描述相似度) by character n-grams.
//!
//! Notes are a few Chinese characters typed with gloves on ("3号泵防护罩掉了"). Word
//! segmentation would need a dictionary and still fail on shop-floor jargon; overlapping
//! character bigrams and trigrams capture the same information without one: "阀门泄漏" and
//! "储罐阀门漏了" share "阀门" and nothing about word boundaries has to be known. The measure is
//! the cosine of the two n-gram count vectors, so a short note inside a longer one still scores
//! well, which suits reports where one worker writes more than another.

/// Bigrams that appear in any safety note and so say nothing about which hazard it is.
const GENERIC_BIGRAMS: &[&str] = &[
    "隐患", "安全", "存在", "问题", "发现", "需要", "没有", "现场", "有人", "一个", "严重", "注意",
    "情况", "及时", "处理", "整改",
];

/// Folds a note to what matters for comparison: full-width ASCII to half-width, ASCII
/// lower-cased, everything that is not a letter, a digit or an ideograph dropped.
pub fn normalise(note: &str) -> Vec<char> {
    note.chars()
        .map(|c| match c {
            // Full-width forms (Ａ, １, ！) typed by Chinese input methods.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .filter(|c| c.is_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A bigram or trigram (a bigram ends in `'\0'`, as does a single-character note's one gram);
/// normalised notes never contain `'\0'`.
type Gram = [char; 3];

/// The n-gram profile of a note: bigram and trigram counts (a single character when the note
/// has only one).
///
/// The grams are kept sorted, so that every sum over them runs in one fixed order: the same
/// two notes give bit for bit the same similarity, in either order, on every run (with a
/// hash map, the order and so the last bit of an `f32` sum changed from run to run). Sorted
/// arrays of fixed-size grams are also several times cheaper to build and compare than a map
/// of strings, which matters when an arriving report meets a crowded site point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NoteProfile {
    grams: Vec<(Gram, f32)>,
    norm: f32,
}

impl NoteProfile {
    /// Builds the profile of a note.
    pub fn new(note: &str) -> NoteProfile {
        let chars = normalise(note);
        let mut grams: Vec<(Gram, f32)> = Vec::with_capacity(2 * chars.len());
        if let [c] = chars[..] {
            grams.push(([c, '\0', '\0'], 1.0));
        }
        for n in [2usize, 3] {
            // Trigrams carry more of the phrase than bigrams, and chance trigram overlaps are
            // rarer, so they weigh more.
            let weight = if n == 3 { 1.5 } else { 1.0 };
            for w in chars.windows(n) {
                let gram = [w[0], w[1], w.get(2).copied().unwrap_or('\0')];
                let weight = if n == 2 && is_generic(gram) {
                    0.2
                } else {
                    weight
                };
                grams.push((gram, weight));
            }
        }
        // Stable: repeated grams add up in the order they occur in the note.
        grams.sort_by_key(|(g, _)| *g);
        grams.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 += later.1;
            }
            same
        });
        let norm = grams.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        NoteProfile { grams, norm }
    }

    /// Whether the note had nothing to compare (empty, or punctuation only).
    pub fn is_empty(&self) -> bool {
        self.grams.is_empty()
    }

    /// Cosine similarity in 0..=1; 0 when either note is empty.
    pub fn similarity(&self, other: &NoteProfile) -> f32 {
        if self.norm == 0.0 || other.norm == 0.0 {
            return 0.0;
        }
        // Both sorted: walk them side by side, summing in gram order.
        let (mut i, mut j, mut dot) = (0, 0, 0f32);
        while let (Some((ga, a)), Some((gb, b))) = (self.grams.get(i), other.grams.get(j)) {
            match ga.cmp(gb) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    dot += a * b;
                    i += 1;
                    j += 1;
                }
            }
        }
        (dot / (self.norm * other.norm)).clamp(0.0, 1.0)
    }
}

fn is_generic(gram: Gram) -> bool {
    GENERIC_BIGRAMS.iter().any(|g| {
        let mut c = g.chars();
        gram[2] == '\0'
            && c.next() == Some(gram[0])
            && c.next() == Some(gram[1])
            && c.next().is_none()
    })
}

/// Similarity of two notes in 0..=1 (see [`NoteProfile::similarity`]).
pub fn note_similarity(a: &str, b: &str) -> f32 {
    NoteProfile::new(a).similarity(&NoteProfile::new(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_notes_are_one_and_unrelated_notes_near_zero() {
        let a = "液氯储罐区阀门泄漏";
        assert!((note_similarity(a, a) - 1.0).abs() < 1e-5);
        assert!(note_similarity(a, "配电箱门未关闭") < 0.05);
    }

    #[test]
    fn paraphrases_share_the_hazard_words() {
        let leak = note_similarity("液氯储罐区阀门泄漏", "储罐那边阀门漏了");
        assert!(leak > 0.05, "{leak}");
        // The place name makes a different hazard at the same place look as alike, or more:
        // this is why notes can never merge reports on their own (see `DedupConfig::validate`).
        let other = note_similarity("液氯储罐区阀门泄漏", "液氯储罐区护栏缺失");
        assert!(other > leak && other < 0.7, "{other}");
    }

    #[test]
    fn punctuation_width_and_case_do_not_matter() {
        let s = note_similarity("３号泵，防护罩缺失！", "3号泵 防护罩缺失");
        assert!((s - 1.0).abs() < 1e-5, "{s}");
        assert!((note_similarity("PUMP-3", "pump 3") - 1.0).abs() < 1e-5);
    }

    #[test]
    fn empty_and_single_character_notes() {
        assert_eq!(note_similarity("", "阀门泄漏"), 0.0);
        assert_eq!(note_similarity("！？", "！？"), 0.0);
        assert!(NoteProfile::new("。。").is_empty());
        assert!((note_similarity("漏", "漏") - 1.0).abs() < 1e-5);
    }

    #[test]
    fn generic_words_weigh_little() {
        let s = note_similarity("存在安全隐患问题", "发现安全隐患需要整改");
        assert!(s < 0.3, "{s}");
    }

    proptest::proptest! {
        #[test]
        fn similarity_is_symmetric_and_bounded(a in "\\PC{0,60}", b in "\\PC{0,60}") {
            let (x, y) = (note_similarity(&a, &b), note_similarity(&b, &a));
            proptest::prop_assert!((0.0..=1.0).contains(&x));
            proptest::prop_assert!((x - y).abs() < 1e-5);
        }

        /// Bit for bit, in either order and on every run: a decision's evidence must not
        /// depend on the order in which grams happen to be summed.
        #[test]
        fn similarity_is_exactly_repeatable(
            a in "(隐患|安全|阀门|泄漏|储罐|[0-9a-z]|\\PC){0,30}",
            b in "(隐患|安全|阀门|泄漏|储罐|[0-9a-z]|\\PC){0,30}",
        ) {
            let (pa, pb) = (NoteProfile::new(&a), NoteProfile::new(&b));
            let x = pa.similarity(&pb);
            proptest::prop_assert_eq!(x.to_bits(), pb.similarity(&pa).to_bits());
            proptest::prop_assert_eq!(x.to_bits(), note_similarity(&a, &b).to_bits());
        }
    }
}
