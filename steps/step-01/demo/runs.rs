//! What `cargo run -p step-01` prints: the example task run under a handler;
//! and the trace the chapter's picture is drawn from
//! (`cargo run -p step-01 -- --trace NAME`).
//!
//! The binary and book-check both compile this file (the latter through
//! `#[path]`), so it names the library `step_01`, never `crate`.

use step_01::Handler;
use step_01::examples::inventory;

// ANCHOR: demo
/// Runs [`inventory`] under a handler that knows 5 apples and 3 pears, and
/// returns the lines to print: the trace, what the task printed, its result.
pub fn demo() -> Vec<String> {
    let mut handler = Handler::new(&[("apples", 5), ("pears", 3)]);
    let total = handler.run(inventory());
    let mut lines = handler.trace;
    lines.push("output of the task:".to_string());
    lines.extend(handler.output.iter().map(|line| format!("  {line}")));
    lines.push(format!("result: {total}"));
    lines
}
// ANCHOR_END: demo

/// A picture of the book: the name of its SVG and the trace it is drawn from.
pub struct Picture {
    /// The file name, without `.svg`.
    pub name: &'static str,
    /// The trace, in the `timeline` crate's text format.
    pub trace: String,
    /// Why the run differs from one time to the next, if it does (read by
    /// book-check, not by the binary).
    #[allow(dead_code)]
    pub varies: Option<&'static str>,
}

/// The pictures of chapter 1: the handler's run of `inventory`, one column
/// per poll, each labelled with the effect the task stopped at, and above
/// it the answer the handler gave before polling again.
pub fn pictures() -> Vec<Picture> {
    let mut handler = Handler::new(&[("apples", 5), ("pears", 3)]);
    handler.run(inventory());
    let mut trace = String::from(
        "title A task and its handler\n\
         description The handler polls inventory five times. Each poll runs \
         the task to its next effect: it stops at a print, two asks and a \
         print, then finishes with 8; before each poll after the first, the \
         handler answers the effect the task left in the mailbox.\n\
         task inventory inventory\n",
    );
    for line in &handler.trace {
        if let Some(answer) = line.strip_prefix("answer ") {
            // `Number(5) to Ask("apples")`: the answer, without the question.
            let answer = answer.split(" to ").next().unwrap_or(answer);
            trace += &format!("events 0 answer {answer}\n");
        } else if let Some(state) = line.strip_prefix("poll   -> ") {
            // `Suspended(Ask("apples"))` stops at `ask`; `Finished(8)` is done.
            let stop = match state.strip_prefix("Suspended(") {
                Some(effect) => {
                    let name = effect.split('(').next().unwrap_or(effect);
                    name.to_lowercase()
                }
                None => "done".to_string(),
            };
            trace += &format!("turn 0 inventory {stop} -- {state}\n");
        }
    }
    vec![Picture {
        name: "01-handler",
        trace,
        varies: None,
    }]
}
