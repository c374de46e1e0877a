//! Drawing a [`Trace`] as a self-contained SVG: a title, a legend, then one lane per
//! domain, each a grid of turns (columns) by tasks (rows), wrapped into blocks of
//! [`TURNS_PER_BLOCK`] turns.
//!
//! Every coordinate is an integer and every size is computed from character counts
//! (monospace text is assumed 0.6 em wide), so the output depends on the trace alone.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::model::{StopKind, Task, Trace, Turn};

/// The most turns one block of a lane shows; turns 21, 22... go to a second block below
/// the first (with its own row labels), and so on.
///
/// ```
/// assert_eq!(timeline::TURNS_PER_BLOCK, 20);
/// ```
pub const TURNS_PER_BLOCK: usize = 20;

/// The widest picture, in pixels: wide traces wrap into blocks rather than grow.
///
/// ```
/// assert_eq!(timeline::MAX_WIDTH, 760);
/// ```
pub const MAX_WIDTH: i32 = 760;

const PAD: i32 = 12;
const TITLE_SIZE: i32 = 15;
const LEGEND_SIZE: i32 = 11;
const SWATCH: i32 = 12;
const LANE_SIZE: i32 = 12;
const LABEL_SIZE: i32 = 11;
const NUMBER_SIZE: i32 = 9;
const CELL_SIZE: i32 = 10;
const QUEUE_SIZE: i32 = 9;
const QUEUE_LINE: i32 = 10;
/// The longest queue drawn in full; a longer one ends with `+N`.
const QUEUE_SHOWN: usize = 6;
const ROW_H: i32 = 20;
const HEAD_H: i32 = 14;
const MIN_LABEL_W: i32 = 48;
const MAX_LABEL_W: i32 = 96;
const MIN_CELL_W: i32 = 32;
const MAX_CELL_W: i32 = 64;
const BLOCK_GAP: i32 = 14;
const LANE_GAP: i32 = 10;

/// The legend's line about queues, when the trace has some.
const QUEUE_NOTE: &str = "Under each turn: the run queue after it, front first.";

const INK: &str = "#1f2328";
const SOFT_INK: &str = "#57606a";
const FAINT_INK: &str = "#8c959f";
const GRID: &str = "#d8dee4";
const STRIPE: &str = "#f6f8fa";

/// The fill, the stroke and the dash pattern (`failed` is dashed, so that it does not
/// rest on color alone) of a kind's cells.
fn style(kind: StopKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        StopKind::Yield => ("#dbe9f8", "#3a6ea5", ""),
        StopKind::Wait => ("#fbebc5", "#a0701a", ""),
        StopKind::Done => ("#d6efdc", "#2e7d4f", ""),
        StopKind::Failed => ("#f9d9d6", "#b3362c", " stroke-dasharray=\"3 2\""),
        StopKind::Other => ("#eceff1", "#7a8590", ""),
    }
}

/// Draws `trace` as an SVG document (UTF-8 text, no trailing newline needed by anyone but
/// ending with one).
///
/// The picture has a white background, the trace's title as its first child `<title>`
/// and its description as `<desc>` (both named by `aria-labelledby`), the title again as
/// a heading, a legend of the stop kinds that occur, and one lane per domain, each
/// headed by its label when there are several. A lane is a grid: one column per turn, numbered from 1 at
/// the top; one row per task that ran or was queued on the domain, in declaration order.
/// The cell of the task that ran is filled with its stop kind's color and shows the stop
/// point, shortened to its first word or cut with `…` when it does not fit; its tooltip
/// has the full stop point and the note. Under each column, the run queue after the turn
/// when the trace gives it (front first; `–` for an empty queue). A lane with more than
/// [`TURNS_PER_BLOCK`] turns wraps into several blocks.
///
/// ```
/// let trace = timeline::Trace::new("One turn", "A task runs once and finishes.")
///     .task("a", "A & co")
///     .turn("0", "a", "done");
/// let svg = timeline::render(&trace);
/// assert!(svg.starts_with("<svg "));
/// assert!(svg.contains("role=\"img\""));
/// assert!(svg.contains(">A &amp; co<"));
/// assert_eq!(svg.matches("class=\"cell\"").count(), 1);
/// ```
pub fn render(trace: &Trace) -> String {
    Layout::new(trace).draw(trace)
}

