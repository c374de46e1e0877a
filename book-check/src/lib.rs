//! `book-check` owns the guarantees that the book (`book/`, `book.toml`) and the code it shows
//! (`steps/`, `miou/`) stay in step.
//!
//! mdBook fails quietly: a missing include file leaves the raw `{{#include ...}}` directive
//! in the page and still exits 0, a missing anchor gives an empty code block, and an
//! invalid `[output.html]` table is replaced by the defaults with only a log line. This crate
//! turns each of those into a test failure. It implements seven checks, one public function
//! each:
//!
//! 1. [`check_config`]: `book.toml` loads with `mdbook-driver` (unknown keys, missing
//!    chapters and the settings the other checks rely on);
//! 2. [`check_includes`]: every include resolves, every anchor has a non-empty region, every
//!    included snapshot has its four-line insta header and skips it with `:5:`;
//! 3. [`check_coverage`]: chapter N includes step N, every anchor is used, every chapter file
//!    is in `SUMMARY.md`;
//! 4. [`check_rust_blocks`]: no ```` ```rust ```` block in a chapter is pasted code
//!    (see [`Rule::InlineRust`] for the exact rule);
//! 5. [`check_html`]: the HTML built by `mdbook-driver` into a temporary folder holds no
//!    `{{#`;
//! 6. [`check_listings`]: how listings look on the page: plain includes (no hidden
//!    payload), a caption naming the step and file, lines that fit the page, and every
//!    numbered chapter linking its step and ending with "What we built", "Try it" and
//!    "What's next";
//! 7. [`check_generated`]: what is generated from the code is current: each step's diff
//!    from the previous one (`book/diffs/`) and each picture drawn from a real run
//!    (`book/pictures/`), and each is shown by a chapter; the plots of measured data
//!    (`book/plots/`) exist and are shown, and are never compared (they are data).
//!
//! `cargo run -p book-check --bin regenerate` rewrites the generated files of check 7.
//!
//! Every check takes the root of a repository laid out like this one (`book.toml`, `book/`,
//! `steps/`, `miou/`; check 7 also the pictures, see [`steps::pictures`]) and returns the
//! list of [`Problem`]s it found, each naming a file, a
//! line when there is one, and the rule broken. The tests in `tests/` run each check on the
//! real book and on small broken fixture books, so that every check is seen to fail.
//!
//! The crate parses directives itself (it does not reuse mdBook's private parser) but follows
//! mdBook 0.5's rules: the same directive syntax, paths relative to the chapter's folder, the
//! same `ANCHOR:` / `ANCHOR_END:` markers.

pub mod generated;
pub mod listings;
pub mod steps;

pub use generated::{Picture, check_generated, write_generated};
pub use listings::check_listings;

use mdbook_driver::MDBook;
use mdbook_driver::config::{Config, HtmlConfig};
use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// Which rule a [`Problem`] breaks. The name printed for each is [`Rule::name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// Check 1: `book.toml` does not load, has an unknown key, or a chapter listed in
    /// `SUMMARY.md` is missing; or a setting the other checks rely on is wrong
    /// (`src = "book"`, `create-missing = false`, default preprocessors on).
    BookConfig,
    /// Check 2: an include directive names a file that does not exist.
    IncludeMissingFile,
    /// Check 2: an include directive names an anchor the file does not define.
    AnchorMissing,
    /// Check 2: an anchor's region holds no non-blank line (mdBook would show an empty block).
    AnchorEmpty,
    /// Check 2: an `// ANCHOR: name` has no `// ANCHOR_END: name` after it (mdBook would
    /// include the rest of the file).
    AnchorUnclosed,
    /// Check 2: `{{#` starts something mdBook does not expand (an unknown directive type or
    /// a directive without a path): it would be left raw in the page.
    DirectiveMalformed,
    /// Check 2: an included `.snap` file lacks the four-line insta header
    /// (`---`, `source: ...`, one more `key: value` line, `---`).
    SnapshotHeader,
    /// Check 2: a `.snap` file is included other than as `{{#include path.snap:5:}}`, so the
    /// header would leak into the chapter (or the body would be cut).
    SnapshotOffset,
    /// Check 3: chapter `book/NN-*.md` includes nothing from `steps/step-NN/`, or
    /// `steps/step-NN/` has no chapter `book/NN-*.md`.
    ChapterStep,
    /// Check 3: an `// ANCHOR:` under `steps/` or `miou/` is used by no chapter.
    AnchorUnused,
    /// Check 3: a `.md` file under `book/` is not listed in `book/SUMMARY.md`.
    NotInSummary,
    /// Check 4: a ```` ```rust ```` block whose body is not only include directives
    /// (`{{#include ...}}` / `{{#rustdoc_include ...}}`, one per line, blank lines allowed)
    /// must carry the `ignore` or `compile_fail` attribute (```` ```rust,ignore ````): anything
    /// else is Rust that cargo never compiled. `no_run` or `should_panic` alone do not count,
    /// since nothing compiles the book's own blocks (`mdbook test` is not run).
    InlineRust,
    /// Check 5: the HTML built from the book could not be produced.
    HtmlBuild,
    /// Check 5: a built `.html` file still contains `{{#` (a directive mdBook left raw).
    HtmlLeftover,
    /// Check 6: `{{#rustdoc_include}}` ships the rest of the file hidden in the page; use
    /// `{{#include}}` with an anchor.
    HiddenPayload,
    /// Check 6: an included listing has no caption (a `class="caption"` line right above
    /// its fence) naming the step and file it comes from.
    ListingCaption,
    /// Check 6: a line the page shows from an included file is wider than the page
    /// ([`listings::MAX_WIDTH`] columns; one more in a diff).
    LineTooWide,
    /// Check 6: a numbered chapter does not end with the sections "What we built",
    /// "Try it" and "What's next", in that order.
    ChapterEnding,
    /// Check 6: a numbered chapter does not link its step's folder near its top.
    StepLink,
    /// Check 7: a generated file (a step's diff or a picture) is missing or differs from
    /// what the code generates now.
    GeneratedStale,
    /// Check 7: a file under `book/diffs/` or `book/pictures/` that nothing generates.
    GeneratedUnknown,
    /// Check 7: chapter N does not show the diff from step N-1 to step N.
    DiffNotShown,
    /// Check 7: a generated picture is shown by no chapter.
    PictureUnused,
    /// Check 7: a chapter shows a picture that nothing generates, or shows one without
    /// alternative text.
    PictureMissing,
    /// Check 7: a chapter shows a plot (`![alt](plots/NAME.svg)`) that is not under
    /// `book/plots/`, or shows one without alternative text. A plot is drawn from a
    /// measurement (`bench --tuning`), so its content is never compared.
    PlotMissing,
    /// Check 7: a file under `book/plots/` is shown by no chapter.
    PlotUnused,
}

