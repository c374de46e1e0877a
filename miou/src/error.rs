//! The errors a task can observe, and the panic payload a failed task leaves behind.
//!
//! Every variant names the rule that was broken, so that the message a user sees in a
//! log is enough to find the mistake.

use std::any::Any;
use std::fmt;

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
            Error::Panicked(p) => match p.message() {
                Some(m) => write!(f, "the task panicked: {m}"),
                None => f.write_str("the task panicked (with a payload that is not a string)"),
            },
            Error::StillHasChildren => f.write_str(
                "a task returned while some of its children were neither awaited nor cancelled \
                 (rule: a task awaits or cancels every child it spawns; dropping a Promise \
                 does not count)",
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

/// What a panicking task left behind: its payload, and the message when there is one.
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
            payload: std::sync::Mutex::new(payload),
        }))
    }

    /// The panic message, when the payload is a string (as with `panic!("...")`).
    pub fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// The payload, to resume the panic with [`std::panic::resume_unwind`].
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        self.0
            .payload
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message() {
            Some(m) => f.debug_tuple("Panic").field(&m).finish(),
            None => f
                .debug_tuple("Panic")
                .field(&"<non-string payload>")
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Error, Panic};

    #[test]
    fn errors_are_send_sync_and_keep_the_message_and_payload() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), 16, "an error is two words");
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
