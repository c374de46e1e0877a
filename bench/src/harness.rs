//! Runs the cases: miou and its peers interleaved, round after round, and the median of
//! each runtime's runs. Absolute times drift on a shared machine; ratios taken within
//! one run, with the runtimes interleaved and medians of at least 5 runs, do not (see
//! `bench/WORKLOADS.md`, How figures are taken).
//!
//! One *run* of a runtime is one fresh runtime executing the workload `iters` times in a
//! row; its time per iteration is one sample. `iters` is chosen once per case, the same
//! for every runtime, so that the fastest runtime's run lasts about [`Settings::target`]:
//! short workloads (B1 with N = 1,000 takes tens of microseconds) are then timed over
//! many iterations instead of one clock reading.
//!
//! A case that measures several figures per run (requests per second, latency
//! percentiles: [`Run::Metrics`]) is not calibrated: each run is one sample of every
//! figure, and each figure gets its own median and its own row.

use std::time::Duration;

use crate::runtimes::Runtime;
use crate::workloads::{Case, Measured, Run, Target, Unit};

/// How long and how often to measure.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Run only these runtimes (all of the case's when empty).
    pub only: Vec<Runtime>,
    /// Samples per runtime (rounds).
    pub runs: usize,
    /// What one run of the fastest runtime should last.
    pub target: Duration,
    /// One iteration per run, no calibration: a smoke run.
    pub quick: bool,
}

/// The measured figures of one case and metric.
#[derive(Clone, Debug)]
pub struct Row {
    pub id: String,
    /// The workload (`B1`...), which decides the table the row goes in.
    pub workload: &'static str,
    pub title: String,
    pub unit: Unit,
    /// Iterations per run.
    pub iters: u32,
    /// Runs per runtime.
    pub runs: usize,
    /// Each runtime with its median (time per iteration in seconds, or the metric's
    /// unit), in the case's order.
    pub medians: Vec<(Runtime, f64)>,
    pub gate: Vec<Target>,
    pub goal: Vec<Target>,
    /// What the reader must know about some runs (e.g. which runtime starved).
    pub notes: Vec<String>,
}

impl Row {
    pub fn median(&self, rt: Runtime) -> Option<f64> {
        self.medians.iter().find(|(r, _)| *r == rt).map(|&(_, m)| m)
    }

    /// The best peer (not miou, not the floor or the sequential baseline) and its
    /// median: the lowest, or the highest for a higher-is-better unit.
    pub fn best_peer(&self) -> Option<(Runtime, f64)> {
        let peers = self.medians.iter().copied().filter(|(r, _)| r.is_peer());
        if self.unit.higher_is_better() {
            peers.max_by(|a, b| a.1.total_cmp(&b.1))
        } else {
            peers.min_by(|a, b| a.1.total_cmp(&b.1))
        }
    }
}

/// Measures one case: a row per metric.
pub fn measure(case: &Case, s: &Settings) -> Vec<Row> {
    let rts: Vec<Runtime> = case
        .runtimes
        .iter()
        .copied()
        .filter(|rt| s.only.is_empty() || s.only.contains(rt))
        .collect();
    match &case.run {
        Run::Time(run) => vec![measure_time(case, run, &rts, s)],
        Run::Metrics(run) => measure_metrics(case, run, &rts, s),
    }
}

/// A row of `case` for its metric `m`, with no medians yet.
fn row(case: &Case, m: usize, iters: u32, runs: usize) -> Row {
    let metric = &case.metrics[m];
    let label = metric.unit.label();
    Row {
        id: case.id.clone(),
        workload: case.workload,
        title: if label.is_empty() {
            case.title.clone()
        } else {
            format!("{}: {label}", case.title)
        },
        unit: metric.unit,
        iters,
        runs,
        medians: Vec::new(),
        gate: metric.gate.clone(),
        goal: metric.goal.clone(),
        notes: Vec::new(),
    }
}

