//! The output: a markdown table for people, JSON lines for machines
//! (`{"workload": "B3", "runtime": "miou", "median": 0.0123, "unit": "s", "runs": 7}`,
//! one object per line and nothing else on stdout; `bench/WORKLOADS.md` lists the units
//! and runtime names), and the peak-memory table.

use std::fmt::Write;

use crate::harness::Row;
use crate::rss::RssRow;
use crate::runtimes::Runtime;
use crate::workloads::{Target, Unit};

/// One JSON object per runtime and row, one per line.
pub fn json(rows: &[Row]) -> String {
    let mut out = String::new();
    for row in rows {
        for &(rt, median) in &row.medians {
            writeln!(
                out,
                "{{\"workload\": \"{}\", \"runtime\": \"{}\", \"median\": {}, \"unit\": \"{}\", \"runs\": {}}}",
                row.id,
                rt.name(),
                median,
                row.unit.json(),
                row.runs
            )
            .expect("writing to a String");
        }
    }
    out
}

/// The table a workload's rows go in: B1-B5 share one (the same runtimes and
/// targets), every other workload has its own.
fn table_of(workload: &str) -> &str {
    match workload {
        "B1" | "B2" | "B3" | "B4" | "B5" => "B1-B5",
        w => w,
    }
}

/// The markdown tables: one for B1-B5 and one per other workload, each with the
/// median per runtime, miou / best peer, miou / floor where there is a floor, and the
/// workload's gate and goal (`bench/WORKLOADS.md`) with whether they hold. Notes (a
/// runtime that starved...) follow their table.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    let mut start = 0;
    while start < rows.len() {
        let key = table_of(rows[start].workload);
        let end = rows[start..]
            .iter()
            .position(|r| table_of(r.workload) != key)
            .map_or(rows.len(), |n| start + n);
        if start > 0 {
            out.push('\n');
        }
        one_table(&mut out, &rows[start..end]);
        start = end;
    }
    out
}

fn one_table(out: &mut String, rows: &[Row]) {
    let columns: Vec<Runtime> = Runtime::ALL
        .iter()
        .copied()
        .filter(|rt| rows.iter().any(|r| r.median(*rt).is_some()))
        .collect();
    let floor = columns.contains(&Runtime::Floor);
    out.push_str("| workload |");
    for rt in &columns {
        write!(out, " {} |", rt.name()).expect("writing to a String");
    }
    out.push_str(" miou / best peer |");
    if floor {
        out.push_str(" miou / floor |");
    }
    out.push_str(" gate | goal | iters x runs |\n|---|");
    for _ in &columns {
        out.push_str("---:|");
    }
    out.push_str("---:|");
    if floor {
        out.push_str("---:|");
    }
    out.push_str("---|---|---:|\n");
    for row in rows {
        write!(out, "| {} |", row.title).expect("writing to a String");
        for rt in &columns {
            match row.median(*rt) {
                Some(m) => write!(out, " {} |", value(row.unit, m)),
                None => write!(out, " - |"),
            }
            .expect("writing to a String");
        }
        let miou = row.median(Runtime::Miou);
        match (miou, row.best_peer()) {
            (Some(m), Some((peer, p))) => write!(out, " {:.2} ({}) |", m / p, peer.name()),
            _ => write!(out, " - |"),
        }
        .expect("writing to a String");
        if floor {
            match (miou, row.median(Runtime::Floor)) {
                (Some(m), Some(f)) => write!(out, " {:.2} |", m / f),
                _ => write!(out, " - |"),
            }
            .expect("writing to a String");
        }
        writeln!(
            out,
            " {} | {} | {} x {} |",
            verdicts(row, &row.gate),
            verdicts(row, &row.goal),
            row.iters,
            row.runs
        )
        .expect("writing to a String");
    }
    let notes: Vec<&String> = rows.iter().flat_map(|r| &r.notes).collect();
    if !notes.is_empty() {
        out.push('\n');
        for n in notes {
            writeln!(out, "- {n}").expect("writing to a String");
        }
    }
}