impl Rule {
    /// The short, stable name printed in a problem's message.
    pub fn name(self) -> &'static str {
        match self {
            Rule::BookConfig => "book-config",
            Rule::IncludeMissingFile => "include-missing-file",
            Rule::AnchorMissing => "anchor-missing",
            Rule::AnchorEmpty => "anchor-empty",
            Rule::AnchorUnclosed => "anchor-unclosed",
            Rule::DirectiveMalformed => "directive-malformed",
            Rule::SnapshotHeader => "snapshot-header",
            Rule::SnapshotOffset => "snapshot-offset",
            Rule::ChapterStep => "chapter-step",
            Rule::AnchorUnused => "anchor-unused",
            Rule::NotInSummary => "not-in-summary",
            Rule::InlineRust => "inline-rust",
            Rule::HtmlBuild => "html-build",
            Rule::HtmlLeftover => "html-leftover",
            Rule::HiddenPayload => "hidden-payload",
            Rule::ListingCaption => "listing-caption",
            Rule::LineTooWide => "line-too-wide",
            Rule::ChapterEnding => "chapter-ending",
            Rule::StepLink => "step-link",
            Rule::GeneratedStale => "generated-stale",
            Rule::GeneratedUnknown => "generated-unknown",
            Rule::DiffNotShown => "diff-not-shown",
            Rule::PictureUnused => "picture-unused",
            Rule::PictureMissing => "picture-missing",
            Rule::PlotMissing => "plot-missing",
            Rule::PlotUnused => "plot-unused",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One broken rule: where (file relative to the checked root, 1-based line when known), which
/// rule, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file at fault, relative to the checked root when it lies under it.
    pub file: PathBuf,
    /// The 1-based line in `file`, when the problem has one.
    pub line: Option<usize>,
    /// The rule broken.
    pub rule: Rule,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": [{}] {}", self.rule, self.message)
    }
}

/// Renders problems one per line, as `file:line: [rule] message`, for test failure output.
pub fn format_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}\n"))
        .collect::<String>()
}

