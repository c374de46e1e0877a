//! Drawing a [`Trace`] as a self-contained SVG: a title, a legend, then one lane per
//! domain, each a grid of turns (columns) by tasks (rows), wrapped into blocks of
//! [`TURNS_PER_BLOCK`] turns.
//!
//! Every coordinate is an integer and every size is computed from character counts
//! (monospace text is assumed 0.6 em wide), so the output depends on the trace alone.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use crate::model::{Span, StopKind, Task, Trace, Turn};

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
/// The legend's line about the time view, when the trace uses time.
const TIME_NOTE: &str = "Top: each task over time, with a bar for each of its spans (a sleep, say) and a mark per turn (×N: N turns at once).";
/// The legend's line about events, when the trace has some.
const EVENTS_NOTE: &str = "Above a turn: the events reported just before it.";
/// The most lines of an events annotation; more text ends with `…`.
const EVENTS_LINES: usize = 3;
/// The time view's plot, at least (when the picture may be that wide).
const MIN_PLOT_W: i32 = 400;
/// Room left and right of the plot, so that marks at its ends stay inside.
const PLOT_INSET: i32 = 14;
/// The least distance between two labelled ticks of the time axis.
const TICK_SPACING: i32 = 44;
const EVENTS_FILL: &str = "#f3effb";
const EVENTS_STROKE: &str = "#8a6cc9";

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
/// A turn with [`events`](crate::Turn::events) has them in a box above its column, in an
/// `events` row between the turn numbers and the grid (in up to three lines, cut with `…`;
/// the tooltip has all of it).
///
/// A trace that [uses time](Trace::uses_time) starts with a *time view*, above the
/// lanes: an axis from 0 to [`end_time`](Trace::end_time), labelled at round steps (1, 2
/// or 5 times a power of ten) and at its end, and named by the trace's unit (or `time`);
/// one row per task that has a span or a turn, in declaration order; each span a bar (in
/// the color of waiting, or dashed red when its label says `cancelled` or the like), its
/// label inside or beside it; and on top, for each time at which a task had turns, a
/// mark in the color of the last of them: a diamond for one turn, a badge `×N` for N.
/// Turns before any `at` are at time 0.
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
///
/// let timed = trace.unit("ticks").span("a", 0, 2, "sleep 2").at(2);
/// let svg = timeline::render(&timed);
/// assert!(svg.contains("<g class=\"time-view\" data-end=\"2\">"));
/// assert_eq!(svg.matches("<g class=\"span\"").count(), 1);
/// assert_eq!(svg.matches("<g class=\"mark\"").count(), 1);
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

/// The time view's rows: every task with a span or a turn, in declaration order.
struct TimeView<'a> {
    rows: Vec<&'a Task>,
    /// Where the axis ends: the largest time, at least 1.
    end: u64,
    unit: Option<&'a str>,
}

