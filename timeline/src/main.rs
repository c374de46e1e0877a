//! `timeline`: reads a trace (the text format of the `timeline` crate) from a file or
//! standard input and writes its SVG picture to standard output or a file.
//!
//! ```text
//! timeline [FILE] [-o OUT]
//! cargo run -p step-03 -- --trace 03-quanta-1 | cargo run -p timeline > t.svg
//! ```
//!
//! Errors go to standard error, and the exit code is then 2.

use std::io::{Read, Write};
use std::process::ExitCode;

const USAGE: &str = "\
usage: timeline [FILE] [-o OUT]

Reads a trace from FILE (or standard input, also when FILE is -) and writes its
SVG picture to OUT (or standard output). The trace format is specified in the
timeline crate's documentation: cargo doc -p timeline --open";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("timeline: {message}");
            ExitCode::from(2)
        }
    }
}

/// Where to read and write, from the command line.
#[derive(Debug, PartialEq, Eq)]
struct Args {
    input: Option<String>,
    output: Option<String>,
}

fn run(args: Vec<String>) -> Result<(), String> {
    let Some(args) = parse_args(args)? else {
        println!("{USAGE}");
        return Ok(());
    };
    let (name, text) = match &args.input {
        None => ("standard input".to_string(), read_stdin()?),
        Some(path) => (
            path.clone(),
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?,
        ),
    };
    let trace = timeline::parse(&text).map_err(|e| format!("{name}: {e}"))?;
    let svg = timeline::render(&trace);
    match &args.output {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(svg.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| format!("cannot write the SVG: {e}"))
        }
        Some(path) => std::fs::write(path, svg).map_err(|e| format!("cannot write {path}: {e}")),
    }
}

fn read_stdin() -> Result<String, String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(text)
}

/// The paths to use, or `None` when the user asked for help.
fn parse_args(args: Vec<String>) -> Result<Option<Args>, String> {
    let mut input = None;
    let mut output = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "-o" | "--output" => match args.next() {
                Some(path) if output.is_none() => output = Some(path),
                Some(_) => return Err(format!("-o given twice\n{USAGE}")),
                None => return Err(format!("-o needs a file name\n{USAGE}")),
            },
            "-" if input.is_none() => input = Some(None),
            a if a.starts_with('-') && a.len() > 1 => {
                return Err(format!("unknown option {a}\n{USAGE}"));
            }
            _ if input.is_none() => input = Some(Some(arg)),
            _ => return Err(format!("more than one input file\n{USAGE}")),
        }
    }
    Ok(Some(Args {
        input: input.flatten(),
        output,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Option<Args>, String> {
        parse_args(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn paths_and_defaults() {
        assert_eq!(
            args(&[]),
            Ok(Some(Args {
                input: None,
                output: None
            }))
        );
        assert_eq!(
            args(&["t.txt", "-o", "t.svg"]),
            Ok(Some(Args {
                input: Some("t.txt".into()),
                output: Some("t.svg".into())
            }))
        );
        assert_eq!(
            args(&["-", "-o", "t.svg"]),
            Ok(Some(Args {
                input: None,
                output: Some("t.svg".into())
            }))
        );
        assert_eq!(args(&["--help"]), Ok(None));
    }

    #[test]
    fn bad_command_lines() {
        assert!(
            args(&["-o"])
                .unwrap_err()
                .starts_with("-o needs a file name")
        );
        assert!(args(&["-x"]).unwrap_err().starts_with("unknown option -x"));
        assert!(
            args(&["a", "b"])
                .unwrap_err()
                .starts_with("more than one input")
        );
        assert!(
            args(&["-o", "a", "-o", "b"])
                .unwrap_err()
                .starts_with("-o given twice")
        );
    }
}
