//! The step's output, as the chapter shows it: the whole of what
//! `cargo run -p step-09` prints, and each of its sections on its own (the
//! chapter includes the sections where it explains them). The program is
//! given 60 seconds: a scheduler bug shows as a hang, which fails the test.

use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

#[path = "../demo/runs.rs"]
#[allow(dead_code)]
mod runs;

#[test]
fn stdout() {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let output = Command::new(env!("CARGO_BIN_EXE_step-09")).output();
        let titles: Vec<_> =
            runs::sections().iter().map(|s| (s.name, s.title)).collect();
        let _ = send.send((output, titles));
    });
    let (output, sections) = receive
        .recv_timeout(Duration::from_secs(60))
        .expect("step-09 finishes within 60 s");
    let output = output.expect("the step-09 binary runs");
    assert!(
        output.status.success(),
        "step-09 exited with {}",
        output.status
    );
    let stdout = String::from_utf8(output.stdout).expect("the output is UTF-8");
    insta::assert_snapshot!("stdout", stdout);

    let blocks: Vec<&str> = stdout.trim_end().split("\n\n").collect();
    assert_eq!(blocks.len(), sections.len(), "one block per section");
    for ((name, title), block) in sections.iter().zip(blocks) {
        let title = format!("== {title}\n");
        assert!(block.starts_with(&title), "{block:?} starts with {title:?}");
        insta::assert_snapshot!(*name, block);
    }
}
