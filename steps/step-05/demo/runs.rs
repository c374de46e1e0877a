//! The runs of chapter 5: what `cargo run -p step-05` prints, section by
//! section, and the traces the book's pictures are drawn from
//! (`cargo run -p step-05 -- --trace NAME`).
//!
//! The binary, the output test and book-check all compile this file (the
//! last two through `#[path]`), so it names the library `step_05`, never
//! `crate`.

use std::cell::RefCell;
use std::rc::Rc;

use step_05::examples::echo_run;
use step_05::reactor::Reactor;
use step_05::report::Report;
use step_05::{Task, run};

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

/// An echo server and `clients` clients of `lines` lines each, under
/// quanta 1: the transcripts in client order, the report, and the reactor.
pub fn echo(
    clients: usize,
    lines: usize,
) -> (Vec<Vec<String>>, Report, Reactor) {
    let reactor = Reactor::new().expect("a mio::Poll");
    let transcripts = Rc::new(RefCell::new(Vec::new()));
    let (r, t) = (reactor.clone(), Rc::clone(&transcripts));
    let main = Task::new("main", async move {
        *t.borrow_mut() = echo_run(r, clients, lines).await;
    });
    let report = run(1, reactor.clone(), vec![main]);
    let transcripts = transcripts.take();
    (transcripts, report, reactor)
}

/// The sections of the output, in order.
pub fn sections() -> Vec<Section> {
    let (transcripts, report, reactor) = echo(3, 2);
    // How the system's events fell depends on the kernel's timing: the
    // counts go to stderr, which the snapshot does not see.
    let ready = reactor.ready();
    eprintln!(
        "{} turns, {} selects returned events, {} blocking selects, \
         {} retries after an event that found nothing",
        report.turns.len(),
        ready.len(),
        report.selects.iter().filter(|s| s.block).count(),
        reactor.retries()
    );
    let mut lines = Vec::new();
    for (k, transcript) in transcripts.iter().enumerate() {
        lines.push(format!("client {}:", k + 1));
        lines.extend(transcript.iter().map(|l| format!("  {l}")));
    }
    vec![Section {
        name: "echo",
        title: "an echo server and 3 clients of 2 lines, over loopback",
        lines,
    }]
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

/// The pictures of chapter 5.
pub fn pictures() -> Vec<Picture> {
    let (_, report, _) = echo(1, 1);
    vec![Picture {
        name: "05-echo",
        trace: report.trace(
            "An echo server and one client over loopback",
            "main starts the server and one client. The client connects and \
             sends a line; the server accepts, reads and writes it back; the \
             client reads the echo and closes. Each task parks when its \
             system call would block, and the events a select returned \
             before a turn show which task the system woke.",
        ),
        varies: Some(
            "real sockets: which events a select sees depends on when the \
             kernel delivers loopback data, which may vary under load",
        ),
    }]
}
