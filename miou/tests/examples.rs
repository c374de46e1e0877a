//! The output of the examples the book shows, checked by hand and pinned as
//! snapshots (the book's chapters include the snapshots). Each example is
//! compiled here as a module, through `#[path]`, and run under a watchdog; the
//! debug log, which goes to stderr, is read from the example run as a program.

mod common;

use std::process::Command;

use common::watchdog;

#[path = "../examples/ticks.rs"]
#[allow(dead_code)]
#[rustfmt::skip] // formatted as an example (examples/rustfmt.toml)
mod ticks;

#[path = "../examples/echo_pair.rs"]
#[allow(dead_code)]
#[rustfmt::skip] // formatted as an example (examples/rustfmt.toml)
mod echo_pair;

#[path = "../examples/family.rs"]
#[allow(dead_code)]
#[rustfmt::skip] // formatted as an example (examples/rustfmt.toml)
mod family;

#[path = "../examples/fanout.rs"]
#[allow(dead_code)]
#[rustfmt::skip] // formatted as an example (examples/rustfmt.toml)
mod fanout;

#[test]
fn ticks_wakes_the_sleepers_in_deadline_order_and_forgets_the_cancelled_one() {
    let lines = watchdog(60, ticks::run);
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

#[test]
fn fanout_counts_the_primes_below_200000() {
    let line = watchdog(60, || fanout::run_with(miou::Builder::new()));
    // π(200,000) = 17,984, whichever domain counted which slice.
    assert_eq!(line, "17984 primes below 200000");
    insta::assert_snapshot!("fanout", line);
}

#[test]
fn the_debug_log_of_ticks_tells_its_run_turn_by_turn() {
    let ticks = common::example("ticks");
    let log = watchdog(60, move || {
        let out = Command::new(ticks)
            .env("MIOU_DEBUG", "1")
            .env_remove("RUST_LOG")
            .output()
            .expect("the ticks example runs");
        assert!(out.status.success());
        String::from_utf8(out.stderr).expect("the log is UTF-8")
    });
    let lines: Vec<&str> = log.lines().collect();
    // One domain, so one order: main (1@0) starts, spawns four tasks and
    // yields at its first point; ... the last line is main finishing.
    assert_eq!(lines[0], "miou: 0 1@0 Resume");
    assert!(lines[1].starts_with("miou: 0 2@0 Spawn by 1@0, runs on 0: "));
    assert_eq!(lines.last(), Some(&"miou: 0 1@0 Finish ok"));
    assert_eq!(lines.iter().filter(|l| l.ends_with("Cancel")).count(), 1);
    insta::assert_snapshot!("ticks_debug", log.trim_end());
}

#[test]
fn family_gives_what_chapter_6_s_gave() {
    let line = watchdog(60, || family::run_with(miou::Builder::new()));
    // a1 gives 10, a adds 1, b gives 20: the output of the book's step 6.
    assert_eq!(line, "a: Ok(11), b: Ok(20)");
    insta::assert_snapshot!("family", line);
}

#[test]
fn echo_pair_gets_both_messages_back() {
    let got = watchdog(60, || echo_pair::run_with(miou::Builder::new()));
    assert_eq!(got.expect("the run succeeds"), ["hello", "world"]);
}
