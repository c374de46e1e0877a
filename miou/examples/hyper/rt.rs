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
pub struct Io<T> {
    stream: T,
    /// How many bytes of hyper's buffer the next read is offered (see `poll_read`).
    window: usize,
}

/// The smallest read window: more than most request heads.
const MIN_WINDOW: usize = 2048;

impl<T> Io<T> {
    pub fn new(stream: T) -> Io<T> {
        Io {
            stream,
            window: MIN_WINDOW,
        }
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for Io<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // `futures-io` reads into initialised bytes, and hyper's buffer is not (it
        // hands 8 KiB of fresh capacity at first, and more as it grows): zeroing all
        // of it for every read costs more than reading a small request. So a read is
        // offered a window that follows what reads return: twice as large after a
        // read that filled it, back to the smallest after one that took less than half.
        let window = this.window.min(buf.remaining());
        let n = ready!(
            Pin::new(&mut this.stream)
                .poll_read(cx, buf.initialize_unfilled_to(window))
        )?;
        this.window = if n == window {
            window.saturating_mul(2).max(MIN_WINDOW)
        } else if n < window / 2 {
            MIN_WINDOW
        } else {
            window.max(MIN_WINDOW)
        };
        // SAFETY: the first `n` bytes of the unfilled part were initialised (by
        // `initialize_unfilled_to`) and then filled by the read.
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
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_close(cx)
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
