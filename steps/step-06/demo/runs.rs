//! The runs of chapter 6: what `cargo run -p step-06` prints, section by
//! section, and the traces the book's pictures are drawn from
//! (`cargo run -p step-06 -- --trace NAME`).
//!
//! The binary, the output test and book-check all compile this file (the
//! last two through `#[path]`), so it names the library `step_06`, never
//! `crate`.

use std::future::Future;

use step_06::clock::VirtualClock;
use step_06::examples::{
    background, cancel_a_tree, family, forgotten, not_a_child, panicking,
};
use step_06::report::Report;
use step_06::{Task, run};

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

/// Runs `main` on a virtual clock, under quanta 1.
pub fn on_clock<F: Future<Output = ()> + 'static>(
    main: impl FnOnce(VirtualClock) -> F,
) -> Report {
    let clock = VirtualClock::default();
    let task = Task::new("main", main(clock.clone()));
    run(1, clock, vec![task])
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
            name: "tree",
            title: "a parent awaits its children, which await theirs",
            lines: outcome(&on_clock(|_| family())),
        },
        Section {
            name: "forgotten",
            title: "a parent returns without awaiting its child",
            lines: outcome(&on_clock(forgotten)),
        },
        Section {
            name: "not_a_child",
            title: "a sibling tries to cancel a child that is not its own",
            lines: outcome(&on_clock(|_| not_a_child())),
        },
        Section {
            name: "cancel",
            title: "cancelling a task whose child and grandchild sleep",
            lines: {
                let report = on_clock(cancel_a_tree);
                let mut lines = report.lines();
                lines.pop(); // the output on one line: below, one a line
                lines.push("output:".to_string());
                lines.extend(report.output.iter().map(|l| format!("  {l}")));
                lines.push(format!("the run: {:?}", report.result));
                lines
            },
        },
        Section {
            name: "panic",
            title: "a child panics while its own child sleeps",
            lines: outcome(&on_clock(panicking)),
        },
        Section {
            name: "orphans",
            title: "five background jobs, reaped at ticks 1 to 3, the rest awaited",
            lines: outcome(&on_clock(background)),
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

/// The pictures of chapter 6.
pub fn pictures() -> Vec<Picture> {
    let report = on_clock(cancel_a_tree);
    vec![Picture {
        name: "06-cancel",
        trace: report.trace(
            "Cancelling a task tree",
            "main cancels parent, whose child and grandchild sleep. parent \
             asks child to stop and waits; child asks grandchild to stop and \
             waits; grandchild's future is dropped first, then child's, then \
             parent's, and only then does main's cancel return.",
        ),
        varies: None,
    }]
}