/// A domain's turns and the tasks to draw rows for.
struct Lane<'a> {
    label: &'a str,
    id: &'a str,
    turns: Vec<&'a Turn>,
    rows: Vec<&'a Task>,
}

impl<'a> Lane<'a> {
    fn row_of(&self, task: &str) -> Option<usize> {
        self.rows.iter().position(|t| t.id == task)
    }
}

/// The sizes that the whole picture shares, so that lanes and blocks line up.
struct Layout<'a> {
    lanes: Vec<Lane<'a>>,
    label_w: i32,
    cell_w: i32,
    width: i32,
    kinds: Vec<StopKind>,
    has_queues: bool,
}

impl<'a> Layout<'a> {
    fn new(trace: &'a Trace) -> Layout<'a> {
        let lanes: Vec<Lane<'a>> = trace
            .domains()
            .iter()
            .map(|d| {
                let turns: Vec<&Turn> = trace.turns_on(&d.id).collect();
                let used: HashSet<&str> = turns
                    .iter()
                    .flat_map(|t| std::iter::once(&t.task).chain(t.queue.iter().flatten()))
                    .map(String::as_str)
                    .collect();
                let rows = trace
                    .tasks()
                    .iter()
                    .filter(|t| used.contains(t.id.as_str()))
                    .collect();
                Lane {
                    label: &d.label,
                    id: &d.id,
                    turns,
                    rows,
                }
            })
            .collect();
        let longest_label = lanes
            .iter()
            .flat_map(|l| l.rows.iter().map(|t| chars(&t.label)))
            .chain([chars("queue")])
            .max()
            .unwrap_or(0);
        let label_w = (mono_width(longest_label, LABEL_SIZE) + 14).clamp(MIN_LABEL_W, MAX_LABEL_W);
        let columns = lanes
            .iter()
            .map(|l| l.turns.len().min(TURNS_PER_BLOCK))
            .max()
            .unwrap_or(0)
            .max(1) as i32;
        let cell_w = ((MAX_WIDTH - 2 * PAD - label_w) / columns).clamp(MIN_CELL_W, MAX_CELL_W);
        let kinds: Vec<StopKind> = StopKind::ALL
            .into_iter()
            .filter(|k| trace.turns().iter().any(|t| t.kind() == *k))
            .collect();
        let has_queues = trace.turns().iter().any(|t| t.queue.is_some());
        let grid = 2 * PAD + label_w + columns * cell_w;
        let title = 2 * PAD + bold_width(trace.title(), TITLE_SIZE);
        let legend = 2 * PAD + legend_width(&kinds);
        let queue_note = if has_queues {
            2 * PAD + sans_width(QUEUE_NOTE, LEGEND_SIZE)
        } else {
            0
        };
        let width = grid
            .max(title)
            .max(legend)
            .max(queue_note)
            .clamp(240, MAX_WIDTH);
        Layout {
            lanes,
            label_w,
            cell_w,
            width,
            kinds,
            has_queues,
        }
    }

    fn draw(&self, trace: &Trace) -> String {
        let id = format!("timeline-{:08x}", fnv1a(&trace.to_text()));
        let mut body = String::new();
        let mut y = PAD;

        // The heading.
        let mut title = trace.title().to_string();
        let mut cut = chars(&title);
        while cut > 1 && bold_width(&title, TITLE_SIZE) > self.width - 2 * PAD {
            cut -= 1;
            title = shorten(trace.title(), cut);
        }
        let _ = writeln!(
            body,
            r#"<text x="{PAD}" y="{}" font-family="sans-serif" font-size="{TITLE_SIZE}" font-weight="bold" fill="{INK}">{}</text>"#,
            y + TITLE_SIZE,
            esc(&title)
        );
        y += TITLE_SIZE + 10;

        // The legend: one swatch per kind that occurs, with its name.
        if !self.kinds.is_empty() {
            let mut x = PAD;
            for &kind in &self.kinds {
                let w = legend_item_width(kind);
                if x + w > self.width - PAD && x > PAD {
                    x = PAD;
                    y += SWATCH + 6;
                }
                let (fill, stroke, dash) = style(kind);
                let _ = writeln!(
                    body,
                    r#"<rect x="{x}" y="{y}" width="{SWATCH}" height="{SWATCH}" rx="2" fill="{fill}" stroke="{stroke}"{dash}/>"#
                );
                let _ = writeln!(
                    body,
                    r#"<text x="{}" y="{}" font-family="sans-serif" font-size="{LEGEND_SIZE}" fill="{SOFT_INK}">{}</text>"#,
                    x + SWATCH + 5,
                    y + SWATCH - 2,
                    esc(kind.legend())
                );
                x += w;
            }
            y += SWATCH + 6;
        }
        if self.has_queues {
            let _ = writeln!(
                body,
                r#"<text x="{PAD}" y="{}" font-family="sans-serif" font-size="{LEGEND_SIZE}" fill="{SOFT_INK}">{QUEUE_NOTE}</text>"#,
                y + LEGEND_SIZE,
            );
            y += LEGEND_SIZE + 6;
        }
        y += 8;

        if self.lanes.is_empty() {
            let _ = writeln!(
                body,
                r#"<text x="{PAD}" y="{}" font-family="sans-serif" font-size="{LEGEND_SIZE}" fill="{SOFT_INK}">No turns.</text>"#,
                y + LEGEND_SIZE
            );
            y += LEGEND_SIZE + BLOCK_GAP;
        }
        let show_lane_heads = self.lanes.len() > 1;
        for (i, lane) in self.lanes.iter().enumerate() {
            if i > 0 {
                let _ = writeln!(
                    body,
                    r#"<path d="M{PAD} {y}H{}" stroke="{GRID}" shape-rendering="crispEdges"/>"#,
                    self.width - PAD
                );
                y += LANE_GAP;
            }
            let _ = writeln!(body, r#"<g class="lane" data-domain="{}">"#, esc(lane.id));
            if show_lane_heads {
                let _ = writeln!(
                    body,
                    r#"<text x="{PAD}" y="{}" font-family="sans-serif" font-size="{LANE_SIZE}" font-weight="bold" fill="{INK}">{}</text>"#,
                    y + LANE_SIZE,
                    esc(&shorten(lane.label, 80))
                );
                y += LANE_SIZE + 8;
            }
            if lane.turns.is_empty() {
                let _ = writeln!(
                    body,
                    r#"<text x="{PAD}" y="{}" font-family="sans-serif" font-size="{LEGEND_SIZE}" fill="{SOFT_INK}">No turns.</text>"#,
                    y + LEGEND_SIZE
                );
                y += LEGEND_SIZE + BLOCK_GAP;
            }
            for (b, block) in lane.turns.chunks(TURNS_PER_BLOCK).enumerate() {
                y = self.block(&mut body, lane, b * TURNS_PER_BLOCK, block, y);
                y += BLOCK_GAP;
            }
            body.push_str("</g>\n");
        }
        let height = y - BLOCK_GAP + PAD;
        let width = self.width;

        let mut svg = String::with_capacity(body.len() + 1024);
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}-title {id}-desc">"#
        );
        let _ = writeln!(
            svg,
            r#"<title id="{id}-title">{}</title>"#,
            esc(trace.title())
        );
        let _ = writeln!(
            svg,
            r#"<desc id="{id}-desc">{}</desc>"#,
            esc(trace.description())
        );
        let _ = writeln!(
            svg,
            r##"<rect width="{width}" height="{height}" fill="#ffffff"/>"##
        );
        svg.push_str(&body);
        svg.push_str("</svg>\n");
        svg
    }

