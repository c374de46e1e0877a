//! Each check run on the small books under `tests/fixtures/`: `good/` passes all seven, and
//! every other fixture breaks one rule (`listings/` several), which the matching check must
//! report at the right file and line. These prove the checks can fail; `real_book.rs`
//! applies them to the book. Check 7 is tried on a copy of `generated/` in a temporary
//! folder, generated first and then broken one way at a time, and its plots half on
//! `plots/`.

use book_check::{
    Picture, Problem, Rule, check_config, check_coverage, check_generated, check_html,
    check_includes, check_listings, check_rust_blocks, format_problems, write_generated,
};
use std::fs;
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
        ("listings", check_listings(&root)),
        ("generated", check_generated(&root, &[])),
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

// Check 6 -------------------------------------------------------------------------------------

#[test]
fn listings_without_captions_hidden_payloads_wide_lines_or_endings_fail() {
    let problems = check_listings(&fixture("listings"));
    let chapter = "book/01-task.md";
    // The first block has no caption at all.
    let p = expect(&problems, Rule::ListingCaption, chapter, Some(5));
    assert!(p.message.contains("no caption"), "{p}");
    // The second names the step but not the file.
    let p = expect(&problems, Rule::ListingCaption, chapter, Some(11));
    assert!(p.message.contains("src/lib.rs"), "{p}");
    // Its anchor shows a line wider than the page.
    let p = expect(
        &problems,
        Rule::LineTooWide,
        "steps/step-01/src/lib.rs",
        Some(5),
    );
    assert!(p.message.contains("01-task.md:11"), "{p}");
    // The third is captioned, but ships the file hidden.
    expect(&problems, Rule::HiddenPayload, chapter, Some(17));
    expect(&problems, Rule::StepLink, chapter, None);
    let p = expect(&problems, Rule::ChapterEnding, chapter, Some(25));
    assert!(p.message.contains("What's next"), "{p}");
    assert_eq!(problems.len(), 6, "{}", format_problems(&problems));
}

// Check 7 -------------------------------------------------------------------------------------

/// A copy of a fixture in a temporary folder, for a test that changes it.
fn copy_of(name: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&fixture(name), dir.path());
    dir
}

fn one_turn() -> Vec<Picture> {
    vec![Picture {
        name: "one-turn".into(),
        trace: "title One turn\ndescription Task a runs once and finishes.\n\
                task a a\nturn 0 a done\n"
            .into(),
        varies: None,
    }]
}

