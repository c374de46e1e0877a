//! What the runtime reports about its scheduling decisions, for timelines and debugging.
//!
//! Install a reporter with [`Builder::trace`](crate::Builder::trace); it sees every
//! event of the run, on the thread of the domain where it happens. With `MIOU_DEBUG`
//! set, the same events are also logged: as `tracing` debug events when the program
//! installed a `tracing` subscriber, else one line each on stderr (see
//! [`Builder::new`](crate::Builder::new)). The log of a broken rule also names the task
//! and where it and the children it left were spawned. With `MIOU_TRACE=path` (or
//! [`Builder::trace_file`](crate::Builder::trace_file)), they are written to a file for
//! Perfetto when the run ends.

use std::fmt;
use std::panic::Location;

use crate::id::DomainId;
use crate::id::TaskId;

/// One scheduling event.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// let events = Arc::new(Mutex::new(Vec::new()));
/// let log = events.clone();
/// let child = miou::Builder::new()
///     .domains(0)
///     .trace(move |e: &miou::TraceEvent| log.lock().unwrap().push(e.clone()))
///     .run(async {
///         let p = miou::spawn(async {});
///         let id = p.id();
///         p.await.unwrap();
///         id
///     });
/// let events = events.lock().unwrap();
/// let first = events.iter().find(|e| e.task == child).unwrap();
/// assert!(matches!(first.kind, miou::TraceKind::Spawn { .. }));
/// assert_eq!(first.domain.index(), 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// The task the event is about.
    pub task: TaskId,
    /// The domain where it happened.
    pub domain: DomainId,
    /// What happened.
    pub kind: TraceKind,
}

/// What happened to a task.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// let events = Arc::new(Mutex::new(Vec::new()));
/// let log = events.clone();
/// let child = miou::Builder::new()
///     .domains(0)
///     .trace(move |e| log.lock().unwrap().push((e.task, e.kind.clone())))
///     .run(async {
///         let p = miou::spawn(async {});
///         let id = p.id();
///         p.await.unwrap();
///         id
///     });
/// let kinds: Vec<String> = events.lock().unwrap().iter()
///     .filter(|(task, _)| *task == child)
///     .map(|(_, kind)| kind.to_string())
///     .collect();
/// assert_eq!(kinds, ["Spawn by 1@0, runs on 0", "Resume", "Finish ok"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceKind {
    /// The task was created by `parent` (on the domain of the event: the parent's).
    Spawn {
        /// The task that created it.
        parent: TaskId,
        /// The domain it will run on.
        runner: DomainId,
    },
    /// The task's turn begins.
    Resume,
    /// An idle domain took this not-yet-started task from domain `from`'s queue.
    Stolen {
        /// The domain it was `call`ed onto.
        from: DomainId,
    },
    /// The task's turn ended at a scheduling point: it is at the back of the queue.
    Yield,
    /// The task's turn ended waiting for something (a child, a lock, a syscall...).
    Park,
    /// The task was woken (or asked to cancel): it is back in its domain's queue.
    ///
    /// Its own domain reports it when it takes the task back: at once for a wake on the
    /// domain's own thread, at the domain's next round of its loop for a wake from
    /// another thread (the event's domain is always the runner), and, for a wake during
    /// the task's own turn, when that turn ends in a `Park` (the task goes back to the
    /// queue at once). So there is a `Wake` between every `Park` and the task's next
    /// `Resume`. A wake that finds the task already queued or complete changes nothing
    /// and is not reported.
    Wake,
    /// Cancellation of the task was requested.
    Cancel,
    /// The task panicked.
    Panic,
    /// The task broke a rule (the error's name). The debug log (`MIOU_DEBUG`) of this
    /// event names the task, where it was spawned, and the children it left.
    RuleBroken {
        /// `"StillHasChildren"` or `"ResourceLeaked"` (the task returned; the run
        /// fails), or `"NotAChild"` (the task awaited another task's child, and got the
        /// error).
        error: &'static str,
    },
    /// The promise of the task was dropped while the task was neither awaited nor
    /// cancelled: its parent can no longer settle it, and the run will fail with
    /// `StillHasChildren` when the parent returns. A `tracing` warning says the same.
    PromiseDropped {
        /// The task that had to await or cancel it.
        parent: TaskId,
        /// Where the task was spawned.
        spawned_at: &'static Location<'static>,
    },
    /// The task is complete (`ok` is false when it failed or was cancelled).
    Finish {
        /// Whether its result is `Ok`.
        ok: bool,
    },
}

/// The event as the debug log writes it (`MIOU_DEBUG`): the variant's name, then what
/// it says, in a few words.
///
/// ```
/// let e = miou::TraceKind::Finish { ok: false };
/// assert_eq!(e.to_string(), "Finish failed");
/// ```
impl fmt::Display for TraceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceKind::Spawn { parent, runner } => {
                write!(f, "Spawn by {parent}, runs on {runner}")
            }
            TraceKind::Resume => f.write_str("Resume"),
            TraceKind::Stolen { from } => write!(f, "Stolen from {from}"),
            TraceKind::Yield => f.write_str("Yield"),
            TraceKind::Park => f.write_str("Park"),
            TraceKind::Wake => f.write_str("Wake"),
            TraceKind::Cancel => f.write_str("Cancel"),
            TraceKind::Panic => f.write_str("Panic"),
            TraceKind::RuleBroken { error } => write!(f, "RuleBroken {error}"),
            TraceKind::PromiseDropped { parent, spawned_at } => {
                write!(f, "PromiseDropped by {parent}, spawned at {spawned_at}")
            }
            TraceKind::Finish { ok: true } => f.write_str("Finish ok"),
            TraceKind::Finish { ok: false } => f.write_str("Finish failed"),
        }
    }
}
