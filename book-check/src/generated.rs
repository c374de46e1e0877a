//! Check 7: what the book shows that is generated from the code, and the command that
//! generates it.
//!
//! Two kinds of file are generated, never edited by hand:
//!
//! - `book/diffs/step-NN.diff`: the change from step NN-1 to step NN, as a unified diff
//!   of the two steps' `src/` folders (the code the chapters teach; the demo program in
//!   `demo/` and the tests are left out). Chapter NN shows it. Beside it,
//!   `step-NN-lib.diff` holds the change to `src/lib.rs` alone, the scheduler, for a
//!   chapter that shows it where it explains it.
//! - `book/pictures/NAME.svg`: a picture drawn by the `timeline` crate from the trace of
//!   a real run, which a step's `demo/runs.rs` produces (`cargo run -p step-NN --
//!   --trace NAME` prints it), or for `miou-*.svg` a run of a miou example
//!   ([`steps::miou_pictures`](crate::steps)). A chapter shows it with
//!   `![alt](pictures/NAME.svg)`. A picture of a run that varies (threads, sockets) is
//!   not compared byte for byte: a difference is only noted.
//!
//! [`write_generated`] (run by `cargo run -p book-check --bin regenerate`) writes them;
//! [`check_generated`] generates them in memory and fails on any difference, so a step
//! edited without regenerating, or a picture of a run the code no longer does, fails the
//! tests.
//!
//! A third kind is generated but not from the code alone: `book/plots/NAME.svg`, a plot
//! of measured figures (`cargo run --release -p bench -- --tuning
//! book/plots/tuning.svg`), which changes with the machine and the day. The check only
//! asks that every plot a chapter shows exists and has alternative text
//! ([`Rule::PlotMissing`]) and that every file of `book/plots/` is shown
//! ([`Rule::PlotUnused`]); it never reads a plot's content, and `regenerate` leaves the
//! folder alone.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::{Chapter, Problem, Rule, chapter_number, files_ending_with, read_chapters, relative};

/// A picture of the book: the name of its SVG (without `.svg`) and the trace of the run
/// it is drawn from, in the `timeline` crate's text format.
#[derive(Clone, Debug)]
pub struct Picture {
    /// The file name under `book/pictures/`, without `.svg`.
    pub name: String,
    /// The run's trace.
    pub trace: String,
    /// Why the run differs from one time to the next, if it does (real
    /// sockets, threads): such a picture is checked to exist and to draw from
    /// a fresh run's trace, not compared byte for byte.
    pub varies: Option<String>,
}

/// The folder of generated diffs, relative to the root.
pub const DIFFS: &str = "book/diffs";
/// The folder of generated pictures, relative to the root.
pub const PICTURES: &str = "book/pictures";
/// The folder of plots of measured data, relative to the root (never compared).
pub const PLOTS: &str = "book/plots";

/// The steps under `root/steps/`, by number, sorted.
fn steps(root: &Path) -> Vec<u32> {
    let mut numbers: Vec<u32> = fs::read_dir(root.join("steps"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_prefix("step-")?.parse().ok()
        })
        .collect();
    numbers.sort_unstable();
    numbers
}

/// The files under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    files_ending_with(dir, "")
        .into_iter()
        .filter_map(|p| p.strip_prefix(dir).ok().map(Path::to_path_buf))
        .collect()
}

/// The unified diff (three lines of context) from `steps/step-{from}/src` to
/// `steps/step-{to}/src`, file by file in path order; a file on one side only is diffed
/// against `/dev/null`. With `only`, just that file of `src/`. Anchor markers are left out
/// (the chapters never show them).
pub fn step_diff(root: &Path, from: u32, to: u32, only: Option<&str>) -> String {
    let old_dir = format!("steps/step-{from:02}/src");
    let new_dir = format!("steps/step-{to:02}/src");
    let mut files = files_under(&root.join(&old_dir));
    files.extend(files_under(&root.join(&new_dir)));
    files.sort();
    files.dedup();
    if let Some(only) = only {
        files.retain(|f| f == Path::new(only));
    }
    let mut out = String::new();
    for file in files {
        let name = file.to_string_lossy().replace('\\', "/");
        let read = |dir: &str| fs::read_to_string(root.join(dir).join(&file)).ok();
        let (old, new) = (read(&old_dir), read(&new_dir));
        if old == new {
            continue;
        }
        let label = |dir: &str, side: &Option<String>| match side {
            Some(_) => format!("{dir}/{name}"),
            None => "/dev/null".to_string(),
        };
        let (old_label, new_label) = (label(&old_dir, &old), label(&new_dir, &new));
        let (old, new) = (
            without_anchors(&old.unwrap_or_default()),
            without_anchors(&new.unwrap_or_default()),
        );
        let diff = TextDiff::from_lines(&old, &new);
        out += &diff
            .unified_diff()
            .context_radius(3)
            .header(&old_label, &new_label)
            .to_string();
    }
    out
}

