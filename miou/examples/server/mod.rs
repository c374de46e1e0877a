//! The skeleton the `echo` and `http` examples share: a TCP server with one accept loop
//! per domain and a graceful shutdown on `SIGINT`/`SIGTERM`.
//!
//! - Every domain has its own listener, all bound to the same address with
//!   `SO_REUSEPORT`: the kernel spreads the connections over them, and each connection
//!   is served on the domain that accepted it (a miou socket never leaves its domain).
//!   Domain 0 runs its loop as a `spawn`ed child of the root; the workers run theirs
//!   through `miou::parallel`.
//! - A loop keeps its connection handlers in an `Orphans`, and reaps the finished ones
//!   (`care`) at each accept, so that a long-lived server does not accumulate them.
//! - A task on domain 0 waits for the signals. The first `SIGINT` or `SIGTERM`
//!   completes the `stop` computation: every loop stops accepting (its accept races a
//!   child waiting for `stop`, with `await_one`), closes its listener and waits for its
//!   open connections to end (`get`). A second signal completes `force`: the loops
//!   cancel the connections still open. Then `run` returns and the process exits 0.
//! - The server prints `NAME: listening on ADDR` to stderr once every loop accepts
//!   (`ADDR` has the port the system chose if the one asked for was 0).
//! - Handlers see the [`Shutdown`] too, to finish early (an HTTP server closes its idle
//!   keep-alive connections when `stop` fires).

use std::future::Future;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::pin::pin;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use miou::net::{TcpListener, TcpStream};
use miou::signal::{SIGINT, SIGTERM, Signals};
use miou::sync::Computation;
use miou::{Orphans, Promise};

// ANCHOR: shutdown
/// The server's shutdown state, shared by every domain.
#[derive(Clone, Default)]
pub struct Shutdown {
    /// Completed at the first signal: accept no more connections.
    pub stop: Computation<()>,
    /// Completed at the second signal: close the open connections now.
    pub force: Computation<()>,
}

impl Shutdown {
    /// Whether the server is stopping.
    pub fn stopping(&self) -> bool {
        self.stop.peek().is_some()
    }
}
// ANCHOR_END: shutdown

