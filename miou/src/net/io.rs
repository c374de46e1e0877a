//! The one way every socket operation is done: pass a scheduling point, try the system
//! call, and only if it says `WouldBlock`, wait for the socket's next readiness event in
//! that direction and try again. One exception, for TCP reads: see
//! [`Registered::read_once`].

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
    /// Whether a read that returns fewer bytes than it asked for (but some) emptied the
    /// receive buffer (see [`Registered::read_once`]). True of TCP; not of Unix streams,
    /// whose reads also stop early at a message carrying descriptors or credentials.
    const SHORT_READ_EMPTIES: bool = false;
}

impl Socket for mio::net::TcpListener {
    type Public = crate::net::TcpListener;
}
impl Socket for mio::net::TcpStream {
    type Public = crate::net::TcpStream;
    const SHORT_READ_EMPTIES: bool = true;
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
            match op(self.source()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.readiness(direction).await,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }

    /// Reads into `buf` from a stream socket. A scheduling point.
    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize>
    where
        S: Socket,
        for<'a> &'a S: Read,
    {
        self.io(Direction::Read, |mut s| self.read_once(buf, |b| s.read(b)))
            .await
    }

    /// One read of a stream into `buf`, for [`io`](Self::io) or
    /// [`poll_io`](Self::poll_io): `read` is the system call, and an empty `buf` reads
    /// nothing at once. On TCP ([`Socket::SHORT_READ_EMPTIES`]), a read that returns
    /// fewer bytes than it asked for (but some: none is the end of the stream) emptied
    /// the receive buffer, as one that says `WouldBlock` found it empty: the socket is
    /// marked drained ([`Reactor::mark_drained`]), and until a readable event forgets the
    /// mark, the next read says `WouldBlock` without the system call, and so waits for
    /// that event. A request-response connection makes one `recv` per request instead of
    /// two this way, as with tokio.
    ///
    /// Only for TCP, and only where mio's readiness is edge-triggered (epoll, kqueue).
    /// A Unix stream may stop a read early with data still queued (at a message that
    /// carries descriptors, at an out-of-band mark), and no event would come for that
    /// data. TCP does so at urgent data only (`MSG_OOB`, which a peer must send on
    /// purpose); such a read then waits for the peer's next bytes, as tokio's does.
    pub(crate) fn read_once(
        &self,
        buf: &mut [u8],
        read: impl FnOnce(&mut [u8]) -> io::Result<usize>,
    ) -> io::Result<usize>
    where
        S: Socket,
    {
        if buf.is_empty() {
            // Nothing to read into: done, as `Read` allows. Not the system call: Linux
            // answers an empty non-blocking `recv` with `WouldBlock` while nothing is
            // queued, and the read would then wait for the peer's next bytes.
            return Ok(0);
        }
        if !(S::SHORT_READ_EMPTIES && SHORT_READ_DRAINS) {
            return read(buf);
        }
        if self.reactor.drained(self.key) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let asked = buf.len();
        let r = read(buf);
        let emptied = match &r {
            Ok(n) => *n > 0 && *n < asked,
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
        };
        if emptied {
            self.reactor.mark_drained(self.key);
        }
        r
    }

    /// Reads exactly `buf.len()` bytes (`UnexpectedEof` if the stream ends first).
    pub(crate) async fn read_exact(&self, mut buf: &mut [u8]) -> io::Result<()>
    where
        S: Socket,
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
            if let Some(wait) = state.wait.as_mut() {
                if Pin::new(wait).poll(cx).is_pending() {
                    return Poll::Pending;
                }
                state.wait = None;
            }
            match op(self.source()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
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

/// Whether mio's readiness is edge-triggered here (epoll, kqueue), so that a short read
/// of a TCP stream may mark it drained (see [`Registered::read_once`]): with the poll(2)
/// emulation mio falls back to elsewhere, a socket is armed again only when an
/// operation says `WouldBlock`, and a read that waited on the mark would wait for ever.
const SHORT_READ_DRAINS: bool = cfg!(all(
    not(mio_unsupported_force_poll_poll),
    any(
        target_os = "android",
        target_os = "illumos",
        target_os = "linux",
        target_os = "redox",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "macos",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    )
));

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
