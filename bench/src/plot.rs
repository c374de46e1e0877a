//! The plot of `bench --tuning`: a hand-written, self-contained SVG of B7's figures on
//! miou, one panel per number of busy tasks K, with the busy tasks' iterations per
//! second across and the round-trip latency up (p50 and p99, on a log scale when they
//! span a decade or more), one point per quanta, labelled `qN`.
//!
//! Like the book's pictures (the `timeline` crate), the SVG carries its own white
//! background, so it reads the same in the book's light and dark themes (the book's
//! CSS frames it); the two statistics differ by shape (a circle for p50, a square for
//! p99) and by line (solid, dashed), not only by colour; `<title>` and `<desc>` give
//! its accessible name and every figure in words. The machine (CPU model from
//! `/proc/cpuinfo`, cores) and the date (UTC, from `SystemTime`) are written on it:
//! the figures are that machine's on that day.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::report::{human, rate};
use crate::tuning::Point;
use crate::workloads::thousands;

/// What the plot says about its run, besides the points.
#[derive(Clone, Debug)]
pub struct Meta {
    /// The CPU model and core count, e.g. `AMD EPYC 7B13, 2 cores`.
    pub machine: String,
    /// When the run ended, e.g. `2026-12-07 10:31 UTC`.
    pub date: String,
    /// Runs per configuration.
    pub runs: usize,
    /// Timed requests per run.
    pub requests: usize,
    /// A `--quick` smoke run: said on the plot.
    pub quick: bool,
}

const WIDTH: i32 = 760;
const HEIGHT: i32 = 490;
const PAD: i32 = 16;
const TOP: i32 = 108;
const BOTTOM: i32 = 392;
/// The left and right edges of each panel's plotting area.
const PANELS: [(i32, i32); 2] = [(80, 372), (452, 744)];

const INK: &str = "#1f2328";
const SOFT_INK: &str = "#57606a";
const GRID: &str = "#d8dee4";
const P50: &str = "#0969da";
const P99: &str = "#bc4c00";

/// The CPU model and the cores of this machine, as the plot shows them.
pub fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| cpu_model(&info))
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = crate::runtimes::cores();
    format!("{model}, {cores} core{}", if cores == 1 { "" } else { "s" })
}

/// The first `model name` of a `/proc/cpuinfo`.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        (key.trim() == "model name" && !value.is_empty()).then_some(value)
    })
}

/// `t` as `YYYY-MM-DD HH:MM UTC`.
pub fn utc(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        s / 3600,
        s / 60 % 60
    )
}

/// The date (year, month, day) of the day `days` after 1970-01-01, in the proleptic
/// Gregorian calendar (Howard Hinnant's `civil_from_days`).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// How latencies map to heights.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scale {
    /// Log10 from `lo` to `hi` (seconds).
    Log { lo: f64, hi: f64 },
    /// Linear from 0 to `hi`.
    Linear { hi: f64 },
}

impl Scale {
    /// A log scale when the latencies span a decade or more, else a linear one from 0.
    fn fit(values: &[f64]) -> Scale {
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(0.0, f64::max);
        if lo > 0.0 && hi / lo >= 10.0 {
            Scale::Log {
                lo: lo / 1.4,
                hi: hi * 1.4,
            }
        } else {
            let ticks = linear_ticks(hi.max(1e-9) * 1.1, 5);
            Scale::Linear {
                hi: *ticks.last().expect("at least one tick"),
            }
        }
    }

    /// The height of `v` in `0.0..=1.0`.
    fn at(self, v: f64) -> f64 {
        match self {
            Scale::Log { lo, hi } => (v.log10() - lo.log10()) / (hi.log10() - lo.log10()),
            Scale::Linear { hi } => v / hi,
        }
    }

    /// The ticks of the axis: 1, 2 and 5 of each decade on a log scale (only the 1s
    /// when that makes too many), round steps on a linear one.
    fn ticks(self) -> Vec<f64> {
        match self {
            Scale::Log { lo, hi } => {
                let decades = lo.log10().floor() as i32..=hi.log10().ceil() as i32;
                let of = |ms: &[f64]| -> Vec<f64> {
                    decades
                        .clone()
                        .flat_map(|e| ms.iter().map(move |m| m * 10f64.powi(e)))
                        .filter(|t| (lo..=hi).contains(t))
                        .collect()
                };
                let all = of(&[1.0, 2.0, 5.0]);
                if all.len() > 10 { of(&[1.0]) } else { all }
            }
            Scale::Linear { hi } => linear_ticks(hi, 5),
        }
    }
}

