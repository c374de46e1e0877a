//! The `timeline` binary: a trace in, an SVG out; errors on standard error, exit code 2.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const TRACE: &str = "title T\ndescription D\ntask a A\nturn 0 a done\n";

fn timeline(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_timeline"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn standard_input_to_standard_output() {
    let out = timeline(&[], TRACE);
    assert!(out.status.success());
    let svg = String::from_utf8(out.stdout).unwrap();
    assert_eq!(svg, timeline::render(&timeline::parse(TRACE).unwrap()));
}

#[test]
fn a_file_to_a_file() {
    let dir = std::env::temp_dir().join(format!("timeline-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("t.txt");
    let output = dir.join("t.svg");
    std::fs::write(&input, TRACE).unwrap();
    let out = timeline(
        &[input.to_str().unwrap(), "-o", output.to_str().unwrap()],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let svg = std::fs::read_to_string(&output).unwrap();
    assert!(svg.starts_with("<svg "));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_trace_exits_with_2_and_names_the_line() {
    let out = timeline(&[], "title T\ndescription D\nturn 0 x done\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "timeline: standard input: line 3: undeclared task `x`\n"
    );
}

#[test]
fn a_missing_file_or_a_bad_option_exits_with_2() {
    let out = timeline(&["/nonexistent/trace.txt"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("timeline: cannot read /nonexistent/trace.txt")
    );
    let out = timeline(&["--bogus"], "");
    assert_eq!(out.status.code(), Some(2));
}