/// The repository root this crate lives in (`book-check/..`): the real book's root.
pub fn repository_root() -> PathBuf {
    normalize(&Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
}

// ---------------------------------------------------------------------------------------------
// Check 1: book.toml

/// Check 1: loads `root/book.toml` and the book with `mdbook-driver` 0.5, as `mdbook build`
/// would, and reports: a config that does not parse (unknown keys are errors in 0.5), an
/// `[output.html]` table that does not deserialize (mdBook itself would silently use the
/// defaults), a chapter of `SUMMARY.md` whose file is missing, and settings the other checks
/// rely on: `book.src = "book"`, `build.create-missing = false` (otherwise a missing chapter
/// is created instead of failing), `build.use-default-preprocessors = true` (otherwise no
/// include is expanded).
///
/// `MDBOOK_*` environment overrides are deliberately not applied: the check is about the
/// file in the repository.
pub fn check_config(root: &Path) -> Vec<Problem> {
    match load_book(root) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}

/// Reads and validates `book.toml`, then loads the book. Never loads a book whose config
/// would let mdBook write into the source folder (`create-missing = true`).
fn load_book(root: &Path) -> Result<MDBook, Vec<Problem>> {
    let toml_path = root.join("book.toml");
    let toml_file = relative(root, &toml_path);
    let problem = |line, message: String| Problem {
        file: toml_file.clone(),
        line,
        rule: Rule::BookConfig,
        message,
    };
    if !toml_path.is_file() {
        return Err(vec![problem(None, "book.toml is missing".into())]);
    }
    let config = match Config::from_disk(&toml_path) {
        Ok(config) => config,
        Err(e) => {
            let message = format!("{e:#}").trim_end().to_string();
            return Err(vec![problem(toml_error_line(&message), message)]);
        }
    };
    let mut problems = Vec::new();
    if config.book.src != Path::new("book") {
        problems.push(problem(
            None,
            format!(
                "[book] src is {:?}; the repository layout and these checks expect \"book\"",
                config.book.src
            ),
        ));
    }
    if config.build.create_missing {
        problems.push(problem(
            None,
            "[build] create-missing must be false: otherwise mdBook creates a missing chapter \
             instead of failing"
                .into(),
        ));
    }
    if !config.build.use_default_preprocessors {
        problems.push(problem(
            None,
            "[build] use-default-preprocessors must stay true: without the `links` \
             preprocessor no {{#include}} is expanded"
                .into(),
        ));
    }
    if let Err(e) = config.get::<HtmlConfig>("output.html") {
        let message = format!("{e:#}").trim_end().to_string();
        problems.push(problem(
            toml_error_line(&message),
            format!("{message} (mdBook would silently fall back to the default HTML settings)"),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // With a valid config, loading reads only SUMMARY.md and the chapters it lists.
    MDBook::load_with_config(root, config).map_err(|e| {
        vec![Problem {
            file: relative(root, &root.join("book").join("SUMMARY.md")),
            line: None,
            rule: Rule::BookConfig,
            message: format!(
                "mdbook-driver cannot load the book: {}",
                format!("{e:#}").trim_end()
            ),
        }]
    })
}

/// The line number in a TOML error message (`TOML parse error at line 3, column 1`), if any.
fn toml_error_line(message: &str) -> Option<usize> {
    let rest = &message[message.find("at line ")? + "at line ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Directives

/// What follows the path in an include directive.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Selector {
    /// No `:`: the whole file.
    Whole,
    /// `:name`: the region between `ANCHOR: name` and `ANCHOR_END: name`.
    Anchor(String),
    /// `:N`, `:N:`, `:N:M`, `::M`: a line range, kept as written (without the first `:`).
    Range(String),
}

/// The kinds of `{{#...}}` directive mdBook 0.5 expands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Include,
    RustdocInclude,
    Playground,
    Title,
}

/// One directive found in a chapter.
#[derive(Clone, Debug)]
struct Directive {
    line: usize,
    /// Byte range in the chapter text.
    start: usize,
    end: usize,
    text: String,
    /// `Err(reason)` when mdBook would leave it raw.
    parsed: Result<Parsed, String>,
}

#[derive(Clone, Debug)]
struct Parsed {
    kind: Kind,
    /// The path as written (relative to the chapter's folder); `None` for `title`.
    path: Option<String>,
    selector: Selector,
}

/// Finds the `{{#...}}` directives of a chapter the way mdBook's `links` preprocessor does:
/// `{{`, optional whitespace, `#`, a type of `[A-Za-z0-9_]+`, whitespace, the arguments up to
/// the first `}`, then `}}`. An escaped `\{{#...}}` (up to the last `}}` on its line) is
/// skipped, as mdBook prints it literally. Anything else that starts with `{{#` (or `{{ #`)
/// is returned as malformed, since mdBook would leave it raw in the page.
fn find_directives(text: &str) -> Vec<Directive> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(offset) = text[i..].find("{{") {
        let start = i + offset;
        if start > 0 && bytes[start - 1] == b'\\' && text[start..].starts_with("{{#") {
            // Escaped: mdBook's pattern is `\\\{\{\#.*\}\}` (`.` stops at a newline).
            let line_end = text[start..].find('\n').map_or(text.len(), |n| start + n);
            if let Some(close) = text[start..line_end].rfind("}}") {
                i = start + close + 2;
                continue;
            }
        }
        let mut j = start + 2;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if j >= bytes.len() || bytes[j] != b'#' {
            i = start + 2;
            continue;
        }
        let line = line_of(text, start);
        match parse_directive_at(text, j + 1) {
            Some((kind_name, args, end)) => {
                let raw = &text[start..end];
                found.push(Directive {
                    line,
                    start,
                    end,
                    text: raw.to_string(),
                    parsed: interpret(kind_name, args),
                });
                i = end;
            }
            None => {
                let shown: String = text[start..].lines().next().unwrap_or("").to_string();
                found.push(Directive {
                    line,
                    start,
                    end: start + shown.len(),
                    text: shown,
                    parsed: Err("not a directive mdBook understands (expected \
                                 `{{#kind path}}`); it would be left raw in the page"
                        .into()),
                });
                i = start + 2;
            }
        }
    }
    found
}

/// Parses `kind<ws>args}}` from `at` (just after the `#`); returns the kind, the arguments
/// and the end of the directive.
fn parse_directive_at(text: &str, at: usize) -> Option<(&str, &str, usize)> {
    let bytes = text.as_bytes();
    let mut j = at;
    while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
        j += 1;
    }
    if j == at {
        return None;
    }
    let kind = &text[at..j];
    let ws = j;
    while j < bytes.len() && bytes[j].is_ascii_whitespace() {
        j += 1;
    }
    if j == ws {
        return None;
    }
    let close = text[j..].find('}')? + j;
    // mdBook's pattern wants `[^}]+` then `}}`; with the whitespace run backtracking, the
    // arguments may be empty here only if there was more than one whitespace character.
    if !text[close..].starts_with("}}") || (close == j && j - ws < 2) {
        return None;
    }
    Some((kind, &text[j..close], close + 2))
}

/// Turns a directive's kind and arguments into what mdBook would do with them.
fn interpret(kind: &str, args: &str) -> Result<Parsed, String> {
    let kind = match kind {
        "include" => Kind::Include,
        "rustdoc_include" => Kind::RustdocInclude,
        "playground" | "playpen" => Kind::Playground,
        "title" => {
            return Ok(Parsed {
                kind: Kind::Title,
                path: None,
                selector: Selector::Whole,
            });
        }
        other => {
            return Err(format!(
                "unknown directive `{{{{#{other}}}}}`: mdBook 0.5 knows include, \
                 rustdoc_include, playground and title, and leaves anything else raw"
            ));
        }
    };
    let Some(arg) = args.split_whitespace().next() else {
        return Err("directive without a path: mdBook would leave it raw".into());
    };
    if kind == Kind::Playground {
        return Ok(Parsed {
            kind,
            path: Some(arg.to_string()),
            selector: Selector::Whole,
        });
    }
    let (path, selector) = match arg.split_once(':') {
        None => (arg, Selector::Whole),
        Some((path, spec)) => {
            let first = spec.split(':').next().unwrap_or("");
            let selector = if first.is_empty() || first.parse::<usize>().is_ok() {
                Selector::Range(spec.to_string())
            } else {
                Selector::Anchor(first.to_string())
            };
            (path, selector)
        }
    };
    Ok(Parsed {
        kind,
        path: Some(path.to_string()),
        selector,
    })
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].bytes().filter(|&b| b == b'\n').count() + 1
}

// ---------------------------------------------------------------------------------------------
// Anchors

/// One `ANCHOR: name` marker in a source file.
#[derive(Clone, Debug)]
struct Anchor {
    name: String,
    /// 1-based line of the `ANCHOR:` marker.
    line: usize,
    /// 1-based line of the matching `ANCHOR_END:`, if any.
    end_line: Option<usize>,
    /// Whether the region holds a non-blank line that is not itself a marker.
    has_content: bool,
}

/// The anchor name after `marker` on a line, with mdBook's pattern
/// `MARKER\s*(?P<anchor_name>[\w_-]+)`.
fn marker_name<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let rest = line[line.find(marker)? + marker.len()..].trim_start();
    let len = rest
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .map_or(rest.len(), |(i, _)| i);
    (len > 0).then(|| &rest[..len])
}

