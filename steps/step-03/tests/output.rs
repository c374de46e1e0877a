//! The step's output, as the chapter shows it.

use std::process::Command;

#[test]
fn stdout() {
    let output = Command::new(env!("CARGO_BIN_EXE_step-03"))
        .output()
        .expect("the step-03 binary runs");
    assert!(
        output.status.success(),
        "step-03 exited with {}",
        output.status
    );
    let stdout = String::from_utf8(output.stdout).expect("the output is UTF-8");
    insta::assert_snapshot!("stdout", stdout);
}
