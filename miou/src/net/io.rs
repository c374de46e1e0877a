//! The one way every socket operation is done: pass a scheduling point, try the system
//! call, and only if it says `WouldBlock`, wait for the socket's next readiness event in
//! that direction and try again. A read waits first, without trying, when the last one
//! found the receive buffer empty and no readable event came since (see
//! [`Reactor::drained`]).

use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use mio::event::Source;

use crate::events::reactor::{Direction, Reactor};
use crate::events::{Suspend, suspend_parked, syscall};
use crate::marker::LeavesItsDomain;
use crate::point;
use crate::scheduler::with_domain;

/// A non-blocking socket registered with its domain's reactor. Dropping it deregisters
/// the socket, then closes it; [`into_inner`](Self::into_inner) deregisters it and gives
/// it back open (so that it can be registered again, on this domain or another).
///
/// Neither `Send` nor `Sync` (it holds its domain's reactor, an `Rc`), through the
/// impls below rather than through the `Rc`: a socket moved into `call` is then an error
/// that names the public type ([`Socket::Public`]), not `Rc<Reactor>` (see
/// [`crate::marker`]).
pub(crate) struct Registered<S: Source> {
    /// Always `Some`, except inside `into_inner` (which takes it out before the drop).
    source: Option<S>,
    key: usize,
    reactor: Rc<Reactor>,
}

/// A `mio` socket and the public type of `net` that wraps it, for compile errors.
pub(crate) trait Socket: Source {
    type Public: ?Sized;
}

impl Socket for mio::net::TcpListener {
    type Public = crate::net::TcpListener;
}
impl Socket for mio::net::TcpStream {
    type Public = crate::net::TcpStream;
}
impl Socket for mio::net::UdpSocket {
    type Public = crate::net::UdpSocket;
}
impl Socket for mio::net::UnixListener {
    type Public = crate::net::UnixListener;
}
impl Socket for mio::net::UnixStream {
    type Public = crate::net::UnixStream;
}

// SAFETY: the bound never holds (see `crate::marker`): these impls never apply, and a
// `Registered` is neither `Send` nor `Sync`, as its `Rc` would make it. They replace the
// automatic impls only so that the compiler names the public socket type.
unsafe impl<S: Socket> Send for Registered<S> where (): LeavesItsDomain<S::Public> {}
// SAFETY: as for `Send` above: the impl never applies.
unsafe impl<S: Socket> Sync for Registered<S> where (): LeavesItsDomain<S::Public> {}

impl<S: Source> Registered<S> {
    pub(crate) fn new(mut source: S, what: &str) -> io::Result<Registered<S>> {
        let reactor = with_domain(|d| d.events.reactor().cloned()).ok_or_else(|| {
            io::Error::other(format!(
                "miou::net::{what} needs the built-in events backend, but this run uses its own \
                 (Builder::events)"
            ))
        })?;
        let key = reactor.register(&mut source)?;
        Ok(Registered {
            source: Some(source),
            key,
            reactor,
        })
    }

    /// The socket.
    pub(crate) fn source(&self) -> &S {
        self.source.as_ref().expect("a registered socket")
    }

    /// Deregisters the socket from this domain's reactor and gives it back, open. Its
    /// waiters are released, as when it is dropped (there are none in practice: every
    /// operation borrows the socket, and this takes it).
    pub(crate) fn into_inner(mut self) -> S {
        let mut source = self.source.take().expect("a registered socket");
        self.reactor.deregister(&mut source, self.key);
        source
    }

