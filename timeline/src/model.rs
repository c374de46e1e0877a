//! The trace model: the domains, tasks and turns of a run, built in code or parsed from
//! text, and written back as text with [`Trace::to_text`].
//!
//! The same checks guard both ways in: [`parse`](crate::parse) reports a broken rule as a
//! [`ParseError`](crate::ParseError) with its line, the builder methods panic on the same
//! rules (a trace built in code with an undeclared task is a bug in that code), with
//! messages of their own.

use std::fmt::Write as _;

/// One lane of the picture: a domain (a thread running its own scheduler) of the run.
///
/// ```
/// let trace = timeline::Trace::new("t", "d").domain("1", "worker");
/// assert_eq!(trace.domains()[0].id, "1");
/// assert_eq!(trace.domains()[0].label, "worker");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domain {
    /// The id that `turn` and `queue` lines use: no whitespace.
    pub id: String,
    /// The lane's heading.
    pub label: String,
}

/// One row of the picture: a task of the run.
///
/// ```
/// let trace = timeline::Trace::new("t", "d").task("h", "Hello");
/// assert_eq!(trace.tasks()[0].id, "h");
/// assert_eq!(trace.tasks()[0].label, "Hello");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// The id that `turn` and `queue` lines use: no whitespace.
    pub id: String,
    /// The row's label.
    pub label: String,
}

/// One column of a lane: a turn, in which one task ran until it stopped.
///
/// ```
/// let trace = timeline::Trace::new("t", "d")
///     .task("h", "Hello")
///     .turn("0", "h", "print")
///     .note("printed \"Hello\"")
///     .queue("0", &["h"]);
/// let turn = &trace.turns()[0];
/// assert_eq!((turn.domain.as_str(), turn.task.as_str()), ("0", "h"));
/// assert_eq!(turn.stop, "print");
/// assert_eq!(turn.note.as_deref(), Some("printed \"Hello\""));
/// assert_eq!(turn.queue, Some(vec!["h".to_string()]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    /// The domain it ran on.
    pub domain: String,
    /// The task that ran.
    pub task: String,
    /// Where the task stopped: `yield`, `park`, `done`, an effect's name...
    pub stop: String,
    /// A remark shown in the cell's tooltip.
    pub note: Option<String>,
    /// The domain's run queue after the turn, front first, if the trace gave it.
    pub queue: Option<Vec<String>>,
    /// The virtual time the turn happened at: the time of the latest
    /// [`at`](Trace::at) before it, `None` if there was none (such a turn is drawn at
    /// time 0 when the trace uses time).
    pub time: Option<u64>,
    /// What the domain's events backend reported right before the turn (e.g.
    /// `ready: listener`), several reports joined with `; `.
    pub events: Option<String>,
}

impl Turn {
    /// How the turn ended, read from its stop point (see [`StopKind::of`]).
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d").task("a", "A").turn("0", "a", "yield");
    /// assert_eq!(trace.turns()[0].kind(), timeline::StopKind::Yield);
    /// ```
    pub fn kind(&self) -> StopKind {
        StopKind::of(&self.stop)
    }
}

/// A bar of the time view: a task waited (slept, say) from `start` to `end`, in the
/// trace's unit of time.
///
/// ```
/// let trace = timeline::Trace::new("t", "d")
///     .task("s", "sleeper")
///     .span("s", 0, 3, "sleep 3");
/// let span = &trace.spans()[0];
/// assert_eq!((span.task.as_str(), span.start, span.end), ("s", 0, 3));
/// assert_eq!(span.label.as_deref(), Some("sleep 3"));
/// assert_eq!(span.kind(), timeline::StopKind::Wait);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// The task that waited.
    pub task: String,
    /// When the wait began.
    pub start: u64,
    /// When it ended (not before `start`).
    pub end: u64,
    /// What is shown on or beside the bar, e.g. `sleep 3` or `cancelled`.
    pub label: Option<String>,
}

impl Span {
    /// How the bar is drawn: [`StopKind::Failed`] (red and dashed) when the label's
    /// first word is a failed kind, such as `cancelled`; [`StopKind::Wait`] otherwise.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d")
    ///     .task("s", "sleeper")
    ///     .span("s", 0, 2, "cancelled at 2")
    ///     .span("s", 3, 4, "");
    /// assert_eq!(trace.spans()[0].kind(), timeline::StopKind::Failed);
    /// assert_eq!(trace.spans()[1].kind(), timeline::StopKind::Wait);
    /// ```
    pub fn kind(&self) -> StopKind {
        match self.label.as_deref().map(StopKind::of) {
            Some(StopKind::Failed) => StopKind::Failed,
            _ => StopKind::Wait,
        }
    }
}