/// The sizes that the whole picture shares, so that lanes and blocks line up.
struct Layout<'a> {
    lanes: Vec<Lane<'a>>,
    label_w: i32,
    cell_w: i32,
    width: i32,
    kinds: Vec<StopKind>,
    has_queues: bool,
    time: Option<TimeView<'a>>,
    has_events: bool,
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
        let time = trace.uses_time().then(|| {
            let used: HashSet<&str> = trace
                .turns()
                .iter()
                .map(|t| t.task.as_str())
                .chain(trace.spans().iter().map(|s| s.task.as_str()))
                .collect();
            TimeView {
                rows: trace
                    .tasks()
                    .iter()
                    .filter(|t| used.contains(t.id.as_str()))
                    .collect(),
                end: trace.end_time().max(1),
                unit: trace.time_unit(),
            }
        });
        let has_events = trace.turns().iter().any(|t| t.events.is_some());
        // The time view's rows and axis label, and the events row's label, only count
        // when they are drawn, so that a trace without them keeps its layout.
        let time_labels = time.iter().flat_map(|v| {
            v.rows
                .iter()
                .map(|t| chars(&t.label))
                .chain([chars(v.unit.unwrap_or("time"))])
        });
        let longest_label = lanes
            .iter()
            .flat_map(|l| l.rows.iter().map(|t| chars(&t.label)))
            .chain([chars("queue")])
            .chain(time_labels)
            .chain(has_events.then(|| chars("events")))
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
        let time_w = if time.is_some() {
            (2 * PAD + label_w + MIN_PLOT_W).max(2 * PAD + sans_width(TIME_NOTE, LEGEND_SIZE))
        } else {
            0
        };
        let events_note = if has_events {
            2 * PAD + sans_width(EVENTS_NOTE, LEGEND_SIZE)
        } else {
            0
        };
        let width = grid
            .max(title)
            .max(legend)
            .max(queue_note)
            .max(time_w)
            .max(events_note)
            .clamp(240, MAX_WIDTH);
        Layout {
            lanes,
            label_w,
            cell_w,
            width,
            kinds,
            has_queues,
            time,
            has_events,
        }
    }

    /// The notes under the legend's swatches, in order.
    fn notes(&self) -> Vec<&'static str> {
        let mut notes = Vec::new();
        if self.time.is_some() {
            notes.push(TIME_NOTE);
        }
        if self.has_queues {
            notes.push(QUEUE_NOTE);
        }
        if self.has_events {
            notes.push(EVENTS_NOTE);
        }
        notes
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
        for note in self.notes() {
            let _ = writeln!(
                body,
                r#"<text x="{PAD}" y="{}" font-family="sans-serif" font-size="{LEGEND_SIZE}" fill="{SOFT_INK}">{}</text>"#,
                y + LEGEND_SIZE,
                esc(note)
            );
            y += LEGEND_SIZE + 6;
        }
        y += 8;

        if let Some(view) = &self.time {
            y = self.time_view(&mut body, trace, view, y);
            if !self.lanes.is_empty() {
                let _ = writeln!(
                    body,
                    r#"<path d="M{PAD} {y}H{}" stroke="{GRID}" shape-rendering="crispEdges"/>"#,
                    self.width - PAD
                );
                y += LANE_GAP;
            }
        }

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

        // What the events backend reported before each turn, when the trace says.
        let wrapped: Vec<Option<Vec<String>>> = turns
            .iter()
            .map(|t| {
                let chars = ((cw - 6) * 10 / (QUEUE_SIZE * 6)) as usize;
                t.events.as_ref().map(|e| wrap(e, chars, EVENTS_LINES))
            })
            .collect();
        if let Some(lines) = wrapped.iter().flatten().map(|l| l.len() as i32).max() {
            let h = lines * QUEUE_LINE + 6;
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="end" font-family="sans-serif" font-size="{QUEUE_SIZE}" font-style="italic" fill="{SOFT_INK}">events</text>"#,
                x0 - 8,
                y + 3 + QUEUE_SIZE
            );
            for (i, (turn, shown)) in turns.iter().zip(&wrapped).enumerate() {
                let (Some(events), Some(shown)) = (&turn.events, shown) else {
                    continue;
                };
                let number = first + i + 1;
                let x = x0 + i as i32 * cw;
                let _ = writeln!(
                    out,
                    r#"<g class="events" data-turn="{number}"><title>{}</title>"#,
                    esc(&format!("events before turn {number}: {events}"))
                );
                let _ = writeln!(
                    out,
                    r#"<rect x="{}" y="{y}" width="{}" height="{}" rx="3" fill="{EVENTS_FILL}" stroke="{EVENTS_STROKE}"/>"#,
                    x + 2,
                    cw - 4,
                    shown.len() as i32 * QUEUE_LINE + 4
                );
                for (k, line) in shown.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        r#"<text x="{}" y="{}" text-anchor="middle" font-family="monospace" font-size="{QUEUE_SIZE}" fill="{INK}">{}</text>"#,
                        x + cw / 2,
                        y + 2 + QUEUE_SIZE + k as i32 * QUEUE_LINE,
                        esc(line)
                    );
                }
                out.push_str("</g>\n");
            }
            y += h + 2;
        }

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
            row_label(out, &task.label, x0, ry, label_chars);
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
            let mut tip = match &self.time {
                Some(view) => format!(
                    "turn {number} (time {}): {label} stopped at {}",
                    with_unit(turn.time.unwrap_or(0), view.unit),
                    turn.stop
                ),
                None => format!("turn {number}: {label} stopped at {}", turn.stop),
            };
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