#[test]
fn generated_files_are_written_then_checked() {
    let dir = copy_of("generated");
    let root = dir.path();
    // Nothing is generated yet: both diffs and the picture are missing.
    let problems = check_generated(root, &one_turn());
    expect(
        &problems,
        Rule::GeneratedStale,
        "book/diffs/step-02.diff",
        None,
    );
    expect(
        &problems,
        Rule::GeneratedStale,
        "book/diffs/step-02-lib.diff",
        None,
    );
    expect(
        &problems,
        Rule::GeneratedStale,
        "book/pictures/one-turn.svg",
        None,
    );
    let written = write_generated(root, &one_turn()).unwrap();
    assert_eq!(written.len(), 3, "{written:?}");
    let problems = check_generated(root, &one_turn());
    assert!(problems.is_empty(), "{}", format_problems(&problems));
    // The diff is the change of src/, without the anchor markers.
    let diff = fs::read_to_string(root.join("book/diffs/step-02.diff")).unwrap();
    assert!(diff.starts_with("--- steps/step-01/src/lib.rs\n+++ steps/step-02/src/lib.rs\n"));
    assert!(diff.contains("\n-    1\n+    2\n"), "{diff}");
    assert!(!diff.contains("ANCHOR"), "{diff}");
    // The picture is the renderer's SVG, with the trace's title for accessibility.
    let svg = fs::read_to_string(root.join("book/pictures/one-turn.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("One turn"), "{svg}");
}

#[test]
fn a_step_changed_without_regenerating_fails() {
    let dir = copy_of("generated");
    let root = dir.path();
    write_generated(root, &one_turn()).unwrap();
    fs::write(
        root.join("steps/step-02/src/lib.rs"),
        "pub fn run() -> u32 { 3 }\n",
    )
    .unwrap();
    let problems = check_generated(root, &one_turn());
    let p = expect(
        &problems,
        Rule::GeneratedStale,
        "book/diffs/step-02.diff",
        None,
    );
    assert!(p.message.contains("--bin regenerate"), "{p}");
}

#[test]
fn a_picture_of_a_run_the_code_no_longer_does_fails() {
    let dir = copy_of("generated");
    let root = dir.path();
    write_generated(root, &one_turn()).unwrap();
    let mut changed = one_turn();
    changed[0].trace += "turn 0 a done\n";
    let problems = check_generated(root, &changed);
    expect(
        &problems,
        Rule::GeneratedStale,
        "book/pictures/one-turn.svg",
        None,
    );
    // A committed SVG edited by hand fails the same way.
    let svg = root.join("book/pictures/one-turn.svg");
    let edited = fs::read_to_string(&svg)
        .unwrap()
        .replace("One turn", "Two turns");
    fs::write(&svg, edited).unwrap();
    let problems = check_generated(root, &one_turn());
    expect(
        &problems,
        Rule::GeneratedStale,
        "book/pictures/one-turn.svg",
        None,
    );
}

#[test]
fn unknown_unshown_and_missing_generated_files_fail() {
    let dir = copy_of("generated");
    let root = dir.path();
    write_generated(root, &one_turn()).unwrap();
    fs::write(root.join("book/pictures/stray.svg"), "<svg/>").unwrap();
    let two = [
        one_turn(),
        vec![Picture {
            name: "unshown".into(),
            trace: "title T\ndescription D\ntask a a\nturn 0 a done\n".into(),
            varies: None,
        }],
    ]
    .concat();
    write_generated(root, &two).unwrap();
    assert!(
        !root.join("book/pictures/stray.svg").exists(),
        "regenerate removes strays"
    );
    fs::write(root.join("book/pictures/stray.svg"), "<svg/>").unwrap();
    fs::write(
        root.join("book/02-two.md"),
        "# Two\n\n![](pictures/one-turn.svg)\n\n![A picture](pictures/gone.svg)\n",
    )
    .unwrap();
    let problems = check_generated(root, &two);
    expect(
        &problems,
        Rule::GeneratedUnknown,
        "book/pictures/stray.svg",
        None,
    );
    expect(&problems, Rule::DiffNotShown, "book/02-two.md", None);
    expect(
        &problems,
        Rule::PictureUnused,
        "book/pictures/unshown.svg",
        None,
    );
    let p = expect(&problems, Rule::PictureMissing, "book/02-two.md", Some(3));
    assert!(p.message.contains("alternative text"), "{p}");
    let p = expect(&problems, Rule::PictureMissing, "book/02-two.md", Some(5));
    assert!(p.message.contains("gone.svg"), "{p}");
}

#[test]
fn a_trace_that_does_not_parse_fails() {
    let dir = copy_of("generated");
    let broken = vec![Picture {
        name: "one-turn".into(),
        trace: "title T\nturn 0 a done\n".into(),
        varies: None,
    }];
    let problems = check_generated(dir.path(), &broken);
    let p = expect(
        &problems,
        Rule::GeneratedStale,
        "book/pictures/one-turn.svg",
        None,
    );
    assert!(p.message.contains("does not parse"), "{p}");
    assert!(write_generated(dir.path(), &broken).is_err());
}

#[test]
fn a_picture_of_a_varying_run_is_drawn_and_shown_but_not_compared() {
    let dir = copy_of("generated");
    let root = dir.path();
    let mut varying = one_turn();
    varying[0].varies = Some("the run uses real sockets".into());
    // Missing, it is still reported.
    let problems = check_generated(root, &varying);
    expect(
        &problems,
        Rule::GeneratedStale,
        "book/pictures/one-turn.svg",
        None,
    );
    write_generated(root, &varying).unwrap();
    // A later run that differs is not a problem...
    varying[0].trace += "turn 0 a done\n";
    let problems = check_generated(root, &varying);
    assert!(problems.is_empty(), "{}", format_problems(&problems));
    // ...but a trace that no longer draws is.
    varying[0].trace = "title T\n".into();
    let problems = check_generated(root, &varying);
    expect(
        &problems,
        Rule::GeneratedStale,
        "book/pictures/one-turn.svg",
        None,
    );
}

#[test]
fn plots_missing_unshown_or_without_alt_text_fail_and_are_never_compared() {
    let root = fixture("plots");
    let problems = check_generated(&root, &[]);
    let chapter = "book/results.md";
    let p = expect(&problems, Rule::PlotMissing, chapter, Some(5));
    assert!(p.message.contains("alternative text"), "{p}");
    let p = expect(&problems, Rule::PlotMissing, chapter, Some(7));
    assert!(p.message.contains("gone.svg"), "{p}");
    expect(&problems, Rule::PlotUnused, "book/plots/unshown.svg", None);
    assert_eq!(problems.len(), 3, "{}", format_problems(&problems));
    // A plot is data: whatever it holds, a shown plot with alt text passes, and
    // regenerating the diffs and pictures leaves the folder alone.
    let dir = copy_of("plots");
    let root = dir.path();
    fs::write(root.join("book/plots/shown.svg"), "not even an SVG").unwrap();
    fs::remove_file(root.join("book/plots/unshown.svg")).unwrap();
    fs::write(
        root.join("book/results.md"),
        "# Results\n\n![Latency against throughput](plots/shown.svg)\n",
    )
    .unwrap();
    let problems = check_generated(root, &[]);
    assert!(problems.is_empty(), "{}", format_problems(&problems));
    write_generated(root, &[]).unwrap();
    assert!(root.join("book/plots/shown.svg").exists());
}
