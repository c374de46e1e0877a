//! `bench --tuning PATH`: B7 on miou alone, for each quanta of [`QUANTA`] and each
//! number of busy tasks of [`BUSY`], drawn as a plot (`crate::plot`) and printed as a
//! markdown table. The book's chapter "Tuning quanta and domains" shows the plot
//! (`book/plots/tuning.svg`).
//!
//! A configuration is one (K, quanta) pair; one *run* is one B7 run
//! ([`b7_availability::run`]) on a fresh single-domain miou runtime. As in the other
//! workloads (`bench/WORKLOADS.md`, How figures are taken), each configuration gets a
//! warm-up run (none with `--quick`), then the runs are taken in rounds, every quanta
//! of a K once per round, the order rotating from round to round so that a drift of the
//! machine touches every quanta alike; a figure is the median of its runs.

use std::fmt::Write as _;
use std::path::Path;

use crate::harness::median;
use crate::plot::{self, Meta};
use crate::report::{human, rate};
use crate::runtimes::Runtime;
use crate::workloads::b7_availability::{self, Setup};
use crate::workloads::{Measured, thousands};

/// The quanta of the sweep: miou's default, two between, and tokio's event interval.
pub const QUANTA: [usize; 4] = [1, 4, 16, 61];

/// The numbers of busy tasks (B7's K).
pub const BUSY: [usize; 2] = [1, 10];

/// The medians of one configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// K, the busy tasks.
    pub busy: usize,
    pub quanta: usize,
    /// Round-trip latencies, in seconds.
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    /// The busy tasks' iterations per second, all of them together.
    pub rate: f64,
    /// The requests the server answered per second: the client is closed-loop, so a
    /// longer wait means fewer requests, whose work the busy tasks get instead.
    pub served: f64,
    /// The runs in which the server starved (its figures are then lower bounds).
    pub starved: usize,
    /// The runs the medians are taken over.
    pub runs: usize,
}

/// Runs the sweep: `runs` runs of every configuration, K after K.
// ANCHOR: sweep
pub fn sweep(quick: bool, runs: usize) -> Vec<Point> {
    let mut points = Vec::new();
    for busy in BUSY {
        let setups: Vec<Setup> = QUANTA
            .iter()
            .map(|&quanta| b7_availability::setup(quick, busy, quanta))
            .collect();
        let run = |s: Setup| b7_availability::run(Runtime::Miou, s);
        if !quick {
            for &s in &setups {
                run(s); // a warm-up run, not counted
            }
        }
        eprintln!("bench: tuning K={busy} ({runs} runs per quanta)");
        let mut samples = vec![Vec::with_capacity(runs); setups.len()];
        for round in 0..runs {
            for i in 0..setups.len() {
                let j = (round + i) % setups.len();
                samples[j].push(run(setups[j]));
            }
        }
        for (s, measured) in setups.iter().zip(&samples) {
            points.push(point(s, measured));
        }
    }
    points
}
// ANCHOR_END: sweep

/// The medians of one configuration's runs.
fn point(setup: &Setup, runs: &[Measured]) -> Point {
    let metric = |m: usize| {
        let mut xs: Vec<f64> = runs.iter().map(|r| r.values[m]).collect();
        median(&mut xs)
    };
    Point {
        busy: setup.busy,
        quanta: setup.quanta,
        p50: metric(0),
        p99: metric(1),
        max: metric(2),
        rate: metric(3),
        served: metric(4),
        starved: runs.iter().filter(|r| r.note.is_some()).count(),
        runs: runs.len(),
    }
}

/// The figures as a markdown table, with each K's quanta 1 as the reference of the
/// ratios.
pub fn table(points: &[Point]) -> String {
    let mut out = String::from(
        "| K | quanta | p50 | p99 | max | busy iterations/s | requests/s | p99 / quanta 1 | \
         iterations/s / quanta 1 |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for p in points {
        let base = points
            .iter()
            .find(|b| b.busy == p.busy && b.quanta == 1)
            .unwrap_or(p);
        let starved = if p.starved > 0 {
            format!(" (starved in {} of {} runs)", p.starved, p.runs)
        } else {
            String::new()
        };
        writeln!(
            out,
            "| {} | {}{starved} | {} | {} | {} | {} | {} | {:.2} | {:.2} |",
            p.busy,
            p.quanta,
            human(p.p50),
            human(p.p99),
            human(p.max),
            rate(p.rate),
            rate(p.served),
            p.p99 / base.p99,
            p.rate / base.rate,
        )
        .expect("writing to a String");
    }
    out
}

/// `bench --tuning PATH`: runs the sweep, prints the table on stdout and writes the plot
/// to `path`.
pub fn main(path: &Path, quick: bool, runs: usize) -> Result<(), String> {
    let requests = b7_availability::setup(quick, 1, 1).requests;
    let points = sweep(quick, runs);
    let meta = Meta {
        machine: plot::machine(),
        date: plot::utc(std::time::SystemTime::now()),
        runs,
        requests,
        quick,
    };
    println!(
        "B7 availability on miou alone (one domain), {} x {} B round trips per run, \
         medians of {runs} runs; {}, {}.\n",
        thousands(requests),
        b7_availability::SIZE,
        meta.machine,
        meta.date
    );
    print!("{}", table(&points));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, plot::svg(&points, &meta))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("bench: wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(p50: f64, rate: f64, starved: bool) -> Measured {
        Measured {
            // A made-up served rate: any figure will do.
            values: vec![p50, 2.0 * p50, 4.0 * p50, rate, 0.5 / p50],
            note: starved.then(|| "starved".to_string()),
        }
    }

    #[test]
    fn a_point_is_the_median_of_its_runs() {
        let setup = b7_availability::setup(true, 10, 4);
        let runs = [
            measured(3e-5, 1e6, false),
            measured(1e-5, 3e6, true),
            measured(2e-5, 2e6, false),
        ];
        let p = point(&setup, &runs);
        assert_eq!((p.busy, p.quanta, p.runs, p.starved), (10, 4, 3, 1));
        assert_eq!((p.p50, p.p99, p.max, p.rate), (2e-5, 4e-5, 8e-5, 2e6));
        assert_eq!(p.served, 0.5 / 2e-5);
    }

    #[test]
    fn the_table_has_a_row_per_point_and_ratios_to_quanta_1() {
        let setup = |q| b7_availability::setup(true, 1, q);
        let points = [
            point(&setup(1), &[measured(1e-5, 1e6, false)]),
            point(&setup(61), &[measured(4e-5, 2e6, true)]),
        ];
        let t = table(&points);
        assert_eq!(t.lines().count(), 4, "{t}");
        assert!(
            t.contains("| 1 | 1 | 10.0 µs | 20.0 µs | 40.0 µs | 1.00M/s | 50.0k/s | 1.00 | 1.00 |"),
            "{t}"
        );
        assert!(
            t.contains("| 1 | 61 (starved in 1 of 1 runs) | 40.0 µs |"),
            "{t}"
        );
        assert!(t.contains("| 4.00 | 2.00 |"), "{t}");
    }
}
