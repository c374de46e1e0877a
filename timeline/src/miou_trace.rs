//! Turning the trace events of a real `miou` run ([`miou::TraceEvent`]) into a [`Trace`].
//!
//! A `Resume` opens a turn on the event's domain; the `Yield`, `Park` or `Finish` of the
//! same task on the same domain closes it. Everything else becomes a note: on the turn
//! open on the event's domain when it is about that turn's task, else on the task's next
//! turn.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use miou::{TaskId, TraceEvent, TraceKind};

use crate::model::Trace;

/// A turn that has begun (`Resume`) and not ended yet.
struct Open {
    task: TaskId,
    notes: Vec<String>,
}

/// The trace of a `miou` run, from the events its [`Builder::trace`](miou::Builder::trace)
/// reporter saw, in the order it saw them.
///
/// - One lane per domain that has an event, in the order of the domains' indexes,
///   labelled `domain N`.
/// - One row per task, in the order the tasks first appear (a `Spawn`, or the root's
///   first `Resume`), with id and label `n@d` (miou's `TaskId` display).
/// - A `Resume` and the `Yield`, `Park` or `Finish` that follows it for the same task on
///   the same domain make a turn whose stop point is `yield`, `park`, `done` or `failed`
///   (`Finish` with `ok: false`, which includes cancelled tasks).
/// - Notes: `spawn n@d` or `call n@d on domain N` on the parent's turn; `cancel n@d` on
///   the canceller's turn and `cancel requested` on the cancelled task's turn;
///   `panicked`; `broke a rule: StillHasChildren`; `stolen from domain N` on the stolen
///   task's first turn. Several notes are joined with `; `. A `Wake` draws nothing: the
///   task's next turn shows it ran again.
/// - A turn still open when the events end has the stop point `running`.
///
/// Miou does not report its run queues, so the trace has no `queue`. Events from
/// several domains interleave as the threads reported them, so two runs of the same
/// program can give different traces; each domain's own sequence of turns is exact.
///
/// ```
/// use std::sync::{Arc, Mutex};
///
/// let events = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&events);
/// miou::Builder::new()
///     .domains(0)
///     .trace(move |e| log.lock().unwrap().push(e.clone()))
///     .run(async { miou::spawn(async { 1 }).await.unwrap() });
/// let trace = timeline::from_miou(&events.lock().unwrap());
/// let rows: Vec<_> = trace.tasks().iter().map(|t| t.label.as_str()).collect();
/// assert_eq!(rows, ["1@0", "2@0"]);
/// assert_eq!(trace.turns().last().unwrap().stop, "done");
/// let svg = timeline::render(&trace);
/// assert!(svg.contains("<title>"));
/// ```
pub fn from_miou(events: &[TraceEvent]) -> Trace {
    let domains: BTreeSet<usize> = events.iter().map(|e| e.domain.index()).collect();
    let mut trace = Trace::new(
        match domains.len() {
            1 => "A miou run on 1 domain".to_string(),
            n => format!("A miou run on {n} domains"),
        },
        "One lane per domain of the run, one column per turn on that domain, one row per \
         task (n@d: the n-th task created on domain d). A filled cell shows how the task's \
         turn ended: yield (back of the queue), park (waiting), done or failed. Each \
         domain is a thread: columns of different lanes do not line up in time.",
    );
    for d in &domains {
        trace = trace.domain(d.to_string(), format!("domain {d}"));
    }
    let mut builder = Builder {
        trace,
        declared: HashSet::new(),
        open: BTreeMap::new(),
        pending: HashMap::new(),
    };
    for event in events {
        builder.event(event);
    }
    builder.finish()
}

struct Builder {
    trace: Trace,
    declared: HashSet<TaskId>,
    /// The open turn of each domain, by index.
    open: BTreeMap<usize, Open>,
    /// Notes waiting for a task's next turn.
    pending: HashMap<TaskId, Vec<String>>,
}

impl Builder {
    fn declare(&mut self, task: TaskId) {
        if self.declared.insert(task) {
            let id = task.to_string();
            let trace = std::mem::replace(&mut self.trace, Trace::blank());
            self.trace = trace.task(id.clone(), id);
        }
    }

    fn event(&mut self, event: &TraceEvent) {
        let domain = event.domain.index();
        let task = event.task;
        match &event.kind {
            TraceKind::Spawn { parent, runner } => {
                self.declare(*parent);
                self.declare(task);
                let note = if runner.index() == domain {
                    format!("spawn {task}")
                } else {
                    format!("call {task} on domain {runner}")
                };
                if let Some(open) = self.open.get_mut(&domain) {
                    open.notes.push(note);
                }
            }
            TraceKind::Resume => {
                self.declare(task);
                if let Some(open) = self.open.remove(&domain) {
                    // A turn that never ended (not something miou reports): close it.
                    self.push(domain, open, "unknown");
                }
                let notes = self.pending.remove(&task).unwrap_or_default();
                self.open.insert(domain, Open { task, notes });
            }
            TraceKind::Yield => self.close(domain, task, "yield"),
            TraceKind::Park => self.close(domain, task, "park"),
            TraceKind::Finish { ok: true } => self.close(domain, task, "done"),
            TraceKind::Finish { ok: false } => self.close(domain, task, "failed"),
            TraceKind::Cancel => {
                if let Some(open) = self.open.get_mut(&domain)
                    && open.task != task
                {
                    open.notes.push(format!("cancel {task}"));
                }
                self.note(domain, task, "cancel requested".to_string());
            }
            // A timeline shows turns: the wake is where the next turn can begin.
            TraceKind::Wake => {}
            TraceKind::Panic => self.note(domain, task, "panicked".to_string()),
            TraceKind::RuleBroken { error } => {
                self.note(domain, task, format!("broke a rule: {error}"));
            }
            TraceKind::Stolen { from } => {
                self.declare(task);
                self.pending
                    .entry(task)
                    .or_default()
                    .push(format!("stolen from domain {from}"));
            }
            other => self.note(domain, task, format!("{other:?}")),
        }
    }

    /// A note on `task`'s open turn on `domain`, else on its next turn.
    fn note(&mut self, domain: usize, task: TaskId, note: String) {
        self.declare(task);
        match self.open.get_mut(&domain) {
            Some(open) if open.task == task => open.notes.push(note),
            _ => self.pending.entry(task).or_default().push(note),
        }
    }

    /// Ends `task`'s turn on `domain` at `stop`.
    fn close(&mut self, domain: usize, task: TaskId, stop: &str) {
        self.declare(task);
        match self.open.remove(&domain) {
            Some(open) if open.task == task => self.push(domain, open, stop),
            other => {
                // An end without its `Resume` (not something miou reports): keep it as a
                // turn of its own, after closing whatever was open.
                if let Some(open) = other {
                    self.push(domain, open, "unknown");
                }
                let mut notes = self.pending.remove(&task).unwrap_or_default();
                notes.push("no resume before this end".to_string());
                self.push(domain, Open { task, notes }, stop);
            }
        }
    }

    fn push(&mut self, domain: usize, open: Open, stop: &str) {
        let trace = std::mem::replace(&mut self.trace, Trace::blank());
        let trace = trace.turn(domain.to_string(), open.task.to_string(), stop);
        self.trace = if open.notes.is_empty() {
            trace
        } else {
            trace.note(open.notes.join("; "))
        };
    }

    fn finish(mut self) -> Trace {
        let open = std::mem::take(&mut self.open);
        for (domain, mut turn) in open {
            turn.notes
                .push("the trace ends during this turn".to_string());
            self.push(domain, turn, "running");
        }
        self.trace
    }
}
