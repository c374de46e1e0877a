//! Check 6: how listings look on the page.
//!
//! A reader must be able to place every listing (which step, which file) and read it
//! without a scroll bar, and every numbered chapter must end the same way, so that the
//! reader knows what was built, has something to try, and knows what comes next.

use std::fs;
use std::path::Path;

use crate::{
    Kind, Problem, Rule, Selector, chapter_number, fenced_blocks, find_anchors, find_directives,
    read_chapters, relative, target_of,
};

/// The widest line, in characters, that an included listing may show: what fits the
/// book's page (about 85 monospace characters) with a margin. A diff line has one more
/// character, its `+`, `-` or space.
pub const MAX_WIDTH: usize = 80;

/// The sections every numbered chapter ends with, in order.
pub const ENDING: [&str; 3] = ["What we built", "Try it", "What's next"];

/// Check 6: for every chapter under `root/book/`,
///
/// - no `{{#rustdoc_include}}` (it hides the rest of the file in the page);
/// - every fenced block that includes a file has, on the closest non-blank line above its
///   fence, a caption (a line with `class="caption"`) that names where the listing comes
///   from: the step (`step-NN`) for anything under `steps/step-NN/`, the diff's file name
///   (`step-NN`, `step-NN-lib`) for a step's diff,
///   and the file's path within the step (`src/lib.rs`) for source files; the path from
///   the repository root for files under `miou/`;
/// - every line an include shows is at most [`MAX_WIDTH`] characters wide (one more for a
///   `.diff`);
///
/// and every numbered chapter `book/NN-*.md` links its step's folder (`steps/step-NN`)
/// within its first 15 lines, and its last three `##` sections are [`ENDING`].
pub fn check_listings(root: &Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    for chapter in read_chapters(root, &mut problems) {
        let file = relative(root, &chapter.path);
        let lines: Vec<&str> = chapter.text.lines().collect();
        for block in fenced_blocks(&chapter.text) {
            let includes: Vec<_> = block
                .body
                .iter()
                .flat_map(|line| find_directives(line))
                .filter_map(|d| d.parsed.ok())
                .filter(|p| p.path.is_some())
                .collect();
            if includes.is_empty() {
                continue;
            }
            let caption = lines[..block.line - 1]
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .filter(|l| l.contains("class=\"caption\""));
            for parsed in &includes {
                let path = parsed.path.as_deref().expect("filtered on a path");
                let target = target_of(&chapter.path, path);
                let shown = relative(root, &target);
                let shown_text = shown.to_string_lossy().replace('\\', "/");
                if parsed.kind == Kind::RustdocInclude {
                    problems.push(Problem {
                        file: file.clone(),
                        line: Some(block.line),
                        rule: Rule::HiddenPayload,
                        message: format!(
                            "{{{{#rustdoc_include {path}}}}} ships the whole of {shown_text} \
                             hidden in the page: use {{{{#include}}}} with an anchor"
                        ),
                    });
                }
                let needed = caption_needs(&shown_text);
                match caption {
                    None => problems.push(Problem {
                        file: file.clone(),
                        line: Some(block.line),
                        rule: Rule::ListingCaption,
                        message: format!(
                            "the listing of {shown_text} has no caption: put \
                             `<p class=\"caption\">...</p>` on the line above its fence, \
                             naming {}",
                            needed.join(" and ")
                        ),
                    }),
                    Some(caption) => {
                        for word in needed.iter().filter(|w| !caption.contains(w.as_str())) {
                            problems.push(Problem {
                                file: file.clone(),
                                line: Some(block.line),
                                rule: Rule::ListingCaption,
                                message: format!(
                                    "the caption of the listing of {shown_text} does not \
                                     name `{word}`"
                                ),
                            });
                        }
                    }
                }
                let Ok(source) = fs::read_to_string(&target) else {
                    continue; // check 2 reports it
                };
                let width = MAX_WIDTH + usize::from(shown_text.ends_with(".diff"));
                for (n, line) in shown_lines(&source, &parsed.selector) {
                    let chars = line.chars().count();
                    if chars > width {
                        problems.push(Problem {
                            file: shown.clone(),
                            line: Some(n),
                            rule: Rule::LineTooWide,
                            message: format!(
                                "{chars} characters, shown by {}:{}; the page fits {width}",
                                file.display(),
                                block.line
                            ),
                        });
                    }
                }
            }
        }
        if let Some(number) = chapter_number(&chapter.path) {
            let step = format!("steps/step-{number}");
            if root.join(&step).is_dir()
                && !lines
                    .iter()
                    .take(15)
                    .any(|l| l.contains(&format!("{step})")))
            {
                problems.push(Problem {
                    file: file.clone(),
                    line: None,
                    rule: Rule::StepLink,
                    message: format!(
                        "link the step's folder near the top, e.g. \
                         [`{step}`](https://github.com/OWNER/REPO/tree/main/{step})"
                    ),
                });
            }
            let headings = section_headings(&chapter.text);
            let last: Vec<&str> = headings
                .iter()
                .rev()
                .take(3)
                .rev()
                .map(|(_, h)| *h)
                .collect();
            if last != ENDING {
                problems.push(Problem {
                    file: file.clone(),
                    line: headings.last().map(|(line, _)| *line),
                    rule: Rule::ChapterEnding,
                    message: format!(
                        "a chapter ends with the sections {ENDING:?}; its last ones are \
                         {last:?}"
                    ),
                });
            }
        }
    }
    problems
}

