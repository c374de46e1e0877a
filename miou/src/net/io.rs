//! The one way every socket operation is done: pass a scheduling point, try the system
//! call, and only if it says `WouldBlock`, wait for the socket's next readiness event in
//! that direction and try again.

use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use mio::event::Source;

use crate::events::reactor::{Direction, Reactor};
use crate::events::{Suspend, suspend_parked, syscall};
use crate::point;
use crate::scheduler::with_domain;

/// A non-blocking socket registered with its domain's reactor. Dropping it deregisters
/// the socket, then closes it.
pub(crate) struct Registered<S: Source> {
    pub(crate) source: S,
    key: usize,
    reactor: Rc<Reactor>,
}

impl<S: Source> Registered<S> {
    pub(crate) fn new(mut source: S, what: &str) -> io::Result<Registered<S>> {
        let reactor = with_domain(|d| d.reactor.clone()).ok_or_else(|| {
            io::Error::other(format!(
                "miou::net::{what} needs the built-in events backend, but this run uses its own \
                 (Builder::events)"
            ))
        })?;
        let key = reactor.register(&mut source)?;
        Ok(Registered {
            source,
            key,
            reactor,
        })
    }

    /// Does `op` until it does not say `WouldBlock`. A scheduling point.
    pub(crate) async fn io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        point::point().await;
        loop {
            match op(&self.source) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.readiness(direction).await,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }

    /// Reads into `buf` from a stream socket. A scheduling point.
    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize>
    where
        for<'a> &'a S: Read,
    {
        self.io(Direction::Read, |mut s| s.read(buf)).await
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
            if let Some(wait) = state.wait.as_mut() {
                if Pin::new(wait).poll(cx).is_pending() {
                    return Poll::Pending;
                }
                state.wait = None;
            }
            match op(&self.source) {
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
        self.reactor.deregister(&mut self.source, self.key);
    }
}

/// An operation in flight through a poll-based interface.
#[derive(Default)]
pub(crate) struct PollState {
    passed: bool,
    wait: Option<Suspend>,
}