/// How a turn ended, which gives its cell's color and its place in the legend.
///
/// ```
/// use timeline::StopKind;
/// assert_eq!(StopKind::of("park"), StopKind::Wait);
/// assert_eq!(StopKind::of("print \"A0\""), StopKind::Other);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StopKind {
    /// The task gave up its turn and went to the back of the queue.
    Yield,
    /// The task waits for something (a child, a lock, an event...).
    Wait,
    /// The task finished.
    Done,
    /// The task failed, panicked or was cancelled.
    Failed,
    /// Any other stop point, e.g. the effect the task stopped at.
    Other,
}

impl StopKind {
    /// Every kind, in the legend's order.
    ///
    /// ```
    /// assert_eq!(timeline::StopKind::ALL.len(), 5);
    /// ```
    pub const ALL: [StopKind; 5] = [
        StopKind::Yield,
        StopKind::Wait,
        StopKind::Done,
        StopKind::Failed,
        StopKind::Other,
    ];

    /// The kind of a stop point, from its first word, ignoring ASCII case:
    ///
    /// | first word | kind |
    /// |---|---|
    /// | `yield`, `yielded` | [`Yield`](StopKind::Yield) |
    /// | `park`, `parked`, `wait`, `waits`, `waiting`, `sleep`, `sleeps`, `blocked`, `suspended` | [`Wait`](StopKind::Wait) |
    /// | `done`, `finish`, `finished`, `return`, `returned`, `ok` | [`Done`](StopKind::Done) |
    /// | `fail`, `failed`, `cancelled`, `canceled`, `panic`, `panicked`, `error`, `abort`, `aborted` | [`Failed`](StopKind::Failed) |
    /// | anything else | [`Other`](StopKind::Other) |
    ///
    /// ```
    /// use timeline::StopKind;
    /// assert_eq!(StopKind::of("Yield"), StopKind::Yield);
    /// assert_eq!(StopKind::of("park at await hello"), StopKind::Wait);
    /// assert_eq!(StopKind::of("await hello"), StopKind::Other); // queued at it
    /// assert_eq!(StopKind::of("done"), StopKind::Done);
    /// assert_eq!(StopKind::of("cancelled by main"), StopKind::Failed);
    /// assert_eq!(StopKind::of("spawn"), StopKind::Other);
    /// ```
    pub fn of(stop: &str) -> StopKind {
        let word = stop
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match word.as_str() {
            "yield" | "yielded" => StopKind::Yield,
            // Not "await" or "suspend": a task stopped at such an operation
            // is queued, waiting for its turn, until the operation parks it.
            "park" | "parked" | "wait" | "waits" | "waiting" | "sleep" | "sleeps" | "blocked"
            | "suspended" => StopKind::Wait,
            "done" | "finish" | "finished" | "return" | "returned" | "ok" => StopKind::Done,
            // Not "cancel": a task stopped at a cancel operation waits to
            // cancel another; it has not failed.
            "fail" | "failed" | "cancelled" | "canceled" | "panic" | "panicked" | "error"
            | "abort" | "aborted" => StopKind::Failed,
            _ => StopKind::Other,
        }
    }

    /// The kind's name in the legend.
    ///
    /// ```
    /// assert_eq!(timeline::StopKind::Wait.legend(), "park / wait");
    /// ```
    pub fn legend(self) -> &'static str {
        match self {
            StopKind::Yield => "yield",
            StopKind::Wait => "park / wait",
            StopKind::Done => "done",
            StopKind::Failed => "failed / cancelled",
            StopKind::Other => "other stop",
        }
    }
}

/// The trace of a run: a title and a description (the picture's accessible name and
/// description), the domains (lanes), the tasks (rows) and the turns (columns), each turn
/// with the run queue after it when the trace gives it.
///
/// Build one in code with the chained methods below, read one with
/// [`parse`](crate::parse), write one with [`to_text`](Trace::to_text), draw one with
/// [`render`](crate::render). The builder methods check what [`parse`](crate::parse)
/// checks and panic where it would return an error.
///
/// ```
/// use timeline::Trace;
/// let trace = Trace::new("Hello and World", "Two tasks take turns.")
///     .task("m", "main")
///     .task("h", "hello")
///     .turn("0", "m", "spawn")
///     .queue("0", &["m"])
///     .turn("0", "m", "print")
///     .queue("0", &["h", "m"]);
/// assert_eq!(trace.turns().len(), 2);
/// assert_eq!(timeline::parse(&trace.to_text()), Ok(trace));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    title: String,
    description: String,
    unit: Option<String>,
    domains: Vec<Domain>,
    tasks: Vec<Task>,
    turns: Vec<Turn>,
    spans: Vec<Span>,
    /// The time of the latest `at`, which the next turns get.
    clock: Option<u64>,
}

