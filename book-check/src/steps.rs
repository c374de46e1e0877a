//! The pictures of the real book, gathered from the steps that draw them, and from
//! the runs of `miou`'s examples that its last chapters show.
//!
//! Each step's `demo/runs.rs` has a `pictures()` function that runs the chapter's
//! examples and returns their traces. This module compiles those files as its own
//! submodules (they name their step's library, `step_NN`, which is a dependency of this
//! crate), so book-check produces the very traces `cargo run -p step-NN -- --trace NAME`
//! prints. A new step with pictures adds a dependency in `Cargo.toml` and a line below.
//!
//! `#[rustfmt::skip]` keeps `cargo fmt` from formatting those files from here, with this
//! crate's settings: the steps are formatted at 80 columns by their own crates.

use crate::Picture;

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

/// The pictures of the chapters about the `miou` crate, drawn from `miou`'s own
/// trace of each example's run (`Builder::trace`, through `timeline::from_miou`).
fn miou_pictures() -> Vec<Picture> {
    use std::sync::{Arc, Mutex};
    let events = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&events);
    let builder = miou::Builder::new().trace(move |e| log.lock().unwrap().push(e.clone()));
    ticks::run_with(builder);
    let trace = timeline::from_miou(&events.lock().unwrap())
        .with_title("Four sleepers on a backend of your own")
        .with_description(
            "The ticks example's run, from miou's own trace: main (1@0) spawns \
             three sleepers and a fourth due at 100, which it cancels; each \
             sleeper parks in its syscall until the backend's select releases \
             it, and main sleeps one last tick.",
        );
    vec![Picture {
        name: "miou-ticks".to_string(),
        trace: trace.to_text(),
        varies: None,
    }]
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
