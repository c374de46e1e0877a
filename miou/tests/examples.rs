//! The output of the examples the book shows, checked by hand and pinned as
//! snapshots (the book's chapters include the snapshots). Each example is
//! compiled here as a module, through `#[path]`, and run under a watchdog.

use std::sync::mpsc;
use std::time::Duration;

#[path = "../examples/ticks.rs"]
#[allow(dead_code)]
#[rustfmt::skip] // formatted as an example (examples/rustfmt.toml)
mod ticks;

/// Runs `example` on its own thread and fails if it takes more than 60 s.
fn within_a_minute<R: Send + 'static>(example: fn() -> R) -> R {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(example());
    });
    receive
        .recv_timeout(Duration::from_secs(60))
        .expect("the example finishes within a minute")
}

#[test]
fn ticks_wakes_the_sleepers_in_deadline_order_and_forgets_the_cancelled_one() {
    let lines = within_a_minute(ticks::run);
    // Sleeps of 3, 1 and 2 ticks from 0: the clock jumps to each deadline in
    // turn; the sleeper due at 100 is cancelled, forgotten at the next select,
    // and the clock goes on from 3 to main's deadline, 4.
    assert_eq!(
        lines,
        [
            "jumps to 1",
            "b wakes up at 1",
            "jumps to 2",
            "c wakes up at 2",
            "jumps to 3",
            "a wakes up at 3",
            "forgets a sleeper due at 100",
            "jumps to 4",
            "main returns at 4",
        ]
    );
    insta::assert_snapshot!("ticks", lines.join("\n"));
}
