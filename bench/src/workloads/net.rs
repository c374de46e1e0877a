//! What the network workloads (B7, B9) share: the listener, the echo handler written
//! once per runtime, the clients (OS threads, no runtime), the bare `mio` server of the
//! floor, and percentiles.
//!
//! Everything binds to 127.0.0.1 only, on a port the kernel picks. Every loop is
//! bounded: the clients make a fixed number of requests and give up with a panic past a
//! deadline, and the servers end when their clients close.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::b7_availability::Setup;

/// A non-blocking listener on 127.0.0.1, on a port the kernel picks, and its address.
pub fn bind() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.set_nonblocking(true).expect("set_nonblocking");
    let addr = l.local_addr().expect("local_addr");
    (l, addr)
}

/// The `q`-quantile (0 < q <= 1) of `xs` by the nearest-rank method; sorts `xs`.
pub fn percentile(xs: &mut [Duration], q: f64) -> Duration {
    assert!(!xs.is_empty(), "no latency sample");
    xs.sort_unstable();
    let rank = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len());
    xs[rank - 1]
}

/// Echoes fixed-size requests on one connection until the client closes it; returns
/// the number of requests served. One function per runtime, each with the runtime's
/// own stream type and read/write futures.
pub mod echo {
    use std::io;

    /// `read` until `buf` is full: `Ok(false)` at a clean end of stream before the
    /// first byte.
    macro_rules! fill {
        ($s:ident, $buf:expr) => {{
            let buf: &mut [u8] = $buf;
            let mut got = 0;
            let mut ok = true;
            while got < buf.len() {
                match $s.read(&mut buf[got..]).await? {
                    0 if got == 0 => {
                        ok = false;
                        break;
                    }
                    0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                    n => got += n,
                }
            }
            ok
        }};
    }

    pub async fn miou(s: miou::net::TcpStream, size: usize) -> io::Result<u64> {
        s.set_nodelay(true)?;
        let mut buf = vec![0; size];
        let mut served = 0;
        while fill!(s, &mut buf) {
            s.write_all(&buf).await?;
            served += 1;
        }
        Ok(served)
    }

    pub async fn tokio(mut s: tokio::net::TcpStream, size: usize) -> io::Result<u64> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        s.set_nodelay(true)?;
        let mut buf = vec![0; size];
        let mut served = 0;
        loop {
            let more = fill!(s, &mut buf);
            if !more {
                return Ok(served);
            }
            s.write_all(&buf).await?;
            served += 1;
        }
    }

    pub async fn async_io(
        mut s: async_io::Async<std::net::TcpStream>,
        size: usize,
    ) -> io::Result<u64> {
        use futures_lite::{AsyncReadExt, AsyncWriteExt};
        s.get_ref().set_nodelay(true)?;
        let mut buf = vec![0; size];
        let mut served = 0;
        loop {
            let more = fill!(s, &mut buf);
            if !more {
                return Ok(served);
            }
            s.write_all(&buf).await?;
            served += 1;
        }
    }
}

/// What [`rtt_client`] saw.
#[derive(Debug)]
pub struct Rtts {
    /// One round trip per timed request.
    pub samples: Vec<Duration>,
    /// The wait of a request that got no reply within the stall limit: the server was
    /// starved. The client then stopped the busy tasks, got that reply, and stopped.
    pub starved: Option<Duration>,
}