/// Round ticks from 0 up to at least `hi`, about `n` of them: steps of 1, 2 or 5 times
/// a power of ten.
fn linear_ticks(hi: f64, n: usize) -> Vec<f64> {
    let raw = hi / n as f64;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * power);
    let count = (hi / step - 1e-9).ceil().max(1.0) as usize;
    (0..=count).map(|i| i as f64 * step).collect()
}

/// A number with at most two decimals, without trailing zeros.
fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A latency tick, e.g. `20 µs`, `1.5 ms`.
fn time_tick(secs: f64) -> String {
    if secs < 1e-3 {
        format!("{} µs", trim(secs * 1e6))
    } else if secs < 1.0 {
        format!("{} ms", trim(secs * 1e3))
    } else {
        format!("{} s", trim(secs))
    }
}

/// A rate tick, e.g. `500k`, `1.5M`.
fn rate_tick(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if v >= 1e3 {
        format!("{}k", trim(v / 1e3))
    } else {
        trim(v)
    }
}

/// Escapes text for SVG content and attributes.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The plot of `points` (any order; a panel per K, in increasing K).
pub fn svg(points: &[Point], meta: &Meta) -> String {
    let mut ks: Vec<usize> = points.iter().map(|p| p.busy).collect();
    ks.sort_unstable();
    ks.dedup();
    let latencies: Vec<f64> = points.iter().flat_map(|p| [p.p50, p.p99]).collect();
    let scale = Scale::fit(&latencies);
    let max_rate = points.iter().map(|p| p.rate).fold(0.0, f64::max);
    let x_ticks = linear_ticks(max_rate.max(1.0) * 1.08, 5);
    let x_hi = *x_ticks.last().expect("at least one tick");
    let log = matches!(scale, Scale::Log { .. });

    let title = "B7 on miou: request latency against the busy tasks' throughput, by quanta";
    let mut desc = format!(
        "{} panels, one per number K of busy tasks sharing one domain with an echo \
         server. Across: the busy tasks' iterations per second; up: the round-trip \
         latency of a 64-byte request, p50 (circles, solid line) and p99 (squares, \
         dashed line){}; one point per quanta. Measured on {}, {}; medians of {} runs.",
        ks.len(),
        if log { ", on a log scale" } else { "" },
        meta.machine,
        meta.date,
        meta.runs
    );
    for p in sorted(points) {
        let _ = write!(
            desc,
            " K={}, quanta {}: p50 {}, p99 {}, {} busy iterations{}.",
            p.busy,
            p.quanta,
            human(p.p50),
            human(p.p99),
            rate(p.rate),
            if p.starved > 0 {
                " (starved: lower bounds)"
            } else {
                ""
            }
        );
    }

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="tuning-title tuning-desc">"#
    );
    let _ = writeln!(s, r#"<title id="tuning-title">{}</title>"#, esc(title));
    let _ = writeln!(s, r#"<desc id="tuning-desc">{}</desc>"#, esc(&desc));
    let _ = writeln!(
        s,
        r##"<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>"##
    );
    let text = |s: &mut String, x: i32, y: i32, size: i32, fill: &str, extra: &str, t: &str| {
        let _ = writeln!(
            s,
            r#"<text x="{x}" y="{y}" font-family="sans-serif" font-size="{size}" fill="{fill}"{extra}>{}</text>"#,
            esc(t)
        );
    };
    text(&mut s, PAD, 28, 15, INK, r#" font-weight="bold""#, title);
    let mut about = format!(
        "{} · {} · medians of {} runs of {} requests per point",
        meta.machine,
        meta.date,
        meta.runs,
        thousands(meta.requests)
    );
    if meta.quick {
        about += " · a --quick smoke run, not figures";
    }
    text(&mut s, PAD, 48, 11, SOFT_INK, r#" class="machine""#, &about);

    // The legend.
    let y = 70;
    let _ = writeln!(
        s,
        r##"<path d="M{} {y}H{}" stroke="{P50}" stroke-width="2"/><circle cx="{}" cy="{y}" r="4.5" fill="{P50}" stroke="#ffffff"/>"##,
        PAD,
        PAD + 24,
        PAD + 12
    );
    text(&mut s, PAD + 30, y + 4, 11, INK, "", "p50");
    let x = PAD + 70;
    let _ = writeln!(
        s,
        r##"<path d="M{x} {y}H{}" stroke="{P99}" stroke-width="2" stroke-dasharray="5 3"/><rect x="{}" y="{}" width="9" height="9" fill="{P99}" stroke="#ffffff"/>"##,
        x + 24,
        x + 8,
        y - 4
    );
    text(&mut s, x + 30, y + 4, 11, INK, "", "p99");
    text(
        &mut s,
        x + 70,
        y + 4,
        11,
        SOFT_INK,
        "",
        "qN: the quanta of the point (scheduling points per turn)",
    );

    for (i, &k) in ks.iter().enumerate().take(PANELS.len()) {
        let (left, right) = PANELS[i];
        let px = |v: f64| left + ((v / x_hi) * f64::from(right - left)).round() as i32;
        let py = |v: f64| BOTTOM - (scale.at(v) * f64::from(BOTTOM - TOP)).round() as i32;
        let _ = writeln!(s, r#"<g class="panel" data-k="{k}">"#);
        let heading = format!("K = {k} busy task{}", if k == 1 { "" } else { "s" });
        text(
            &mut s,
            left,
            TOP - 10,
            13,
            INK,
            r#" font-weight="bold""#,
            &heading,
        );
        // The grid and the ticks.
        let mut grid = String::new();
        for t in scale.ticks() {
            let y = py(t);
            let _ = write!(grid, "M{left} {y}H{right}");
            text(
                &mut s,
                left - 6,
                y + 4,
                10,
                SOFT_INK,
                r#" text-anchor="end""#,
                &time_tick(t),
            );
        }
        for &t in &x_ticks {
            let x = px(t);
            let _ = write!(grid, "M{x} {TOP}V{BOTTOM}");
            text(
                &mut s,
                x,
                BOTTOM + 16,
                10,
                SOFT_INK,
                r#" text-anchor="middle""#,
                &rate_tick(t),
            );
        }
        let _ = writeln!(
            s,
            r#"<path d="{grid}" fill="none" stroke="{GRID}" shape-rendering="crispEdges"/>"#
        );
        let _ = writeln!(
            s,
            r#"<path d="M{left} {TOP}V{BOTTOM}H{right}" fill="none" stroke="{SOFT_INK}" shape-rendering="crispEdges"/>"#
        );
        text(
            &mut s,
            (left + right) / 2,
            BOTTOM + 36,
            11,
            INK,
            r#" text-anchor="middle""#,
            "busy iterations per second, all K tasks",
        );
        // The two series: lines in quanta order, then the points and their labels.
        let mine: Vec<&Point> = sorted(points).into_iter().filter(|p| p.busy == k).collect();
        for (colour, dash, value) in [
            (P50, "", (|p: &Point| p.p50) as fn(&Point) -> f64),
            (P99, r#" stroke-dasharray="5 3""#, |p: &Point| p.p99),
        ] {
            let d: Vec<String> = mine
                .iter()
                .enumerate()
                .map(|(j, p)| {
                    let c = if j == 0 { 'M' } else { 'L' };
                    format!("{c}{} {}", px(p.rate), py(value(p)))
                })
                .collect();
            let _ = writeln!(
                s,
                r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="1.5"{dash}/>"#,
                d.join("")
            );
        }
        let mut taken: Vec<Label> = Vec::new();
        for p in &mine {
            let x = px(p.rate);
            let mark = if p.starved > 0 { "*" } else { "" };
            for (stat, v) in [("p50", p.p50), ("p99", p.p99)] {
                let y = py(v);
                let _ = write!(
                    s,
                    r#"<g class="point" data-k="{k}" data-quanta="{}" data-stat="{stat}"><title>K = {k}, quanta {}: {stat} {} at {} busy iterations{}</title>"#,
                    p.quanta,
                    p.quanta,
                    esc(&human(v)),
                    rate(p.rate),
                    if mark.is_empty() {
                        ""
                    } else {
                        " (starved: a lower bound)"
                    }
                );
                if stat == "p50" {
                    let _ = write!(
                        s,
                        r##"<circle cx="{x}" cy="{y}" r="4.5" fill="{P50}" stroke="#ffffff"/>"##
                    );
                } else {
                    let _ = write!(
                        s,
                        r##"<rect x="{}" y="{}" width="9" height="9" fill="{P99}" stroke="#ffffff"/>"##,
                        x - 4,
                        y - 4
                    );
                }
                // p50's label below right, p99's above left, each moved further away
                // from its point while it would cover a label already placed.
                let text = format!("q{}{mark}", p.quanta);
                let (lx, ly, anchor) = if stat == "p50" {
                    (x + 7, place(&mut taken, x + 7, y + 14, &text, 11), "start")
                } else {
                    let w = label_width(&text);
                    (
                        x - 7,
                        place(&mut taken, x - 7 - w, y - 6, &text, -11),
                        "end",
                    )
                };
                let _ = writeln!(
                    s,
                    r#"<text class="label" x="{lx}" y="{ly}" text-anchor="{anchor}" font-family="monospace" font-size="10" fill="{INK}">q{}{mark}</text></g>"#,
                    p.quanta
                );
            }
        }
        let _ = writeln!(s, "</g>");
    }
    // The vertical axis' title, once, along the left edge.
    let axis = if log {
        "round-trip latency (log scale)"
    } else {
        "round-trip latency"
    };
    let mid = (TOP + BOTTOM) / 2;
    text(
        &mut s,
        PAD + 4,
        mid,
        11,
        INK,
        &format!(
            r#" text-anchor="middle" transform="rotate(-90 {} {mid})""#,
            PAD + 4
        ),
        axis,
    );
    let mut foot = String::from(
        "One domain: the server and the K busy tasks share a thread; the client runs on \
         another.",
    );
    if points.iter().any(|p| p.starved > 0) {
        foot += " *: starved in some runs, a lower bound.";
    }
    text(&mut s, PAD, HEIGHT - 30, 11, SOFT_INK, "", &foot);
    text(
        &mut s,
        PAD,
        HEIGHT - 14,
        11,
        SOFT_INK,
        "",
        "Drawn by: cargo run --release -p bench -- --tuning book/plots/tuning.svg",
    );
    s.push_str("</svg>\n");
    s
}

/// A label's box: left, baseline, width.
type Label = (i32, i32, i32);

/// The width of a point's label (10 px monospace, 0.6 em a character).
fn label_width(text: &str) -> i32 {
    6 * text.chars().count() as i32
}

/// The baseline for a label whose box starts at `x`: `y`, or moved by `step` until it
/// covers none of the `taken` boxes (at most 6 moves); the box is then taken.
fn place(taken: &mut Vec<Label>, x: i32, y: i32, text: &str, step: i32) -> i32 {
    let w = label_width(text);
    let mut y = y;
    for _ in 0..6 {
        let clash = taken
            .iter()
            .any(|&(tx, ty, tw)| x < tx + tw && tx < x + w && (y - ty).abs() < 11);
        if !clash {
            break;
        }
        y += step;
    }
    taken.push((x, y, w));
    y
}

/// The points by K, then quanta.
fn sorted(points: &[Point]) -> Vec<&Point> {
    let mut v: Vec<&Point> = points.iter().collect();
    v.sort_by_key(|p| (p.busy, p.quanta));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points() -> Vec<Point> {
        let mut v = Vec::new();
        for (busy, base) in [(1, 3e-5), (10, 5e-5)] {
            for (i, quanta) in [1, 4, 16, 61].into_iter().enumerate() {
                let grow = 4f64.powi(i as i32);
                v.push(Point {
                    busy,
                    quanta,
                    p50: base * grow,
                    p99: 2.0 * base * grow,
                    max: 3.0 * base * grow,
                    rate: 6e5 * (1.0 + i as f64 / 2.0),
                    served: 2e4 / grow,
                    starved: usize::from(quanta == 61 && busy == 10),
                    runs: 7,
                });
            }
        }
        v
    }

    fn meta() -> Meta {
        Meta {
            machine: "AMD EPYC 7B13, 2 cores".into(),
            date: "2026-12-07 10:31 UTC".into(),
            runs: 7,
            requests: 2000,
            quick: false,
        }
    }

    /// The element names of `svg`'s tags, checked to nest: every opened element is
    /// closed in order, and nothing is closed that was not open.
    fn elements(svg: &str) -> Vec<String> {
        let mut open: Vec<String> = Vec::new();
        let mut seen = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').expect("a tag ends") + start;
            let tag = &rest[start + 1..end];
            assert!(!tag.contains('<'), "a `<` inside a tag: {tag}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop().as_deref(), Some(name), "closes what is open");
            } else {
                let name = tag.split_whitespace().next().expect("a name").to_string();
                assert_eq!(tag.matches('"').count() % 2, 0, "quoted attributes: {tag}");
                if !tag.ends_with('/') {
                    open.push(name.clone());
                }
                seen.push(name);
            }
            rest = &rest[end + 1..];
        }
        assert!(open.is_empty(), "left open: {open:?}");
        seen
    }

    #[test]
    fn the_svg_nests_and_has_a_point_per_measurement() {
        let svg = svg(&points(), &meta());
        let names = elements(&svg);
        assert_eq!(names[0], "svg");
        assert_eq!(names.iter().filter(|n| *n == "circle").count(), 8 + 1);
        assert_eq!(svg.matches(r#"<g class="point""#).count(), 16);
        assert_eq!(svg.matches(r#"<g class="panel""#).count(), 2);
        for k in [1, 10] {
            for q in [1, 4, 16, 61] {
                for stat in ["p50", "p99"] {
                    let point = format!(r#"data-k="{k}" data-quanta="{q}" data-stat="{stat}""#);
                    assert_eq!(svg.matches(&point).count(), 1, "{point}");
                }
            }
        }
        for label in [">q1</text>", ">q4</text>", ">q16</text>", ">q61*</text>"] {
            assert!(svg.contains(label), "{label}");
        }
    }

    #[test]
    fn the_svg_says_what_it_shows_where_and_when() {
        let svg = svg(&points(), &meta());
        assert!(svg.contains(r#"aria-labelledby="tuning-title tuning-desc""#));
        assert!(svg.contains(r#"<title id="tuning-title">B7 on miou"#));
        let desc = &svg[svg.find("<desc").unwrap()..svg.find("</desc>").unwrap()];
        let last = "K=10, quanta 61: p50 3.20 ms, p99 6.40 ms, 1.50M/s busy iterations";
        assert!(desc.contains(last), "{desc}");
        assert!(desc.contains("log scale"), "{desc}");
        assert!(svg.contains("AMD EPYC 7B13, 2 cores · 2026-12-07 10:31 UTC"));
        assert!(svg.contains("K = 1 busy task<") && svg.contains("K = 10 busy tasks<"));
        assert!(svg.contains("*: starved in some runs"));
        assert!(
            svg.contains(r##"fill="#ffffff""##),
            "a background of its own"
        );
    }

    #[test]
    fn latencies_over_a_decade_go_on_a_log_scale() {
        let log = Scale::fit(&[3e-5, 4e-3]);
        assert!(matches!(log, Scale::Log { .. }));
        let ticks: Vec<String> = log.ticks().into_iter().map(time_tick).collect();
        assert_eq!(
            ticks,
            [
                "50 µs", "100 µs", "200 µs", "500 µs", "1 ms", "2 ms", "5 ms"
            ]
        );
        assert!((log.at(3e-5 / 1.4)).abs() < 1e-9 && (log.at(4e-3 * 1.4) - 1.0).abs() < 1e-9);
        let linear = Scale::fit(&[3e-5, 6e-5]);
        assert!(matches!(linear, Scale::Linear { hi } if (hi - 8e-5).abs() < 1e-12));
        assert_eq!(linear_ticks(1.62e6, 4), [0.0, 5e5, 1e6, 1.5e6, 2e6]);
        assert_eq!(rate_tick(1.5e6), "1.5M");
        assert_eq!(rate_tick(5e5), "500k");
    }

    #[test]
    fn labels_move_off_the_labels_already_placed() {
        let mut taken = Vec::new();
        assert_eq!(place(&mut taken, 100, 50, "q16", 11), 50);
        assert_eq!(place(&mut taken, 104, 52, "q61", 11), 63);
        assert_eq!(place(&mut taken, 300, 52, "q4", 11), 52);
        assert_eq!(taken.len(), 3);
    }

    #[test]
    fn dates_are_civil_days_in_utc() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(-1), (1969, 12, 31));
        assert_eq!(civil(11_016), (2000, 2, 29));
        assert_eq!(civil(11_017), (2000, 3, 1));
        assert_eq!(civil(19_723), (2024, 1, 1));
        assert_eq!(civil(19_782), (2024, 2, 29));
        assert_eq!(civil(20_819), (2027, 1, 1));
        // 2009-02-13 23:31:30 UTC, Unix time 1,234,567,890.
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_234_567_890);
        assert_eq!(utc(t), "2009-02-13 23:31 UTC");
    }

    #[test]
    fn the_cpu_model_is_the_first_model_name() {
        let info = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC  7B13 \
                    64-Core Processor\nprocessor\t: 1\nmodel name\t: other\n";
        assert_eq!(
            cpu_model(info).as_deref(),
            Some("AMD EPYC 7B13 64-Core Processor")
        );
        assert_eq!(cpu_model("processor\t: 0\n"), None);
    }
}
