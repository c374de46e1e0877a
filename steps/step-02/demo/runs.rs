//! The runs of chapter 2: what `cargo run -p step-02` prints, section by
//! section, and the traces the book's pictures are drawn from
//! (`cargo run -p step-02 -- --trace NAME`).
//!
//! The binary, the output test and book-check all compile this file (the
//! last two through `#[path]`), so it names the library `step_02`, never
//! `crate`.

use step_02::examples::{hello_world, three_workers};
use step_02::report::Report;
use step_02::{BoxFuture, Task, run};

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

/// The examples, each run as the only task in the to-do list, named `main`.
fn examples() -> [(&'static str, &'static str, BoxFuture<()>); 3] {
    [
        (
            "hello_world",
            "p = spawn(print \"Hello\"); print \"World\"; p.await",
            Box::pin(hello_world(false)),
        ),
        (
            "hello_world_yield",
            "p = spawn(print \"Hello\"); yield; print \"World\"; p.await",
            Box::pin(hello_world(true)),
        ),
        (
            "three_workers",
            "three workers: print, yield, print, yield",
            Box::pin(three_workers()),
        ),
    ]
}

fn run_main(main: BoxFuture<()>) -> Report {
    run(vec![Task::new("main", main)])
}

/// The sections of the output, in order.
pub fn sections() -> Vec<Section> {
    examples()
        .into_iter()
        .map(|(name, title, main)| Section {
            name,
            title,
            lines: run_main(main).lines(),
        })
        .collect()
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

/// The pictures of chapter 2.
pub fn pictures() -> Vec<Picture> {
    let hello = run_main(Box::pin(hello_world(false)));
    let workers = run_main(Box::pin(three_workers()));
    vec![
        Picture {
            name: "02-hello-world",
            trace: hello.trace(
                "Hello, World: the turns of step 2",
                "Three turns. main starts, spawns hello and prints World in \
                 one turn, then stops at await hello, which has not run: it \
                 goes behind hello. hello starts, prints Hello and finishes. \
                 main comes back and its await is answered.",
            ),
            varies: None,
        },
        Picture {
            name: "02-three-workers",
            trace: workers.trace(
                "Three workers taking turns",
                "main spawns a, b and c and waits behind them. Each worker \
                 prints a line and yields, so the turns go a, b, c, main, \
                 round after round; main finds a unfinished in turns 5 and 9 \
                 and goes to the back again, and finishes in turn 13.",
            ),
            varies: None,
        },
    ]
}
