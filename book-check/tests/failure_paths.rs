//! Each check run on the small books under `tests/fixtures/`: `good/` passes all five, and
//! every other fixture breaks one rule, which the matching check must report at the right
//! file and line. These prove the checks can fail; `real_book.rs` applies them to the book.

use book_check::{
    Problem, Rule, check_config, check_coverage, check_html, check_includes, check_rust_blocks,
    format_problems,
};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Asserts that `problems` holds one for `rule` in `file` (relative to the fixture root) at
/// `line`, and returns it so a test can look at its message.
#[track_caller]
fn expect<'a>(problems: &'a [Problem], rule: Rule, file: &str, line: Option<usize>) -> &'a Problem {
    problems
        .iter()
        .find(|p| p.rule == rule && p.file == Path::new(file) && p.line == line)
        .unwrap_or_else(|| {
            panic!(
                "expected a [{rule}] problem at {file}:{line:?}, got:\n{}",
                format_problems(problems)
            )
        })
}

#[test]
fn good_fixture_passes_every_check() {
    let root = fixture("good");
    for (check, problems) in [
        ("config", check_config(&root)),
        ("includes", check_includes(&root)),
        ("coverage", check_coverage(&root)),
        ("rust blocks", check_rust_blocks(&root)),
        ("html", check_html(&root)),
    ] {
        assert!(
            problems.is_empty(),
            "{check} on the good fixture:\n{}",
            format_problems(&problems)
        );
    }
}

// Check 1 ------------------------------------------------------------------------------------

#[test]
fn unknown_key_in_book_toml_fails() {
    let problems = check_config(&fixture("unknown-key"));
    let p = expect(&problems, Rule::BookConfig, "book.toml", Some(4));
    assert!(p.message.contains("colour"), "{p}");
}

#[test]
fn unknown_key_in_output_html_fails() {
    // mdBook itself only logs this and renders with the default settings.
    let problems = check_config(&fixture("unknown-html-key"));
    let p = expect(&problems, Rule::BookConfig, "book.toml", None);
    assert!(p.message.contains("no-such-setting"), "{p}");
}

#[test]
fn missing_chapter_fails() {
    let problems = check_config(&fixture("missing-chapter"));
    let p = expect(&problems, Rule::BookConfig, "book/SUMMARY.md", None);
    assert!(p.message.contains("02-later.md"), "{p}");
}

#[test]
fn create_missing_is_refused_and_writes_nothing() {
    let root = fixture("create-missing");
    let problems = check_config(&root);
    let p = expect(&problems, Rule::BookConfig, "book.toml", None);
    assert!(p.message.contains("create-missing"), "{p}");
    assert!(
        !root.join("book/02-later.md").exists(),
        "the check must not let mdBook create the missing chapter"
    );
}

// Check 2 ------------------------------------------------------------------------------------

#[test]
fn include_of_a_missing_file_fails() {
    let problems = check_includes(&fixture("missing-file"));
    let p = expect(
        &problems,
        Rule::IncludeMissingFile,
        "book/01-task.md",
        Some(8),
    );
    assert!(
        p.message.contains("steps/step-01/src/no_such_file.rs"),
        "{p}"
    );
    assert_eq!(problems.len(), 1, "{}", format_problems(&problems));
}

#[test]
fn missing_anchor_fails() {
    let problems = check_includes(&fixture("missing-anchor"));
    let p = expect(&problems, Rule::AnchorMissing, "book/01-task.md", Some(8));
    assert!(p.message.contains("no_such_anchor"), "{p}");
    assert_eq!(problems.len(), 1, "{}", format_problems(&problems));
}

#[test]
fn empty_anchor_fails() {
    let problems = check_includes(&fixture("empty-anchor"));
    let p = expect(&problems, Rule::AnchorEmpty, "book/01-task.md", Some(4));
    assert!(p.message.contains("steps/step-01/src/lib.rs:3"), "{p}");
}

#[test]
fn unclosed_anchor_fails() {
    let problems = check_includes(&fixture("unclosed-anchor"));
    expect(&problems, Rule::AnchorUnclosed, "book/01-task.md", Some(4));
}