/// Every anchor defined in a source text, in order, with its region's extent. Like mdBook,
/// marker lines of other anchors inside a region are not content.
fn find_anchors(source: &str) -> Vec<Anchor> {
    let lines: Vec<&str> = source.lines().collect();
    let mut anchors = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(name) = marker_name(line, "ANCHOR:") else {
            continue;
        };
        let mut anchor = Anchor {
            name: name.to_string(),
            line: index + 1,
            end_line: None,
            has_content: false,
        };
        for (k, inner) in lines.iter().enumerate().skip(index + 1) {
            if let Some(end) = marker_name(inner, "ANCHOR_END:") {
                if end == name {
                    anchor.end_line = Some(k + 1);
                    break;
                }
                continue;
            }
            if marker_name(inner, "ANCHOR:").is_none() && !inner.trim().is_empty() {
                anchor.has_content = true;
            }
        }
        anchors.push(anchor);
    }
    anchors
}

// ---------------------------------------------------------------------------------------------
// Files and paths

/// Resolves `.` and `..` without touching the file system, so that the same file reached by
/// two routes (`book/../steps/x.rs`, `steps/x.rs`) compares equal.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` relative to `root` when it lies under it (both normalised), else `path` itself.
fn relative(root: &Path, path: &Path) -> PathBuf {
    let root = normalize(root);
    let path = normalize(path);
    path.strip_prefix(&root)
        .map(Path::to_path_buf)
        .unwrap_or(path)
}

/// Files under `dir` whose name ends with `suffix`, sorted, skipping `target/` and hidden
/// folders (build output and VCS data are not sources).
fn files_ending_with(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    stack.push(path);
                }
            } else if name.ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// A chapter of the book: a `.md` file under `book/` other than `SUMMARY.md`.
struct Chapter {
    path: PathBuf,
    text: String,
    directives: Vec<Directive>,
}

