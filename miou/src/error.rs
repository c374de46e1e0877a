//! The errors a task can observe, the panic payload a failed task leaves behind, and
//! the failure of a run with the details of who broke a rule.
//!
//! Every variant names the rule that was broken, so that the message a user sees in a
//! log is enough to find the mistake; [`Failure`] adds which task broke it, and where
//! that task and the children it left were spawned.

use std::any::Any;
use std::fmt;
use std::panic::Location;

use crate::id::TaskId;
use crate::task::TaskName;

/// Why a task did not produce its value, or why an operation was refused.
///
/// ```
/// let err = miou::Builder::new()
///     .domains(0)
///     .try_run(async {
///         // Dropping a promise does not count as awaiting it.
///         let _forgotten = miou::spawn(async {});
///     })
///     .unwrap_err();
/// assert!(matches!(err, miou::Error::StillHasChildren));
/// ```
///
/// # Which task, spawned where
///
/// Each variant is the rule, the same for every task, so that a program can match on
/// it. Which task broke it is told elsewhere, by the id a task displays as `n@d` (its
/// number `n` on domain `d`) and where it was spawned:
///
/// - a run that fails ([`StillHasChildren`](Error::StillHasChildren),
///   [`ResourceLeaked`](Error::ResourceLeaked)): [`Builder::run`](crate::Builder::run)
///   panics with the whole story, and
///   [`Builder::try_run_detailed`](crate::Builder::try_run_detailed) returns it as a
///   [`Failure`] (`try_run` returns its [`Failure::error`]);
/// - a panic: the [`Panic`] of [`Panicked`](Error::Panicked) names the task that
///   panicked, in its `Display` and through [`Panic::task`] and [`Panic::spawned_at`];
/// - [`NotAChild`](Error::NotAChild): [`cancel`](crate::cancel) panics with a message
///   that names both tasks; an `.await`, [`await_one`](crate::await_one) or
///   [`await_first`](crate::await_first) that returns it also logs them (a `tracing`
///   warning, a [`TraceKind::RuleBroken`](crate::TraceKind::RuleBroken) event, and the
///   `MIOU_DEBUG` log).
///
/// ```
/// let line = line!() + 4; // the line of the forgotten `spawn` below
/// let failure = miou::Builder::new()
///     .domains(0)
///     .try_run_detailed(async {
///         let _forgotten = miou::spawn(async {});
///     })
///     .unwrap_err();
/// assert!(matches!(failure.error(), miou::Error::StillHasChildren));
/// // a task returned while some of its children were neither awaited nor
/// // cancelled [...]: the root task (1@0, run at src/main.rs:5:6) returned
/// // while 1 child was neither awaited nor cancelled: 2@0 (spawned at
/// // src/main.rs:8:27)
/// println!("{failure}");
/// let text = failure.to_string();
/// assert!(text.contains("the root task (1@0"), "{text}");
/// assert!(text.contains(&format!("2@0 (spawned at {}:{line}:", file!())), "{text}");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The task was cancelled (by its parent, by `await_first`, or because the run
    /// failed) before it could return.
    Cancelled,
    /// The task panicked; the payload is kept.
    Panicked(Panic),
    /// A task returned while one of its children was neither awaited nor cancelled.
    /// Fatal to the whole run.
    StillHasChildren,
    /// A task tried to await or cancel a promise it is not the parent of.
    NotAChild,
    /// A task returned while it still owned a resource. The resource's finaliser ran;
    /// the run fails.
    ResourceLeaked,
    /// The current task does not own the resource it tried to use.
    NotOwner,
    /// `call` or `parallel` found no worker domain to run on (domain 0 and the calling
    /// domain are never used).
    NoDomainAvailable,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Cancelled => f.write_str("the task was cancelled before it returned"),
            Error::Panicked(p) => {
                match p.0.task {
                    Some(task) => write!(f, "{task} panicked")?,
                    None => f.write_str("the task panicked")?,
                }
                match p.message() {
                    Some(m) => write!(f, ": {m}"),
                    None => f.write_str(" (with a payload that is not a string)"),
                }
            }
            Error::StillHasChildren => f.write_str(
                "a task returned while some of its children were neither awaited nor cancelled \
                 (rule: a task awaits or cancels every child it spawns; dropping a Promise \
                 does not count, nor does a combinator of another crate, such as a `select!` \
                 or a timeout, dropping the branch that awaited it: race children with \
                 `miou::await_first`, and bound a computation with `miou::time::timeout` or \
                 a `miou::Scope`, which cancel the tasks it started)",
            ),
            Error::NotAChild => f.write_str(
                "a task tried to await or cancel a promise that is not its own child \
                 (rule: only the parent of a task may await or cancel it)",
            ),
            Error::ResourceLeaked => f.write_str(
                "a task returned while still owning a resource; its finaliser ran \
                 (rule: a task releases, disowns or transfers its resources before returning)",
            ),
            Error::NotOwner => f.write_str(
                "the current task does not own this resource \
                 (rule: only the owner of a resource may use, release or transfer it)",
            ),
            Error::NoDomainAvailable => f.write_str(
                "no worker domain is available for `call` or `parallel` \
                 (domain 0 and the calling domain are never used; start the run with \
                 more domains, e.g. `Builder::domains(n)` or MIOU_DOMAINS)",
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Why a run failed: the [`Error`], and which task broke the rule, where it was
/// spawned and, for [`StillHasChildren`](Error::StillHasChildren), the children it left
/// (a few by name, then how many more). What
/// [`Builder::try_run_detailed`](crate::Builder::try_run_detailed) returns, and what
/// [`Builder::run`](crate::Builder::run) panics with.
///
/// Its `Display` is the error's sentence, then the detail:
///
/// ```text
/// a task returned while some of its children were neither awaited nor cancelled (rule:
/// [...]): task 2@0 (spawned at src/main.rs:4:17) returned while 2 children were neither
/// awaited nor cancelled: 3@0 (spawned at src/main.rs:5:21), 4@0 (spawned at
/// src/main.rs:6:21)
/// ```
///
/// ```
/// let f = miou::Builder::new()
///     .domains(0)
///     .try_run_detailed(async {
///         let r = miou::Ownership::create((), |()| {});
///         r.own().unwrap(); // never released
///     })
///     .unwrap_err();
/// assert!(matches!(f.error(), miou::Error::ResourceLeaked));
/// assert!(f.detail().unwrap().starts_with("the root task (1@0, run at "));
/// let e: miou::Error = f.into(); // what `try_run` returns
/// ```
pub struct Failure {
    error: Error,
    /// Boxed: a failure is rare, and three words are enough to carry it.
    detail: Option<Box<str>>,
}

impl Failure {
    pub(crate) fn new(error: Error, detail: String) -> Failure {
        Failure {
            error,
            detail: Some(detail.into_boxed_str()),
        }
    }

    /// The error, to match on.
    ///
    /// ```
    /// let f = miou::Builder::new()
    ///     .domains(0)
    ///     .try_run_detailed(async {
    ///         let _lost = miou::spawn(async {}); // never awaited
    ///     })
    ///     .unwrap_err();
    /// assert!(matches!(f.error(), miou::Error::StillHasChildren));
    /// ```
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The error, without the detail.
    ///
    /// ```
    /// let f = miou::Builder::new()
    ///     .domains(0)
    ///     .try_run_detailed(async { panic!("boom") })
    ///     .unwrap_err();
    /// let miou::Error::Panicked(p) = f.into_error() else { panic!("the root panicked") };
    /// assert_eq!(p.message(), Some("boom"));
    /// ```
    pub fn into_error(self) -> Error {
        self.error
    }

    /// Which task broke the rule, where it was spawned, and what it left behind (`None`
    /// when the run failed without such a story, e.g. the root panicked: then the
    /// [`Panic`] names the task).
    ///
    /// ```
    /// let lost = miou::Builder::new()
    ///     .domains(0)
    ///     .try_run_detailed(async {
    ///         let _lost = miou::spawn(async {}); // never awaited
    ///     })
    ///     .unwrap_err();
    /// assert!(lost.detail().unwrap().contains("1 child was neither awaited nor cancelled: 2@0"));
    /// let panicked = miou::Builder::new()
    ///     .domains(0)
    ///     .try_run_detailed(async { panic!("boom") })
    ///     .unwrap_err();
    /// assert_eq!(panicked.detail(), None);
    /// ```
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure {
            error,
            detail: None,
        }
    }
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Error {
        f.error
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{}: {d}", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("error", &self.error)
            .field("detail", &self.detail)
            .finish()
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// What a panicking task left behind: its payload, the message when there is one, and
/// which task it was (its id, and where it was spawned).
///
/// ```
/// let r = miou::Builder::new().domains(0).run(async {
///     miou::spawn(async { panic!("boom") }).await
/// });
/// match r {
///     Err(miou::Error::Panicked(p)) => assert_eq!(p.message(), Some("boom")),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
pub struct Panic(Box<PanicInner>);

/// Boxed, so that [`Error`] (and so every task's result slot) stays two words.
struct PanicInner {
    /// The message, read once when the task failed (`&str` and `String` payloads).
    message: Option<String>,
    /// The task that panicked (`None` for a panic caught outside a task's turn).
    task: Option<TaskName>,
    /// Behind a mutex so that `Panic`, and so [`Error`], are `Sync`: errors travel in
    /// `io::Error`, `anyhow` and friends, which require it. Only `into_payload` takes it.
    payload: std::sync::Mutex<Box<dyn Any + Send>>,
}

impl Panic {
    pub(crate) fn new(payload: Box<dyn Any + Send>) -> Panic {
        let message = if let Some(s) = payload.downcast_ref::<&'static str>() {
            Some((*s).to_string())
        } else {
            payload.downcast_ref::<String>().cloned()
        };
        Panic(Box::new(PanicInner {
            message,
            task: None,
            payload: std::sync::Mutex::new(payload),
        }))
    }

    /// The panic of `task`.
    pub(crate) fn in_task(payload: Box<dyn Any + Send>, task: TaskName) -> Panic {
        let mut p = Panic::new(payload);
        p.0.task = Some(task);
        p
    }

    /// The task that panicked.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let p = miou::spawn(async { panic!("boom") });
    ///     let id = p.id();
    ///     match p.await {
    ///         Err(miou::Error::Panicked(panic)) => assert_eq!(panic.task(), Some(id)),
    ///         other => panic!("unexpected {other:?}"),
    ///     }
    /// });
    /// ```
    pub fn task(&self) -> Option<TaskId> {
        self.0.task.map(|t| t.id)
    }

    /// Where the task that panicked was spawned (for the root task, where the run was
    /// started). The error's `Display` shows it too: `task 2@0 (spawned at
    /// src/main.rs:3:17) panicked: boom`.
    ///
    /// ```
    /// let line = line!() + 2;
    /// let r = miou::Builder::new().domains(0).run(async {
    ///     miou::spawn(async { panic!("boom") }).await
    /// });
    /// let Err(miou::Error::Panicked(p)) = r else { panic!("it panicked") };
    /// assert_eq!(p.spawned_at().map(|l| l.line()), Some(line));
    /// ```
    pub fn spawned_at(&self) -> Option<&'static Location<'static>> {
        self.0.task.map(|t| t.spawned_at)
    }

    /// The panic message, when the payload is a string (as with `panic!("...")`).
    ///
    /// ```
    /// let (a, b) = miou::Builder::new().domains(0).run(async {
    ///     let a = miou::spawn(async { panic!("boom {}", 42) });
    ///     let b = miou::spawn(async { std::panic::panic_any(7_u32) });
    ///     (a.await, b.await)
    /// });
    /// let (Err(miou::Error::Panicked(a)), Err(miou::Error::Panicked(b))) = (a, b) else {
    ///     panic!("both panicked")
    /// };
    /// assert_eq!(a.message(), Some("boom 42")); // a `String` payload
    /// assert_eq!(b.message(), None); // not a string
    /// ```
    pub fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// The payload, to resume the panic with [`std::panic::resume_unwind`].
    ///
    /// ```
    /// let r = miou::Builder::new().domains(0).run(async {
    ///     miou::spawn(async { std::panic::panic_any(7_u32) }).await
    /// });
    /// let Err(miou::Error::Panicked(p)) = r else { panic!("it panicked") };
    /// let payload = p.into_payload();
    /// assert_eq!(payload.downcast_ref::<u32>(), Some(&7));
    /// // std::panic::resume_unwind(payload) would panic again, with the same payload
    /// ```
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        self.0
            .payload
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = f.debug_tuple("Panic");
        match self.message() {
            Some(m) => t.field(&m),
            None => t.field(&"<non-string payload>"),
        };
        if let Some(task) = self.0.task {
            t.field(&format_args!("{task}"));
        }
        t.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::{Error, Panic};

    #[test]
    fn errors_are_send_sync_and_keep_the_message_and_payload() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<Error>();
        send_sync::<super::Failure>();
        assert_eq!(std::mem::size_of::<Error>(), 16, "an error is two words");
        assert_eq!(std::mem::size_of::<super::Failure>(), 32);
        let p = Panic::new(Box::new(String::from("boom")));
        assert_eq!(p.message(), Some("boom"));
        let e = std::io::Error::other(Error::Panicked(p));
        assert_eq!(e.to_string(), "the task panicked: boom");
        let Ok(Error::Panicked(p)) = e.into_inner().unwrap().downcast::<Error>().map(|b| *b) else {
            panic!("the error round-trips through io::Error")
        };
        assert_eq!(*p.into_payload().downcast::<String>().unwrap(), "boom");
    }
}