    /// Draws one block of a lane (turns `first + 1 ..`) from `y` down; returns the `y`
    /// under it.
    fn block(
        &self,
        out: &mut String,
        lane: &Lane,
        first: usize,
        turns: &[&Turn],
        mut y: i32,
    ) -> i32 {
        let x0 = PAD + self.label_w;
        let cw = self.cell_w;
        let rows = lane.rows.len() as i32;
        let cols = turns.len() as i32;
        let grid_w = cols * cw;
        let _ = writeln!(out, r#"<g class="block" data-first-turn="{}">"#, first + 1);

        // Turn numbers.
        for i in 0..cols {
            let _ = writeln!(
                out,
                r#"<text class="turn-number" x="{}" y="{}" text-anchor="middle" font-family="monospace" font-size="{NUMBER_SIZE}" fill="{FAINT_INK}">{}</text>"#,
                x0 + i * cw + cw / 2,
                y + HEAD_H - 4,
                first + i as usize + 1
            );
        }
        y += HEAD_H;

        // Row stripes and labels.
        let label_chars = ((self.label_w - 10) * 10 / (LABEL_SIZE * 6)) as usize;
        for (r, task) in lane.rows.iter().enumerate() {
            let ry = y + r as i32 * ROW_H;
            if r % 2 == 1 {
                let _ = writeln!(
                    out,
                    r#"<rect x="{x0}" y="{ry}" width="{grid_w}" height="{ROW_H}" fill="{STRIPE}"/>"#
                );
            }
            let shown = shorten(&task.label, label_chars);
            let tip = if shown == task.label {
                String::new()
            } else {
                format!("<title>{}</title>", esc(&task.label))
            };
            let _ = writeln!(
                out,
                r#"<text class="row-label" x="{}" y="{}" text-anchor="end" font-family="monospace" font-size="{LABEL_SIZE}" fill="{INK}">{tip}{}</text>"#,
                x0 - 8,
                ry + ROW_H / 2 + 4,
                esc(&shown)
            );
        }

        // The grid lines, in one path.
        let mut d = String::new();
        for r in 0..=rows {
            let _ = write!(d, "M{x0} {}H{}", y + r * ROW_H, x0 + grid_w);
        }
        for c in 0..=cols {
            let _ = write!(d, "M{} {y}V{}", x0 + c * cw, y + rows * ROW_H);
        }
        let _ = writeln!(
            out,
            r#"<path d="{d}" fill="none" stroke="{GRID}" shape-rendering="crispEdges"/>"#
        );

        // The cells of the tasks that ran. Narrow cells take a smaller font, so that five
        // characters (`yield`, `print`) still fit.
        // Narrow cells also leave less room around the box.
        let (size, inset) = if cw >= 40 {
            (CELL_SIZE, 2)
        } else {
            (CELL_SIZE - 1, 1)
        };
        let stop_chars = ((cw - 4) * 10 / (size * 6)) as usize;
        for (i, turn) in turns.iter().enumerate() {
            let Some(r) = lane.row_of(&turn.task) else {
                continue;
            };
            let number = first + i + 1;
            let (cx, cy) = (x0 + i as i32 * cw, y + r as i32 * ROW_H);
            let kind = turn.kind();
            let (fill, stroke, dash) = style(kind);
            let label = &lane.rows[r].label;
            let mut tip = format!("turn {number}: {label} stopped at {}", turn.stop);
            if let Some(note) = &turn.note {
                tip.push_str(" — ");
                tip.push_str(note);
            }
            let _ = writeln!(
                out,
                r#"<g class="cell" data-turn="{number}" data-task="{}" data-kind="{}"><title>{}</title>"#,
                esc(&turn.task),
                kind_class(kind),
                esc(&tip)
            );
            let _ = writeln!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="{fill}" stroke="{stroke}"{dash}/>"#,
                cx + inset,
                cy + 2,
                cw - 2 * inset,
                ROW_H - 4
            );
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle" font-family="monospace" font-size="{size}" fill="{INK}">{}</text>"#,
                cx + cw / 2,
                cy + ROW_H / 2 + 4,
                esc(&abbreviate(&turn.stop, stop_chars))
            );
            out.push_str("</g>\n");
        }
        y += rows * ROW_H;