/// Reads every chapter under `root/book/`. Unreadable files become problems.
fn read_chapters(root: &Path, problems: &mut Vec<Problem>) -> Vec<Chapter> {
    let book = root.join("book");
    let mut chapters = Vec::new();
    if !book.is_dir() {
        // Without this, every check would pass vacuously on a root with no book.
        problems.push(Problem {
            file: relative(root, &book),
            line: None,
            rule: Rule::BookConfig,
            message: "no book/ folder: nothing to check".into(),
        });
        return chapters;
    }
    for path in files_ending_with(&book, ".md") {
        if normalize(&path) == normalize(&book.join("SUMMARY.md")) {
            continue;
        }
        match fs::read_to_string(&path) {
            Ok(text) => chapters.push(Chapter {
                directives: find_directives(&text),
                path,
                text,
            }),
            Err(e) => problems.push(Problem {
                file: relative(root, &path),
                line: None,
                rule: Rule::BookConfig,
                message: format!("cannot read chapter: {e}"),
            }),
        }
    }
    chapters
}

/// Where a directive's path points: relative to the chapter's folder, as in mdBook.
fn target_of(chapter: &Path, path: &str) -> PathBuf {
    normalize(&chapter.parent().unwrap_or(Path::new("")).join(path))
}

// ---------------------------------------------------------------------------------------------
// Check 2: includes

/// Check 2: every `{{#include}}`, `{{#rustdoc_include}}` and `{{#playground}}` in a chapter
/// under `root/book/` names an existing file; every named anchor (`file.rs:name`) is defined
/// in that file, closed by its `ANCHOR_END`, and its region holds a non-blank line; every
/// included `.snap` file starts with the four-line insta header and is included as
/// `{{#include path.snap:5:}}`, so the header never reaches the page. A `{{#` that mdBook
/// would not expand is reported too.
pub fn check_includes(root: &Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    for chapter in read_chapters(root, &mut problems) {
        let chapter_file = relative(root, &chapter.path);
        for directive in &chapter.directives {
            let problem = |rule, message: String| Problem {
                file: chapter_file.clone(),
                line: Some(directive.line),
                rule,
                message: format!("{}: {message}", directive.text),
            };
            let parsed = match &directive.parsed {
                Ok(parsed) => parsed,
                Err(reason) => {
                    problems.push(problem(Rule::DirectiveMalformed, reason.clone()));
                    continue;
                }
            };
            let Some(path) = &parsed.path else { continue };
            let target = target_of(&chapter.path, path);
            let shown = relative(root, &target);
            let source = match fs::read_to_string(&target) {
                Ok(source) => source,
                Err(e) => {
                    problems.push(problem(
                        Rule::IncludeMissingFile,
                        format!(
                            "cannot read {} ({e}); paths are relative to the chapter's folder",
                            shown.display()
                        ),
                    ));
                    continue;
                }
            };
            if let Selector::Anchor(name) = &parsed.selector {
                let anchors = find_anchors(&source);
                match anchors.iter().find(|a| &a.name == name) {
                    None => problems.push(problem(
                        Rule::AnchorMissing,
                        format!("{} has no `// ANCHOR: {name}`", shown.display()),
                    )),
                    Some(anchor) if anchor.end_line.is_none() => problems.push(problem(
                        Rule::AnchorUnclosed,
                        format!(
                            "{}:{} opens anchor `{name}` but no `// ANCHOR_END: {name}` follows",
                            shown.display(),
                            anchor.line
                        ),
                    )),
                    Some(anchor) if !anchor.has_content => problems.push(problem(
                        Rule::AnchorEmpty,
                        format!(
                            "anchor `{name}` at {}:{} encloses no code; the chapter would \
                             show an empty block",
                            shown.display(),
                            anchor.line
                        ),
                    )),
                    Some(_) => {}
                }
            }
            if path.ends_with(".snap") {
                let offset_ok =
                    parsed.kind == Kind::Include && parsed.selector == Selector::Range("5:".into());
                if !offset_ok {
                    problems.push(problem(
                        Rule::SnapshotOffset,
                        format!(
                            "include snapshots as `{{{{#include {path_only}:5:}}}}` (plain \
                             include, from line 5) so the four-line insta header is skipped",
                            path_only = path
                        ),
                    ));
                }
                if let Some((line, message)) = snapshot_header_fault(&source) {
                    problems.push(Problem {
                        file: shown.clone(),
                        line: Some(line),
                        rule: Rule::SnapshotHeader,
                        message: format!(
                            "{message}; included by {}:{} with `:5:`, which assumes the \
                             four-line insta header `---` / `source: ...` / `key: ...` / `---`",
                            chapter_file.display(),
                            directive.line
                        ),
                    });
                }
            }
        }
    }
    problems
}