/// A [`Run::Metrics`] case: no calibration; a warm-up run per runtime (none with
/// `--quick`), then interleaved rounds; a row per metric.
fn measure_metrics(
    case: &Case,
    run: &dyn Fn(Runtime) -> Measured,
    rts: &[Runtime],
    s: &Settings,
) -> Vec<Row> {
    if !s.quick {
        for &rt in rts {
            run(rt);
        }
    }
    eprintln!("bench: {} ({} runs per runtime)", case.id, s.runs);
    let mut samples: Vec<Vec<Measured>> = vec![Vec::with_capacity(s.runs); rts.len()];
    for round in 0..s.runs {
        for i in round_order(rts.len(), round) {
            let m = run(rts[i]);
            assert_eq!(
                m.values.len(),
                case.metrics.len(),
                "{}: a value per metric",
                case.id
            );
            samples[i].push(m);
        }
    }
    let mut notes = Vec::new();
    for (rt, xs) in rts.iter().zip(&samples) {
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for note in xs.iter().filter_map(|m| m.note.as_deref()) {
            match seen.iter_mut().find(|(n, _)| *n == note) {
                Some((_, count)) => *count += 1,
                None => seen.push((note, 1)),
            }
        }
        for (note, count) in seen {
            notes.push(format!(
                "{} ({}, {count} of {} runs): {note}",
                case.id,
                rt.name(),
                xs.len()
            ));
        }
    }
    (0..case.metrics.len())
        .map(|m| {
            let mut r = row(case, m, 1, s.runs);
            r.medians = rts
                .iter()
                .zip(&samples)
                .map(|(&rt, xs)| {
                    let mut v: Vec<f64> = xs.iter().map(|x| x.values[m]).collect();
                    (rt, median(&mut v))
                })
                .collect();
            if m == 0 {
                r.notes = notes.clone();
            }
            r
        })
        .collect()
}

/// A [`Run::Time`] case: calibrated iterations, one row.
fn measure_time(
    case: &Case,
    run: &dyn Fn(Runtime, u32) -> Duration,
    rts: &[Runtime],
    s: &Settings,
) -> Row {
    // Warm up every runtime once (allocator, code, page faults); the fastest sets iters.
    let mut fastest = f64::INFINITY;
    for &rt in rts {
        let d = run(rt, 1);
        fastest = fastest.min(d.as_secs_f64());
    }
    let iters = if s.quick {
        1
    } else {
        (s.target.as_secs_f64() / fastest.max(1e-9))
            .ceil()
            .clamp(1.0, 1e6) as u32
    };
    eprintln!(
        "bench: {} ({} runs x {iters} iterations per runtime)",
        case.id, s.runs
    );

    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(s.runs); rts.len()];
    for round in 0..s.runs {
        for i in round_order(rts.len(), round) {
            let d = run(rts[i], iters);
            samples[i].push(d.as_secs_f64() / f64::from(iters));
        }
    }
    let mut r = row(case, 0, iters, s.runs);
    r.medians = rts
        .iter()
        .zip(samples)
        .map(|(&rt, mut xs)| (rt, median(&mut xs)))
        .collect();
    r
}

/// The order of one round over `n` runtimes, index 0 being miou (when it runs): miou first, then each
/// peer once, so the runs go miou, peers, miou, peers... and a drift of the machine
/// touches every runtime alike. The peers start one further each round, so that no
/// peer always runs right after miou.
fn round_order(n: usize, round: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let mut order = vec![0];
    let peers = n - 1;
    for k in 0..peers {
        order.push(1 + (round + k) % peers);
    }
    order
}

/// The median of `xs` (mean of the two middle values for an even count).
pub fn median(xs: &mut [f64]) -> f64 {
    assert!(!xs.is_empty(), "no samples");
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn rounds_start_with_miou_and_rotate_the_peers() {
        assert_eq!(round_order(4, 0), [0, 1, 2, 3]);
        assert_eq!(round_order(4, 1), [0, 2, 3, 1]);
        assert_eq!(round_order(3, 1), [0, 2, 1]);
        assert_eq!(round_order(1, 5), [0]);
    }
}