impl Layout<'_> {
    /// Draws the time view from `y` down: the axis, then one row per task with its
    /// spans as bars and its turns as marks; returns the `y` under it.
    fn time_view(&self, out: &mut String, trace: &Trace, view: &TimeView, mut y: i32) -> i32 {
        let x0 = PAD + self.label_w;
        let right = self.width - PAD;
        let scale = Scale {
            left: x0 + PLOT_INSET,
            right: right - PLOT_INSET,
            end: view.end,
        };
        let rows = view.rows.len() as i32;
        let _ = writeln!(out, r#"<g class="time-view" data-end="{}">"#, view.end);

        // The axis: the unit on the left, like a row label, then the ticks' times.
        let unit = view.unit.unwrap_or("time");
        let label_chars = ((self.label_w - 10) * 10 / (QUEUE_SIZE * 6)) as usize;
        let shown = shorten(unit, label_chars);
        let tip = if shown == unit {
            String::new()
        } else {
            format!("<title>{}</title>", esc(unit))
        };
        let _ = writeln!(
            out,
            r#"<text class="time-unit" x="{}" y="{}" text-anchor="end" font-family="sans-serif" font-size="{QUEUE_SIZE}" font-style="italic" fill="{SOFT_INK}">{tip}{}</text>"#,
            x0 - 8,
            y + HEAD_H - 4,
            esc(&shown)
        );
        let ticks = ticks(view.end, scale.right - scale.left);
        for &t in &ticks {
            let _ = writeln!(
                out,
                r#"<text class="tick" x="{}" y="{}" text-anchor="middle" font-family="monospace" font-size="{NUMBER_SIZE}" fill="{SOFT_INK}">{t}</text>"#,
                scale.x(t),
                y + HEAD_H - 4
            );
        }
        y += HEAD_H;

        // Row stripes and labels, as in the grid.
        let label_chars = ((self.label_w - 10) * 10 / (LABEL_SIZE * 6)) as usize;
        for (r, task) in view.rows.iter().enumerate() {
            let ry = y + r as i32 * ROW_H;
            if r % 2 == 1 {
                let _ = writeln!(
                    out,
                    r#"<rect x="{x0}" y="{ry}" width="{}" height="{ROW_H}" fill="{STRIPE}"/>"#,
                    right - x0
                );
            }
            row_label(out, &task.label, x0, ry, label_chars);
        }

        // The frame and a line per tick, in one path.
        let bottom = y + rows * ROW_H;
        let mut d = format!("M{x0} {y}H{right}M{x0} {bottom}H{right}");
        for &t in &ticks {
            let _ = write!(d, "M{} {y}V{bottom}", scale.x(t));
        }
        let _ = writeln!(
            out,
            r#"<path d="{d}" fill="none" stroke="{GRID}" shape-rendering="crispEdges"/>"#
        );

        // The marks, first worked out (a row's turns grouped by time), so that the
        // labels of the bars can keep clear of them.
        let marks = marks(trace, view);
        // What each row already shows, as ranges of x, for placing labels.
        let mut taken: Vec<Vec<(i32, i32)>> = vec![Vec::new(); view.rows.len()];
        for mark in &marks {
            let half = mark.width() / 2;
            let x = scale.x(mark.time);
            taken[mark.row].push((x - half, x + half));
        }
        let bars: Vec<(usize, &Span, i32, i32)> = trace
            .spans()
            .iter()
            .filter_map(|span| {
                let r = view.rows.iter().position(|t| t.id == span.task)?;
                let (x1, x2) = (scale.x(span.start), scale.x(span.end));
                // A span of no length still shows as a thin bar.
                let (x1, x2) = if x2 - x1 < 3 {
                    ((x1 + x2) / 2 - 1, (x1 + x2) / 2 + 2)
                } else {
                    (x1, x2)
                };
                Some((r, span, x1, x2))
            })
            .collect();
        for &(r, _, x1, x2) in &bars {
            taken[r].push((x1, x2));
        }

        // The bars.
        for &(r, span, x1, x2) in &bars {
            let ry = y + r as i32 * ROW_H;
            let kind = span.kind();
            let (fill, stroke, dash) = style(kind);
            let task = &view.rows[r].label;
            let mut tip = format!(
                "{task} waited from {} to {}",
                span.start,
                with_unit(span.end, view.unit)
            );
            if let Some(label) = &span.label {
                tip.push_str(": ");
                tip.push_str(label);
            }
            let _ = writeln!(
                out,
                r#"<g class="span" data-task="{}" data-start="{}" data-end="{}" data-kind="{}"><title>{}</title>"#,
                esc(&span.task),
                span.start,
                span.end,
                kind_class(kind),
                esc(&tip)
            );
            let _ = writeln!(
                out,
                r#"<rect x="{x1}" y="{}" width="{}" height="{}" rx="2" fill="{fill}" stroke="{stroke}"{dash}/>"#,
                ry + 4,
                x2 - x1,
                ROW_H - 8
            );
            if let Some(label) = &span.label {
                let (x, anchor, text) = place_label(label, x1, x2, (x0, right), &taken[r]);
                if !text.is_empty() {
                    let w = mono_width(chars(&text), QUEUE_SIZE);
                    let left = match anchor {
                        "start" => x,
                        "end" => x - w,
                        _ => x - w / 2,
                    };
                    if anchor != "middle" {
                        taken[r].push((left, left + w));
                    }
                    let _ = writeln!(
                        out,
                        r#"<text x="{x}" y="{}" text-anchor="{anchor}" font-family="monospace" font-size="{QUEUE_SIZE}" fill="{INK}">{}</text>"#,
                        ry + ROW_H / 2 + 3,
                        esc(&text)
                    );
                }
            }
            out.push_str("</g>\n");
        }

        // The marks, over the bars: a diamond for one turn, a badge `×N` for N.
        let several_lanes = self.lanes.len() > 1;
        for mark in &marks {
            let x = scale.x(mark.time);
            let cy = y + mark.row as i32 * ROW_H + ROW_H / 2;
            let last = mark.turns.last().expect("a mark has a turn");
            let kind = last.2.kind();
            let (_, stroke, _) = style(kind);
            let turns: Vec<String> = mark
                .turns
                .iter()
                .map(|(number, domain, turn)| {
                    if several_lanes {
                        format!("turn {number} on {domain} ({})", turn.stop)
                    } else {
                        format!("turn {number} ({})", turn.stop)
                    }
                })
                .collect();
            let tip = format!(
                "{} at {}: {}",
                view.rows[mark.row].label,
                with_unit(mark.time, view.unit),
                turns.join(", ")
            );
            let _ = writeln!(
                out,
                r#"<g class="mark" data-task="{}" data-time="{}" data-turns="{}" data-kind="{}"><title>{}</title>"#,
                esc(&view.rows[mark.row].id),
                mark.time,
                mark.turns.len(),
                kind_class(kind),
                esc(&tip)
            );
            if mark.turns.len() == 1 {
                let _ = writeln!(
                    out,
                    r##"<path d="M{x} {}L{} {cy}L{x} {}L{} {cy}Z" fill="{stroke}" stroke="#ffffff"/>"##,
                    cy - 6,
                    x + 6,
                    cy + 6,
                    x - 6
                );
            } else {
                let w = mark.width();
                let _ = writeln!(
                    out,
                    r##"<rect x="{}" y="{}" width="{w}" height="14" rx="4" fill="{stroke}" stroke="#ffffff"/>"##,
                    x - w / 2,
                    cy - 7
                );
                let _ = writeln!(
                    out,
                    r##"<text x="{x}" y="{}" text-anchor="middle" font-family="monospace" font-size="{QUEUE_SIZE}" font-weight="bold" fill="#ffffff">×{}</text>"##,
                    cy + 3,
                    mark.turns.len()
                );
            }
            out.push_str("</g>\n");
        }
        out.push_str("</g>\n");
        bottom + BLOCK_GAP
    }
}

