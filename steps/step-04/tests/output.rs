//! The step's output, as the chapter shows it: the whole of what
//! `cargo run -p step-04` prints, and each of its sections on its own (the
//! chapter includes the sections where it explains them).

use std::process::Command;

#[path = "../demo/runs.rs"]
#[allow(dead_code)]
mod runs;

#[test]
fn stdout() {
    let output = Command::new(env!("CARGO_BIN_EXE_step-04"))
        .output()
        .expect("the step-04 binary runs");
    assert!(
        output.status.success(),
        "step-04 exited with {}",
        output.status
    );
    let stdout = String::from_utf8(output.stdout).expect("the output is UTF-8");
    insta::assert_snapshot!("stdout", stdout);

    let sections = runs::sections();
    let blocks: Vec<&str> = stdout.trim_end().split("\n\n").collect();
    assert_eq!(blocks.len(), sections.len(), "one block per section");
    for (section, block) in sections.iter().zip(blocks) {
        let title = format!("== {}\n", section.title);
        assert!(block.starts_with(&title), "{block:?} starts with {title:?}");
        insta::assert_snapshot!(section.name, block);
    }
}
