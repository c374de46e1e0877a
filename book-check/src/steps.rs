//! The pictures of the real book, gathered from the steps that draw them, and from
//! the runs of `miou`'s examples that its last chapters show.
//!
//! Each step's `demo/runs.rs` has a `pictures()` function that runs the chapter's
//! examples and returns their traces. This module compiles those files as its own
//! submodules (they name their step's library, `step_NN`, which is a dependency of this
//! crate), so book-check produces the very traces `cargo run -p step-NN -- --trace NAME`
//! prints. A new step with pictures adds a dependency in `Cargo.toml`, a `#[path]`
//! module below, and an entry in the `gather!` list (a module left out of it compiles
//! silently, and its pictures are never drawn).
//!
//! `#[rustfmt::skip]` keeps `cargo fmt` from formatting those files from here, with this
//! crate's settings: the steps are formatted at 80 columns by their own crates.

use crate::Picture;

#[path = "../../steps/step-01/demo/runs.rs"]
#[allow(dead_code)]
#[rustfmt::skip]
mod step_01_runs;

#[path = "../../steps/step-02/demo/runs.rs"]
#[allow(dead_code)]
#[rustfmt::skip]
mod step_02_runs;

#[path = "../../steps/step-03/demo/runs.rs"]
#[allow(dead_code)]
#[rustfmt::skip]
mod step_03_runs;

#[path = "../../steps/step-04/demo/runs.rs"]
#[allow(dead_code)]
#[rustfmt::skip]
mod step_04_runs;

#[path = "../../steps/step-05/demo/runs.rs"]
#[allow(dead_code)]
#[rustfmt::skip]
mod step_05_runs;

#[path = "../../steps/step-06/demo/runs.rs"]
#[allow(dead_code)]
#[rustfmt::skip]
mod step_06_runs;

#[path = "../../steps/step-07/demo/runs.rs"]
#[allow(dead_code)]
#[rustfmt::skip]
mod step_07_runs;

#[path = "../../steps/step-08/demo/runs.rs"]
#[allow(dead_code)]
#[rustfmt::skip]
mod step_08_runs;

#[path = "../../steps/step-09/demo/runs.rs"]
#[allow(dead_code)]
#[rustfmt::skip]
mod step_09_runs;

#[path = "../../miou/examples/ticks.rs"]
#[allow(dead_code)]
#[rustfmt::skip]
mod ticks;

#[path = "../../miou/examples/echo_pair.rs"]
#[allow(dead_code)]
#[rustfmt::skip]
mod echo_pair;

#[path = "../../miou/examples/family.rs"]
#[allow(dead_code)]
#[rustfmt::skip]
mod family;

#[path = "../../miou/examples/fanout.rs"]
#[allow(dead_code)]
#[rustfmt::skip]
mod fanout;

/// The picture `name` of a miou example's run: `run` runs it with a `Builder`
/// whose trace reporter keeps every event, and `timeline::from_miou` draws them.
fn drawn(
    name: &str,
    run: impl FnOnce(miou::Builder),
    title: &str,
    description: &str,
    varies: Option<&str>,
) -> Picture {
    use std::sync::{Arc, Mutex};
    let events = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&events);
    run(miou::Builder::new().trace(move |e| log.lock().unwrap().push(e.clone())));
    let trace = timeline::from_miou(&events.lock().unwrap())
        .with_title(title)
        .with_description(description);
    Picture {
        name: name.to_string(),
        trace: trace.to_text(),
        varies: varies.map(str::to_string),
    }
}

/// The pictures of the chapters about the `miou` crate, drawn from `miou`'s own
/// trace of each example's run (`Builder::trace`, through `timeline::from_miou`).
fn miou_pictures() -> Vec<Picture> {
    vec![
        drawn(
            "miou-echo-pair",
            |builder| drop(echo_pair::run_with(builder)),
            "One echo connection, turn by turn",
            "The echo_pair example's run on one domain: main (1@0) spawns the \
             server (2@0), which accepts and echoes, and the client (3@0), \
             which connects, sends two messages and reads each back; each \
             parks on its socket until the reactor says it is ready, and the \
             server finishes when the client has closed.",
            Some(
                "real sockets: whether a read finds its data at once or waits \
                 for the reactor depends on the loopback's timing",
            ),
        ),
        drawn(
            "miou-family",
            |builder| drop(family::run_with(builder)),
            "Chapter 6's family, on the crate",
            "main (1@0) spawns a (2@0) and b (3@0), which is no scheduling \
             point, and yields at its first await; a spawns a1 (4@0) and \
             yields at its first await; b finishes in its first turn; main \
             parks awaiting a; a1 finishes; a, whose child is done, returns \
             11; main, woken, takes both results.",
            None,
        ),
        drawn(
            "miou-ticks",
            |builder| drop(ticks::run_with(builder)),
            "Four sleepers on a backend of your own",
            "The ticks example's run, from miou's own trace: main (1@0) spawns \
             three sleepers and a fourth due at 100, which it cancels; each \
             sleeper parks in its syscall until the backend's select releases \
             it, and main sleeps one last tick.",
            None,
        ),
        drawn(
            "miou-fanout",
            |builder| drop(fanout::run_with(builder)),
            "Eight slices on two workers, from miou's trace",
            "The fanout example's run: main (1@0), on domain 0, calls eight \
             slices with parallel and parks while they are counted; domains 1 \
             and 2 each run the slices pinned to them, one turn each.",
            Some(
                "three domains run at the same time: how their events \
                 interleave, and how often main finds a slice already counted, \
                 change from run to run",
            ),
        ),
    ]
}

/// Every picture of the book, in chapter order.
pub fn pictures() -> Vec<Picture> {
    let mut all = Vec::new();
    macro_rules! gather {
        ($($runs:ident),*) => {$(
            all.extend($runs::pictures().into_iter().map(|p| Picture {
                name: p.name.to_string(),
                trace: p.trace,
                varies: p.varies.map(str::to_string),
            }));
        )*};
    }
    gather!(
        step_01_runs,
        step_02_runs,
        step_03_runs,
        step_04_runs,
        step_05_runs,
        step_06_runs,
        step_07_runs,
        step_08_runs,
        step_09_runs
    );
    all.extend(miou_pictures());
    all
}