/// Parses the address in the first argument (or `default`), serves it with `handle`
/// for each connection until a signal stops it, and returns the exit code.
pub fn main<H, Fut>(name: &'static str, default: &str, handle: H) -> ExitCode
where
    H: Fn(TcpStream, Shutdown) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = io::Result<()>> + 'static,
{
    let arg = std::env::args()
        .nth(1)
        .unwrap_or_else(|| default.to_string());
    let addr = match arg.to_socket_addrs().map(|mut a| a.next()) {
        Ok(Some(addr)) => addr,
        Ok(None) => {
            eprintln!("{name}: {arg}: no address");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("{name}: {arg}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match miou::run(serve_all(name, addr, handle)) {
        Ok(()) => {
            eprintln!("{name}: stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: bind
/// A listener on `addr` that other sockets may share (`SO_REUSEPORT`).
fn bind(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}
// ANCHOR_END: bind

// ANCHOR: serve_all
async fn serve_all<H, Fut>(
    name: &'static str,
    addr: SocketAddr,
    handle: H,
) -> io::Result<()>
where
    H: Fn(TcpStream, Shutdown) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = io::Result<()>> + 'static,
{
    // Catch the signals before anyone can know our address: a signal sent as
    // soon as the line below is printed is not lost.
    let signals = Signals::new(&[SIGINT, SIGTERM])?;
    // Bind every listener here, so that the address is served by all of them
    // once it is printed; a port 0 becomes the port the first one got.
    let first = bind(addr)?;
    let addr = first.local_addr()?;
    let workers = miou::domain::available();
    let others = (0..workers)
        .map(|_| bind(addr))
        .collect::<io::Result<Vec<_>>>()?;

    let first = TcpListener::from_std(first)?;

    let shutdown = Shutdown::default();
    let ready = Arc::new(Countdown::new(workers + 1));
    let watcher = miou::spawn(watch(name, signals, shutdown.clone()));
    let here = miou::spawn(serve(
        name,
        first,
        handle.clone(),
        shutdown.clone(),
        ready.clone(),
    ));
    let (s, r) = (shutdown.clone(), ready.clone());
    let there = miou::spawn(async move {
        if others.is_empty() {
            return Vec::new();
        }
        let loops = move |listener: std::net::TcpListener| {
            let (handle, shutdown, ready) =
                (handle.clone(), s.clone(), r.clone());
            async move {
                let listener =
                    TcpListener::from_std(listener).inspect_err(|_| {
                        shutdown.stop.try_return(());
                        ready.arrive();
                    })?;
                serve(name, listener, handle, shutdown, ready).await
            }
        };
        miou::parallel(loops, others).await
    });
    // Say so once every loop accepts.
    let _ = ready.done.wait().await;
    eprintln!("{name}: listening on {addr} ({} domains)", workers + 1);
    let mut results = vec![here.await];
    match there.await {
        Ok(rs) => results.extend(rs),
        Err(e) => results.push(Err(e)),
    }
    // The loops are done; the watcher may still wait for a (second) signal.
    miou::cancel(watcher).await;
    let mut failure = None;
    for r in results {
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failure = Some(e),
            Err(e) => failure = Some(io::Error::other(e.to_string())),
        }
    }
    failure.map_or(Ok(()), Err)
}
// ANCHOR_END: serve_all

/// Counts the loops that are ready; `done` completes when all are.
struct Countdown {
    left: AtomicUsize,
    done: Computation<()>,
}

impl Countdown {
    fn new(n: usize) -> Countdown {
        Countdown {
            left: AtomicUsize::new(n),
            done: Computation::new(),
        }
    }

    fn arrive(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.done.try_return(());
        }
    }
}

// ANCHOR: watch
/// Waits for the signals: the first one stops the server, the second forces it.
async fn watch(name: &str, mut signals: Signals, shutdown: Shutdown) {
    let mut first = true;
    loop {
        let signal = match signals.recv().await {
            Ok(s) => miou::signal::name(s).unwrap_or("signal"),
            Err(e) => return eprintln!("{name}: cannot wait for signals: {e}"),
        };
        if first {
            eprintln!(
                "{name}: {signal}: no new connections; waiting for the open \
                 ones to end"
            );
            shutdown.stop.try_return(());
            first = false;
        } else {
            eprintln!("{name}: {signal}: closing the open connections");
            shutdown.force.try_return(());
        }
    }
}
// ANCHOR_END: watch

/// What an accept loop waits for.
enum Event {
    Accepted(io::Result<(TcpStream, SocketAddr)>),
    Stop,
}

// ANCHOR: serve
/// One domain's accept loop: serves each connection with `handle` until
/// `stop`, then waits for the connections to end.
async fn serve<H, Fut>(
    name: &'static str,
    listener: TcpListener,
    handle: H,
    shutdown: Shutdown,
    ready: Arc<Countdown>,
) -> io::Result<()>
where
    H: Fn(TcpStream, Shutdown) -> Fut,
    Fut: Future<Output = io::Result<()>> + 'static,
{
    let listener = Rc::new(listener);
    let clients = Orphans::new();
    let stop = shutdown.stop.clone();
    // Children of this task: the one waiting for `stop` lives across
    // iterations; an accept is started at each one.
    let mut waiting: Vec<Promise<Event>> = vec![miou::spawn(async move {
        let _ = stop.wait().await;
        Event::Stop
    })];
    ready.arrive();
    let result = loop {
        while let Some(Some(done)) = clients.care() {
            report(name, done.await);
        }
        if shutdown.stopping() {
            break Ok(());
        }
        let l = listener.clone();
        waiting.push(miou::spawn(
            async move { Event::Accepted(l.accept().await) },
        ));
        let (first, rest) = miou::await_one(waiting).await;
        waiting = rest;
        match first {
            Ok(Event::Accepted(Ok((conn, _peer)))) => {
                clients.spawn(handle(conn, shutdown.clone()));
            }
            Ok(Event::Accepted(Err(e))) if transient(&e) => {
                if e.kind() != io::ErrorKind::ConnectionAborted {
                    eprintln!("{name}: accept: {e}");
                    // Out of descriptors or memory: the connection waits in the
                    // backlog; let the handlers close some.
                    miou::time::sleep(Duration::from_millis(50)).await;
                }
            }
            Ok(Event::Stop) => break Ok(()),
            Ok(Event::Accepted(Err(e))) => break Err(e),
            Err(e) => break Err(io::Error::other(e.to_string())),
        }
    };
    if result.is_err() {
        shutdown.stop.try_return(());
    }
    for p in waiting {
        miou::cancel(p).await;
    }
    // Close the listener: a connection still in its backlog is refused rather
    // than left waiting.
    drop(listener);
    loop {
        match either(clients.get(), shutdown.force.wait()).await {
            Either::Left(Some(r)) => report(name, r),
            Either::Left(None) => break,
            Either::Right(_) => {
                while let Some(p) = clients.take() {
                    miou::cancel(p).await;
                }
                break;
            }
        }
    }
    result
}
// ANCHOR_END: serve

/// Errors of `accept` after which the listener still works.
fn transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::OutOfMemory
    ) || matches!(
        e.raw_os_error(),
        Some(
            libc::EMFILE
                | libc::ENFILE
                | libc::ENOBUFS
                | libc::ENOMEM
                | libc::EPROTO
        )
    )
}

/// Logs how a connection ended, unless it is the peer's doing.
fn report(name: &str, r: Result<io::Result<()>, miou::Error>) {
    match r {
        Ok(Ok(())) | Err(miou::Error::Cancelled) => {}
        Ok(Err(e))
            if matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
            ) => {}
        Ok(Err(e)) => eprintln!("{name}: connection: {e}"),
        Err(e) => eprintln!("{name}: connection handler: {e}"),
    }
}

/// Which of [`either`]'s futures finished first.
pub enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Polls `a` and `b` in the same task until one finishes (`a` first); the other is
/// dropped where it stands, so both must be cancel-safe (miou's socket operations,
/// `Orphans::get` and `Computation::wait` are).
pub async fn either<A: Future, B: Future>(
    a: A,
    b: B,
) -> Either<A::Output, B::Output> {
    let (mut a, mut b) = (pin!(a), pin!(b));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(v));
        }
        if let Poll::Ready(v) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(v));
        }
        Poll::Pending
    })
    .await
}
