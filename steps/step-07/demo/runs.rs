//! The runs of chapter 7: what `cargo run -p step-07` prints, section by
//! section, and the traces the book's pictures are drawn from
//! (`cargo run -p step-07 -- --trace NAME`).
//!
//! The binary, the output test and book-check all compile this file (the
//! last two through `#[path]`), so it names the library `step_07`, never
//! `crate`.

use std::future::Future;

use step_07::examples::{
    cancel_across_domains, never_the_callers_domain, on_a_worker,
    primes_in_parallel, round_trips,
};
use step_07::parker::Parker;
use step_07::report::Report;
use step_07::{Task, run};

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

/// The tasks that had turns on domain 0, in order of their first turn.
fn on_domain_0(report: &Report) -> String {
    let mut names: Vec<&str> = Vec::new();
    for turn in &report.turns {
        if !names.contains(&turn.task.as_str()) {
            names.push(&turn.task);
        }
    }
    names.join(", ")
}

/// The sections of the output, in order.
pub fn sections() -> Vec<Section> {
    // A panicking task's message would go to stderr through the default hook;
    // the run turns it into an error, which the output shows.
    std::panic::set_hook(Box::new(|_| {}));
    let sections = vec![
        Section {
            name: "call",
            title: "main calls a task that counts with an Rc",
            lines: outcome(&on_domains(2, on_a_worker())),
        },
        Section {
            name: "elsewhere",
            title: "a called task calls another, with 2 workers, then 1",
            lines: {
                let mut lines = Vec::new();
                for workers in [2, 1] {
                    let report =
                        on_domains(workers, never_the_callers_domain());
                    let prefix = format!("{workers} worker(s): ");
                    for line in outcome(&report) {
                        lines.push(format!("{prefix}{line}"));
                    }
                }
                lines
            },
        },
        Section {
            name: "parallel",
            title: "the primes below 400000, in eight slices, on 2 workers",
            lines: {
                let report = on_domains(2, primes_in_parallel());
                let mut lines = outcome(&report);
                let ran = on_domain_0(&report);
                lines.push(format!("tasks that ran on domain 0: {ran}"));
                lines
            },
        },
        Section {
            name: "round_trips",
            title: "1000 calls in a row, each awaited, on 1 worker",
            lines: outcome(&on_domains(1, round_trips())),
        },
        Section {
            name: "cancel",
            title: "main cancels a called task whose child waits for ever",
            lines: outcome(&on_domains(1, cancel_across_domains())),
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

/// The pictures of chapter 7.
pub fn pictures() -> Vec<Picture> {
    let report = on_domains(2, primes_in_parallel());
    vec![Picture {
        name: "07-parallel",
        trace: report.trace(
            "Eight slices on two workers",
            "main, on domain 0, calls eight tasks and awaits them in order, \
             parked in between. The two worker domains take the tasks as they \
             become idle and run them, each in its own lanes; domain 0 never \
             runs one.",
        ),
        varies: Some(
            "the domains are threads that run at the same time: how often main \
             finds a slice already finished instead of parking for it, and now \
             and then which worker takes a slice, change from run to run",
        ),
    }]
}