        // The run queue after each turn, when the trace gives it.
        let lines = turns
            .iter()
            .filter_map(|t| t.queue.as_ref())
            .map(|q| q.len().clamp(1, QUEUE_SHOWN) as i32)
            .max();
        if let Some(lines) = lines {
            y += 4;
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="end" font-family="sans-serif" font-size="{QUEUE_SIZE}" font-style="italic" fill="{SOFT_INK}">queue</text>"#,
                x0 - 8,
                y + QUEUE_SIZE
            );
            let queue_chars = ((cw - 2) * 10 / (QUEUE_SIZE * 6)) as usize;
            for (i, turn) in turns.iter().enumerate() {
                let Some(queue) = &turn.queue else { continue };
                let number = first + i + 1;
                let x = x0 + i as i32 * cw + cw / 2;
                let names: Vec<&str> = queue
                    .iter()
                    .map(|id| {
                        lane.rows
                            .iter()
                            .find(|t| t.id == *id)
                            .map_or(id.as_str(), |t| t.label.as_str())
                    })
                    .collect();
                let tip = if names.is_empty() {
                    format!("run queue after turn {number}: empty")
                } else {
                    format!("run queue after turn {number}: {}", names.join(", "))
                };
                let _ = writeln!(
                    out,
                    r#"<g class="queue" data-turn="{number}"><title>{}</title>"#,
                    esc(&tip)
                );
                let mut shown: Vec<String> = if names.len() > QUEUE_SHOWN {
                    let mut v: Vec<String> = names[..QUEUE_SHOWN - 1]
                        .iter()
                        .map(|n| shorten(n, queue_chars))
                        .collect();
                    v.push(format!("+{}", names.len() - (QUEUE_SHOWN - 1)));
                    v
                } else {
                    names.iter().map(|n| shorten(n, queue_chars)).collect()
                };
                if shown.is_empty() {
                    shown.push("–".to_string());
                }
                for (k, name) in shown.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        r#"<text x="{x}" y="{}" text-anchor="middle" font-family="monospace" font-size="{QUEUE_SIZE}" fill="{SOFT_INK}">{}</text>"#,
                        y + QUEUE_SIZE + k as i32 * QUEUE_LINE,
                        esc(name)
                    );
                }
                out.push_str("</g>\n");
            }
            y += lines * QUEUE_LINE + 2;
        }
        out.push_str("</g>\n");
        y
    }
}