    /// Does `op` until it does not say `WouldBlock`. A scheduling point.
    pub(crate) async fn io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        point::point().await;
        loop {
            if self.known_empty(direction) {
                self.readiness(direction).await;
            }
            match op(self.source()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.found_empty(direction);
                    self.readiness(direction).await
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }

    /// Whether an operation in `direction` would find nothing to do: a read, when the
    /// receive buffer is known empty (see [`Reactor::drained`]).
    fn known_empty(&self, direction: Direction) -> bool {
        direction == Direction::Read && self.reactor.drained(self.key)
    }

    /// An operation in `direction` said `WouldBlock`.
    fn found_empty(&self, direction: Direction) {
        if direction == Direction::Read {
            self.reactor.mark_drained(self.key);
        }
    }

    /// What a read of `asked` bytes from a stream returned: fewer, and more than none
    /// (none is the end of the stream), means it emptied the receive buffer.
    pub(crate) fn stream_read(&self, read: io::Result<usize>, asked: usize) -> io::Result<usize> {
        if let Ok(n) = read
            && n > 0
            && n < asked
        {
            self.reactor.mark_drained(self.key);
        }
        read
    }

    /// Reads into `buf` from a stream socket. A scheduling point.
    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize>
    where
        for<'a> &'a S: Read,
    {
        let asked = buf.len();
        self.io(Direction::Read, |mut s| {
            self.stream_read(s.read(buf), asked)
        })
        .await
    }

    /// Reads exactly `buf.len()` bytes (`UnexpectedEof` if the stream ends first).
    pub(crate) async fn read_exact(&self, mut buf: &mut [u8]) -> io::Result<()>
    where
        for<'a> &'a S: Read,
    {
        while !buf.is_empty() {
            match self.read(buf).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    /// Writes some of `buf` to a stream socket. A scheduling point.
    pub(crate) async fn write(&self, buf: &[u8]) -> io::Result<usize>
    where
        for<'a> &'a S: Write,
    {
        self.io(Direction::Write, |mut s| s.write(buf)).await
    }

    /// Writes all of `buf` (`WriteZero` if the socket takes nothing).
    pub(crate) async fn write_all(&self, mut buf: &[u8]) -> io::Result<()>
    where
        for<'a> &'a S: Write,
    {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    /// Waits for the next readiness event in `direction`.
    pub(crate) fn readiness(&self, direction: Direction) -> Suspend {
        let s = syscall();
        s.mark_builtin();
        self.reactor.wait(self.key, direction, s.clone());
        suspend_parked(s)
    }

    /// The poll form of [`io`](Self::io), for the `futures-io` traits: `state` keeps the
    /// operation in flight between polls.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        state: &mut PollState,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        if !state.passed {
            if point::poll_point(cx).is_pending() {
                return Poll::Pending;
            }
            state.passed = true;
        }
        loop {
            if state.wait.is_none() && self.known_empty(direction) {
                state.wait = Some(self.readiness(direction));
            }
            if let Some(wait) = state.wait.as_mut() {
                if Pin::new(wait).poll(cx).is_pending() {
                    return Poll::Pending;
                }
                state.wait = None;
            }
            match op(self.source()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.found_empty(direction);
                    state.wait = Some(self.readiness(direction));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => {
                    state.passed = false;
                    return Poll::Ready(r);
                }
            }
        }
    }
}

impl<S: Source> Drop for Registered<S> {
    fn drop(&mut self) {
        if let Some(source) = self.source.as_mut() {
            self.reactor.deregister(source, self.key);
        }
    }
}

/// An operation in flight through a poll-based interface.
#[derive(Default)]
pub(crate) struct PollState {
    passed: bool,
    wait: Option<Suspend>,
}

/// `AsFd` and `AsRawFd` for a socket type whose `io` field is a [`Registered`]: the
/// descriptor is the OS socket's, the one `into_std` hands back.
macro_rules! fd_traits {
    ($ty:ty) => {
        /// The socket's file descriptor, borrowed (it stays registered and owned by the
        /// socket; it is the descriptor `into_std` hands back).
        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(self.io.source())
            }
        }

        /// The socket's raw file descriptor (the same as [`AsFd`](std::os::fd::AsFd)'s).
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(self.io.source())
            }
        }
    };
}
pub(crate) use fd_traits;
