//! The seven checks of book-check, run on the real book at the repository root.
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

#[test]
fn listings_are_captioned_plain_and_fit_the_page() {
    assert_clean(
        "check 6 (listings)",
        book_check::check_listings(&repository_root()),
    );
}

#[test]
fn diffs_and_pictures_are_current_and_shown() {
    // The pictures are regenerated from the steps' runs, here, in memory: a step whose
    // run changed fails this test until `cargo run -p book-check --bin regenerate`.
    let pictures = book_check::steps::pictures();
    assert_clean(
        "check 7 (generated)",
        book_check::check_generated(&repository_root(), &pictures),
    );
}