impl Trace {
    /// An empty trace. Both texts are trimmed, line breaks become spaces.
    ///
    /// # Panics
    ///
    /// If the title or the description is empty.
    ///
    /// ```
    /// let trace = timeline::Trace::new("Quanta 1", "Two tasks, one operation per turn.");
    /// assert_eq!(trace.title(), "Quanta 1");
    /// assert!(trace.turns().is_empty());
    /// ```
    pub fn new(title: impl Into<String>, description: impl Into<String>) -> Trace {
        let title = one_line(title.into());
        let description = one_line(description.into());
        assert!(!title.is_empty(), "timeline: the title is empty");
        assert!(
            !description.is_empty(),
            "timeline: the description is empty"
        );
        Trace {
            title,
            description,
            unit: None,
            domains: Vec::new(),
            tasks: Vec::new(),
            turns: Vec::new(),
            spans: Vec::new(),
            clock: None,
        }
    }

    /// The same trace with another title (trimmed, on one line).
    ///
    /// # Panics
    ///
    /// If `title` is empty.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d").with_title("A better title");
    /// assert_eq!(trace.title(), "A better title");
    /// ```
    pub fn with_title(mut self, title: impl Into<String>) -> Trace {
        self.title = one_line(title.into());
        assert!(!self.title.is_empty(), "timeline: the title is empty");
        self
    }

    /// The same trace with another description (trimmed, on one line).
    ///
    /// # Panics
    ///
    /// If `description` is empty.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d").with_description("What the reader sees.");
    /// assert_eq!(trace.description(), "What the reader sees.");
    /// ```
    pub fn with_description(mut self, description: impl Into<String>) -> Trace {
        self.description = one_line(description.into());
        assert!(
            !self.description.is_empty(),
            "timeline: the description is empty"
        );
        self
    }

    /// Declares a domain (a lane), below the ones declared before. An empty label becomes
    /// `domain ID`.
    ///
    /// # Panics
    ///
    /// If `id` is empty or has whitespace, or is already declared (also implicitly, see
    /// [`turn`](Trace::turn)).
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d").domain("0", "main").domain("1", "");
    /// assert_eq!(trace.domains()[1].label, "domain 1");
    /// ```
    pub fn domain(mut self, id: impl Into<String>, label: impl Into<String>) -> Trace {
        unwrap(self.add_domain(id.into(), label.into()));
        self
    }

    /// Declares a task (a row), below the ones declared before. An empty label becomes the
    /// id.
    ///
    /// # Panics
    ///
    /// If `id` is empty or has whitespace, or is already declared.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d").task("w", "");
    /// assert_eq!(trace.tasks()[0].label, "w");
    /// ```
    pub fn task(mut self, id: impl Into<String>, label: impl Into<String>) -> Trace {
        unwrap(self.add_task(id.into(), label.into()));
        self
    }

    /// Adds a turn on `domain`: `task` ran and stopped at `stop`. It is the domain's next
    /// turn (turns are numbered 1, 2, 3... per domain, in the order they are added). If no
    /// domain is declared yet, domain `0` (label `domain 0`) is declared first.
    ///
    /// # Panics
    ///
    /// If the domain or the task is not declared, or `stop` is empty or contains ` -- `
    /// (which the text format uses to start the note).
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d").task("a", "A").turn("0", "a", "yield");
    /// assert_eq!(trace.domains()[0].id, "0");
    /// assert_eq!(trace.turns()[0].stop, "yield");
    /// ```
    pub fn turn(
        mut self,
        domain: impl Into<String>,
        task: impl Into<String>,
        stop: impl Into<String>,
    ) -> Trace {
        self.declare_default_domain();
        unwrap(self.add_turn(domain.into(), task.into(), stop.into(), None));
        self
    }

    /// Sets the note of the latest turn added (trimmed, on one line; empty means none).
    ///
    /// # Panics
    ///
    /// If no turn has been added.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d")
    ///     .task("a", "A")
    ///     .turn("0", "a", "park")
    ///     .note("waits for b");
    /// assert_eq!(trace.turns()[0].note.as_deref(), Some("waits for b"));
    /// ```
    pub fn note(mut self, note: impl Into<String>) -> Trace {
        let turn = self
            .turns
            .last_mut()
            .expect("timeline: a note needs a turn to go with");
        turn.note = non_empty(one_line(note.into()));
        self
    }

