//! The runs of chapter 9: what `cargo run -p step-09` prints, section by
//! section, and the traces the book's pictures are drawn from
//! (`cargo run -p step-09 -- --trace NAME`).
//!
//! The binary, the output test and book-check all compile this file (the
//! last two through `#[path]`), so it names the library `step_09`, never
//! `crate`.

use std::future::Future;

use step_09::clock::{Clock, VirtualClock};
use step_09::examples::{
    cancelled_in_line, in_line, producers_and_consumers, shared_counter,
    taking_turns,
};
use step_09::parker::Parker;
use step_09::report::Report;
use step_09::{Task, run};

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

/// Runs `main` under quanta 1, with `workers` worker domains; domain 0, like
/// the workers, only waits for interrupts.
pub fn on_domains<F: Future<Output = ()> + 'static>(
    workers: usize,
    main: F,
) -> Report {
    under(1, workers, main)
}

/// Runs `main` under `quanta`, with `workers` worker domains.
pub fn under<F: Future<Output = ()> + 'static>(
    quanta: usize,
    workers: usize,
    main: F,
) -> Report {
    run(
        quanta,
        workers,
        Parker::new(),
        vec![Task::new("main", main)],
    )
}

/// What the tasks printed, then how the run ended.
fn outcome(report: &Report) -> Vec<String> {
    let mut lines = report.output.clone();
    lines.push(format!("the run: {:?}", report.result));
    lines
}

/// The sections of the output, in order.
pub fn sections() -> Vec<Section> {
    // No section of this step panics; the hook stays as in step 8, so that a
    // task that did would show as an error in the output, not on stderr.
    std::panic::set_hook(Box::new(|_| {}));
    let sections = vec![
        Section {
            name: "counter",
            title: "two tasks on two workers add to one counter",
            lines: outcome(&on_domains(2, shared_counter())),
        },
        Section {
            name: "in_line",
            title: "three tasks take a lock twice each, under quanta 4",
            lines: outcome(&under(4, 0, in_line())),
        },
        Section {
            name: "cancelled",
            title: "two waiters cancelled, one in line, one handed the lock",
            lines: outcome(&under(2, 0, cancelled_in_line())),
        },
        Section {
            name: "queue",
            title: "3 producers and 2 consumers share a queue of 8",
            lines: outcome(&on_domains(3, producers_and_consumers())),
        },
    ];
    let _ = std::panic::take_hook();
    sections
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

/// The pictures of chapter 9.
pub fn pictures() -> Vec<Picture> {
    let clock = VirtualClock::default();
    let main = Task::new("main", taking_turns(clock.clone()));
    let report = run(1, 0, clock.clone(), vec![main]);
    let times = clock.timers().borrow().selects.clone();
    let trace = report.timed_trace(
        "A lock handed on in line",
        "a, b and c ask for a lock at time 0, in that order, and each holds \
         it for 2 ticks. a takes it at once; b and c wait in line. When a \
         lets go at tick 2, the lock is handed to b, and at tick 4 to c: the \
         bars show each task's wait, then its hold.",
        Some(&times),
    );
    vec![Picture {
        name: "09-in-line",
        trace: format!("unit ticks\n{trace}"),
        varies: None,
    }]
}