/// B7's client: one connection, one `size`-byte request at a time, blocking std
/// sockets, as `setup` says. Waits (at most `stall`) until `ready()`, makes `warmup`
/// untimed requests, then times `requests`. With a `pace`, request i is sent `i * pace` after the first
/// (or as soon as the previous reply is in, if that is later): the server then has
/// the same requests to answer per second on every runtime that keeps up. A reply that
/// takes longer than `stall` means the server is starved: the client sets `stop` (the
/// busy tasks end), waits for that reply, and ends. `stop` is set at the end in any
/// case.
pub fn rtt_client(
    addr: SocketAddr,
    size: usize,
    setup: &Setup,
    ready: impl Fn() -> bool,
    stop: &AtomicBool,
) -> Rtts {
    let Setup {
        warmup,
        requests,
        stall,
        pace,
        ..
    } = *setup;
    let mut s = TcpStream::connect(addr).expect("B7 client: connect");
    s.set_nodelay(true).expect("set_nodelay");
    let since = Instant::now();
    while !ready() && since.elapsed() < stall {
        std::thread::sleep(Duration::from_micros(200));
    }
    s.set_read_timeout(Some(stall)).expect("set_read_timeout");
    let mut out = Rtts {
        samples: Vec::with_capacity(requests),
        starved: None,
    };
    let mut msg = vec![0u8; size];
    let mut reply = vec![0u8; size];
    let first = Instant::now();
    for i in 0..warmup + requests {
        msg.fill(i as u8);
        if let Some(pace) = pace {
            // Request i leaves at `first + i * pace`, or at once if the reply to the
            // previous one came later than that.
            let due = first + pace * i as u32;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        let start = Instant::now();
        s.write_all(&msg).expect("B7 client: write");
        let mut got = 0;
        let mut starved = false;
        while got < size {
            match s.read(&mut reply[got..]) {
                Ok(0) => panic!("B7 client: the server closed the connection"),
                Ok(n) => got += n,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    assert!(
                        !starved,
                        "B7 client: no reply {stall:?} after the busy tasks were told to stop"
                    );
                    starved = true;
                    stop.store(true, Ordering::SeqCst);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => panic!("B7 client: read: {e}"),
            }
        }
        let rtt = start.elapsed();
        assert_eq!(msg, reply, "B7 client: a wrong echo");
        if starved {
            out.starved = Some(rtt);
            break;
        }
        if i >= warmup {
            out.samples.push(rtt);
        }
    }
    stop.store(true, Ordering::SeqCst);
    let _ = s.shutdown(Shutdown::Write);
    out
}

/// What [`load_client`] saw.
#[derive(Debug)]
pub struct Load {
    /// From the first request to the last reply.
    pub elapsed: Duration,
    /// One round trip per request, all connections together.
    pub latencies: Vec<Duration>,
}

/// B9's client: `conns` connections driven by one `mio` loop on this thread; each
/// connection sends a `size`-byte request, reads the whole reply, and sends the next,
/// `rounds` times, then closes. Panics past `deadline`.
pub fn load_client(
    addr: SocketAddr,
    conns: usize,
    rounds: usize,
    size: usize,
    deadline: Duration,
) -> Load {
    use mio::{Events, Interest, Poll, Token};

    struct Conn {
        s: mio::net::TcpStream,
        written: usize,
        read: usize,
        /// This connection's echo so far (its own: reads of several connections
        /// interleave).
        reply: Vec<u8>,
        left: usize,
        sent_at: Instant,
        done: bool,
    }

    let mut poll = Poll::new().expect("mio::Poll");
    let mut events = Events::with_capacity(1024);
    let mut cs: Vec<Conn> = (0..conns)
        .map(|i| {
            let s = TcpStream::connect(addr).expect("B9 client: connect");
            s.set_nodelay(true).expect("set_nodelay");
            s.set_nonblocking(true).expect("set_nonblocking");
            let mut s = mio::net::TcpStream::from_std(s);
            poll.registry()
                .register(&mut s, Token(i), Interest::READABLE | Interest::WRITABLE)
                .expect("register");
            Conn {
                s,
                written: 0,
                read: 0,
                reply: vec![0; size],
                left: rounds,
                sent_at: Instant::now(),
                done: rounds == 0,
            }
        })
        .collect();
    let msg: Vec<u8> = (0..size).map(|i| i as u8).collect();
    let mut latencies = Vec::with_capacity(conns * rounds);
    let mut open = cs.iter().filter(|c| !c.done).count();

    // Drives one connection as far as it goes without blocking (edge-triggered).
    let progress = |c: &mut Conn, latencies: &mut Vec<Duration>| -> bool {
        while !c.done {
            if c.written < size {
                match c.s.write(&msg[c.written..]) {
                    Ok(n) => c.written += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => panic!("B9 client: write: {e}"),
                }
                continue;
            }
            match c.s.read(&mut c.reply[c.read..]) {
                Ok(0) => panic!("B9 client: the server closed a connection"),
                Ok(n) => c.read += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => panic!("B9 client: read: {e}"),
            }
            if c.read == size {
                latencies.push(c.sent_at.elapsed());
                assert!(
                    c.reply == msg,
                    "B9 client: a reply is not the echo of its request"
                );
                c.left -= 1;
                c.written = 0;
                c.read = 0;
                if c.left == 0 {
                    c.done = true;
                    let _ = c.s.shutdown(Shutdown::Write);
                    return true;
                }
                c.sent_at = Instant::now();
            }
        }
        false
    };

    let start = Instant::now();
    for c in cs.iter_mut() {
        c.sent_at = Instant::now();
        if progress(c, &mut latencies) {
            open -= 1;
        }
    }
    while open > 0 {
        assert!(
            start.elapsed() < deadline,
            "B9 client: {open} connections still open after {deadline:?}"
        );
        match poll.poll(&mut events, Some(Duration::from_millis(100))) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => panic!("B9 client: poll: {e}"),
        }
        for ev in events.iter() {
            let c = &mut cs[ev.token().0];
            if progress(c, &mut latencies) {
                open -= 1;
            }
        }
    }
    let elapsed = start.elapsed();
    drop(cs);
    Load { elapsed, latencies }
}