/// The first line (1-based) of a snapshot whose header is not the four lines
/// `---`, `source: ...`, `key: ...`, `---`, with what was expected there.
fn snapshot_header_fault(source: &str) -> Option<(usize, String)> {
    let lines: Vec<&str> = source.lines().collect();
    let line = |n: usize| lines.get(n).copied().unwrap_or("<end of file>");
    if line(0) != "---" {
        return Some((1, format!("expected `---`, found `{}`", line(0))));
    }
    if !line(1).starts_with("source: ") {
        return Some((2, format!("expected `source: ...`, found `{}`", line(1))));
    }
    let is_key_line = |l: &str| {
        l.split_once(": ").is_some_and(|(key, _)| {
            !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        })
    };
    if !is_key_line(line(2)) {
        return Some((
            3,
            format!(
                "expected a `key: value` line (e.g. `expression: ...`), found `{}`",
                line(2)
            ),
        ));
    }
    if line(3) != "---" {
        return Some((
            4,
            format!(
                "expected `---` closing a four-line header, found `{}` (a longer header would \
                 leak into the chapter)",
                line(3)
            ),
        ));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Check 3: coverage

/// The step number of a chapter file name `NN-*.md`, if it is one.
fn chapter_number(path: &Path) -> Option<&str> {
    let name = path.file_name()?.to_str()?;
    let bytes = name.as_bytes();
    let numbered = bytes.len() > 3
        && bytes[0].is_ascii_digit()
        && bytes[1].is_ascii_digit()
        && bytes[2] == b'-'
        && name.ends_with(".md");
    numbered.then(|| &name[..2])
}

/// Check 3: coverage both ways. Each chapter `book/NN-*.md` (directly under `book/`) includes
/// at least one file under `steps/step-NN/`, and each `steps/step-NN/` folder has such a
/// chapter; every `ANCHOR:` in a `.rs` file under `steps/` or `miou/` (outside `target/`) is
/// named by some chapter's include; every `.md` file under `book/` is linked from
/// `book/SUMMARY.md` (draft entries `[Title]()` have no file and need none).
pub fn check_coverage(root: &Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    let chapters = read_chapters(root, &mut problems);
    let book = normalize(&root.join("book"));

    // Every (file, anchor) and every file named by an include, in any chapter.
    let mut used_anchors = BTreeSet::new();
    for chapter in &chapters {
        for directive in &chapter.directives {
            if let Ok(Parsed {
                path: Some(path),
                selector: Selector::Anchor(name),
                ..
            }) = &directive.parsed
            {
                used_anchors.insert((target_of(&chapter.path, path), name.clone()));
            }
        }
    }

    // Chapter N includes step N.
    let mut numbered_chapters = BTreeSet::new();
    for chapter in &chapters {
        if normalize(chapter.path.parent().unwrap_or(Path::new(""))) != book {
            continue;
        }
        let Some(number) = chapter_number(&chapter.path) else {
            continue;
        };
        numbered_chapters.insert(number.to_string());
        let step = normalize(&root.join("steps").join(format!("step-{number}")));
        let includes_step = chapter.directives.iter().any(|d| match &d.parsed {
            Ok(Parsed {
                path: Some(path), ..
            }) => target_of(&chapter.path, path).starts_with(&step),
            _ => false,
        });
        if !includes_step {
            problems.push(Problem {
                file: relative(root, &chapter.path),
                line: None,
                rule: Rule::ChapterStep,
                message: format!(
                    "chapter {number} includes nothing from steps/step-{number}/: \
                     chapter N shows the code of step N"
                ),
            });
        }
    }

    // Step N has a chapter N.
    if let Ok(entries) = fs::read_dir(root.join("steps")) {
        let mut steps: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        steps.sort();
        for step in steps.iter().filter(|p| p.is_dir()) {
            let name = step.file_name().unwrap_or_default().to_string_lossy();
            let Some(number) = name.strip_prefix("step-") else {
                continue;
            };
            if !numbered_chapters.contains(number) {
                problems.push(Problem {
                    file: relative(root, step),
                    line: None,
                    rule: Rule::ChapterStep,
                    message: format!("step {number} has no chapter book/{number}-*.md"),
                });
            }
        }
    }

    // Every anchor is used.
    for folder in ["steps", "miou"] {
        for source_path in files_ending_with(&root.join(folder), ".rs") {
            let Ok(source) = fs::read_to_string(&source_path) else {
                continue;
            };
            let key = normalize(&source_path);
            for anchor in find_anchors(&source) {
                if !used_anchors.contains(&(key.clone(), anchor.name.clone())) {
                    problems.push(Problem {
                        file: relative(root, &source_path),
                        line: Some(anchor.line),
                        rule: Rule::AnchorUnused,
                        message: format!(
                            "anchor `{}` is included by no chapter: use it, or remove the \
                             markers",
                            anchor.name
                        ),
                    });
                }
            }
        }
    }

    // Every chapter file is in SUMMARY.md.
    let summary_path = root.join("book").join("SUMMARY.md");
    match fs::read_to_string(&summary_path) {
        Err(e) => problems.push(Problem {
            file: relative(root, &summary_path),
            line: None,
            rule: Rule::NotInSummary,
            message: format!("cannot read SUMMARY.md: {e}"),
        }),
        Ok(summary) => {
            let listed: BTreeSet<PathBuf> = summary_links(&summary)
                .into_iter()
                .map(|link| normalize(&book.join(link)))
                .collect();
            for chapter in &chapters {
                if !listed.contains(&normalize(&chapter.path)) {
                    problems.push(Problem {
                        file: relative(root, &chapter.path),
                        line: None,
                        rule: Rule::NotInSummary,
                        message: "not listed in book/SUMMARY.md, so mdBook never renders it".into(),
                    });
                }
            }
        }
    }
    problems
}

/// The non-empty link targets of `SUMMARY.md` (`[Title](target)`), without `#fragment`.
fn summary_links(summary: &str) -> Vec<String> {
    let mut links = Vec::new();
    for line in summary.lines() {
        let mut rest = line;
        while let Some(open) = rest.find("](") {
            let after = &rest[open + 2..];
            let Some(close) = after.find(')') else { break };
            let target = after[..close].split('#').next().unwrap_or("").trim();
            if !target.is_empty() {
                links.push(target.to_string());
            }
            rest = &after[close + 1..];
        }
    }
    links
}

// ---------------------------------------------------------------------------------------------
// Check 4: inline rust blocks

/// Check 4: in every chapter under `root/book/`, a fenced block whose language is `rust`
/// (the first word of its info string, words split on `,` and whitespace) either holds only
/// include directives (`{{#include ...}}` or `{{#rustdoc_include ...}}`, one per line; blank
/// lines allowed; at least one) or carries the `ignore` or `compile_fail` attribute, marking
/// it as pseudo-code that cargo is not expected to compile. See [`Rule::InlineRust`].
pub fn check_rust_blocks(root: &Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    for chapter in read_chapters(root, &mut problems) {
        for block in fenced_blocks(&chapter.text) {
            let mut words = block
                .info
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|w| !w.is_empty());
            if words.next() != Some("rust") {
                continue;
            }
            if words.any(|w| w == "ignore" || w == "compile_fail") {
                continue;
            }
            let body: Vec<&str> = block
                .body
                .iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .collect();
            let only_includes = !body.is_empty()
                && body.iter().all(|line| {
                    let found = find_directives(line);
                    found.len() == 1
                        && found[0].start == 0
                        && found[0].end == line.len()
                        && matches!(
                            found[0].parsed,
                            Ok(Parsed {
                                kind: Kind::Include | Kind::RustdocInclude,
                                ..
                            })
                        )
                });
            if !only_includes {
                problems.push(Problem {
                    file: relative(root, &chapter.path),
                    line: Some(block.line),
                    rule: Rule::InlineRust,
                    message: format!(
                        "```{} block holds code that is not an include: include the code \
                         from steps/ or miou/ (`{{{{#include path:anchor}}}}`), or \
                         mark pseudo-code `rust,ignore` (or `rust,compile_fail`)",
                        block.info
                    ),
                });
            }
        }
    }
    problems
}

/// A fenced code block: its opening line (1-based), info string and body lines.
struct Fence<'a> {
    line: usize,
    info: &'a str,
    body: Vec<&'a str>,
}

