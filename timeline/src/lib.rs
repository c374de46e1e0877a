//! The book's picture renderer: the trace of a scheduler run in, a self-contained SVG
//! timeline out.
//!
//! A *trace* says which task had each *turn* of a scheduler, where the task stopped, and
//! what the run queue held afterwards. The book's steps print traces in the text format
//! below (with plain string formatting), `miou` runs give them through [`from_miou`], and
//! code can build them with [`Trace`]'s methods. [`render`] draws one as an SVG: per
//! domain, a grid with one column per turn and one row per task that ran or was queued
//! there, the cell of the task that ran filled and labelled with its stop point, and the
//! run queue under each column.
//!
//! ```
//! let trace = timeline::parse(
//!     "title Hello and World, quanta 1\n\
//!      description Two tasks alternate: after each turn the task that ran goes to the back.\n\
//!      task h Hello\n\
//!      task w World\n\
//!      turn 0 h print -- printed \"Hello\"\n\
//!      queue 0 w h\n\
//!      turn 0 w print -- printed \"World\"\n\
//!      queue 0 h w\n",
//! )?;
//! let svg = timeline::render(&trace);
//! assert!(svg.contains("<title id=\"timeline-"));
//! assert_eq!(svg.matches("class=\"cell\"").count(), 2);
//! # Ok::<(), timeline::ParseError>(())
//! ```
//!
//! From the command line, `cargo run -p timeline < trace.txt > trace.svg`, or
//! `cargo run -p timeline -- trace.txt -o trace.svg`.
//!
//! # The trace format
//!
//! A trace is UTF-8 text, read line by line (`\n` or `\r\n`; a leading byte-order mark
//! is ignored). Each line is trimmed of surrounding whitespace, then:
//!
//! - an empty line is ignored;
//! - a line whose first character is `#` is a comment, and ignored. Only whole lines are
//!   comments: a `#` anywhere else is ordinary text;
//! - any other line is a *directive*: a keyword, then its fields, separated by spaces or
//!   tabs. Keywords are lowercase and case-sensitive.
//!
//! An *id* (of a domain or a task) is a non-empty word without whitespace, compared
//! byte for byte. A *text* (a title, a label, a stop point, a note) is the rest of the
//! line, trimmed; whitespace inside it is kept.
//!
//! | directive | meaning |
//! |---|---|
//! | `title TEXT` | The picture's title (its accessible name and heading). Exactly one. |
//! | `description TEXT` | What the picture shows, in a sentence or a few, for readers who cannot see it (the SVG's `<desc>`). Exactly one. |
//! | `domain ID [LABEL]` | Declares a domain: a lane of the picture, headed by `LABEL` (default: `domain ID`) when there are several. Lanes appear in declaration order. Optional: see below. |
//! | `task ID [LABEL]` | Declares a task: a row, labelled `LABEL` (default: `ID`), in each lane where it ran or was queued. Rows appear in declaration order. |
//! | `turn DOMAIN TASK STOP [-- NOTE]` | A turn on `DOMAIN`: `TASK` ran and stopped at `STOP`. `NOTE`, if any, goes to the cell's tooltip. |
//! | `queue DOMAIN [TASK...]` | The run queue of `DOMAIN` after its latest turn, front first; no task means an empty queue. Optional. |
//! | `unit TEXT` | The unit of time that the time view's axis names, e.g. `ticks` or `ms`. Optional, at most once. |
//! | `at TIME` | The turns that follow happened at virtual time `TIME`. Optional. |
//! | `span TASK START END [-- LABEL]` | `TASK` waited (slept, say) from time `START` to time `END`: a bar in the time view, with `LABEL`, if any, on or beside it. Optional. |
//! | `events DOMAIN TEXT` | What the events backend of `DOMAIN` reported right before its next turn, e.g. `ready: listener, client-2`. Optional. |
//!
//! The rules:
//!
//! 1. `title` and `description` each appear exactly once, with a non-empty text, anywhere
//!    in the trace.
//! 2. A domain or task is declared before any line that uses it, and at most once.
//! 3. If no `domain` line comes before the first `turn` or `queue` line, that line
//!    declares domain `0` (label `domain 0`) implicitly. A trace with one domain can
//!    thus leave out `domain` lines and write `turn 0 ...`; a later `domain 0` line is
//!    then a duplicate.
//! 4. Turns are numbered per domain, 1, 2, 3..., in the order of their lines. Turns of
//!    different domains may interleave in any order.
//! 5. In a `turn` line, `STOP` is the text between the task id and the first ` -- `
//!    (space, two hyphens, space), or the end of the line; `NOTE` is the text after that
//!    ` -- `. `STOP` must not be empty; an empty `NOTE` (a line ending in ` --`) is no
//!    note. `STOP` is short: a word such as `yield`, `park`, `done`, or the effect the
//!    task stopped at (`print`), possibly followed by an argument (`print "A1"`).
//! 6. A `queue` line refers to the latest `turn` line of its domain before it, which must
//!    exist and must not have a queue yet. Every `TASK` is a declared task id.
//! 7. A *time* (`TIME`, `START`, `END`) is a whole number, 0 or more, in decimal digits,
//!    in the trace's unit. `unit` has a non-empty text and appears at most once,
//!    anywhere; alone, it draws nothing.
//! 8. `at` sets the time of every `turn` line after it, up to the next `at`; times never
//!    decrease (an `at` earlier than the one before it is an error on its line, equal is
//!    fine). Turns before the first `at` are at time 0 when the trace uses time.
//! 9. In a `span` line, `START` is not after `END` (they may be equal), and the label is
//!    the text after ` -- `, as for a turn's note (`span a 0 3 -- sleep 3`). Spans do not
//!    depend on `at`: they may come anywhere after their task's declaration, and may end
//!    after the last `at`. A label whose first word is a failed kind (such as
//!    `cancelled`, see below) draws its bar red and dashed.
//! 10. An `events` line goes with the next `turn` line of its domain, which must follow:
//!     several `events` lines before the same turn are joined with `; `, in order. An
//!     `events` line declares domain `0` implicitly as `turn` does (rule 3).
//!
//! A trace *uses time* when it has an `at` or a `span` line. It is then drawn with a
//! *time view* above the grid: an axis from 0 to the trace's largest time (the last
//! `at` or the latest end of a span, see [`Trace::end_time`]), one row per task that
//! has a span or a turn, a bar
//! per span, and a mark per time at which the task had turns (with `×N` for N turns at
//! the same time).
//!
//! A line that breaks a rule stops the parse with a [`ParseError`] naming the line, e.g.
//! ``line 7: undeclared task `w` ``; a missing `title` or `description` is reported on the
//! last line, and an `events` line that no turn follows on its own line.
//!
//! The first word of `STOP`, in any case, gives the turn's kind, and so its color (the
//! full table is [`StopKind::of`]'s): for example `yield`; `park` or `wait` (waiting;
//! not `await`, which names what a task was queued at); `done` or `finished`; `failed`,
//! `cancelled` or `panic`; anything else, such as an effect's name, is drawn in a
//! neutral color. The text of the stop point is always shown too, so that the kinds do
//! not rest on color alone.
//!
//! An example, for the turns of two tasks that print under a quanta of 1:
//!
//! ```
//! let trace = timeline::parse(r#"
//! ## step-03: two tasks print 2 lines each, quanta 1
//! title A and B, quanta 1
//! description A and B print two lines each. Under a quanta of 1, each turn does one print, and the task goes to the back of the queue.
//! domain 0 main
//! task A A
//! task B B
//! turn 0 A print "A0" -- start
//! queue 0 B A
//! turn 0 B print "B0" -- start
//! queue 0 A B
//! turn 0 A print "A1" -- did print "A0"
//! queue 0 B A
//! turn 0 B print "B1" -- did print "B0"
//! queue 0 A B
//! turn 0 A done -- did print "A1"
//! queue 0 B
//! turn 0 B done -- did print "B1"
//! queue 0
//! "#)?;
//! assert_eq!(trace.turns_on("0").count(), 6);
//! assert_eq!(trace.turns()[2].stop, "print \"A1\"");
//! assert_eq!(trace.turns()[5].queue, Some(vec![]));
//! # Ok::<(), timeline::ParseError>(())
//! ```
//!
//! Three sleepers on a virtual clock, and a server's events between its turns:
//!
//! ```
//! let sleepers = timeline::parse(r#"
//! title Three sleepers
//! description Three tasks sleep 3, 1 and 2 ticks from time 0, then finish.
//! unit ticks
//! task a sleep 3
//! task b sleep 1
//! task c sleep 2
//! span a 0 3 -- sleep 3
//! span b 0 1 -- sleep 1
//! span c 0 2 -- sleep 2
//! at 0
//! turn 0 a sleep 3
//! turn 0 b sleep 1
//! turn 0 c sleep 2
//! at 1
//! turn 0 b done
//! at 2
//! turn 0 c done
//! at 3
//! turn 0 a done
//! "#)?;
//! assert_eq!(sleepers.end_time(), 3);
//! assert_eq!(sleepers.turns()[3].time, Some(1));
//!
//! let server = timeline::parse(r#"
//! title A server
//! description The listener runs when the events backend says it is ready.
//! task l listener
//! events 0 ready: listener
//! events 0 timer 1
//! turn 0 l accept
//! "#)?;
//! assert_eq!(server.turns()[0].events.as_deref(), Some("ready: listener; timer 1"));
//! # Ok::<(), timeline::ParseError>(())
//! ```
//!
//! # The picture
//!
//! [`render`] writes an SVG at most [`MAX_WIDTH`] pixels wide, with a white background,
//! generic font families only (`sans-serif`, `monospace`), no CSS or script, and integer
//! coordinates, so that the same trace gives the same bytes everywhere. A lane longer
//! than [`TURNS_PER_BLOCK`] turns wraps into blocks of that many turns, each with its row
//! labels. A trace that uses time gets the time view above its lanes; a turn with
//! events gets them in an `events` row above its column. A trace without `at`, `span`
//! or `events` lines is drawn as if these did not exist.

#![warn(missing_docs)]

mod miou_trace;
mod model;
mod parse;
mod render;

pub use miou_trace::from_miou;
pub use model::{Domain, Span, StopKind, Task, Trace, Turn};
pub use parse::{ParseError, parse};
pub use render::{MAX_WIDTH, TURNS_PER_BLOCK, render};
