//! OS signals as events a task can wait for: Ctrl-C, `SIGTERM` from a service manager,
//! `SIGHUP` to reload... the usual way for a server to shut down gracefully.
//!
//! Built on [`signal-hook`](https://docs.rs/signal-hook)'s self-pipe: the signal
//! handler only marks the signal pending and writes a byte to a socket pair; the read
//! end is a [`net::UnixStream`](crate::net::UnixStream) of the current domain, so a task
//! that waits for a signal is suspended in the domain's events backend like any reader,
//! and the domain sleeps until the signal arrives. Nothing of the task runs in the
//! handler, so it may use every miou operation.
//!
//! ```
//! use miou::signal::{SIGUSR1, Signals};
//! miou::Builder::new().domains(0).run(async {
//!     let mut signals = Signals::new(&[SIGUSR1]).unwrap();
//!     signal_hook::low_level::raise(SIGUSR1).unwrap();
//!     assert_eq!(signals.recv().await.unwrap(), SIGUSR1);
//! });
//! ```
//!
//! # Unix semantics to know
//!
//! - Signals of one kind that arrive before they are received coalesce into one, as
//!   the OS's own pending signals do: count events with something else.
//! - Every [`Signals`] waiting for a signal receives it (each has its own pending set).
//! - Once a signal has been registered, its default action (for `SIGINT` and `SIGTERM`:
//!   terminate the process) is gone for good: after the last [`Signals`] for it is
//!   dropped, the signal is *ignored*, as `signal-hook` does not restore the previous
//!   disposition. A program that wants a second Ctrl-C to kill it keeps waiting for it
//!   (see the `echo` example), or calls
//!   `signal_hook::low_level::emulate_default_handler`.
//! - Signals that cannot be caught (`SIGKILL`, `SIGSTOP`) or must not be
//!   (`SIGSEGV`, `SIGILL`, `SIGFPE`: see `signal_hook::consts::FORBIDDEN`) are refused
//!   with an error of kind `InvalidInput`.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

use signal_hook::consts::FORBIDDEN;
use signal_hook::iterator::backend::SignalDelivery;
use signal_hook::iterator::exfiltrator::SignalOnly;

use crate::net::UnixStream;

pub use signal_hook::consts::signal::{
    SIGALRM, SIGCHLD, SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
};

/// The name of a signal (`"SIGINT"`), if it has one.
///
/// ```
/// assert_eq!(miou::signal::name(miou::signal::SIGTERM), Some("SIGTERM"));
/// ```
pub fn name(signal: i32) -> Option<&'static str> {
    signal_hook::low_level::signal_name(signal)
}

/// The read end of the self-pipe as `signal-hook` sees it, to drain it: only its number.
/// The descriptor itself belongs to the [`UnixStream`] of the same [`Signals`], which
/// outlives this (see the order of `Signals`' fields).
#[derive(Debug)]
struct ReadEnd(RawFd);

impl AsRawFd for ReadEnd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// A set of OS signals that the current task waits for with [`recv`](Signals::recv).
///
/// It belongs to the domain that created it (`!Send`), like every miou socket. Creating
/// it registers the signals' handlers at once: a signal that arrives between
/// [`new`](Signals::new) and the first `recv` is kept for it. Dropping it unregisters
/// them.
///
/// Two instances (in two tasks, on two domains) both receive each signal:
///
/// ```
/// use miou::signal::{SIGUSR2, Signals};
/// miou::Builder::new().domains(1).run(async {
///     let mut here = Signals::new(&[SIGUSR2]).unwrap();
///     let ready = miou::sync::Computation::new();
///     let r = ready.clone();
///     let there = miou::call(move || async move {
///         let mut signals = Signals::new(&[SIGUSR2]).unwrap();
///         r.try_return(());
///         signals.recv().await.unwrap()
///     });
///     ready.wait().await.unwrap(); // the other domain's handler is registered
///     signal_hook::low_level::raise(SIGUSR2).unwrap();
///     assert_eq!(here.recv().await.unwrap(), SIGUSR2);
///     assert_eq!(there.await.unwrap(), SIGUSR2);
/// });
/// ```
pub struct Signals {
    /// Dropped first: unregisters the handlers, which hold the write end.
    delivery: SignalDelivery<ReadEnd, SignalOnly>,
    /// The read end, registered with this domain's events backend.
    pipe: UnixStream,
    /// Signals taken from `delivery`, not yet returned by `recv`.
    ready: VecDeque<i32>,
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signals")
            .field("ready", &self.ready)
            .finish_non_exhaustive()
    }
}

