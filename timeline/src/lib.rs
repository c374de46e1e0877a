//! The book's picture renderer: the trace of a scheduler run in, a self-contained SVG
//! timeline out.
//!
//! A *trace* says which task had each *turn* of a scheduler, where the task stopped, and
//! what the run queue held afterwards. The book's steps print traces in the text format
//! below (with nothing but `writeln!`), `miou` runs give them through [`from_miou`], and
//! code can build them with [`Trace`]'s methods. [`render`] draws one as an SVG: per
//! domain, a grid with one column per turn and one row per task, the cell of the task
//! that ran filled and labelled with its stop point, and the run queue under each column.
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
//! | `domain ID [LABEL]` | Declares a domain: a lane of the picture, headed by `LABEL` (default: `domain ID`). Lanes appear in declaration order. Optional: see below. |
//! | `task ID [LABEL]` | Declares a task: a row, labelled `LABEL` (default: `ID`). Rows appear in declaration order. |
//! | `turn DOMAIN TASK STOP [-- NOTE]` | A turn on `DOMAIN`: `TASK` ran and stopped at `STOP`. `NOTE`, if any, goes to the cell's tooltip. |
//! | `queue DOMAIN [TASK...]` | The run queue of `DOMAIN` after its latest turn, front first; no task means an empty queue. Optional. |
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
//!
//! A line that breaks a rule stops the parse with a [`ParseError`] naming the line, e.g.
//! `line 7: undeclared task `w``; a missing `title` or `description` is reported on the
//! last line.
//!
//! The first word of `STOP` gives the turn's kind, and so its color ([`StopKind::of`]):
//! `yield`; `park`, `wait` or `await` (waiting); `done` or `finished`; `failed`,
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
//! # The picture
//!
//! [`render`] writes an SVG at most [`MAX_WIDTH`] pixels wide, with a white background,
//! generic font families only (`sans-serif`, `monospace`), no CSS or script, and integer
//! coordinates, so that the same trace gives the same bytes everywhere. A lane longer
//! than [`TURNS_PER_BLOCK`] turns wraps into blocks of that many turns, each with its row
//! labels.

#![warn(missing_docs)]

mod miou_trace;
mod model;
mod parse;
mod render;

pub use miou_trace::from_miou;
pub use model::{Domain, StopKind, Task, Trace, Turn};
pub use parse::{ParseError, parse};
pub use render::{MAX_WIDTH, TURNS_PER_BLOCK, render};