/// The `data-kind` of a cell: a stable, lowercase name of its kind.
fn kind_class(kind: StopKind) -> &'static str {
    match kind {
        StopKind::Yield => "yield",
        StopKind::Wait => "wait",
        StopKind::Done => "done",
        StopKind::Failed => "failed",
        StopKind::Other => "other",
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// The width of `n` monospace characters (0.6 em each), rounded up.
fn mono_width(n: usize, size: i32) -> i32 {
    (n as i32 * size * 6 + 9) / 10
}

/// An estimate of the width of `text` in a sans-serif font of `size` pixels (bold
/// included), from rough per-character widths in thousandths of an em, rounded up.
fn sans_width(text: &str, size: i32) -> i32 {
    let milli: i32 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 300,
            ' ' | 'f' | 't' | 'r' | '/' | '(' | ')' | '-' | 'I' => 380,
            'm' | 'w' | 'M' | 'W' => 900,
            'A'..='Z' => 720,
            _ => 610,
        })
        .sum();
    (milli * size + 999) / 1000
}

/// The same for bold text, about a tenth wider.
fn bold_width(text: &str, size: i32) -> i32 {
    sans_width(text, size) * 11 / 10
}

fn legend_item_width(kind: StopKind) -> i32 {
    SWATCH + 5 + sans_width(kind.legend(), LEGEND_SIZE) + 14
}

fn legend_width(kinds: &[StopKind]) -> i32 {
    kinds.iter().map(|&k| legend_item_width(k)).sum()
}