    /// Gives the run queue of `domain` after its latest turn, front first (it may be
    /// empty). If no domain is declared yet, domain `0` is declared first.
    ///
    /// # Panics
    ///
    /// If the domain or one of the tasks is not declared, if the domain has had no turn
    /// yet, or if that turn's queue was already given.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d")
    ///     .task("a", "A")
    ///     .task("b", "B")
    ///     .turn("0", "a", "yield")
    ///     .queue("0", &["b", "a"]);
    /// assert_eq!(trace.turns()[0].queue.as_deref(), Some(&["b".to_string(), "a".to_string()][..]));
    /// let empty = timeline::Trace::new("t", "d").task("a", "A").turn("0", "a", "done").queue("0", &[]);
    /// assert_eq!(empty.turns()[0].queue, Some(vec![]));
    /// ```
    pub fn queue(mut self, domain: impl Into<String>, tasks: &[&str]) -> Trace {
        self.declare_default_domain();
        let tasks = tasks.iter().map(|t| t.to_string()).collect();
        unwrap(self.set_queue(domain.into(), tasks));
        self
    }

    /// Sets the unit of time that the time view's axis names, e.g. `ticks` or `ms`
    /// (trimmed, on one line). The unit alone does not make the trace use time: an
    /// [`at`](Trace::at) or a [`span`](Trace::span) does.
    ///
    /// # Panics
    ///
    /// If `unit` is empty, or the unit was already set.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d").unit("ticks");
    /// assert_eq!(trace.time_unit(), Some("ticks"));
    /// assert!(!trace.uses_time());
    /// ```
    pub fn unit(mut self, unit: impl Into<String>) -> Trace {
        unwrap(self.set_unit(unit.into()));
        self
    }

    /// Sets the virtual clock: the turns added from now on happened at `time`. Turns
    /// added before any `at` are drawn at time 0.
    ///
    /// # Panics
    ///
    /// If `time` is earlier than the time of the previous `at`: time never goes back.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d")
    ///     .task("a", "A")
    ///     .turn("0", "a", "sleep 2")
    ///     .at(2)
    ///     .turn("0", "a", "done");
    /// let times: Vec<_> = trace.turns().iter().map(|t| t.time).collect();
    /// assert_eq!(times, [None, Some(2)]);
    /// assert_eq!(trace.clock(), Some(2));
    /// assert!(trace.uses_time());
    /// ```
    pub fn at(mut self, time: u64) -> Trace {
        unwrap(self.set_clock(time));
        self
    }

    /// Adds a bar to the time view: `task` waited from `start` to `end`. `label`
    /// (trimmed, on one line; empty means none) is shown on or beside the bar. Spans
    /// are independent of the clock: they may be added at any point.
    ///
    /// # Panics
    ///
    /// If the task is not declared, or `end` is before `start`.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d")
    ///     .unit("ticks")
    ///     .task("a", "A")
    ///     .span("a", 0, 3, "sleep 3")
    ///     .span("a", 4, 4, "");
    /// assert_eq!(trace.spans().len(), 2);
    /// assert_eq!(trace.spans()[1].label, None);
    /// assert_eq!(trace.end_time(), 4);
    /// ```
    pub fn span(
        mut self,
        task: impl Into<String>,
        start: u64,
        end: u64,
        label: impl Into<String>,
    ) -> Trace {
        unwrap(self.add_span(task.into(), start, end, label.into()));
        self
    }

    /// Adds to what the events backend of the latest turn's domain reported right
    /// before that turn (trimmed, on one line), after a `; ` if some was already given.
    /// In the text format, the `events` line comes before its turn; here, as with
    /// [`note`](Trace::note), the turn comes first.
    ///
    /// # Panics
    ///
    /// If no turn has been added, or `events` is empty.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d")
    ///     .task("l", "listener")
    ///     .turn("0", "l", "accept")
    ///     .events("ready: listener")
    ///     .events("timer 1");
    /// assert_eq!(trace.turns()[0].events.as_deref(), Some("ready: listener; timer 1"));
    /// assert!(trace.to_text().contains("events 0 ready: listener; timer 1\nturn 0 l accept\n"));
    /// ```
    pub fn events(mut self, events: impl Into<String>) -> Trace {
        let Some(turn) = self.turns.last_mut() else {
            panic!("timeline: events need a turn to go with");
        };
        unwrap(add_events(turn, events.into()));
        self
    }

    /// The title.
    ///
    /// ```
    /// assert_eq!(timeline::Trace::new("t", "d").title(), "t");
    /// ```
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The description.
    ///
    /// ```
    /// assert_eq!(timeline::Trace::new("t", "d").description(), "d");
    /// ```
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The domains, in declaration order (the lanes, top to bottom).
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d").domain("0", "a").domain("1", "b");
    /// let ids: Vec<_> = trace.domains().iter().map(|d| d.id.as_str()).collect();
    /// assert_eq!(ids, ["0", "1"]);
    /// ```
    pub fn domains(&self) -> &[Domain] {
        &self.domains
    }

