//! Charts as server-rendered SVG: funnel bars, horizontal bars, a histogram, grouped
//! bars and a unit-square line chart (gain and calibration curves). No JavaScript and no fonts of their own (text inherits the page's font); the
//! size comes from the `viewBox`, so a chart scales with its container. Every label is
//! escaped here, and each chart is an image with a title for screen readers; the page
//! shows the same numbers in a table beside it.
//!
//! Colours come from classes (`chart-bar`, `series-N`) styled in `app.css`; the `fill`
//! attributes are only a fallback.

use std::fmt::Write;

/// Width of every chart's coordinate system; heights follow the content.
const WIDTH: f64 = 640.0;
/// Room for the labels left of horizontal bars.
const LABEL_WIDTH: f64 = 200.0;
/// Room for the value right of horizontal bars.
const VALUE_WIDTH: f64 = 110.0;
const ROW_HEIGHT: f64 = 28.0;
const BAR_HEIGHT: f64 = 18.0;
/// Labels longer than this are shortened with "…" (the full text is in the bar's title).
const MAX_LABEL_CHARS: usize = 22;
const FALLBACK_FILL: &str = "#d9480f";

/// One bar: what it is, its size, and the text shown next to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The value as the reader sees it, e.g. "1,204" or "12.5%".
    pub text: String,
}

impl Bar {
    pub fn new(label: impl Into<String>, value: f64, text: impl Into<String>) -> Bar {
        Bar {
            label: label.into(),
            value,
            text: text.into(),
        }
    }
}

/// Escapes text for HTML and SVG content and attribute values.
pub fn escape(s: &str) -> String {
    ondo_domain::text::escape_html(s)
}