/// Where times go on the x axis: `0` at `left`, `end` at `right`.
struct Scale {
    left: i32,
    right: i32,
    end: u64,
}

impl Scale {
    /// The x of `time`, rounded to the nearest pixel.
    fn x(&self, time: u64) -> i32 {
        let w = (self.right - self.left).max(0) as u128;
        let end = self.end.max(1) as u128;
        let t = (time as u128).min(end);
        self.left + ((t * w * 2 + end) / (end * 2)) as i32
    }
}

/// A turn as a mark tells it: its number in its domain, its domain's label, the turn.
type Numbered<'a> = (usize, &'a str, &'a Turn);

/// One mark of the time view: the turns of a task at one time.
struct Mark<'a> {
    row: usize,
    time: u64,
    turns: Vec<Numbered<'a>>,
}

impl Mark<'_> {
    /// The mark's width: a diamond, or a badge wide enough for `×N`.
    fn width(&self) -> i32 {
        if self.turns.len() == 1 {
            12
        } else {
            mono_width(chars(&format!("×{}", self.turns.len())), QUEUE_SIZE) + 8
        }
    }
}

/// The marks of the time view, row by row, earliest first.
fn marks<'a>(trace: &'a Trace, view: &TimeView) -> Vec<Mark<'a>> {
    let mut numbers: HashMap<&str, usize> = HashMap::new();
    let mut grouped: BTreeMap<(usize, u64), Vec<Numbered<'a>>> = BTreeMap::new();
    for turn in trace.turns() {
        let number = numbers.entry(turn.domain.as_str()).or_insert(0);
        *number += 1;
        let Some(row) = view.rows.iter().position(|t| t.id == turn.task) else {
            continue;
        };
        let domain = trace
            .domains()
            .iter()
            .find(|d| d.id == turn.domain)
            .map_or(turn.domain.as_str(), |d| d.label.as_str());
        grouped
            .entry((row, turn.time.unwrap_or(0)))
            .or_default()
            .push((*number, domain, turn));
    }
    grouped
        .into_iter()
        .map(|((row, time), turns)| Mark { row, time, turns })
        .collect()
}

