//! The timeline charts: stacked bars per time bucket, one colour per priority (or per
//! source), drawn as inline SVG on the server.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{esc, priority_color, PRIORITIES};
use crate::store::TimelineBy;

/// Colours of sources, in the order of their names.
const SOURCE_COLORS: [&str; 8] = [
    "#00897B", "#5E35B1", "#F4511E", "#3949AB", "#7CB342", "#D81B60", "#6D4C41", "#546E7A",
];

/// The colour of each series of a timeline, most severe priority first (sources by name).
pub(crate) fn series_colors(
    by: TimelineBy,
    series: &BTreeMap<String, Vec<u64>>,
) -> Vec<(&str, &'static str)> {
    match by {
        TimelineBy::Priority => {
            let mut keys: Vec<&str> = series.keys().map(String::as_str).collect();
            keys.sort_by_key(|p| PRIORITIES.iter().position(|x| x == p).unwrap_or(usize::MAX));
            keys.into_iter().map(|p| (p, priority_color(p))).collect()
        }
        TimelineBy::Source => series
            .keys()
            .enumerate()
            .map(|(i, s)| (s.as_str(), SOURCE_COLORS[i % SOURCE_COLORS.len()]))
            .collect(),
    }
}

const W: f64 = 960.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 10.0;

/// `series` maps a priority (or source, see `by`) to its count per bucket;
/// `start_us`/`width_us` place the buckets in time.
pub(crate) fn timeline_svg(
    by: TimelineBy,
    series: &BTreeMap<String, Vec<u64>>,
    buckets: u32,
    start_us: i64,
    width_us: i64,
) -> String {
    let n = buckets.max(1) as usize;
    let mut totals = vec![0u64; n];
    for counts in series.values() {
        for (i, c) in counts.iter().enumerate().take(n) {
            totals[i] += c;
        }
    }
    // Whole-number ticks: the scale's top is four equal integer steps.
    let peak = totals.iter().copied().max().unwrap_or(0).max(1);
    let step = peak.div_ceil(4);
    let max = step * 4;
    let plot_w = W - LEFT - 8.0;
    let plot_h = H - TOP - BOTTOM;
    let bar_w = plot_w / n as f64;
    let mut s = String::with_capacity(8192);
    let _ = write!(
        s,
        "<svg class=\"timeline\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"Events over time by {}\" xmlns=\"http://www.w3.org/2000/svg\">",
        by.as_str()
    );
    // Grid lines and the y scale.
    let tick = step;
    for step in 0..=4u8 {
        let y = TOP + plot_h - plot_h * f64::from(step) / 4.0;
        let value = u64::from(step) * tick;
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{value}</text>",
            W - 8.0,
            LEFT - 6.0,
            y + 4.0
        );
    }
    // Bars, most severe on top of the stack.
    let mut order = series_colors(by, series);
    order.reverse();
    for i in 0..n {
        let mut y = TOP + plot_h;
        for (p, color) in &order {
            let c = series.get(*p).and_then(|v| v.get(i)).copied().unwrap_or(0);
            if c == 0 {
                continue;
            }
            let h = plot_h * c as f64 / max as f64;
            y -= h;
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{} {}: {c}</title></rect>",
                LEFT + bar_w * i as f64 + 0.5,
                (bar_w - 1.0).max(0.5),
                color,
                esc(&bucket_label(start_us + width_us * i as i64, width_us)),
                esc(p)
            );
        }
    }
    // X labels: about six.
    let every = (n / 6).max(1);
    for i in (0..n).step_by(every) {
        let x = LEFT + bar_w * i as f64;
        let _ = write!(
            s,
            "<text class=\"axis\" x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
            H - 6.0,
            esc(&bucket_label(start_us + width_us * i as i64, width_us))
        );
    }
    s.push_str("</svg>");
    s
}

/// `HH:MM` for buckets shorter than a day, `MM/DD HH:MM` otherwise (UTC).
fn bucket_label(us: i64, width_us: i64) -> String {
    let Some(t) = chrono::DateTime::from_timestamp_micros(us) else {
        return String::new();
    };
    if width_us >= 3_600_000_000 {
        t.format("%m/%d %H:%M").to_string()
    } else {
        t.format("%H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_rect_per_non_empty_cell() {
        let mut series = BTreeMap::new();
        series.insert("Warning".to_owned(), vec![1, 0, 2]);
        series.insert("Critical".to_owned(), vec![0, 0, 1]);
        let svg = timeline_svg(TimelineBy::Priority, &series, 3, 0, 60_000_000);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("#FB8C00") && svg.contains("#E53935"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        // Critical is drawn last (on top of the stack).
        assert!(svg.rfind("#E53935") > svg.rfind("#FB8C00"));
        let mut sources = BTreeMap::new();
        sources.insert("syscall".to_owned(), vec![1, 1, 0]);
        sources.insert("k8s_audit".to_owned(), vec![0, 2, 0]);
        let svg = timeline_svg(TimelineBy::Source, &sources, 3, 0, 60_000_000);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("by source"));
        assert_eq!(
            series_colors(TimelineBy::Source, &sources),
            [("k8s_audit", "#00897B"), ("syscall", "#5E35B1")]
        );
    }
}
