//! Charts drawn by the server as SVG (统计图): grouped bars per month and horizontal bars per
//! category. No chart script runs in the browser, the charts print, and they need no
//! internet. Colours come from CSS classes (`.bar-a`, `.bar-b`, `.bar-c`), never inline
//! style, which the Content-Security-Policy forbids.

use std::fmt::Write;

/// Escapes text for XML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A group of bars: its label and one value per series.
pub struct Group {
    /// Under the group.
    pub label: String,
    /// One value per series, in series order.
    pub values: Vec<u64>,
}

/// Grouped vertical bars (e.g. found and closed per month). `title` names the chart for
/// screen readers.
pub fn grouped_bars(title: &str, groups: &[Group]) -> String {
    let (w, h) = (640.0_f64, 220.0_f64);
    let (left, bottom, top) = (28.0, 28.0, 14.0);
    let series = groups
        .iter()
        .map(|g| g.values.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let max = groups
        .iter()
        .flat_map(|g| g.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = (w - left) / groups.len().max(1) as f64;
    let bar = (slot * 0.7 / series as f64).min(28.0);
    let plot = h - bottom - top;
    let classes = ["bar-a", "bar-b", "bar-c"];
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    let _ = write!(
        s,
        r#"<line class="axis" x1="{left}" y1="{y}" x2="{w}" y2="{y}"/>"#,
        y = h - bottom
    );
    for (i, g) in groups.iter().enumerate() {
        let x0 = left + slot * i as f64 + (slot - bar * series as f64) / 2.0;
        for (k, v) in g.values.iter().enumerate() {
            let bh = plot * (*v as f64) / max;
            let x = x0 + bar * k as f64;
            let y = h - bottom - bh;
            let _ = write!(
                s,
                r#"<rect class="{c}" x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}"><title>{label}: {v}</title></rect>"#,
                c = classes[k % classes.len()],
                bw = (bar - 2.0).max(1.0),
                label = esc(&g.label)
            );
            if *v > 0 {
                let _ = write!(
                    s,
                    r#"<text class="value" x="{tx:.1}" y="{ty:.1}" text-anchor="middle">{v}</text>"#,
                    tx = x + bar / 2.0 - 1.0,
                    ty = y - 2.0
                );
            }
        }
        let _ = write!(
            s,
            r#"<text x="{tx:.1}" y="{ty}" text-anchor="middle">{l}</text>"#,
            tx = left + slot * i as f64 + slot / 2.0,
            ty = h - 10.0,
            l = esc(&g.label)
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars, one row per label with up to two values (now, and a comparison drawn
/// thinner below it).
pub fn row_bars(title: &str, rows: &[(String, u64, Option<u64>)]) -> String {
    let (w, row_h, label_w) = (640.0_f64, 26.0_f64, 170.0_f64);
    let h = row_h * rows.len().max(1) as f64 + 8.0;
    let max = rows
        .iter()
        .flat_map(|(_, a, b)| [*a, b.unwrap_or(0)])
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let span = w - label_w - 40.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, (label, now, before)) in rows.iter().enumerate() {
        let y = 4.0 + row_h * i as f64;
        let _ = write!(
            s,
            r#"<text x="{x}" y="{ty:.1}" text-anchor="end">{l}</text>"#,
            x = label_w - 6.0,
            ty = y + 13.0,
            l = esc(label)
        );
        let bw = span * (*now as f64) / max;
        let _ = write!(
            s,
            r#"<rect class="bar-a" x="{label_w}" y="{y:.1}" width="{bw:.1}" height="13"><title>{l}: {now}</title></rect><text class="value" x="{tx:.1}" y="{ty:.1}">{now}</text>"#,
            l = esc(label),
            tx = label_w + bw + 4.0,
            ty = y + 11.0
        );
        if let Some(b) = before {
            let bw = span * (*b as f64) / max;
            let _ = write!(
                s,
                r#"<rect class="bar-c" x="{label_w}" y="{yy:.1}" width="{bw:.1}" height="6"><title>{l}: {b}</title></rect>"#,
                yy = y + 15.0,
                l = esc(label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_their_text_and_scale_to_the_largest() {
        let svg = grouped_bars(
            "<script>",
            &[
                Group {
                    label: "2026-11".into(),
                    values: vec![4, 2],
                },
                Group {
                    label: "a&b".into(),
                    values: vec![0, 8],
                },
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
        assert!(svg.contains("a&amp;b"));
        assert!(!svg.contains("style="), "no inline style under the CSP");
        assert_eq!(svg.matches("<rect").count(), 4);
        let rows = row_bars(
            "类别",
            &[("防护".into(), 3, Some(5)), ("其他".into(), 0, None)],
        );
        assert_eq!(rows.matches("<rect").count(), 3);
    }
}