/// `text` if it has at most `max` characters, else its first `max - 1` and `…`.
fn shorten(text: &str, max: usize) -> String {
    if chars(text) <= max {
        text.to_string()
    } else if max == 0 {
        String::new()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

/// A stop point in at most `max` characters: whole if it fits, else its first word,
/// else the first word cut with `…`.
fn abbreviate(stop: &str, max: usize) -> String {
    if chars(stop) <= max {
        return stop.to_string();
    }
    let word = stop.split_whitespace().next().unwrap_or(stop);
    shorten(word, max)
}

/// `text` with XML's special characters escaped, and the control characters XML forbids
/// replaced with U+FFFD.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// FNV-1a, for ids that are the same on every machine and differ between traces.
fn fnv1a(text: &str) -> u32 {
    text.bytes()
        .fold(0x811c_9dc5, |h, b| (h ^ b as u32).wrapping_mul(0x0100_0193))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two tasks, three turns: a, b, a (worked out by hand: the cells are (turn 1, a),
    /// (turn 2, b), (turn 3, a)).
    fn two_tasks() -> Trace {
        Trace::new("Two tasks", "a, b, a.")
            .task("a", "A")
            .task("b", "B")
            .turn("0", "a", "yield")
            .queue("0", &["b", "a"])
            .turn("0", "b", "done")
            .queue("0", &["a"])
            .turn("0", "a", "done")
            .queue("0", &[])
    }

    /// The cells of `svg` as (turn, task, kind), in document order.
    fn cells(svg: &str) -> Vec<(usize, String, String)> {
        svg.split("<g class=\"cell\" ")
            .skip(1)
            .map(|rest| {
                let attr = |name: &str| {
                    let start = rest.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                    let end = start + rest[start..].find('"').unwrap();
                    rest[start..end].to_string()
                };
                (
                    attr("data-turn").parse().unwrap(),
                    attr("data-task"),
                    attr("data-kind"),
                )
            })
            .collect()
    }

    #[test]
    fn three_turns_give_three_cells_in_their_columns() {
        let svg = render(&two_tasks());
        assert_eq!(
            cells(&svg),
            [
                (1, "a".to_string(), "yield".to_string()),
                (2, "b".to_string(), "done".to_string()),
                (3, "a".to_string(), "done".to_string()),
            ]
        );
        // One column per turn, numbered 1 to 3.
        assert_eq!(svg.matches("class=\"turn-number\"").count(), 3);
        assert!(svg.contains(">3</text>"));
        assert!(!svg.contains(">4</text>"));
        // Two rows.
        assert_eq!(svg.matches("class=\"row-label\"").count(), 2);
    }

    #[test]
    fn cells_sit_in_their_column_and_row() {
        let trace = two_tasks();
        let layout = Layout::new(&trace);
        let svg = render(&trace);
        // The third turn's cell: column 3, row 1 (a), inset by 2 pixels.
        let x = PAD + layout.label_w + 2 * layout.cell_w + 2;
        let turn_3 = svg.split("data-turn=\"3\" data-task=\"a\"").nth(1).unwrap();
        assert!(turn_3.contains(&format!("<rect x=\"{x}\" ")));
        // Three columns that share the widest width a cell may have.
        assert_eq!(layout.cell_w, MAX_CELL_W);
    }

    #[test]
    fn the_queue_is_drawn_under_each_turn_front_first() {
        let svg = render(&two_tasks());
        assert_eq!(svg.matches("<g class=\"queue\"").count(), 3);
        assert!(svg.contains("<title>run queue after turn 1: B, A</title>"));
        assert!(svg.contains("<title>run queue after turn 3: empty</title>"));
        let after_1 = svg
            .split("<g class=\"queue\" data-turn=\"1\">")
            .nth(1)
            .unwrap();
        let b = after_1.find(">B</text>").unwrap();
        let a = after_1.find(">A</text>").unwrap();
        assert!(b < a, "front first");
        assert!(svg.contains(">–</text>"));
    }

    #[test]
    fn no_queue_line_no_queue_row() {
        let trace = Trace::new("t", "d").task("a", "A").turn("0", "a", "done");
        let svg = render(&trace);
        assert!(!svg.contains("class=\"queue\""));
        assert!(!svg.contains(">queue</text>"));
        assert!(!svg.contains("run queue after it"));
    }

    #[test]
    fn text_is_escaped_everywhere() {
        let trace = Trace::new("<T> & \"q\"", "it's <d>")
            .task("a<", "x & y")
            .turn("0", "a<", "<b>")
            .note("n & m")
            .queue("0", &["a<"]);
        let svg = render(&trace);
        assert!(svg.contains("-title\">&lt;T&gt; &amp; &quot;q&quot;</title>"));
        assert!(svg.contains("-desc\">it&apos;s &lt;d&gt;</desc>"));
        assert!(svg.contains(">x &amp; y</text>"));
        assert!(svg.contains("data-task=\"a&lt;\""));
        assert!(svg.contains(">&lt;b&gt;</text>"));
        assert!(svg.contains("— n &amp; m</title>"));
        assert!(!svg.contains("<b>"));
        assert!(!svg.contains("x & y"));
    }

    #[test]
    fn control_characters_do_not_reach_the_xml() {
        assert_eq!(esc("a\u{1}b"), "a\u{fffd}b");
    }

    #[test]
    fn lanes_wrap_after_turns_per_block() {
        let mut trace = Trace::new("Long", "Forty-five turns.").task("a", "A");
        for _ in 0..45 {
            trace = trace.turn("0", "a", "yield");
        }
        let svg = render(&trace);
        // 45 turns: blocks of 20, 20 and 5, each with its row label.
        assert_eq!(svg.matches("<g class=\"block\"").count(), 3);
        assert!(svg.contains("data-first-turn=\"1\""));
        assert!(svg.contains("data-first-turn=\"21\""));
        assert!(svg.contains("data-first-turn=\"41\""));
        assert_eq!(svg.matches("class=\"row-label\"").count(), 3);
        assert_eq!(svg.matches("class=\"turn-number\"").count(), 45);
        assert_eq!(svg.matches("class=\"cell\"").count(), 45);
        let second = svg.split("data-first-turn=\"21\"").nth(1).unwrap();
        let second = &second[..second.find("data-first-turn=\"41\"").unwrap()];
        assert!(second.contains(">21</text>") && second.contains(">40</text>"));
        assert!(!second.contains(">41</text>"));
        // A block of 20 fits the maximum width.
        assert!(width(&svg) <= MAX_WIDTH);
    }

    fn width(svg: &str) -> i32 {
        let start = svg.find("width=\"").unwrap() + 7;
        svg[start..start + svg[start..].find('"').unwrap()]
            .parse()
            .unwrap()
    }

    #[test]
    fn every_coordinate_is_an_integer() {
        let svg = render(&two_tasks());
        for attr in ["x", "y", "width", "height"] {
            for part in svg.split(&format!(" {attr}=\"")).skip(1) {
                let value = &part[..part.find('"').unwrap()];
                assert!(value.parse::<i32>().is_ok(), "{attr}=\"{value}\"");
            }
        }
    }

    #[test]
    fn long_texts_are_shortened_and_kept_in_tooltips() {
        let mut trace = Trace::new("t", "d").task("s", "a label much longer than the column");
        for _ in 0..20 {
            trace = trace.turn("0", "s", "suspended on a read");
        }
        let svg = render(&trace);
        let layout = Layout::new(&trace);
        assert_eq!(layout.cell_w, MIN_CELL_W);
        // 32 px: 5 characters of 9 px monospace fit in the cell's 28 px.
        assert!(svg.contains(">susp…</text>"));
        assert!(svg.contains("stopped at suspended on a read</title>"));
        assert!(svg.contains("<title>a label much longer than the column</title>"));
    }

    #[test]
    fn abbreviations_keep_what_fits() {
        assert_eq!(abbreviate("yield", 5), "yield");
        assert_eq!(abbreviate("print \"A0\"", 5), "print");
        assert_eq!(abbreviate("print \"A0\"", 10), "print \"A0\"");
        assert_eq!(abbreviate("cancelled", 5), "canc…");
        assert_eq!(shorten("abc", 0), "");
    }

    #[test]
    fn the_legend_lists_the_kinds_that_occur() {
        let svg = render(&two_tasks());
        assert!(svg.contains(">yield</text>"));
        assert!(svg.contains(">done</text>"));
        assert!(!svg.contains(">park / wait</text>"));
    }

    #[test]
    fn a_lane_without_turns_says_so() {
        let trace = Trace::new("t", "d")
            .domain("0", "main")
            .domain("1", "idle")
            .task("a", "A")
            .turn("0", "a", "done");
        let svg = render(&trace);
        assert_eq!(svg.matches("<g class=\"lane\"").count(), 2);
        assert!(svg.contains(">idle</text>"));
        assert_eq!(svg.matches(">No turns.</text>").count(), 1);
        let empty = render(&Trace::new("t", "d"));
        assert!(empty.contains(">No turns.</text>"));
        assert!(!empty.contains("<g class=\"lane\""));
    }

    #[test]
    fn the_output_is_the_same_every_time() {
        assert_eq!(render(&two_tasks()), render(&two_tasks()));
    }
}