#[test]
fn snapshot_without_header_fails() {
    let problems = check_includes(&fixture("snapshot-no-header"));
    let p = expect(
        &problems,
        Rule::SnapshotHeader,
        "steps/step-01/tests/snapshots/output__stdout.snap",
        Some(1),
    );
    assert!(p.message.contains("book/01-task.md:8"), "{p}");
}

#[test]
fn snapshot_with_a_longer_header_fails() {
    let problems = check_includes(&fixture("snapshot-long-header"));
    expect(
        &problems,
        Rule::SnapshotHeader,
        "steps/step-01/tests/snapshots/output__stdout.snap",
        Some(4),
    );
}

#[test]
fn snapshot_without_the_line_offset_fails() {
    let problems = check_includes(&fixture("snapshot-no-offset"));
    expect(&problems, Rule::SnapshotOffset, "book/01-task.md", Some(8));
    assert_eq!(problems.len(), 1, "{}", format_problems(&problems));
}

#[test]
fn misspelt_directive_fails() {
    let problems = check_includes(&fixture("typo-directive"));
    let p = expect(
        &problems,
        Rule::DirectiveMalformed,
        "book/01-task.md",
        Some(10),
    );
    assert!(p.message.contains("inclde"), "{p}");
}

// Check 3 ------------------------------------------------------------------------------------

#[test]
fn unused_anchor_fails() {
    let problems = check_coverage(&fixture("unused-anchor"));
    let p = expect(
        &problems,
        Rule::AnchorUnused,
        "steps/step-01/src/lib.rs",
        Some(7),
    );
    assert!(p.message.contains("forgotten"), "{p}");
    assert_eq!(problems.len(), 1, "{}", format_problems(&problems));
}

#[test]
fn chapter_not_in_summary_fails() {
    let problems = check_coverage(&fixture("not-in-summary"));
    expect(&problems, Rule::NotInSummary, "book/appendix.md", None);
    assert_eq!(problems.len(), 1, "{}", format_problems(&problems));
}

#[test]
fn chapter_without_its_step_and_step_without_its_chapter_fail() {
    let problems = check_coverage(&fixture("chapter-step"));
    expect(&problems, Rule::ChapterStep, "book/01-task.md", None);
    expect(&problems, Rule::ChapterStep, "steps/step-02", None);
}

// Check 4 ------------------------------------------------------------------------------------

#[test]
fn inline_rust_blocks_fail() {
    let problems = check_rust_blocks(&fixture("inline-rust"));
    // Pasted code, `no_run` pasted code, and an include followed by a pasted line; the
    // include-only block on line 3 is fine.
    for line in [9, 15, 21] {
        expect(&problems, Rule::InlineRust, "book/01-task.md", Some(line));
    }
    assert_eq!(problems.len(), 3, "{}", format_problems(&problems));
}

// Check 5 ------------------------------------------------------------------------------------

#[test]
fn leftover_directive_in_built_html_fails() {
    for name in ["missing-file", "typo-directive"] {
        let problems = check_html(&fixture(name));
        let leftovers: Vec<&Problem> = problems
            .iter()
            .filter(|p| p.rule == Rule::HtmlLeftover)
            .collect();
        assert!(
            leftovers
                .iter()
                .any(|p| p.file.ends_with("01-task.html") && p.line.is_some()),
            "{name}: expected a leftover in 01-task.html, got:\n{}",
            format_problems(&problems)
        );
    }
}

#[test]
fn html_check_reports_a_book_that_does_not_load() {
    let problems = check_html(&fixture("unknown-key"));
    expect(&problems, Rule::HtmlBuild, "book.toml", Some(4));
}

#[test]
fn a_root_without_a_book_fails_every_check() {
    // `tests/` has no book.toml and no book/: no check may pass vacuously.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    assert!(!check_config(&root).is_empty());
    assert!(!check_includes(&root).is_empty());
    assert!(!check_coverage(&root).is_empty());
    assert!(!check_rust_blocks(&root).is_empty());
    assert!(!check_html(&root).is_empty());
}

#[test]
fn problems_print_file_line_and_rule() {
    let problems = check_includes(&fixture("missing-anchor"));
    let shown = format_problems(&problems);
    assert!(
        shown.contains("book/01-task.md:8: [anchor-missing] "),
        "{shown}"
    );
}