/// Whether each target holds for `row`, e.g. `≤ 1.5 × tokio-mt: holds (0.93)`; `-` with
/// no target.
fn verdicts(row: &Row, targets: &[Target]) -> String {
    if targets.is_empty() {
        return "-".to_string();
    }
    targets
        .iter()
        .map(|t| verdict(row, *t))
        .collect::<Vec<_>>()
        .join("; ")
}

fn verdict(row: &Row, target: Target) -> String {
    let higher = row.unit.higher_is_better();
    let sign = if higher { "≥" } else { "≤" };
    let holds = |ok: bool| if ok { "holds" } else { "fails" };
    let against = |name: String, factor: f64, other: Option<f64>| -> String {
        match (row.median(Runtime::Miou), other) {
            (Some(m), Some(o)) => {
                let ratio = m / o;
                let ok = if higher {
                    ratio >= factor
                } else {
                    ratio <= factor
                };
                format!("{sign} {factor} × {name}: {} ({ratio:.2})", holds(ok))
            }
            _ => format!("{sign} {factor} × {name}: not measured"),
        }
    };
    match target {
        Target::BestPeer(f) => against("best peer".to_string(), f, row.best_peer().map(|(_, p)| p)),
        Target::Runtime(rt, f) => against(rt.name().to_string(), f, row.median(rt)),
        Target::SpeedUp { workers, factor } => {
            let need = factor * workers as f64;
            match (row.median(Runtime::Miou), row.median(Runtime::Sequential)) {
                (Some(m), Some(seq)) => {
                    let speed_up = seq / m;
                    // The plain threads' speed-up: what the machine gave at the time.
                    let floor = row
                        .median(Runtime::Floor)
                        .map(|f| format!("; plain threads {:.2}", seq / f))
                        .unwrap_or_default();
                    format!(
                        "speed-up ≥ {need:.2}: {} ({speed_up:.2}, {:.2} per worker{floor})",
                        holds(speed_up >= need),
                        speed_up / workers as f64
                    )
                }
                _ => format!("speed-up ≥ {need:.2}: not measured"),
            }
        }
        Target::Completes => match row.median(Runtime::Miou) {
            Some(_) => "completes, every destructor ran: holds".to_string(),
            None => "completes: not measured".to_string(),
        },
    }
}

/// A median in its unit, for people.
pub fn value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Seconds | Unit::P50 | Unit::P99 | Unit::Max => human(v),
        Unit::ReqPerSec | Unit::IterPerSec => rate(v),
    }
}

/// A rate per second, e.g. `81.2k/s`.
pub fn rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2}M/s", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1}k/s", v / 1e3)
    } else {
        format!("{v:.1}/s")
    }
}

/// The peak-memory table for B1.
pub fn rss_table(rows: &[RssRow]) -> String {
    let mut out = String::from(
        "| runtime | peak RSS, N=0 | peak RSS, N=25,000 | bytes / task | future | handle | bytes / task beyond the future |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        writeln!(
            out,
            "| {} | {} KiB | {} KiB | {:.0} | {} | {} | {:.0} |",
            r.runtime.name(),
            r.base / 1024,
            r.peak / 1024,
            r.per_task(),
            r.future,
            r.handle,
            r.per_task() - r.future as f64,
        )
        .expect("writing to a String");
    }
    out
}

/// The peak-memory table for B8 (no future or handle sizes).
pub fn rss_table_b8(rows: &[RssRow]) -> String {
    let mut out = String::from(
        "| runtime | peak RSS, no tree | peak RSS, tree | bytes / task |\n|---|---:|---:|---:|\n",
    );
    for r in rows {
        writeln!(
            out,
            "| {} | {} KiB | {} KiB | {:.0} |",
            r.runtime.name(),
            r.base / 1024,
            r.peak / 1024,
            r.per_task(),
        )
        .expect("writing to a String");
    }
    out
}