impl Signals {
    /// Starts catching `signals` for the current task.
    ///
    /// Errors: `InvalidInput` for a signal that cannot or must not be caught (see the
    /// [module](self) documentation), or when the run uses its own events backend
    /// ([`Builder::events`](crate::Builder::events)), which cannot wait for the
    /// self-pipe; the OS's error if a socket pair cannot be made. Panics outside a task.
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// miou::Builder::new().domains(0).run(async {
    ///     let e = miou::signal::Signals::new(&[9]).unwrap_err(); // SIGKILL
    ///     assert_eq!(e.kind(), ErrorKind::InvalidInput);
    /// });
    /// ```
    pub fn new(signals: &[i32]) -> io::Result<Signals> {
        for &s in signals {
            if s <= 0 || s >= 128 || FORBIDDEN.contains(&s) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "miou::signal: signal {s} ({}) cannot be waited for: it cannot be caught, \
                         or catching it would hide a fault",
                        name(s).unwrap_or("unknown")
                    ),
                ));
            }
        }
        let (read, write) = std::os::unix::net::UnixStream::pair()?;
        // The handler sends with MSG_DONTWAIT already; a full pipe means a wake-up is
        // pending anyway.
        write.set_nonblocking(true)?;
        let fd = read.as_raw_fd();
        let pipe = UnixStream::from_std(read).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("miou::signal::Signals: {e}"),
            )
        })?;
        let delivery = SignalDelivery::with_pipe(ReadEnd(fd), write, SignalOnly, signals)?;
        Ok(Signals {
            delivery,
            pipe,
            ready: VecDeque::new(),
        })
    }

    /// Waits for one of the signals and returns its number. A scheduling point.
    ///
    /// Cancel-safe: if the task is cancelled (or a [`timeout`](crate::time::timeout)
    /// drops the future) while it waits, no signal is lost; the next `recv` gets it.
    /// Several signals pending at once are returned one per call, by increasing number.
    ///
    /// ```
    /// use std::time::Duration;
    /// use miou::signal::{SIGHUP, SIGUSR1, Signals};
    /// miou::Builder::new().domains(0).run(async {
    ///     let mut signals = Signals::new(&[SIGUSR1, SIGHUP]).unwrap();
    ///     let quiet = miou::time::timeout(Duration::from_millis(10), signals.recv()).await;
    ///     assert!(quiet.is_err(), "nothing was raised yet");
    ///     signal_hook::low_level::raise(SIGUSR1).unwrap();
    ///     signal_hook::low_level::raise(SIGHUP).unwrap();
    ///     assert_eq!(signals.recv().await.unwrap(), SIGHUP); // 1 < 10
    ///     assert_eq!(signals.recv().await.unwrap(), SIGUSR1);
    /// });
    /// ```
    pub async fn recv(&mut self) -> io::Result<i32> {
        loop {
            if self.ready.is_empty() {
                // Drains the pipe, then takes the pending marks. The handler marks
                // before it writes, so a mark whose byte we drained is seen here, and a
                // later one comes with a byte of its own, which wakes the read below.
                self.ready.extend(self.delivery.pending());
            }
            if !self.ready.is_empty() {
                crate::point::point().await;
                // Taken only now: a recv cancelled at the point above loses nothing.
                return Ok(self.ready.pop_front().expect("not empty"));
            }
            let mut buf = [0u8; 64];
            if self.pipe.read(&mut buf).await? == 0 {
                // The handlers hold the write end until they are unregistered, which
                // happens only when `self` is dropped.
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "miou::signal: the signal pipe was closed",
                ));
            }
        }
    }
}

/// Waits for Ctrl-C (`SIGINT`). A scheduling point.
///
/// The handler is registered when the future is first polled, and unregistered when it
/// returns; after that, `SIGINT` is ignored unless something else waits for it (see the
/// [module](self) documentation). For a server, prefer one [`Signals`] for `SIGINT` and
/// `SIGTERM` kept for the whole run.
///
/// ```
/// miou::Builder::new().domains(0).run(async {
///     let waiter = miou::spawn(miou::signal::ctrl_c());
///     miou::yield_now().await; // the waiter registers its handler and sleeps
///     signal_hook::low_level::raise(miou::signal::SIGINT).unwrap();
///     waiter.await.unwrap().unwrap();
/// });
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    Signals::new(&[SIGINT])?.recv().await.map(drop)
}