/// Where a bar's label goes: inside the bar, centered, if it fits clear of the marks at
/// its ends; else right of the bar, else left of it, where the row is free; else
/// shortened inside the bar. Returns the x, the `text-anchor` and the text.
fn place_label(
    label: &str,
    x1: i32,
    x2: i32,
    (left, right): (i32, i32),
    taken: &[(i32, i32)],
) -> (i32, &'static str, String) {
    let w = mono_width(chars(label), QUEUE_SIZE);
    let free = |a: i32, b: i32| {
        a >= left
            && b <= right
            && taken
                .iter()
                .all(|&(l, r)| b <= l || a >= r || (l, r) == (x1, x2))
    };
    // Inside: clear of the marks drawn over the bar's ends.
    let inner = |a: i32, b: i32| {
        taken
            .iter()
            .filter(|&&(l, r)| (l, r) != (x1, x2))
            .all(|&(l, r)| b <= l || a >= r)
    };
    let mid = (x1 + x2) / 2;
    if w + 8 <= x2 - x1 && inner(mid - w / 2 - 2, mid + w / 2 + 2) {
        return (mid, "middle", label.to_string());
    }
    // Right of the bar, past a mark on its end.
    let after = taken
        .iter()
        .filter(|&&(l, r)| l <= x2 + 4 && r >= x2 && (l, r) != (x1, x2))
        .map(|&(_, r)| r)
        .fold(x2, i32::max)
        + 4;
    if free(after, after + w) {
        return (after, "start", label.to_string());
    }
    let before = taken
        .iter()
        .filter(|&&(l, r)| r >= x1 - 4 && l <= x1 && (l, r) != (x1, x2))
        .map(|&(l, _)| l)
        .fold(x1, i32::min)
        - 4;
    if free(before - w, before) {
        return (before, "end", label.to_string());
    }
    let fits = ((x2 - x1 - 4) * 10 / (QUEUE_SIZE * 6)).max(0) as usize;
    (mid, "middle", shorten(label, fits))
}

/// The times the axis labels: multiples of a round step (1, 2 or 5 times a power of
/// ten) at least [`TICK_SPACING`] pixels apart on a plot `width` pixels wide, and `end`
/// itself, which replaces the last multiple when they would be too close.
fn ticks(end: u64, width: i32) -> Vec<u64> {
    let digits = end.to_string().len() as i32;
    let spacing = TICK_SPACING.max(mono_width(digits as usize, NUMBER_SIZE) + 12);
    let most = (width / spacing).max(1) as u128;
    let end128 = end as u128;
    let mut step: u128 = 1;
    'search: for power in 0..20 {
        for m in [1u128, 2, 5] {
            step = m * 10u128.pow(power);
            if end128.div_ceil(step) <= most {
                break 'search;
            }
        }
    }
    let mut ticks: Vec<u64> = (0..)
        .map(|k| k * step)
        .take_while(|&t| t <= end128)
        .map(|t| t as u64)
        .collect();
    if ticks.last() != Some(&end) {
        let scale = Scale {
            left: 0,
            right: width,
            end,
        };
        if let Some(&last) = ticks.last()
            && last > 0
            && scale.x(end) - scale.x(last) < spacing
        {
            ticks.pop();
        }
        ticks.push(end);
    }
    ticks
}

/// `time`, followed by the unit if there is one.
fn with_unit(time: u64, unit: Option<&str>) -> String {
    match unit {
        Some(unit) => format!("{time} {unit}"),
        None => time.to_string(),
    }
}