/// `source` without its `// ANCHOR:` and `// ANCHOR_END:` marker lines: the chapters never
/// show them, and a step that stops including a region would otherwise show its markers'
/// removal as part of its change.
fn without_anchors(source: &str) -> String {
    source
        .split_inclusive('\n')
        .filter(|line| {
            let line = line.trim_start();
            !(line.starts_with("// ANCHOR:") || line.starts_with("// ANCHOR_END:"))
        })
        .collect()
}

/// Every generated file, by path relative to the root: the diff of each step from the
/// previous one, and each picture rendered from its trace. A trace that does not parse
/// is a problem instead.
pub fn generate(root: &Path, pictures: &[Picture]) -> (BTreeMap<PathBuf, String>, Vec<Problem>) {
    let mut files = BTreeMap::new();
    let mut problems = Vec::new();
    let steps = steps(root);
    for pair in steps.windows(2) {
        if pair[1] == pair[0] + 1 {
            // The whole change, and the change to the scheduler alone.
            let path = Path::new(DIFFS).join(format!("step-{:02}.diff", pair[1]));
            files.insert(path, step_diff(root, pair[0], pair[1], None));
            let path = Path::new(DIFFS).join(format!("step-{:02}-lib.diff", pair[1]));
            files.insert(path, step_diff(root, pair[0], pair[1], Some("lib.rs")));
        }
    }
    for picture in pictures {
        let path = Path::new(PICTURES).join(format!("{}.svg", picture.name));
        match timeline::parse(&picture.trace) {
            Ok(trace) => {
                files.insert(path, timeline::render(&trace));
            }
            Err(e) => problems.push(Problem {
                file: path,
                line: None,
                rule: Rule::GeneratedStale,
                message: format!(
                    "the trace of picture `{}` does not parse: {e}",
                    picture.name
                ),
            }),
        }
    }
    (files, problems)
}

/// The files now under the generated folders, relative to the root.
fn committed(root: &Path) -> Vec<PathBuf> {
    [DIFFS, PICTURES]
        .iter()
        .flat_map(|dir| {
            files_under(&root.join(dir))
                .into_iter()
                .map(move |f| Path::new(dir).join(f))
        })
        .collect()
}

/// Check 7: every generated file is committed as generated ([`Rule::GeneratedStale`]),
/// nothing else lies in the generated folders ([`Rule::GeneratedUnknown`]), chapter NN
/// shows `diffs/step-NN.diff` ([`Rule::DiffNotShown`]), every picture is shown by some
/// chapter ([`Rule::PictureUnused`]), and every picture a chapter shows exists and has
/// alternative text ([`Rule::PictureMissing`]); likewise for the plots of `book/plots/`
/// ([`Rule::PlotUnused`], [`Rule::PlotMissing`]), which are checked to exist, never
/// compared.
pub fn check_generated(root: &Path, pictures: &[Picture]) -> Vec<Problem> {
    let (files, mut problems) = generate(root, pictures);
    let regenerate = "run `cargo run -p book-check --bin regenerate` and commit the result";
    for (path, content) in &files {
        let varies = pictures
            .iter()
            .find(|p| Path::new(PICTURES).join(format!("{}.svg", p.name)) == *path)
            .and_then(|p| p.varies.as_deref());
        match fs::read_to_string(root.join(path)) {
            Ok(on_disk) if &on_disk == content => {}
            Ok(_) if varies.is_some() => {
                // Said, not skipped silently: the test's output shows it.
                eprintln!(
                    "book-check: {} is not compared byte for byte: {}",
                    path.display(),
                    varies.unwrap_or_default()
                );
            }
            Ok(_) => problems.push(Problem {
                file: path.clone(),
                line: None,
                rule: Rule::GeneratedStale,
                message: format!("differs from what the code generates now: {regenerate}"),
            }),
            Err(_) => problems.push(Problem {
                file: path.clone(),
                line: None,
                rule: Rule::GeneratedStale,
                message: format!("is missing: {regenerate}"),
            }),
        }
    }
    for path in committed(root) {
        if !files.contains_key(&path) {
            problems.push(Problem {
                file: path,
                line: None,
                rule: Rule::GeneratedUnknown,
                message: format!("nothing generates this file: {regenerate} (it removes it)"),
            });
        }
    }
    let chapters = read_chapters(root, &mut problems);
    for chapter in &chapters {
        let file = relative(root, &chapter.path);
        if let Some(number) = chapter_number(&chapter.path) {
            let diff = format!("step-{number}.diff");
            let generated = files.contains_key(&Path::new(DIFFS).join(&diff));
            if generated && !chapter.text.contains(&format!("diffs/{diff}")) {
                problems.push(Problem {
                    file: file.clone(),
                    line: None,
                    rule: Rule::DiffNotShown,
                    message: format!(
                        "show the step's change: a ```diff block including diffs/{diff}"
                    ),
                });
            }
        }
        for (line, alt, name) in images(&chapter.text, "pictures/") {
            let path = Path::new(PICTURES).join(&name);
            let problem = |message: String| Problem {
                file: file.clone(),
                line: Some(line),
                rule: Rule::PictureMissing,
                message,
            };
            if !files.contains_key(&path) {
                problems.push(problem(format!(
                    "shows pictures/{name}, which no step's trace generates"
                )));
            }
            if alt.trim().is_empty() {
                problems.push(problem(format!(
                    "pictures/{name} has no alternative text: ![what it shows](...)"
                )));
            }
        }
    }
    for path in files.keys().filter(|p| p.starts_with(PICTURES)) {
        let name = path.file_name().expect("a file").to_string_lossy();
        let shown = chapters.iter().any(|c| {
            images(&c.text, "pictures/")
                .iter()
                .any(|(_, _, n)| *n == name)
        });
        if !shown {
            problems.push(Problem {
                file: path.clone(),
                line: None,
                rule: Rule::PictureUnused,
                message: "no chapter shows this picture (`![alt](pictures/NAME.svg)`)".into(),
            });
        }
    }
    problems.extend(check_plots(root, &chapters));
    problems
}

