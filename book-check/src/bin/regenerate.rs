//! Regenerates what the book shows from the code: each step's diff from the previous one
//! (`book/diffs/`) and each picture drawn from a real run (`book/pictures/`).
//!
//! Run it after changing a step: `cargo run -p book-check --bin regenerate`. It prints
//! the files it wrote; `cargo test -p book-check` fails until they are regenerated (commit
//! them with the change).

use std::process::ExitCode;

fn main() -> ExitCode {
    let root = book_check::repository_root();
    let pictures = book_check::steps::pictures();
    match book_check::write_generated(&root, &pictures) {
        Ok(written) if written.is_empty() => {
            println!("everything generated is up to date");
            ExitCode::SUCCESS
        }
        Ok(written) => {
            for path in written {
                println!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(problems) => {
            eprint!("{}", book_check::format_problems(&problems));
            ExitCode::FAILURE
        }
    }
}