/// `text` in lines of at most `max` characters, broken at spaces, at most `lines` of
/// them; a word too long is cut, and text that does not fit ends with `…`.
fn wrap(text: &str, max: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cut = false;
    for word in text.split_whitespace() {
        let full = out.len() == lines;
        match out.last_mut() {
            Some(line) if chars(line) + 1 + chars(word) <= max => {
                line.push(' ');
                line.push_str(word);
            }
            _ if full => {
                cut = true;
                break;
            }
            _ => out.push(word.to_string()),
        }
    }
    for line in &mut out {
        *line = shorten(line, max);
    }
    if cut && let Some(last) = out.last_mut() {
        let keep = chars(last).min(max.saturating_sub(1));
        *last = last.chars().take(keep).collect::<String>() + "…";
    }
    out
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

/// A row's label, right-aligned against `x0`, shortened to `chars` characters (the whole
/// label then in a tooltip).
fn row_label(out: &mut String, label: &str, x0: i32, ry: i32, chars: usize) {
    let shown = shorten(label, chars);
    let tip = if shown == label {
        String::new()
    } else {
        format!("<title>{}</title>", esc(label))
    };
    let _ = writeln!(
        out,
        r#"<text class="row-label" x="{}" y="{}" text-anchor="end" font-family="monospace" font-size="{LABEL_SIZE}" fill="{INK}">{tip}{}</text>"#,
        x0 - 8,
        ry + ROW_H / 2 + 4,
        esc(&shown)
    );
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

    /// The value of attribute `name` in the first tag of `svg` after `from`.
    fn attr_after(svg: &str, from: &str, name: &str) -> String {
        let rest = format!(
            " {}",
            &svg[svg.find(from).unwrap_or_else(|| panic!("no {from}"))..]
        );
        let start = rest.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        rest[start..start + rest[start..].find('"').unwrap()].to_string()
    }

    /// The x of each span's bar, and its right end, in document order.
    fn bars(svg: &str) -> Vec<(String, i32, i32)> {
        svg.split("<g class=\"span\" ")
            .skip(1)
            .map(|rest| {
                let task = attr_after(rest, "data-task", "data-task");
                let x: i32 = attr_after(rest, "<rect", "x").parse().unwrap();
                let w: i32 = attr_after(rest, "<rect", "width").parse().unwrap();
                (task, x, x + w)
            })
            .collect()
    }

    /// Three tasks that sleep 3, 1 and 2 ticks from time 0: turns at 0, 0, 0, 1, 2, 3.
    fn sleepers() -> Trace {
        Trace::new("Sleepers", "Three tasks sleep 3, 1 and 2 ticks.")
            .unit("ticks")
            .task("a", "A")
            .task("b", "B")
            .task("c", "C")
            .span("a", 0, 3, "sleep 3")
            .span("b", 0, 1, "sleep 1")
            .span("c", 0, 2, "sleep 2")
            .at(0)
            .turn("0", "a", "sleep 3")
            .turn("0", "b", "sleep 1")
            .turn("0", "c", "sleep 2")
            .at(1)
            .turn("0", "b", "done")
            .at(2)
            .turn("0", "c", "done")
            .at(3)
            .turn("0", "a", "done")
    }

    #[test]
    fn three_spans_are_three_bars_placed_like_their_times() {
        // Starts 2, 0, 1 (in that order), ends 4, 4, 3; the axis runs from 0 to 4.
        let trace = Trace::new("t", "d")
            .task("a", "A")
            .task("b", "B")
            .task("c", "C")
            .span("a", 2, 4, "")
            .span("b", 0, 4, "")
            .span("c", 1, 3, "");
        let layout = Layout::new(&trace);
        let svg = render(&trace);
        let bars = bars(&svg);
        let tasks: Vec<&str> = bars.iter().map(|b| b.0.as_str()).collect();
        assert_eq!(tasks, ["a", "b", "c"]);
        let (a, b, c) = (&bars[0], &bars[1], &bars[2]);
        // Ordered like their starts: b (0) < c (1) < a (2).
        assert!(b.1 < c.1 && c.1 < a.1, "{bars:?}");
        // Time 0 is at the plot's left, 4 at its right; 1 and 2 a quarter and half way.
        let left = PAD + layout.label_w + PLOT_INSET;
        let right = layout.width - PAD - PLOT_INSET;
        assert_eq!(b.1, left);
        assert_eq!((a.2, b.2), (right, right));
        assert!((c.1 - (left + (right - left) / 4)).abs() <= 1);
        assert!((a.1 - (left + (right - left) / 2)).abs() <= 1);
        assert!((c.2 - (left + 3 * (right - left) / 4)).abs() <= 1);
        assert_eq!(attr_after(&svg, "class=\"time-view\"", "data-end"), "4");
    }

    #[test]
    fn the_axis_ends_at_the_largest_time_and_names_the_unit() {
        let trace = Trace::new("t", "d")
            .unit("ms")
            .task("a", "A")
            .span("a", 0, 4, "")
            .at(0)
            .turn("0", "a", "sleep")
            .at(9);
        let layout = Layout::new(&trace);
        let svg = render(&trace);
        assert_eq!(attr_after(&svg, "class=\"time-view\"", "data-end"), "9");
        let ticks: Vec<&str> = svg
            .split("<text class=\"tick\" ")
            .skip(1)
            .map(|t| &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()])
            .collect();
        assert_eq!(ticks.last(), Some(&"9"));
        assert_eq!(ticks.first(), Some(&"0"));
        // The last tick sits at the plot's right end.
        let last = svg.rfind("<text class=\"tick\" ").unwrap();
        let x: i32 = attr_after(&svg[last..], "<text", "x").parse().unwrap();
        assert_eq!(x, layout.width - PAD - PLOT_INSET);
        assert!(svg.contains(">ms</text>"));
        assert!(width(&svg) <= MAX_WIDTH);
    }

    #[test]
    fn ticks_are_round_and_the_end_is_always_labelled() {
        // 44 px apart at least: 400 px hold 9 intervals.
        assert_eq!(ticks(3, 400), [0, 1, 2, 3]);
        assert_eq!(ticks(100, 400), [0, 20, 40, 60, 80, 100]);
        // 88 px: 2 intervals; step 5, and 7 is too close to 5 (25 px), so 7 replaces it.
        assert_eq!(ticks(7, 88), [0, 7]);
        // 560 px: 12 intervals; step 200; 1712 is 37 px from 1600, which goes.
        assert_eq!(
            ticks(1712, 560),
            [0, 200, 400, 600, 800, 1000, 1200, 1400, 1712]
        );
        assert_eq!(ticks(1, 400), [0, 1]);
        assert_eq!(ticks(u64::MAX, 400).last(), Some(&u64::MAX));
    }

    #[test]
    fn each_time_a_task_ran_is_one_mark_with_its_count() {
        let svg = render(&sleepers());
        // Six turns at six different (task, time): six marks of one turn each.
        let marks: Vec<(String, String, String)> = svg
            .split("<g class=\"mark\" ")
            .skip(1)
            .map(|m| {
                (
                    attr_after(m, "data-task", "data-task"),
                    attr_after(m, "data-task", "data-time"),
                    attr_after(m, "data-task", "data-turns"),
                )
            })
            .collect();
        let expected: Vec<(String, String, String)> = [
            ("a", "0"),
            ("a", "3"),
            ("b", "0"),
            ("b", "1"),
            ("c", "0"),
            ("c", "2"),
        ]
        .iter()
        .map(|(t, time)| (t.to_string(), time.to_string(), "1".to_string()))
        .collect();
        assert_eq!(marks, expected);
        assert!(svg.contains("<title>B at 1 ticks: turn 4 (done)</title>"));
        // Three turns of one task at the same time: one mark, `×3`.
        let busy = sleepers()
            .at(5)
            .turn("0", "a", "yield")
            .turn("0", "a", "yield")
            .turn("0", "a", "done");
        let svg = render(&busy);
        assert_eq!(svg.matches("<g class=\"mark\" ").count(), 7);
        assert!(svg.contains("data-time=\"5\" data-turns=\"3\" data-kind=\"done\""));
        assert!(svg.contains(">×3</text>"));
        assert!(svg.contains("A at 5 ticks: turn 7 (yield), turn 8 (yield), turn 9 (done)"));
    }

    #[test]
    fn turns_before_any_at_are_at_time_0() {
        let trace = Trace::new("t", "d")
            .task("a", "A")
            .span("a", 0, 2, "")
            .turn("0", "a", "sleep")
            .at(2)
            .turn("0", "a", "done");
        let svg = render(&trace);
        assert!(svg.contains("data-task=\"a\" data-time=\"0\" data-turns=\"1\""));
        assert!(svg.contains("data-task=\"a\" data-time=\"2\" data-turns=\"1\""));
        // The unit defaults to `time`, and the cell's tooltip says when.
        assert!(svg.contains(">time</text>"));
        assert!(svg.contains("<title>turn 2 (time 2): A stopped at done</title>"));
    }

    #[test]
    fn a_label_goes_in_its_bar_if_it_fits_else_beside_it() {
        let svg = render(&sleepers());
        // The plot is at least 400 px wide, less the insets: a tick is over 100 px, and
        // `sleep 1` (7 characters, 38 px) fits in its bar, clear of the marks at the ends.
        for label in ["sleep 3", "sleep 1", "sleep 2"] {
            assert!(svg.contains(&format!(
                "text-anchor=\"middle\" font-family=\"monospace\" font-size=\"9\" \
                 fill=\"#1f2328\">{label}</text>"
            )));
        }
        let trace = Trace::new("t", "d")
            .task("a", "A")
            .task("b", "B")
            .span("a", 0, 100, "")
            .span("b", 0, 1, "a label too long for the bar");
        let svg = render(&trace);
        let b = &bars(&svg)[1];
        let label = &svg[svg.find("data-task=\"b\"").unwrap()..];
        assert_eq!(attr_after(label, "<text", "text-anchor"), "start");
        let x: i32 = attr_after(label, "<text", "x").parse().unwrap();
        assert!(x > b.2, "{x} > {}", b.2);
        // A span of no length is still drawn, 3 px wide.
        let zero = Trace::new("t", "d")
            .task("a", "A")
            .span("a", 1, 1, "")
            .at(2);
        assert_eq!(bars(&render(&zero))[0].2 - bars(&render(&zero))[0].1, 3);
    }

    #[test]
    fn a_cancelled_span_is_dashed_red() {
        let trace = Trace::new("t", "d")
            .task("a", "A")
            .span("a", 0, 2, "cancelled");
        let svg = render(&trace);
        assert!(svg.contains("data-kind=\"failed\""));
        let bar = &svg[svg.find("<g class=\"span\"").unwrap()..];
        assert!(bar[..bar.find("/>").unwrap()].contains("stroke-dasharray"));
    }

    #[test]
    fn events_sit_above_their_turns_column() {
        let trace = Trace::new("t", "d")
            .task("l", "listener")
            .task("c", "client")
            .turn("0", "l", "accept")
            .turn("0", "c", "read")
            .turn("0", "l", "accept")
            .events("ready: listener, client-2")
            .events("timer: the deadline of a client that took too long passed");
        let layout = Layout::new(&trace);
        let svg = render(&trace);
        assert_eq!(svg.matches("<g class=\"events\"").count(), 1);
        let events = &svg[svg.find("<g class=\"events\" data-turn=\"3\">").unwrap()..];
        // The full text in the tooltip, the box in column 3, above the cells.
        assert!(events.starts_with(
            "<g class=\"events\" data-turn=\"3\"><title>events before turn 3: ready: \
             listener, client-2; timer: the deadline of a client that took too long \
             passed</title>"
        ));
        let x: i32 = attr_after(events, "<rect", "x").parse().unwrap();
        assert_eq!(x, PAD + layout.label_w + 2 * layout.cell_w + 2);
        let cell = &svg[svg.find("data-turn=\"3\" data-task=\"l\"").unwrap()..];
        assert_eq!(attr_after(cell, "<rect", "x"), x.to_string());
        let box_y: i32 = attr_after(events, "<rect", "y").parse().unwrap();
        let cell_y: i32 = attr_after(cell, "<rect", "y").parse().unwrap();
        assert!(box_y < cell_y);
        // Three lines at most, the last cut with `…`.
        let lines = events[..events.find("</g>").unwrap()]
            .matches("<text")
            .count();
        assert_eq!(lines, EVENTS_LINES);
        assert!(events[..events.find("</g>").unwrap()].contains("…</text>"));
        assert!(svg.contains(">events</text>"));
        assert!(svg.contains(EVENTS_NOTE));
    }

    #[test]
    fn without_time_or_events_neither_is_drawn() {
        let svg = render(&two_tasks());
        for absent in [
            "time-view",
            "class=\"events\"",
            ">events</text>",
            TIME_NOTE,
            EVENTS_NOTE,
        ] {
            assert!(!svg.contains(absent), "{absent}");
        }
        // A unit alone draws nothing either.
        let with_unit = render(&two_tasks().unit("ms"));
        assert!(!with_unit.contains("time-view"));
    }

    #[test]
    fn the_time_view_keeps_integer_coordinates_and_the_width() {
        let trace = sleepers()
            .span("c", 0, u64::MAX, "forever")
            .at(u64::MAX)
            .turn("0", "c", "done")
            .events("ready: c");
        let svg = render(&trace);
        assert!(width(&svg) <= MAX_WIDTH);
        for attr in ["x", "y", "width", "height"] {
            for part in svg.split(&format!(" {attr}=\"")).skip(1) {
                let value = &part[..part.find('"').unwrap()];
                assert!(value.parse::<i32>().is_ok(), "{attr}=\"{value}\"");
            }
        }
        for part in svg.split(" d=\"").skip(1) {
            let d = &part[..part.find('"').unwrap()];
            for number in d.split(|c: char| c.is_ascii_alphabetic() || c == ' ') {
                assert!(number.is_empty() || number.parse::<i32>().is_ok(), "{d}");
            }
        }
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_what_does_not_fit() {
        assert_eq!(wrap("ready: listener", 11, 3), ["ready:", "listener"]);
        assert_eq!(wrap("a b c", 11, 3), ["a b c"]);
        assert_eq!(wrap("averyveryverylongword", 5, 3), ["aver…"]);
        assert_eq!(wrap("one two three four", 5, 2), ["one", "two…"]);
        assert_eq!(wrap("one two three", 3, 2), ["one", "tw…"]);
    }

    #[test]
    fn the_output_is_the_same_every_time() {
        assert_eq!(render(&two_tasks()), render(&two_tasks()));
    }
}
