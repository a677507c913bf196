//! The timeline chart: stacked bars per time bucket, one colour per priority, drawn as an
//! inline SVG on the server.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{esc, priority_color, PRIORITIES};

const W: f64 = 960.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 10.0;

/// `series` maps a priority to its count per bucket; `start_us`/`width_us` place the
/// buckets in time.
pub(crate) fn timeline_svg(
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
        "<svg class=\"timeline\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"Events over time by priority\" xmlns=\"http://www.w3.org/2000/svg\">"
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
    let mut order: Vec<&String> = series.keys().collect();
    order.sort_by_key(|p| {
        std::cmp::Reverse(PRIORITIES.iter().position(|x| x == p).unwrap_or(usize::MAX))
    });
    for i in 0..n {
        let mut y = TOP + plot_h;
        for p in &order {
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
                priority_color(p),
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
        let svg = timeline_svg(&series, 3, 0, 60_000_000);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("#FB8C00") && svg.contains("#E53935"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