/// A time in seconds, in the unit that suits it.
pub fn human(secs: f64) -> String {
    if secs < 1e-6 {
        format!("{:.1} ns", secs * 1e9)
    } else if secs < 1e-3 {
        format!("{:.1} µs", secs * 1e6)
    } else if secs < 1.0 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{secs:.3} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Row {
        Row {
            id: "B3".into(),
            workload: "B3",
            title: "B3 yield_many".into(),
            unit: Unit::Seconds,
            iters: 10,
            runs: 7,
            medians: vec![
                (Runtime::Miou, 0.003),
                (Runtime::TokioCt, 0.002),
                (Runtime::AsyncExecutor, 0.0025),
                (Runtime::Floor, 0.001),
            ],
            gate: vec![Target::BestPeer(1.5)],
            goal: vec![Target::BestPeer(1.0)],
            notes: Vec::new(),
        }
    }

    fn rate_row() -> Row {
        Row {
            id: "B9".into(),
            workload: "B9",
            title: "B9 tcp_echo: req/s".into(),
            unit: Unit::ReqPerSec,
            iters: 1,
            runs: 5,
            medians: vec![
                (Runtime::Miou, 90_000.0),
                (Runtime::TokioCt, 100_000.0),
                (Runtime::AsyncExecutor, 80_000.0),
            ],
            gate: vec![Target::Runtime(Runtime::TokioCt, 0.8)],
            goal: vec![Target::BestPeer(1.0)],
            notes: vec!["B9 (floor, 1 of 5 runs): a note".into()],
        }
    }

    #[test]
    fn json_lines_have_the_bench_md_shape() {
        let out = json(&[row()]);
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[0],
            r#"{"workload": "B3", "runtime": "miou", "median": 0.003, "unit": "s", "runs": 7}"#
        );
        assert!(lines[3].contains(r#""runtime": "floor""#));
    }

    #[test]
    fn table_has_ratios_against_the_best_peer_and_the_floor() {
        let t = table(&[row()]);
        assert!(t.contains("| B3 yield_many | 3.00 ms | 2.00 ms | 2.50 ms | 1.00 ms | 1.50 (tokio-ct) | 3.00 | ≤ 1.5 × best peer: holds (1.50) | ≤ 1 × best peer: fails (1.50) | 10 x 7 |"), "{t}");
    }

    #[test]
    fn higher_is_better_rates_and_one_table_per_workload() {
        let t = table(&[row(), rate_row()]);
        assert!(t.contains("| B9 tcp_echo: req/s | 90.0k/s | 100.0k/s | 80.0k/s | 0.90 (tokio-ct) | ≥ 0.8 × tokio-ct: holds (0.90) | ≥ 1 × best peer: fails (0.90) | 1 x 5 |"), "{t}");
        assert_eq!(t.matches("| workload |").count(), 2, "{t}");
        assert!(t.contains("- B9 (floor, 1 of 5 runs): a note"), "{t}");
        let j = json(&[rate_row()]);
        assert!(j.contains(r#""unit": "req/s""#), "{j}");
    }

    #[test]
    fn speed_up_verdicts() {
        let mut r = row();
        r.medians = vec![(Runtime::Miou, 1.0), (Runtime::Sequential, 1.8)];
        r.gate = vec![Target::SpeedUp {
            workers: 2,
            factor: 0.8,
        }];
        assert_eq!(
            verdicts(&r, &r.gate),
            "speed-up ≥ 1.60: holds (1.80, 0.90 per worker)"
        );
    }

    #[test]
    fn human_units() {
        assert_eq!(human(0.0000123), "12.3 µs");
        assert_eq!(human(0.0123), "12.30 ms");
        assert_eq!(human(5e-7), "500.0 ns");
    }
}
