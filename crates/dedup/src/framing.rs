//! Are two photos of one scene centred on the same thing? (取景中心一致性)
//!
//! The scene signal of the photo pipeline says that two photos share a geometrically
//! consistent part. That is true of two shots of one leaking valve, and equally true of a shot
//! of the valve and a shot of the broken guard rail three steps to its left: both show the same
//! tank-farm background. What tells them apart is where the shared part lies. Workers centre
//! the hazard they photograph, so for one hazard the centre of one photo lands near the centre
//! of the other; for two neighbouring hazards it lands towards the edge or outside.
//!
//! [`hazardsnap_photo::compare`] reports the scale and rotation of the transform it verified
//! but not its translation, so the translation is recovered here from the public keypoints:
//! descriptor matches voted on under that scale and rotation, the densest cluster of votes
//! wins. (If the photo crate later reports the translation, this module shrinks to one line.)

use hazardsnap_photo::{
    DESCRIPTOR_BYTES, Keypoint, SceneSignature, Similarity, scene_ratio_matches,
};

/// Matches with a larger descriptor distance are noise.
const MAX_DESCRIPTOR_DISTANCE: u32 = 72;
/// Lowe's ratio test.
const RATIO: f32 = 0.85;
/// Translation votes closer than this fraction of the longer side of b agree.
const VOTE_TOLERANCE: f32 = 0.02;
/// Fewer agreeing votes than this and the translation is not trusted.
const MIN_VOTES: usize = 4;

fn hamming(a: &[u8; DESCRIPTOR_BYTES], b: &[u8; DESCRIPTOR_BYTES]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// Where the centre of photo `a` lands in photo `b`, as its distance from `b`'s centre in
/// fractions of `b`'s width and height (0 = centred alike, 0.5 = at the edge); `None` when the
/// scenes do not match well enough to say.
pub fn centre_offset(a: &SceneSignature, b: &SceneSignature, sim: &Similarity) -> Option<f32> {
    // The photo crate's matcher finds the same nearest descriptors as the loop of
    // `centre_offset_reference` (same distance cap, same ratio test, first of equals), only
    // faster: this runs for every candidate whose scene matched.
    offset_from_matches(a, b, sim, |a, b| {
        scene_ratio_matches(a, b)
            .into_iter()
            .filter_map(|(ia, ib)| Some((a.keypoints().get(ia)?, b.keypoints().get(ib)?)))
            .collect()
    })
}

/// [`centre_offset`] with its own descriptor matching, as first written: the reference that
/// `decide_exhaustive` and the equivalence tests use.
pub(crate) fn centre_offset_reference(
    a: &SceneSignature,
    b: &SceneSignature,
    sim: &Similarity,
) -> Option<f32> {
    offset_from_matches(a, b, sim, |a, b| {
        let mut matched = Vec::new();
        for ka in a.keypoints() {
            let (mut d1, mut d2, mut best) = (u32::MAX, u32::MAX, None);
            for kb in b.keypoints() {
                let d = hamming(&ka.descriptor, &kb.descriptor);
                if d < d1 {
                    d2 = d1;
                    d1 = d;
                    best = Some(kb);
                } else if d < d2 {
                    d2 = d;
                }
            }
            if let Some(kb) = best
                && d1 <= MAX_DESCRIPTOR_DISTANCE
                && (d1 as f32) < RATIO * d2 as f32
            {
                matched.push((ka, kb));
            }
        }
        matched
    })
}

type Matched<'s> = Vec<(&'s Keypoint, &'s Keypoint)>;

fn offset_from_matches<'s>(
    a: &'s SceneSignature,
    b: &'s SceneSignature,
    sim: &Similarity,
    matches: impl FnOnce(&'s SceneSignature, &'s SceneSignature) -> Matched<'s>,
) -> Option<f32> {
    if sim.scene_inliers < MIN_VOTES as u32
        || !(sim.scene_scale.is_finite() && sim.scene_scale > 0.0)
    {
        return None;
    }
    let (wb, hb) = (b.width() as f32, b.height() as f32);
    let (wa, ha) = (a.width() as f32, a.height() as f32);
    if wa < 1.0 || ha < 1.0 || wb < 1.0 || hb < 1.0 {
        return None;
    }
    let rot = sim.scene_rotation_deg.to_radians();
    let (re, im) = (sim.scene_scale * rot.cos(), sim.scene_scale * rot.sin());

    // Translation votes: b = s·R·a + t for each descriptor match a → b.
    let votes: Vec<(f32, f32)> = matches(a, b)
        .into_iter()
        .map(|(ka, kb)| {
            (
                kb.x - (re * ka.x - im * ka.y),
                kb.y - (im * ka.x + re * ka.y),
            )
        })
        .collect();
    let tol = VOTE_TOLERANCE * wb.max(hb);
    let tol2 = tol * tol;
    let near = |p: &(f32, f32), q: &(f32, f32)| {
        let (dx, dy) = (p.0 - q.0, p.1 - q.1);
        dx * dx + dy * dy <= tol2
    };
    let (best, count) = votes
        .iter()
        .map(|p| (p, votes.iter().filter(|q| near(p, q)).count()))
        .max_by_key(|(_, n)| *n)?;
    if count < MIN_VOTES {
        return None;
    }
    let cluster: Vec<&(f32, f32)> = votes.iter().filter(|q| near(best, q)).collect();
    let n = cluster.len() as f32;
    let tx = cluster.iter().map(|q| q.0).sum::<f32>() / n;
    let ty = cluster.iter().map(|q| q.1).sum::<f32>() / n;
    let (cx, cy) = (wa / 2.0, ha / 2.0);
    let mx = re * cx - im * cy + tx;
    let my = im * cx + re * cy + ty;
    let (ox, oy) = ((mx - wb / 2.0) / wb, (my - hb / 2.0) / hb);
    let offset = (ox * ox + oy * oy).sqrt();
    offset.is_finite().then_some(offset)
}