/// What the caption of a listing of `path` (relative to the root) must contain.
fn caption_needs(path: &str) -> Vec<String> {
    let mut parts = path.split('/');
    match (parts.next(), parts.next()) {
        (Some("steps"), Some(step)) => {
            let inner: Vec<&str> = parts.collect();
            let mut needs = vec![step.to_string()];
            if path.ends_with(".rs") {
                needs.push(inner.join("/"));
            }
            needs
        }
        (Some("book"), Some("diffs")) => {
            let name = path.rsplit('/').next().unwrap_or(path);
            vec![name.trim_end_matches(".diff").to_string()]
        }
        _ => vec![path.to_string()],
    }
}

/// The lines of `source` an include with `selector` shows, with their 1-based numbers.
fn shown_lines<'a>(source: &'a str, selector: &Selector) -> Vec<(usize, &'a str)> {
    let all: Vec<(usize, &str)> = source
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .collect();
    let is_marker = |l: &str| l.contains("ANCHOR:") || l.contains("ANCHOR_END:");
    match selector {
        Selector::Whole => all.into_iter().filter(|(_, l)| !is_marker(l)).collect(),
        Selector::Anchor(name) => match find_anchors(source).iter().find(|a| &a.name == name) {
            Some(anchor) => {
                let end = anchor.end_line.unwrap_or(all.len() + 1);
                all.into_iter()
                    .filter(|(n, l)| *n > anchor.line && *n < end && !is_marker(l))
                    .collect()
            }
            None => Vec::new(),
        },
        Selector::Range(range) => {
            let mut bounds = range.splitn(2, ':');
            let from = bounds.next().and_then(|b| b.parse().ok()).unwrap_or(1);
            let to = bounds
                .next()
                .and_then(|b| b.parse().ok())
                .unwrap_or(usize::MAX);
            all.into_iter()
                .filter(|(n, _)| *n >= from && *n <= to)
                .collect()
        }
    }
}

/// The `## ` headings of a chapter outside code blocks, with their 1-based lines.
fn section_headings(text: &str) -> Vec<(usize, &str)> {
    let fenced: Vec<(usize, usize)> = fenced_blocks(text)
        .iter()
        .map(|b| (b.line, b.line + b.body.len() + 1))
        .collect();
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(n, _)| !fenced.iter().any(|(a, b)| n >= a && n <= b))
        .filter_map(|(n, l)| l.strip_prefix("## ").map(|h| (n, h.trim())))
        .collect()
}
