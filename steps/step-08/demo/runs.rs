//! The runs of chapter 8: what `cargo run -p step-08` prints, section by
//! section, and the traces the book's pictures are drawn from
//! (`cargo run -p step-08 -- --trace NAME`).
//!
//! The binary, the output test and book-check all compile this file (the
//! last two through `#[path]`), so it names the library `step_08`, never
//! `crate`.

use std::future::Future;

use step_08::clock::{Clock, VirtualClock};
use step_08::examples::{
    cancelled, handed_back, leaking, owners_over_time, panicking, released,
};
use step_08::parker::Parker;
use step_08::report::Report;
use step_08::{Task, run};

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
    run(1, workers, Parker::new(), vec![Task::new("main", main)])
}

/// What the tasks printed, then how the run ended.
fn outcome(report: &Report) -> Vec<String> {
    let mut lines = report.output.clone();
    lines.push(format!("the run: {:?}", report.result));
    lines
}

/// The sections of the output, in order.
pub fn sections() -> Vec<Section> {
    // A panicking task's message would go to stderr through the default hook;
    // the run turns it into an error, which the output shows.
    std::panic::set_hook(Box::new(|_| {}));
    let sections = vec![
        Section {
            name: "release",
            title: "two tasks close their files before they return",
            lines: outcome(&on_domains(1, released())),
        },
        Section {
            name: "transfer",
            title: "a socket given to a child, and handed back",
            lines: outcome(&on_domains(1, handed_back())),
        },
        Section {
            name: "panic",
            title: "a task panics while it owns a file",
            lines: outcome(&on_domains(1, panicking())),
        },
        Section {
            name: "cancel",
            title: "main cancels a handler it gave a connection, on a worker",
            lines: outcome(&on_domains(1, cancelled())),
        },
        Section {
            name: "leak",
            title: "a task returns while it still owns its file",
            lines: outcome(&on_domains(1, leaking())),
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

/// The pictures of chapter 8.
pub fn pictures() -> Vec<Picture> {
    let clock = VirtualClock::default();
    let main = Task::new("main", owners_over_time(clock.clone()));
    let report = run(1, 0, clock.clone(), vec![main]);
    let times = clock.timers().borrow().selects.clone();
    let trace = report.timed_trace(
        "A socket changes hands",
        "main opens a socket and owns it for 2 ticks, then gives it to \
         connector as it spawns it; connector owns it for 3 ticks, then \
         transfers it back to main, which owns it until it releases it at \
         tick 7. The bars show who owned the socket when.",
        Some(&times),
    );
    vec![Picture {
        name: "08-owners",
        trace: format!("unit ticks\n{trace}"),
        varies: None,
    }]
}
