//! The five checks of `shared/BOOK.md`, run on the real book at the repository root.
//!
//! Each test lists every problem it found (`file:line: [rule] message`), not just the first.

use book_check::{Problem, format_problems, repository_root};

fn assert_clean(check: &str, problems: Vec<Problem>) {
    assert!(
        problems.is_empty(),
        "{check}: {} problem(s) in the book at {}:\n{}",
        problems.len(),
        repository_root().display(),
        format_problems(&problems)
    );
}

#[test]
fn book_toml_loads_with_mdbook_driver() {
    assert_clean(
        "check 1 (book.toml)",
        book_check::check_config(&repository_root()),
    );
}

#[test]
fn every_include_resolves() {
    assert_clean(
        "check 2 (includes)",
        book_check::check_includes(&repository_root()),
    );
}

#[test]
fn chapters_steps_anchors_and_summary_cover_each_other() {
    assert_clean(
        "check 3 (coverage)",
        book_check::check_coverage(&repository_root()),
    );
}

#[test]
fn no_rust_block_is_pasted_code() {
    assert_clean(
        "check 4 (inline rust)",
        book_check::check_rust_blocks(&repository_root()),
    );
}

#[test]
fn built_html_has_no_raw_directive() {
    assert_clean(
        "check 5 (built HTML)",
        book_check::check_html(&repository_root()),
    );
}
