//! The runs of chapter 4: what `cargo run -p step-04` prints, section by
//! section, and the traces the book's pictures are drawn from
//! (`cargo run -p step-04 -- --trace NAME`).
//!
//! The binary, the output test and book-check all compile this file (the
//! last two through `#[path]`), so it names the library `step_04`, never
//! `crate`.

use step_04::clock::{Clock, RealClock, VirtualClock};
use step_04::examples::{first_of, parent_and_child, three_sleepers};
use step_04::report::Report;
use step_04::{Task, run};

/// One part of the output: a name (for its snapshot and the chapter), a
/// title, and its lines.
pub struct Section {
    /// The name of the section's snapshot, `output__NAME.snap` (read by the
    /// output test, not by the binary).
    #[allow(dead_code)]
    pub name: &'static str,
    /// The section's first line, after `== `.
    pub title: &'static str,
    /// The rest of the section.
    pub lines: Vec<String>,
}

/// A parent and a child that has not run yet, under quanta 5.
pub fn parked_parent() -> Report {
    let main = Task::new("main", parent_and_child());
    run(5, VirtualClock::default(), vec![main])
}

/// Three sleepers on `clock`, under quanta 1; `unit` is the tick.
pub fn sleepers<C: Clock>(clock: C, unit: u64) -> Report {
    let main = Task::new("main", three_sleepers(clock.clone(), unit));
    run(1, clock, vec![main])
}

/// A sleep of 5 and a sleep of 2, whichever ends first, under quanta 1.
pub fn first(clock: VirtualClock) -> Report {
    let main = Task::new("main", first_of(clock.clone(), 5, 2));
    run(1, clock, vec![main])
}

/// What the clock did, one line each.
fn clock_log(clock: &impl Clock) -> Vec<String> {
    let timers = clock.timers().borrow();
    let log = timers.log.iter();
    log.map(|(t, what)| format!("clock at {t}: {what}"))
        .collect()
}

/// The turns, the clock's log, and the count of empty turns.
fn with_clock(report: &Report, clock: &impl Clock) -> Vec<String> {
    let mut lines = report.lines();
    lines.extend(clock_log(clock));
    lines.push(format!("empty turns: {}", report.empty_turns()));
    lines
}

/// The sections of the output, in order.
pub fn sections() -> Vec<Section> {
    let virtual_clock = VirtualClock::default();
    let asleep = sleepers(virtual_clock.clone(), 1);
    let cancel_clock = VirtualClock::default();
    let cancelled = first(cancel_clock.clone());
    let real_clock = RealClock::new();
    let real = sleepers(real_clock.clone(), 20);
    // The real clock's timings vary from run to run: they go to stderr.
    for line in &real.output {
        eprintln!("real clock: {line}");
    }
    let order: Vec<&str> =
        real.output.iter().map(|l| &l[..1]).collect::<Vec<_>>();
    vec![
        Section {
            name: "parked_parent",
            title: "a parent awaits a child that has not run, quanta 5",
            lines: {
                let mut lines = parked_parent().lines();
                let empty = parked_parent().empty_turns();
                lines.push(format!("empty turns: {empty}"));
                lines
            },
        },
        Section {
            name: "virtual_clock",
            title: "sleepers a, b, c for 3, 1, 2 ticks of a virtual clock, \
                    quanta 1",
            lines: with_clock(&asleep, &virtual_clock),
        },
        Section {
            name: "cancelled",
            title: "the first of a sleep of 5 and a sleep of 2, quanta 1",
            lines: with_clock(&cancelled, &cancel_clock),
        },
        Section {
            name: "real_clock",
            title: "the same sleepers for 60, 20, 40 ms of the real clock",
            lines: vec![
                format!("they woke up in the order {}", order.join(", ")),
                format!("empty turns: {}", real.empty_turns()),
                "(the times are on stderr: they vary from run to run)"
                    .to_string(),
            ],
        },
    ]
}

/// A picture of the book: the name of its SVG and the trace it is drawn from.
pub struct Picture {
    /// The file name, without `.svg`.
    pub name: &'static str,
    /// The trace, in the `timeline` crate's text format.
    pub trace: String,
    /// Why the run differs from one time to the next, if it does: book-check
    /// then checks that the picture draws, not that it is the same (read by
    /// book-check, not by the binary).
    #[allow(dead_code)]
    pub varies: Option<&'static str>,
}

/// The pictures of chapter 4.
pub fn pictures() -> Vec<Picture> {
    let clock = VirtualClock::default();
    let report = sleepers(clock.clone(), 1);
    let timers = clock.timers().borrow();
    let mut trace = report.timed_trace(
        "Three sleepers on a virtual clock",
        "a, b and c sleep 3, 1 and 2 ticks from time 0. Between their \
         sleeps the clock jumps straight to the next deadline, 1, then 2, \
         then 3, and each jump wakes the sleeper due then; no turn is spent \
         on a task that waits.",
        Some(&timers.selects),
    );
    trace += "unit ticks\n";
    for (task, from, until, _) in &timers.sleeps {
        trace += &format!("span {task} {from} {until} -- sleeps\n");
    }
    vec![Picture {
        name: "04-sleepers",
        trace,
        varies: None,
    }]
}