/// The floor of the network workloads: a bare `mio` event loop on this thread, no
/// runtime, no tasks. Accepts `conns` connections and echoes `size`-byte requests on
/// each until it closes; returns the number of requests served.
pub fn floor_server(listener: TcpListener, conns: usize, size: usize) -> io::Result<u64> {
    use mio::{Events, Interest, Poll, Token};

    struct Conn {
        s: mio::net::TcpStream,
        buf: Vec<u8>,
        read: usize,
        written: usize,
        writing: bool,
        open: bool,
    }

    const LISTENER: Token = Token(usize::MAX);
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut listener = mio::net::TcpListener::from_std(listener);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut cs: Vec<Conn> = Vec::with_capacity(conns);
    let mut open = 0usize;
    let mut served = 0u64;

    // Echoes as far as it goes without blocking; false once the client has closed.
    let progress = |c: &mut Conn, served: &mut u64| -> io::Result<bool> {
        loop {
            if c.writing {
                match c.s.write(&c.buf[c.written..]) {
                    Ok(n) => c.written += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
                if c.written == size {
                    c.writing = false;
                    c.read = 0;
                    *served += 1;
                }
            } else {
                match c.s.read(&mut c.buf[c.read..]) {
                    Ok(0) if c.read == 0 => return Ok(false),
                    Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                    Ok(n) => c.read += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
                if c.read == size {
                    c.writing = true;
                    c.written = 0;
                }
            }
        }
    };

    while cs.len() < conns || open > 0 {
        match poll.poll(&mut events, Some(Duration::from_secs(1))) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        for ev in events.iter() {
            if ev.token() == LISTENER {
                while cs.len() < conns {
                    match listener.accept() {
                        Ok((mut s, _)) => {
                            s.set_nodelay(true)?;
                            let t = Token(cs.len());
                            poll.registry().register(
                                &mut s,
                                t,
                                Interest::READABLE | Interest::WRITABLE,
                            )?;
                            cs.push(Conn {
                                s,
                                buf: vec![0; size],
                                read: 0,
                                written: 0,
                                writing: false,
                                open: true,
                            });
                            open += 1;
                            let c = cs.last_mut().expect("just pushed");
                            if !progress(c, &mut served)? {
                                c.open = false;
                                open -= 1;
                                poll.registry().deregister(&mut c.s)?;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            } else {
                let c = &mut cs[ev.token().0];
                if c.open && !progress(c, &mut served)? {
                    c.open = false;
                    open -= 1;
                    poll.registry().deregister(&mut c.s)?;
                }
            }
        }
    }
    Ok(served)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut xs: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        assert_eq!(percentile(&mut xs, 0.5), Duration::from_millis(50));
        assert_eq!(percentile(&mut xs, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&mut xs, 1.0), Duration::from_millis(100));
        let mut one = vec![Duration::from_millis(7)];
        assert_eq!(percentile(&mut one, 0.99), Duration::from_millis(7));
    }
}
