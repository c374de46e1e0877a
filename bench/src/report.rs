//! The output: a markdown table for people, JSON lines for machines (BENCH.md:
//! `{"workload": "B3", "runtime": "miou", "median": 0.0123, "unit": "s", "runs": 7}`,
//! one object per line and nothing else on stdout), and the peak-memory table.

use std::fmt::Write;

use crate::harness::Row;
use crate::rss::RssRow;
use crate::runtimes::Runtime;

/// One JSON object per runtime and row, one per line.
pub fn json(rows: &[Row]) -> String {
    let mut out = String::new();
    for row in rows {
        for &(rt, median) in &row.medians {
            writeln!(
                out,
                "{{\"workload\": \"{}\", \"runtime\": \"{}\", \"median\": {}, \"unit\": \"s\", \"runs\": {}}}",
                row.id,
                rt.name(),
                median,
                row.runs
            )
            .expect("writing to a String");
        }
    }
    out
}

/// The markdown table: workload, median time per iteration per runtime, miou / best
/// peer, and miou / floor where the workload has a floor.
pub fn table(rows: &[Row]) -> String {
    let columns: Vec<Runtime> = Runtime::ALL
        .iter()
        .copied()
        .filter(|rt| rows.iter().any(|r| r.median(*rt).is_some()))
        .collect();
    let mut out = String::from("| workload |");
    for rt in &columns {
        write!(out, " {} |", rt.name()).expect("writing to a String");
    }
    out.push_str(" miou / best peer | miou / floor | iters x runs |\n|---|");
    for _ in &columns {
        out.push_str("---:|");
    }
    out.push_str("---:|---:|---:|\n");
    for row in rows {
        write!(out, "| {} |", row.title).expect("writing to a String");
        for rt in &columns {
            match row.median(*rt) {
                Some(m) => write!(out, " {} |", human(m)),
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
        match (miou, row.median(Runtime::Floor)) {
            (Some(m), Some(f)) => write!(out, " {:.2} |", m / f),
            _ => write!(out, " - |"),
        }
        .expect("writing to a String");
        writeln!(out, " {} x {} |", row.iters, row.runs).expect("writing to a String");
    }
    out
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
            title: "B3 yield_many".into(),
            iters: 10,
            runs: 7,
            medians: vec![
                (Runtime::Miou, 0.003),
                (Runtime::TokioCt, 0.002),
                (Runtime::AsyncExecutor, 0.0025),
                (Runtime::Floor, 0.001),
            ],
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
        assert!(t.contains("| B3 yield_many | 3.00 ms | 2.00 ms | 2.50 ms | 1.00 ms | 1.50 (tokio-ct) | 3.00 | 10 x 7 |"), "{t}");
    }

    #[test]
    fn human_units() {
        assert_eq!(human(0.0000123), "12.3 µs");
        assert_eq!(human(0.0123), "12.30 ms");
        assert_eq!(human(5e-7), "500.0 ns");
    }
}
