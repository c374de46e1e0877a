//! What hyper asks of a runtime, on miou: its I/O traits, over `futures-io` (which
//! `miou::net::TcpStream` implements), and a timer, on `miou::time`. The example
//! (`examples/hyper.rs`) and its tests (`tests/servers.rs`) use both.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};

/// A `futures-io` stream as hyper's [`Read`](hyper::rt::Read) and
/// [`Write`](hyper::rt::Write).
#[derive(Debug)]
pub struct Io<T>(pub T);

impl<T: AsyncRead + Unpin> hyper::rt::Read for Io<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // `futures-io` reads into initialised bytes; hyper's buffer may not be yet.
        let n = ready!(
            Pin::new(&mut self.get_mut().0)
                .poll_read(cx, buf.initialize_unfilled())
        )?;
        // SAFETY: the first `n` bytes of the unfilled part were initialised (by
        // `initialize_unfilled`) and then filled by the read.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

// No vectored writes: miou's sockets write one buffer at a time, and hyper then gathers
// each response (head and body) into one buffer before writing it.
impl<T: AsyncWrite + Unpin> hyper::rt::Write for Io<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_close(cx)
    }
}

/// hyper's [`Timer`](hyper::rt::Timer) on `miou::time`, for `http1::Builder::timer`:
/// what the header-read timeout needs. A sleep is a miou syscall of the task that first
/// polls it (hyper polls its sleeps in the connection's task), and starts counting
/// then; dropping it before it fires cancels it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timer;

impl hyper::rt::Timer for Timer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(Sleep(Box::pin(miou::time::sleep(duration))))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(Sleep(Box::pin(async move {
            miou::time::sleep(
                deadline.saturating_duration_since(Instant::now()),
            )
            .await
        })))
    }
}

/// A `miou::time::sleep` as hyper's [`Sleep`](hyper::rt::Sleep).
struct Sleep(Pin<Box<dyn Future<Output = ()> + Send + Sync>>);

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for Sleep {}