/// The fenced code blocks of a Markdown text (backtick or tilde fences of three or more,
/// indented or not, so blocks inside list items count too). A block left open runs to the
/// end of the text, as in CommonMark.
fn fenced_blocks(text: &str) -> Vec<Fence<'_>> {
    let mut blocks = Vec::new();
    let mut open: Option<(char, usize, Fence<'_>)> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        let fence_char = line.chars().next().filter(|&c| c == '`' || c == '~');
        let run = fence_char.map_or(0, |c| line.chars().take_while(|&x| x == c).count());
        match &mut open {
            Some((c, len, fence)) => {
                if fence_char == Some(*c) && run >= *len && line[run..].trim().is_empty() {
                    let (_, _, fence) = open.take().expect("a block is open");
                    blocks.push(fence);
                } else {
                    fence.body.push(raw);
                }
            }
            None => {
                if run >= 3 {
                    let c = fence_char.expect("a run has a character");
                    let info = line[run..].trim();
                    // A backtick in a backtick fence's info string makes it inline code.
                    if c == '`' && info.contains('`') {
                        continue;
                    }
                    open = Some((
                        c,
                        run,
                        Fence {
                            line: index + 1,
                            info,
                            body: Vec::new(),
                        },
                    ));
                }
            }
        }
    }
    if let Some((_, _, fence)) = open {
        blocks.push(fence);
    }
    blocks
}

// ---------------------------------------------------------------------------------------------
// Check 5: built HTML

/// Check 5: builds the book's HTML with `mdbook-driver` into a fresh temporary folder (never
/// `target/book`, so a reader's build is untouched and no stale file can hide a fault) and
/// reports every `.html` file line that still holds `{{#` or `{{ #`: a directive mdBook could
/// not expand and left in the page. A book that does not load (check 1) or build is reported
/// as [`Rule::HtmlBuild`].
pub fn check_html(root: &Path) -> Vec<Problem> {
    let mut book = match load_book(root) {
        Ok(book) => book,
        Err(problems) => {
            return problems
                .into_iter()
                .map(|p| Problem {
                    rule: Rule::HtmlBuild,
                    message: format!("cannot build, the book does not load: {}", p.message),
                    ..p
                })
                .collect();
        }
    };
    let build_problem = |message: String| {
        vec![Problem {
            file: PathBuf::from("book.toml"),
            line: None,
            rule: Rule::HtmlBuild,
            message,
        }]
    };
    let out = match tempfile::Builder::new().prefix("book-check-").tempdir() {
        Ok(dir) => dir,
        Err(e) => return build_problem(format!("cannot create a temporary folder: {e}")),
    };
    book.config.build.build_dir = out.path().to_path_buf();
    if let Err(e) = book.build() {
        return build_problem(format!("mdbook-driver failed to build the HTML: {e:#}"));
    }
    let html_dir = book.build_dir_for("html");
    let pages = files_ending_with(&html_dir, ".html");
    if pages.is_empty() {
        return build_problem(format!(
            "the build wrote no .html file into {}",
            html_dir.display()
        ));
    }
    let mut problems = Vec::new();
    for page in pages {
        let Ok(html) = fs::read_to_string(&page) else {
            continue;
        };
        for (index, line) in html.lines().enumerate() {
            if let Some(at) = leftover_directive(line) {
                let excerpt: String = line[at..].chars().take(80).collect();
                problems.push(Problem {
                    file: Path::new("<built html>").join(relative(&html_dir, &page)),
                    line: Some(index + 1),
                    rule: Rule::HtmlLeftover,
                    message: format!(
                        "mdBook left a directive unexpanded: `{excerpt}` (see check 2 for \
                         its source)"
                    ),
                });
            }
        }
    }
    problems
}

/// The byte offset of the first `{{`, optional whitespace, `#` in a line.
fn leftover_directive(line: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(offset) = line[from..].find("{{") {
        let start = from + offset;
        if line[start + 2..].trim_start().starts_with('#') {
            return Some(start);
        }
        from = start + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directive as `(line, kind, path, selector)`, or `(line, Err)` when malformed.
    type Seen = (usize, Result<(Kind, Option<String>, Selector), String>);

    #[test]
    fn directives_follow_mdbook_syntax() {
        let text = "a\n{{#include ../x.rs:run_loop}}\n\\{{#include esc.rs}}\n\
                    {{ #rustdoc_include y.snap:5: }}\n{{#include}}\n{{#nope z}}";
        let seen: Vec<Seen> = find_directives(text)
            .into_iter()
            .map(|d| (d.line, d.parsed.map(|p| (p.kind, p.path, p.selector))))
            .collect();
        assert_eq!(seen.len(), 4, "{seen:?}");
        let anchor = Selector::Anchor("run_loop".into());
        assert_eq!(
            seen[0],
            (2, Ok((Kind::Include, Some("../x.rs".into()), anchor)))
        );
        let range = Selector::Range("5:".into());
        let snap = Some("y.snap".into());
        assert_eq!(seen[1], (4, Ok((Kind::RustdocInclude, snap, range))));
        assert!(matches!(seen[2], (5, Err(_))), "{:?}", seen[2]);
        assert!(matches!(seen[3], (6, Err(_))), "{:?}", seen[3]);
    }

    #[test]
    fn anchors_have_extent_and_content() {
        let source = "// ANCHOR: a\nfn a() {}\n// ANCHOR: b\n\n// ANCHOR_END: b\n\
                      // ANCHOR_END: a\n// ANCHOR: c\n";
        let anchors = find_anchors(source);
        let view: Vec<(&str, usize, Option<usize>, bool)> = anchors
            .iter()
            .map(|a| (a.name.as_str(), a.line, a.end_line, a.has_content))
            .collect();
        assert_eq!(
            view,
            vec![
                ("a", 1, Some(6), true),
                ("b", 3, Some(5), false),
                ("c", 7, None, false)
            ]
        );
    }

    #[test]
    fn snapshot_header_is_four_lines() {
        let good = "---\nsource: tests/output.rs\nexpression: stdout\n---\nHello\n";
        assert_eq!(snapshot_header_fault(good), None);
        let long = "---\nsource: tests/output.rs\nassertion_line: 9\nexpression: stdout\n---\n";
        assert_eq!(snapshot_header_fault(long).map(|f| f.0), Some(4));
        assert_eq!(snapshot_header_fault("Hello\n").map(|f| f.0), Some(1));
    }

    #[test]
    fn fences_nest_and_close_like_commonmark() {
        let text = "````md\n```rust\nx\n```\n````\n  ~~~rust,ignore\n  y\n  ~~~\n```rust\nz";
        let blocks: Vec<(usize, &str, usize)> = fenced_blocks(text)
            .iter()
            .map(|b| (b.line, b.info, b.body.len()))
            .collect();
        assert_eq!(
            blocks,
            vec![(1, "md", 3), (6, "rust,ignore", 1), (9, "rust", 1)]
        );
    }

    #[test]
    fn normalize_resolves_parent_components() {
        assert_eq!(
            normalize(Path::new("/r/book/../steps/./a.rs")),
            PathBuf::from("/r/steps/a.rs")
        );
    }
}
