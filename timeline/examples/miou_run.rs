//! Draws the timeline of a real `miou` run: domain 0 spawns two tasks and calls two
//! onto a worker domain; each yields a few times. Prints the SVG, or the trace with
//! `--text`.
//!
//! ```text
//! cargo run -p timeline --example miou_run > run.svg
//! cargo run -p timeline --example miou_run -- --text
//! ```
//!
//! The two domains are threads, so two runs can interleave differently.

use std::sync::{Arc, Mutex};

/// A task that yields `n` times, then returns `n`.
async fn work(n: u32) -> u32 {
    for _ in 0..n {
        miou::yield_now().await;
    }
    n
}

fn main() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&events);
    let total = miou::Builder::new()
        .domains(1)
        .seed(1)
        .trace(move |e| log.lock().unwrap().push(e.clone()))
        .run(async {
            let a = miou::spawn(work(2));
            let b = miou::spawn(work(3));
            let c = miou::call(|| work(2));
            let d = miou::call(|| work(1));
            let mut total = 0;
            for p in [a, b, c, d] {
                total += p.await.unwrap();
            }
            total
        });
    assert_eq!(total, 8);
    let trace = timeline::from_miou(&events.lock().unwrap());
    if std::env::args().any(|a| a == "--text") {
        print!("{}", trace.to_text());
    } else {
        print!("{}", timeline::render(&trace));
    }
}