    /// The tasks, in declaration order (the rows, top to bottom).
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d").task("b", "B").task("a", "A");
    /// assert_eq!(trace.tasks()[0].id, "b");
    /// ```
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// Every turn, in the order they were added (all domains mixed).
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d").task("a", "A").turn("0", "a", "done");
    /// assert_eq!(trace.turns().len(), 1);
    /// ```
    pub fn turns(&self) -> &[Turn] {
        &self.turns
    }

    /// The turns of one domain, in order: the first one is its turn 1.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d")
    ///     .domain("0", "main")
    ///     .domain("1", "worker")
    ///     .task("a", "A")
    ///     .task("b", "B")
    ///     .turn("0", "a", "yield")
    ///     .turn("1", "b", "done")
    ///     .turn("0", "a", "done");
    /// let stops: Vec<_> = trace.turns_on("0").map(|t| t.stop.as_str()).collect();
    /// assert_eq!(stops, ["yield", "done"]);
    /// ```
    pub fn turns_on<'a>(&'a self, domain: &'a str) -> impl Iterator<Item = &'a Turn> + 'a {
        self.turns.iter().filter(move |t| t.domain == domain)
    }

    /// The unit of time, if the trace gives one.
    ///
    /// ```
    /// assert_eq!(timeline::Trace::new("t", "d").time_unit(), None);
    /// assert_eq!(timeline::Trace::new("t", "d").unit("ms").time_unit(), Some("ms"));
    /// ```
    pub fn time_unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    /// The spans (the time view's bars), in the order they were added.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d").task("a", "A").span("a", 1, 2, "");
    /// assert_eq!(trace.spans()[0].start, 1);
    /// ```
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// The time of the latest [`at`](Trace::at), which the next turn gets; `None` if
    /// the trace has no `at`.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d");
    /// assert_eq!(trace.clock(), None);
    /// assert_eq!(trace.at(0).at(5).clock(), Some(5));
    /// ```
    pub fn clock(&self) -> Option<u64> {
        self.clock
    }

    /// Whether the trace uses time, that is has an `at` or a `span`: then
    /// [`render`](crate::render) draws the time view above the grid.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d").task("a", "A").turn("0", "a", "yield");
    /// assert!(!trace.uses_time());
    /// assert!(trace.at(0).uses_time());
    /// ```
    pub fn uses_time(&self) -> bool {
        self.clock.is_some() || !self.spans.is_empty()
    }

    /// The largest time of the trace, where the time view's axis ends: the latest
    /// `at`, or the end of a span if one ends later; 0 for a trace without time.
    ///
    /// ```
    /// let trace = timeline::Trace::new("t", "d").task("a", "A").at(2).span("a", 1, 7, "");
    /// assert_eq!(trace.end_time(), 7);
    /// assert_eq!(timeline::Trace::new("t", "d").end_time(), 0);
    /// ```
    pub fn end_time(&self) -> u64 {
        self.spans
            .iter()
            .map(|s| s.end)
            .chain(self.clock)
            .max()
            .unwrap_or(0)
    }

    /// The trace in the text format (see the [crate documentation](crate)): title,
    /// description, the unit if any, every domain, every task, every span, then each turn
    /// (preceded by an `at` line when its time differs from the previous turn's, and by
    /// its `events` line) followed by its queue, and a last `at` if the clock moved after
    /// the last turn. [`parse`](crate::parse) reads it back into an equal trace.
    ///
    /// ```
    /// let trace = timeline::Trace::new("Hi", "One turn.")
    ///     .task("h", "Hello")
    ///     .turn("0", "h", "done")
    ///     .note("printed")
    ///     .queue("0", &[]);
    /// assert_eq!(
    ///     trace.to_text(),
    ///     "title Hi\ndescription One turn.\ndomain 0 domain 0\ntask h Hello\n\
    ///      turn 0 h done -- printed\nqueue 0\n"
    /// );
    /// assert_eq!(timeline::parse(&trace.to_text()), Ok(trace));
    ///
    /// let timed = timeline::Trace::new("Sleep", "A task sleeps 2 ticks.")
    ///     .unit("ticks")
    ///     .task("s", "sleeper")
    ///     .span("s", 0, 2, "sleep 2")
    ///     .at(0)
    ///     .turn("0", "s", "sleep 2")
    ///     .at(2)
    ///     .turn("0", "s", "done")
    ///     .events("timer: s");
    /// assert_eq!(
    ///     timed.to_text(),
    ///     "title Sleep\ndescription A task sleeps 2 ticks.\nunit ticks\ndomain 0 domain 0\n\
    ///      task s sleeper\nspan s 0 2 -- sleep 2\nat 0\nturn 0 s sleep 2\nat 2\n\
    ///      events 0 timer: s\nturn 0 s done\n"
    /// );
    /// assert_eq!(timeline::parse(&timed.to_text()), Ok(timed));
    /// ```
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(out, "title {}", self.title);
        let _ = writeln!(out, "description {}", self.description);
        if let Some(unit) = &self.unit {
            let _ = writeln!(out, "unit {unit}");
        }
        for d in &self.domains {
            let _ = writeln!(out, "domain {} {}", d.id, d.label);
        }
        for t in &self.tasks {
            let _ = writeln!(out, "task {} {}", t.id, t.label);
        }
        for span in &self.spans {
            let _ = write!(out, "span {} {} {}", span.task, span.start, span.end);
            if let Some(label) = &span.label {
                let _ = write!(out, " -- {label}");
            }
            out.push('\n');
        }
        // The time of the latest `at` written.
        let mut time = None;
        for turn in &self.turns {
            if turn.time != time
                && let Some(t) = turn.time
            {
                let _ = writeln!(out, "at {t}");
                time = turn.time;
            }
            if let Some(events) = &turn.events {
                let _ = writeln!(out, "events {} {events}", turn.domain);
            }
            let _ = write!(out, "turn {} {} {}", turn.domain, turn.task, turn.stop);
            if let Some(note) = &turn.note {
                let _ = write!(out, " -- {note}");
            }
            out.push('\n');
            if let Some(queue) = &turn.queue {
                out.push_str("queue ");
                out.push_str(&turn.domain);
                for task in queue {
                    out.push(' ');
                    out.push_str(task);
                }
                out.push('\n');
            }
        }
        if self.clock != time
            && let Some(t) = self.clock
        {
            let _ = writeln!(out, "at {t}");
        }
        out
    }

    // The checked operations, shared by the builder (which panics) and the parser (which
    // reports the line).

    /// Declares domain `0` if no domain is declared: the rule for a first `turn` or
    /// `queue`. Returns whether it did.
    pub(crate) fn declare_default_domain(&mut self) -> bool {
        if self.domains.is_empty() {
            self.domains.push(Domain {
                id: "0".to_string(),
                label: "domain 0".to_string(),
            });
            true
        } else {
            false
        }
    }

    pub(crate) fn add_domain(&mut self, id: String, label: String) -> Result<(), String> {
        check_id(&id, "domain")?;
        if self.domains.iter().any(|d| d.id == id) {
            return Err(format!("duplicate domain id `{id}`"));
        }
        let label = non_empty(one_line(label)).unwrap_or_else(|| format!("domain {id}"));
        self.domains.push(Domain { id, label });
        Ok(())
    }

    pub(crate) fn add_task(&mut self, id: String, label: String) -> Result<(), String> {
        check_id(&id, "task")?;
        if self.tasks.iter().any(|t| t.id == id) {
            return Err(format!("duplicate task id `{id}`"));
        }
        let label = non_empty(one_line(label)).unwrap_or_else(|| id.clone());
        self.tasks.push(Task { id, label });
        Ok(())
    }

    pub(crate) fn add_turn(
        &mut self,
        domain: String,
        task: String,
        stop: String,
        note: Option<String>,
    ) -> Result<(), String> {
        self.check_domain(&domain)?;
        self.check_task(&task)?;
        let stop = one_line(stop);
        if stop.is_empty() {
            return Err("expected a stop point after the task id".to_string());
        }
        if format!(" {stop} ").contains(" -- ") {
            return Err(format!(
                "the stop point `{stop}` contains ` -- `, which starts the note"
            ));
        }
        let note = note.map(one_line).and_then(non_empty);
        self.turns.push(Turn {
            domain,
            task,
            stop,
            note,
            queue: None,
            time: self.clock,
            events: None,
        });
        Ok(())
    }

    pub(crate) fn set_unit(&mut self, unit: String) -> Result<(), String> {
        if let Some(first) = &self.unit {
            return Err(format!("duplicate `unit` (the unit is already `{first}`)"));
        }
        let unit = one_line(unit);
        if unit.is_empty() {
            return Err("expected text after `unit`".to_string());
        }
        self.unit = Some(unit);
        Ok(())
    }

    pub(crate) fn set_clock(&mut self, time: u64) -> Result<(), String> {
        if let Some(now) = self.clock
            && time < now
        {
            return Err(format!("time goes backwards: `at {time}` after `at {now}`"));
        }
        self.clock = Some(time);
        Ok(())
    }

    pub(crate) fn add_span(
        &mut self,
        task: String,
        start: u64,
        end: u64,
        label: String,
    ) -> Result<(), String> {
        self.check_task(&task)?;
        if end < start {
            return Err(format!(
                "the span of `{task}` ends at {end}, before it starts at {start}"
            ));
        }
        let label = non_empty(one_line(label));
        self.spans.push(Span {
            task,
            start,
            end,
            label,
        });
        Ok(())
    }

    /// The latest turn, for the parser to give it the events that came before it.
    pub(crate) fn last_turn_mut(&mut self) -> Option<&mut Turn> {
        self.turns.last_mut()
    }

    pub(crate) fn set_queue(&mut self, domain: String, tasks: Vec<String>) -> Result<(), String> {
        self.check_domain(&domain)?;
        for task in &tasks {
            self.check_task(task)?;
        }
        let number = self.turns_on(&domain).count();
        let Some(turn) = self.turns.iter_mut().rev().find(|t| t.domain == domain) else {
            return Err(format!(
                "a queue must follow a turn, and domain `{domain}` has had no turn yet"
            ));
        };
        if turn.queue.is_some() {
            return Err(format!(
                "the queue after turn {number} of domain `{domain}` is already given"
            ));
        }
        turn.queue = Some(tasks);
        Ok(())
    }

    /// A trace with an empty title and description, which the parser fills in last.
    pub(crate) fn blank() -> Trace {
        Trace {
            title: String::new(),
            description: String::new(),
            unit: None,
            domains: Vec::new(),
            tasks: Vec::new(),
            turns: Vec::new(),
            spans: Vec::new(),
            clock: None,
        }
    }

    pub(crate) fn set_title(&mut self, title: String) {
        self.title = title;
    }

    pub(crate) fn set_description(&mut self, description: String) {
        self.description = description;
    }

    pub(crate) fn check_domain(&self, id: &str) -> Result<(), String> {
        if self.domains.iter().any(|d| d.id == id) {
            Ok(())
        } else {
            Err(format!("undeclared domain `{id}`"))
        }
    }

    fn check_task(&self, id: &str) -> Result<(), String> {
        if self.tasks.iter().any(|t| t.id == id) {
            Ok(())
        } else {
            Err(format!("undeclared task `{id}`"))
        }
    }
}