/// The label as shown on the chart: at most `MAX_LABEL_CHARS` characters.
fn short(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// A number for an SVG attribute: one decimal at most.
fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// The "no data" state: a short note instead of an empty frame.
fn empty(title: &str, no_data: &str) -> String {
    format!(
        "<p class=\"chart-empty\" role=\"note\" aria-label=\"{}\">{}</p>",
        escape(title),
        escape(no_data)
    )
}

/// The opening tag of a chart, with its accessible name and title.
fn open(kind: &str, title: &str, height: f64) -> String {
    let t = escape(title);
    format!(
        "<svg class=\"chart chart-{kind}\" role=\"img\" aria-label=\"{t}\" \
         viewBox=\"0 0 {w} {h}\" preserveAspectRatio=\"xMinYMin meet\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title>",
        w = num(WIDTH),
        h = num(height)
    )
}

fn max_value(values: impl Iterator<Item = f64>) -> f64 {
    values.filter(|v| v.is_finite()).fold(0.0, f64::max)
}

/// `value` as a share of `max` times `length` (0 for nothing, negative or NaN).
fn scaled(value: f64, max: f64, length: f64) -> f64 {
    if max > 0.0 && value.is_finite() && value > 0.0 {
        value / max * length
    } else {
        0.0
    }
}

/// Horizontal bars, one row each, longest value = full width.
pub fn horizontal_bars(title: &str, bars: &[Bar], no_data: &str) -> String {
    let max = max_value(bars.iter().map(|b| b.value));
    if bars.is_empty() || max <= 0.0 {
        return empty(title, no_data);
    }
    let plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let height = bars.len() as f64 * ROW_HEIGHT + 8.0;
    let mut svg = open("hbar", title, height);
    for (i, b) in bars.iter().enumerate() {
        let y = 4.0 + i as f64 * ROW_HEIGHT;
        let w = scaled(b.value, max, plot);
        let _ = write!(
            svg,
            "<g class=\"chart-row\"><title>{full}: {text}</title>\
             <text class=\"chart-label\" x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>\
             <rect class=\"chart-bar\" fill=\"{FALLBACK_FILL}\" x=\"{bx}\" y=\"{by}\" width=\"{w}\" height=\"{bh}\"/>\
             <text class=\"chart-value\" x=\"{vx}\" y=\"{ty}\">{text}</text></g>",
            full = escape(&b.label),
            text = escape(&b.text),
            label = escape(&short(&b.label)),
            lx = num(LABEL_WIDTH - 8.0),
            ty = num(y + BAR_HEIGHT * 0.75),
            bx = num(LABEL_WIDTH),
            by = num(y),
            w = num(w),
            bh = num(BAR_HEIGHT),
            vx = num(LABEL_WIDTH + w + 6.0),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A funnel: one centred bar per stage, each as wide as its share of the first stage.
pub fn funnel(title: &str, stages: &[Bar], no_data: &str) -> String {
    let max = max_value(stages.iter().map(|b| b.value));
    if stages.is_empty() || max <= 0.0 {
        return empty(title, no_data);
    }
    let plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let row = ROW_HEIGHT + 8.0;
    let height = stages.len() as f64 * row + 8.0;
    let mut svg = open("funnel", title, height);
    for (i, b) in stages.iter().enumerate() {
        let y = 4.0 + i as f64 * row;
        let w = scaled(b.value, max, plot);
        let x = LABEL_WIDTH + (plot - w) / 2.0;
        let _ = write!(
            svg,
            "<g class=\"chart-row\"><title>{full}: {text}</title>\
             <text class=\"chart-label\" x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>\
             <rect class=\"chart-bar series-{i}\" fill=\"{FALLBACK_FILL}\" x=\"{bx}\" y=\"{by}\" width=\"{w}\" height=\"{bh}\" rx=\"3\"/>\
             <text class=\"chart-value\" x=\"{vx}\" y=\"{ty}\">{text}</text></g>",
            full = escape(&b.label),
            text = escape(&b.text),
            label = escape(&short(&b.label)),
            lx = num(LABEL_WIDTH - 8.0),
            ty = num(y + ROW_HEIGHT * 0.7),
            bx = num(x),
            by = num(y),
            w = num(w),
            bh = num(ROW_HEIGHT),
            vx = num(LABEL_WIDTH + plot + 6.0),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Vertical bars side by side (bins of a distribution), labels underneath.
pub fn histogram(title: &str, bins: &[Bar], no_data: &str) -> String {
    let max = max_value(bins.iter().map(|b| b.value));
    if bins.is_empty() || max <= 0.0 {
        return empty(title, no_data);
    }
    let (top, plot_h, bottom) = (22.0, 160.0, 40.0);
    let slot = (WIDTH - 16.0) / bins.len() as f64;
    let bar_w = (slot * 0.7).max(1.0);
    let mut svg = open("histogram", title, top + plot_h + bottom);
    let _ = write!(
        svg,
        "<line class=\"chart-axis\" x1=\"8\" x2=\"{x2}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#999\"/>",
        x2 = num(WIDTH - 8.0),
        y = num(top + plot_h)
    );
    for (i, b) in bins.iter().enumerate() {
        let h = scaled(b.value, max, plot_h);
        let cx = 8.0 + slot * (i as f64 + 0.5);
        let _ = write!(
            svg,
            "<g class=\"chart-col\"><title>{full}: {text}</title>\
             <rect class=\"chart-bar\" fill=\"{FALLBACK_FILL}\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\"/>\
             <text class=\"chart-value\" x=\"{cx}\" y=\"{vy}\" text-anchor=\"middle\">{text}</text>\
             <text class=\"chart-label\" x=\"{cx}\" y=\"{ly}\" text-anchor=\"middle\">{label}</text></g>",
            full = escape(&b.label),
            text = escape(&b.text),
            label = escape(&short(&b.label)),
            x = num(cx - bar_w / 2.0),
            y = num(top + plot_h - h),
            w = num(bar_w),
            h = num(h),
            cx = num(cx),
            vy = num(top + plot_h - h - 6.0),
            ly = num(top + plot_h + 18.0),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One group of a grouped bar chart (a month, a source) with a value per series.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub label: String,
    pub values: Vec<f64>,
}

/// Vertical bars grouped by `groups`, one colour per series, with a legend on top.
pub fn grouped_bars(title: &str, series: &[String], groups: &[Group], no_data: &str) -> String {
    let max = max_value(groups.iter().flat_map(|g| g.values.iter().copied()));
    if groups.is_empty() || series.is_empty() || max <= 0.0 {
        return empty(title, no_data);
    }
    let (legend_h, plot_h, bottom) = (26.0, 170.0, 40.0);
    let top = legend_h + 8.0;
    let slot = (WIDTH - 16.0) / groups.len() as f64;
    let bar_w = (slot * 0.8 / series.len() as f64).max(0.5);
    let mut svg = open("grouped", title, top + plot_h + bottom);
    let legend_step = (WIDTH - 16.0) / series.len() as f64;
    for (s, name) in series.iter().enumerate() {
        let x = 8.0 + legend_step * s as f64;
        let _ = write!(
            svg,
            "<g class=\"chart-legend\"><rect class=\"chart-bar series-{s}\" fill=\"{FALLBACK_FILL}\" x=\"{x}\" y=\"6\" width=\"12\" height=\"12\"/>\
             <text class=\"chart-label\" x=\"{tx}\" y=\"16\">{name}</text></g>",
            x = num(x),
            tx = num(x + 16.0),
            name = escape(&short(name)),
        );
    }
    let _ = write!(
        svg,
        "<line class=\"chart-axis\" x1=\"8\" x2=\"{x2}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#999\"/>",
        x2 = num(WIDTH - 8.0),
        y = num(top + plot_h)
    );
    // Label every group when they fit, else every n-th.
    let label_every = (groups.len() as f64 * 60.0 / (WIDTH - 16.0))
        .ceil()
        .max(1.0) as usize;
    for (g, group) in groups.iter().enumerate() {
        let x0 = 8.0 + slot * g as f64 + slot * 0.1;
        let _ = write!(
            svg,
            "<g class=\"chart-col\"><title>{}</title>",
            escape(&group.label)
        );
        for (s, v) in group.values.iter().enumerate().take(series.len()) {
            let h = scaled(*v, max, plot_h);
            let _ = write!(
                svg,
                "<rect class=\"chart-bar series-{s}\" fill=\"{FALLBACK_FILL}\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\"><title>{label} · {name}: {v}</title></rect>",
                x = num(x0 + bar_w * s as f64),
                y = num(top + plot_h - h),
                w = num(bar_w),
                h = num(h),
                label = escape(&group.label),
                name = escape(&series[s]),
                v = num(*v),
            );
        }
        if g % label_every == 0 {
            let _ = write!(
                svg,
                "<text class=\"chart-label\" x=\"{cx}\" y=\"{ly}\" text-anchor=\"middle\">{label}</text>",
                cx = num(8.0 + slot * (g as f64 + 0.5)),
                ly = num(top + plot_h + 18.0),
                label = escape(&short(&group.label)),
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

/// One line of a [`unit_lines`] chart: points with x and y in 0…1.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// Lines on the unit square (both axes 0–100 %), with the diagonal drawn dashed as the
/// reference (a random order for a gain chart, perfect calibration for a calibration
/// plot), axis titles and ticks every 20 %, and a legend. Points outside 0…1 are clamped;
/// each point is a dot whose title gives its values.
pub fn unit_lines(
    title: &str,
    x_title: &str,
    y_title: &str,
    diagonal: &str,
    lines: &[Line],
    no_data: &str,
) -> String {
    if lines.iter().all(|l| l.points.is_empty()) {
        return empty(title, no_data);
    }
    let (left, top, size) = (60.0, 34.0, 300.0);
    let height = top + size + 48.0;
    let x = |v: f64| left + v.clamp(0.0, 1.0) * size;
    let y = |v: f64| top + size - v.clamp(0.0, 1.0) * size;
    let mut svg = open("lines", title, height);
    // Legend: the diagonal first, then each line.
    let legend: Vec<(String, String)> =
        std::iter::once(("chart-diagonal".to_string(), diagonal.to_string()))
            .chain(
                lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (format!("chart-line series-{i}"), l.label.clone())),
            )
            .collect();
    for (i, (class, label)) in legend.iter().enumerate() {
        let lx = 8.0 + i as f64 * 200.0;
        let _ = write!(
            svg,
            "<g class=\"chart-legend\"><line class=\"{class}\" x1=\"{lx}\" x2=\"{lx2}\" y1=\"12\" y2=\"12\" stroke=\"#555\"/>\
             <text class=\"chart-label\" x=\"{tx}\" y=\"16\">{label}</text></g>",
            lx = num(lx),
            lx2 = num(lx + 22.0),
            tx = num(lx + 28.0),
            label = escape(&short(label)),
        );
    }
    for tick in 0..=5 {
        let v = tick as f64 / 5.0;
        let _ = write!(
            svg,
            "<line class=\"chart-grid\" x1=\"{x0}\" x2=\"{x1}\" y1=\"{yv}\" y2=\"{yv}\" stroke=\"#ddd\"/>\
             <line class=\"chart-grid\" x1=\"{xv}\" x2=\"{xv}\" y1=\"{y0}\" y2=\"{y1}\" stroke=\"#ddd\"/>\
             <text class=\"chart-value\" x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{pct}%</text>\
             <text class=\"chart-value\" x=\"{xv}\" y=\"{bx}\" text-anchor=\"middle\">{pct}%</text>",
            x0 = num(x(0.0)),
            x1 = num(x(1.0)),
            yv = num(y(v)),
            xv = num(x(v)),
            y0 = num(y(0.0)),
            y1 = num(y(1.0)),
            tx = num(left - 6.0),
            ty = num(y(v) + 4.0),
            bx = num(top + size + 16.0),
            pct = tick * 20,
        );
    }
    let _ = write!(
        svg,
        "<text class=\"chart-label\" x=\"{cx}\" y=\"{by}\" text-anchor=\"middle\">{xt}</text>\
         <text class=\"chart-label\" x=\"14\" y=\"{cy}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {cy})\">{yt}</text>\
         <line class=\"chart-diagonal\" x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y1}\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>",
        cx = num(left + size / 2.0),
        by = num(top + size + 38.0),
        cy = num(top + size / 2.0),
        xt = escape(x_title),
        yt = escape(y_title),
        x0 = num(x(0.0)),
        y0 = num(y(0.0)),
        x1 = num(x(1.0)),
        y1 = num(y(1.0)),
    );
    for (i, line) in lines.iter().enumerate() {
        let path: Vec<String> = line
            .points
            .iter()
            .map(|&(px, py)| format!("{},{}", num(x(px)), num(y(py))))
            .collect();
        let _ = write!(
            svg,
            "<g class=\"chart-series\"><title>{label}</title><polyline class=\"chart-line series-{i}\" fill=\"none\" stroke=\"{FALLBACK_FILL}\" points=\"{points}\"/>",
            label = escape(&line.label),
            points = path.join(" "),
        );
        for &(px, py) in &line.points {
            let _ = write!(
                svg,
                "<circle class=\"chart-dot series-{i}\" fill=\"{FALLBACK_FILL}\" cx=\"{cx}\" cy=\"{cy}\" r=\"3\"><title>{xp:.0}% → {yp:.0}%</title></circle>",
                cx = num(x(px)),
                cy = num(y(py)),
                xp = px * 100.0,
                yp = py * 100.0,
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `width` of every `<rect class="chart-bar"` in order.
    fn widths(svg: &str) -> Vec<f64> {
        svg.split("<rect class=\"chart-bar")
            .skip(1)
            .map(|r| {
                let w = r.split("width=\"").nth(1).expect("a width");
                w[..w.find('"').expect("closing quote")]
                    .parse()
                    .expect("a number")
            })
            .collect()
    }

    #[test]
    fn labels_and_titles_are_escaped() {
        let evil = "<script>alert(\"x\")</script> & 'co'";
        for svg in [
            horizontal_bars(evil, &[Bar::new(evil, 3.0, evil)], "none"),
            funnel(evil, &[Bar::new(evil, 3.0, "3")], "none"),
            histogram(evil, &[Bar::new(evil, 3.0, "3")], "none"),
            unit_lines(
                evil,
                evil,
                evil,
                evil,
                &[Line {
                    label: evil.to_string(),
                    points: vec![(0.0, 0.0), (1.0, 1.0)],
                }],
                "none",
            ),
            grouped_bars(
                evil,
                &[evil.to_string()],
                &[Group {
                    label: evil.to_string(),
                    values: vec![1.0],
                }],
                "none",
            ),
        ] {
            assert!(!svg.contains("<script"), "{svg}");
            assert!(!svg.contains("\"x\""), "{svg}");
            assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;)"), "{svg}");
            assert!(svg.contains("&amp; &#39;co&#39;"), "{svg}");
            assert!(svg.starts_with("<svg class=\"chart"), "{svg}");
            assert!(svg.contains("role=\"img\""));
            assert!(svg.contains("viewBox=\"0 0 640 "));
            assert!(!svg.contains("width=\"100%\""));
        }
        assert_eq!(
            empty(evil, evil),
            "<p class=\"chart-empty\" role=\"note\" aria-label=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;\">\
             &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;</p>"
        );
    }

    #[test]
    fn empty_or_all_zero_data_shows_the_no_data_note() {
        let zero = [Bar::new("a", 0.0, "0"), Bar::new("b", 0.0, "0")];
        for svg in [
            horizontal_bars("t", &[], "データがありません"),
            horizontal_bars("t", &zero, "データがありません"),
            funnel("t", &zero, "データがありません"),
            histogram("t", &[], "データがありません"),
            grouped_bars("t", &["s".into()], &[], "データがありません"),
            grouped_bars(
                "t",
                &["s".into()],
                &[Group {
                    label: "g".into(),
                    values: vec![0.0],
                }],
                "データがありません",
            ),
        ] {
            assert!(svg.contains("chart-empty"), "{svg}");
            assert!(svg.contains("データがありません"));
            assert!(!svg.contains("<svg"));
        }
    }

    #[test]
    fn bar_widths_are_proportional_to_values() {
        let bars = [
            Bar::new("a", 100.0, "100"),
            Bar::new("b", 50.0, "50"),
            Bar::new("c", 25.0, "25"),
            Bar::new("d", 0.0, "0"),
        ];
        let plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
        assert_eq!(
            widths(&horizontal_bars("t", &bars, "none")),
            vec![plot, plot / 2.0, plot / 4.0, 0.0]
        );
        assert_eq!(
            widths(&funnel("t", &bars, "none")),
            vec![plot, plot / 2.0, plot / 4.0, 0.0]
        );
        // Histogram bars share one width; their heights carry the values.
        let svg = histogram("t", &bars, "none");
        let heights: Vec<f64> = svg
            .split("height=\"")
            .skip(1)
            .map(|h| h[..h.find('"').expect("quote")].parse().expect("number"))
            .collect();
        assert_eq!(heights, vec![160.0, 80.0, 40.0, 0.0]);
    }

    #[test]
    fn long_labels_are_shortened_but_kept_whole_in_the_title() {
        let long = "展示会 2026-10 東京ビッグサイト 西ホール 第3会場 ブースA-12";
        let svg = horizontal_bars("t", &[Bar::new(long, 1.0, "1")], "none");
        assert!(svg.contains(&format!("<title>{long}: 1</title>")));
        assert!(svg.contains(&format!("{}…", long.chars().take(21).collect::<String>())));
    }

    #[test]
    fn unit_lines_place_points_on_the_unit_square() {
        let svg = unit_lines(
            "Gain",
            "leads",
            "conversions",
            "random",
            &[Line {
                label: "AI".into(),
                points: vec![(0.0, 0.0), (0.5, 0.25), (1.0, 1.2)],
            }],
            "none",
        );
        assert!(svg.contains("points=\"60,334 210,259 360,34\""), "{svg}");
        assert!(svg.contains("<title>50% → 25%</title>"), "{svg}");
        assert!(svg.contains("stroke-dasharray"), "the diagonal is drawn");
        assert_eq!(
            unit_lines("Gain", "x", "y", "d", &[], "no model yet"),
            empty("Gain", "no model yet")
        );
    }
}