/// The plots half of check 7: what the chapters show from `plots/` exists under
/// `book/plots/` and has alternative text; every file there is shown.
fn check_plots(root: &Path, chapters: &[Chapter]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let on_disk = files_under(&root.join(PLOTS));
    let mut shown = Vec::new();
    for chapter in chapters {
        let file = relative(root, &chapter.path);
        for (line, alt, name) in images(&chapter.text, "plots/") {
            let problem = |message: String| Problem {
                file: file.clone(),
                line: Some(line),
                rule: Rule::PlotMissing,
                message,
            };
            if !on_disk.contains(&PathBuf::from(&name)) {
                problems.push(problem(format!(
                    "shows plots/{name}, which is not in {PLOTS}/: draw it (e.g. `cargo \
                     run --release -p bench -- --tuning book/plots/tuning.svg`)"
                )));
            }
            if alt.trim().is_empty() {
                problems.push(problem(format!(
                    "plots/{name} has no alternative text: ![what it shows](...)"
                )));
            }
            shown.push(PathBuf::from(name));
        }
    }
    for name in on_disk.iter().filter(|n| !shown.contains(n)) {
        problems.push(Problem {
            file: Path::new(PLOTS).join(name),
            line: None,
            rule: Rule::PlotUnused,
            message: "no chapter shows this plot (`![alt](plots/NAME.svg)`): show it or \
                      remove it"
                .into(),
        });
    }
    problems
}

/// The images of a chapter whose target starts with `folder` (`pictures/`, `plots/`):
/// line, alternative text (which may run over several lines), file name within it.
fn images(text: &str, folder: &str) -> Vec<(usize, String, String)> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(start) = text[at..].find("![") {
        let open = at + start;
        at = open + 2;
        let Some(close) = text[at..].find("](") else {
            break;
        };
        let alt = &text[at..at + close];
        let target = at + close + 2;
        let Some(end) = text[target..].find(')') else {
            break;
        };
        if let Some(name) = text[target..target + end].strip_prefix(folder) {
            let line = text[..open].matches('\n').count() + 1;
            found.push((
                line,
                alt.split_whitespace().collect::<Vec<_>>().join(" "),
                name.to_string(),
            ));
        }
        at = target + end;
    }
    found
}

/// Writes every generated file under `root` and removes the files of the generated
/// folders that nothing generates any more. Returns the paths written (relative to the
/// root), or the traces that do not parse.
pub fn write_generated(root: &Path, pictures: &[Picture]) -> Result<Vec<PathBuf>, Vec<Problem>> {
    let (files, problems) = generate(root, pictures);
    if !problems.is_empty() {
        return Err(problems);
    }
    let io = |path: &Path, e: std::io::Error| {
        vec![Problem {
            file: path.to_path_buf(),
            line: None,
            rule: Rule::GeneratedStale,
            message: format!("cannot write: {e}"),
        }]
    };
    for path in committed(root) {
        if !files.contains_key(&path) {
            fs::remove_file(root.join(&path)).map_err(|e| io(&path, e))?;
        }
    }
    let mut written = Vec::new();
    for (path, content) in &files {
        let full = root.join(path);
        if let Some(dir) = full.parent() {
            fs::create_dir_all(dir).map_err(|e| io(path, e))?;
        }
        if fs::read_to_string(&full).ok().as_deref() != Some(content) {
            fs::write(&full, content).map_err(|e| io(path, e))?;
            written.push(path.clone());
        }
    }
    Ok(written)
}
