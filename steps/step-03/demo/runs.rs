//! The runs of chapter 3: what `cargo run -p step-03` prints, section by
//! section, and the traces the book's pictures are drawn from
//! (`cargo run -p step-03 -- --trace NAME`).
//!
//! The binary, the output test and book-check all compile this file (the
//! last two through `#[path]`), so it names the library `step_03`, never
//! `crate`.

use step_03::examples::{Pause, counter, hello_world, server, sorter};
use step_03::report::Report;
use step_03::{Task, run};

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

/// Hello, World under quanta 1, as the only task in the to-do list.
pub fn hello(yield_first: bool) -> Report {
    run(1, vec![Task::new("main", hello_world(yield_first))])
}

/// A and B print four lines each; A is first in the to-do list.
pub fn a_and_b(quanta: usize) -> Report {
    let tasks = vec![
        Task::new("A", counter("A", 4)),
        Task::new("B", counter("B", 4)),
    ];
    run(quanta, tasks)
}

/// The sorter, then the server (named `srv`, to fit the pictures' cells),
/// under quanta 1.
pub fn availability(pause: Pause) -> Report {
    let tasks = vec![
        Task::new("sort", sorter(pause)),
        Task::new("srv", server(8)),
    ];
    run(1, tasks)
}

/// What the sorter and the server printed, as letters: M for "merge", A for
/// an answer, S for "sorted".
pub fn letters(output: &[String]) -> String {
    let letter = |line: &String| match line.as_str() {
        "merge" => "M",
        "sorted" => "S",
        _ => "A",
    };
    output.iter().map(letter).collect::<Vec<_>>().join(" ")
}

/// How many answers were printed before "sorted".
pub fn answers_before_sorted(output: &[String]) -> usize {
    let sorted = output.iter().position(|line| line == "sorted");
    let before = &output[..sorted.expect("the sort finished")];
    before.iter().filter(|l| l.starts_with("answer")).count()
}

/// The sections of the output, in order.
pub fn sections() -> Vec<Section> {
    let effect = availability(Pause::Effect).output;
    let ready = availability(Pause::Ready).output;
    vec![
        Section {
            name: "hello_world",
            title: "p = spawn(print \"Hello\"); print \"World\"; p.await, \
                    quanta 1",
            lines: hello(false).lines(),
        },
        Section {
            name: "hello_world_yield",
            title: "p = spawn(print \"Hello\"); yield; print \"World\"; \
                    p.await, quanta 1",
            lines: hello(true).lines(),
        },
        Section {
            name: "quanta_1",
            title: "A and B print 4 lines each, quanta 1",
            lines: a_and_b(1).lines(),
        },
        Section {
            name: "quanta_3",
            title: "A and B print 4 lines each, quanta 3",
            lines: a_and_b(3).lines(),
        },
        Section {
            name: "availability",
            title: "availability, quanta 1: a server answers 8 requests, \
                    a task sorts 16 numbers",
            lines: vec![
                "(M: the sort printed \"merge\", A: the server answered, \
                 S: \"sorted\")"
                    .to_string(),
                format!("an effect after each merge:  {}", letters(&effect)),
                format!("a ready future instead:      {}", letters(&ready)),
                format!(
                    "answers before \"sorted\": {} of 8 with effects, {} of 8 \
                     with ready futures",
                    answers_before_sorted(&effect),
                    answers_before_sorted(&ready)
                ),
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

/// The pictures of chapter 3.
pub fn pictures() -> Vec<Picture> {
    vec![
        Picture {
            name: "03-quanta-1",
            trace: a_and_b(1).trace(
                "A and B, quanta 1",
                "Ten turns. A and B start in turns 1 and 2 and stop at their \
                 first print. From turn 3 on each turn does one print and \
                 runs the task to its next one, so A and B alternate.",
            ),
            varies: None,
        },
        Picture {
            name: "03-quanta-3",
            trace: a_and_b(3).trace(
                "A and B, quanta 3",
                "Six turns. After the two starts, A does three prints in \
                 turn 3 and B three in turn 4; turns 5 and 6 do the last \
                 print of each.",
            ),
            varies: None,
        },
        Picture {
            name: "03-availability-effect",
            trace: availability(Pause::Effect).trace(
                "The server (srv) beside a sort with a point per merge",
                "After their first runs, the sort and the server alternate \
                 one operation each: a merge, an answer, a merge, an answer, \
                 until the server has answered all 8 requests; then the sort \
                 does its last merges alone.",
            ),
            varies: None,
        },
        Picture {
            name: "03-availability-ready",
            trace: availability(Pause::Ready).trace(
                "The server (srv) beside a sort that awaits ready futures",
                "The sort's first run does the whole sort and stops only at \
                 its final print; the server's first answer comes after it, \
                 and the eight answers follow one per turn.",
            ),
            varies: None,
        },
    ]
}