/// Panics with the message of a broken rule (the builder's way to report it).
fn unwrap(result: Result<(), String>) {
    if let Err(message) = result {
        panic!("timeline: {message}");
    }
}

/// Adds `events` (one line, not empty) to what came before `turn`, after a `; `.
pub(crate) fn add_events(turn: &mut Turn, events: String) -> Result<(), String> {
    let events = one_line(events);
    if events.is_empty() {
        return Err("the events' text is empty".to_string());
    }
    match &mut turn.events {
        Some(before) => {
            before.push_str("; ");
            before.push_str(&events);
        }
        None => turn.events = Some(events),
    }
    Ok(())
}

fn check_id(id: &str, what: &str) -> Result<(), String> {
    if id.is_empty() {
        Err(format!("expected a {what} id"))
    } else if id.contains(char::is_whitespace) {
        Err(format!("a {what} id has no whitespace: `{id}`"))
    } else {
        Ok(())
    }
}

/// `text` on one line (line breaks become spaces), trimmed.
fn one_line(text: String) -> String {
    if text.contains(['\n', '\r']) {
        text.replace("\r\n", " ")
            .replace(['\n', '\r'], " ")
            .trim()
            .to_string()
    } else if text.trim().len() != text.len() {
        text.trim().to_string()
    } else {
        text
    }
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_are_numbered_per_domain() {
        let trace = Trace::new("t", "d")
            .domain("0", "a")
            .domain("1", "b")
            .task("x", "X")
            .turn("0", "x", "yield")
            .turn("1", "x", "yield")
            .turn("0", "x", "done");
        assert_eq!(trace.turns_on("0").count(), 2);
        assert_eq!(trace.turns_on("1").count(), 1);
    }

    #[test]
    fn the_first_turn_declares_domain_0_only_when_none_is_declared() {
        let implicit = Trace::new("t", "d").task("x", "X").turn("0", "x", "done");
        assert_eq!(
            implicit.domains(),
            &[Domain {
                id: "0".into(),
                label: "domain 0".into()
            }]
        );
        let explicit = Trace::new("t", "d")
            .domain("7", "seven")
            .task("x", "X")
            .turn("7", "x", "done");
        assert_eq!(explicit.domains().len(), 1);
    }

    #[test]
    #[should_panic(expected = "timeline: undeclared task `y`")]
    fn a_turn_of_an_undeclared_task_panics() {
        let _ = Trace::new("t", "d").task("x", "X").turn("0", "y", "done");
    }

    #[test]
    #[should_panic(expected = "timeline: undeclared domain `1`")]
    fn a_turn_on_an_undeclared_domain_panics() {
        let _ = Trace::new("t", "d").task("x", "X").turn("1", "x", "done");
    }

    #[test]
    #[should_panic(expected = "timeline: duplicate task id `x`")]
    fn a_task_declared_twice_panics() {
        let _ = Trace::new("t", "d").task("x", "X").task("x", "Y");
    }

    #[test]
    #[should_panic(expected = "contains ` -- `")]
    fn a_stop_with_the_note_separator_panics() {
        let _ = Trace::new("t", "d").task("x", "X").turn("0", "x", "a -- b");
    }

    #[test]
    #[should_panic(expected = "has no whitespace")]
    fn an_id_with_a_space_panics() {
        let _ = Trace::new("t", "d").task("x y", "X");
    }

    #[test]
    fn texts_are_kept_on_one_line() {
        let trace = Trace::new(" two\nlines ", "d")
            .task("x", "a\r\nb")
            .turn("0", "x", "done")
            .note("n\n");
        assert_eq!(trace.title(), "two lines");
        assert_eq!(trace.tasks()[0].label, "a b");
        assert_eq!(trace.turns()[0].note.as_deref(), Some("n"));
    }

    #[test]
    fn a_queue_goes_with_the_latest_turn_of_its_domain() {
        let trace = Trace::new("t", "d")
            .domain("0", "a")
            .domain("1", "b")
            .task("x", "X")
            .task("y", "Y")
            .turn("0", "x", "yield")
            .turn("1", "y", "yield")
            .queue("0", &["x"]);
        assert_eq!(trace.turns()[0].queue, Some(vec!["x".to_string()]));
        assert_eq!(trace.turns()[1].queue, None);
    }

    #[test]
    #[should_panic(expected = "timeline: time goes backwards: `at 1` after `at 2`")]
    fn an_at_going_backwards_panics() {
        let _ = Trace::new("t", "d").at(2).at(1);
    }

    #[test]
    #[should_panic(expected = "timeline: the span of `x` ends at 1, before it starts at 2")]
    fn a_span_ending_before_it_starts_panics() {
        let _ = Trace::new("t", "d").task("x", "X").span("x", 2, 1, "");
    }

    #[test]
    #[should_panic(expected = "timeline: undeclared task `y`")]
    fn a_span_of_an_undeclared_task_panics() {
        let _ = Trace::new("t", "d").task("x", "X").span("y", 0, 1, "");
    }

    #[test]
    #[should_panic(expected = "timeline: duplicate `unit`")]
    fn a_second_unit_panics() {
        let _ = Trace::new("t", "d").unit("ms").unit("s");
    }

    #[test]
    #[should_panic(expected = "timeline: events need a turn to go with")]
    fn events_without_a_turn_panic() {
        let _ = Trace::new("t", "d").events("ready");
    }

    #[test]
    #[should_panic(expected = "timeline: the events' text is empty")]
    fn empty_events_panic() {
        let _ = Trace::new("t", "d")
            .task("x", "X")
            .turn("0", "x", "read")
            .events(" ");
    }

    #[test]
    fn to_text_writes_time_and_events_where_they_apply() {
        let trace = Trace::new("T", "D")
            .task("a", "A")
            .turn("0", "a", "sleep 2")
            .span("a", 0, 2, "")
            .at(0)
            .turn("0", "a", "yield")
            .at(2)
            .at(3)
            .turn("0", "a", "read")
            .events("ready: a")
            .events("timer")
            .turn("0", "a", "done")
            .at(9);
        assert_eq!(
            trace.to_text(),
            "title T\ndescription D\ndomain 0 domain 0\ntask a A\nspan a 0 2\n\
             turn 0 a sleep 2\nat 0\nturn 0 a yield\nat 3\nevents 0 ready: a; timer\n\
             turn 0 a read\nturn 0 a done\nat 9\n"
        );
        assert_eq!(crate::parse(&trace.to_text()), Ok(trace));
        // An `at` with no turn after it, even at time 0, is kept.
        let only_at = Trace::new("T", "D").at(0);
        assert_eq!(only_at.to_text(), "title T\ndescription D\nat 0\n");
        assert_eq!(crate::parse(&only_at.to_text()), Ok(only_at));
    }

    #[test]
    fn a_note_made_of_dashes_reads_back() {
        // `to_text` writes `turn 0 a s -- --`: the first ` -- ` starts the note.
        let t = Trace::new("T", "D")
            .task("a", "A")
            .turn("0", "a", "s")
            .note("--");
        assert_eq!(crate::parse(&t.to_text()), Ok(t));
    }

    #[test]
    fn to_text_writes_every_line_in_order() {
        let trace = Trace::new("T", "D")
            .domain("0", "main")
            .task("a", "A")
            .task("b", "B b")
            .turn("0", "a", "yield")
            .queue("0", &["b", "a"])
            .turn("0", "b", "print \"x\"")
            .note("n");
        assert_eq!(
            trace.to_text(),
            "title T\ndescription D\ndomain 0 main\ntask a A\ntask b B b\n\
             turn 0 a yield\nqueue 0 b a\nturn 0 b print \"x\" -- n\n"
        );
    }
}
