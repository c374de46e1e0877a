//! The `echo`, `http` and `hyper` examples, run as child processes and driven from
//! outside: load, resets, keep-alive, pipelining, file descriptors, graceful shutdown;
//! and the hyper example's runtime glue (`examples/hyper/rt.rs`) in this process.
//!
//! Integration tests do not build the examples: the first test that needs one builds
//! it (`common::example`, a no-op when it is up to date). Each server listens
//! on port 0 and prints the address it got, which the test reads from its stderr. Every
//! test runs under a watchdog, and a guard kills the server if the test fails or hangs.

mod common;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use common::{example, watchdog};
use miou::net::TcpStream;
use miou::sync::Computation;

/// A running example, killed when dropped (the test failed) if it still runs.
struct Server {
    child: Arc<Mutex<Child>>,
    handle: Handle,
}

/// What a test body needs of a [`Server`], to send across the watchdog's thread.
#[derive(Clone)]
struct Handle {
    child: Arc<Mutex<Child>>,
    pid: i32,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(name: &str, domains: usize) -> Server {
        Server::start_with(name, &[("MIOU_DOMAINS", domains)])
    }

    /// Starts `name` with these `MIOU_*` settings.
    fn start_with(name: &str, env: &[(&str, usize)]) -> Server {
        let mut command = Command::new(example(name));
        command
            .arg("127.0.0.1:0")
            .envs(env.iter().map(|(k, v)| (k, v.to_string())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: prctl is async-signal-safe. If this test process dies, the server
        // dies with it instead of lingering.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command.spawn().expect("cannot start the example");
        let stderr = child.stderr.take().unwrap();
        let pid = child.id() as i32;
        let child = Arc::new(Mutex::new(child));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let l = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                l.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let mut server = Server {
            child: child.clone(),
            handle: Handle {
                child,
                pid,
                addr: "0.0.0.0:0".parse().unwrap(),
                log,
            },
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some((_, rest)) = line.split_once("listening on ") {
                        let addr = rest.split_whitespace().next().unwrap();
                        break addr.parse().unwrap();
                    }
                }
                Err(_) => panic!("{name} did not start: {:?}", server.handle.log()),
            }
        };
        server.handle.addr = addr;
        server
    }

    fn handle(&self) -> Handle {
        self.handle.clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        if let Ok(None) = child.try_wait() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Handle {
    fn signal(&self, signal: i32) {
        // SAFETY: kill(2) has no memory effects.
        assert_eq!(unsafe { libc::kill(self.pid, signal) }, 0);
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the server writes a line containing `text`.
    fn wait_log(&self, text: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.log().iter().any(|l| l.contains(text)) {
            assert!(Instant::now() < deadline, "no {text:?} in {:?}", self.log());
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn exited(&self) -> Option<ExitStatus> {
        self.child.lock().unwrap().try_wait().unwrap()
    }

    fn wait_exit(&self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still running after {within:?}: {:?}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The file descriptors the server has open.
    fn fds(&self) -> Fds {
        let mut fds = Fds::default();
        for entry in std::fs::read_dir(format!("/proc/{}/fd", self.pid)).unwrap() {
            fds.total += 1;
            let target = std::fs::read_link(entry.unwrap().path()).unwrap_or_default();
            if target.to_string_lossy().starts_with("socket:") {
                fds.sockets += 1;
            }
        }
        fds
    }

    /// Waits until the server has exactly `fds` open.
    fn wait_fds(&self, fds: Fds, within: Duration) {
        let deadline = Instant::now() + within;
        while self.fds() != fds {
            assert!(
                Instant::now() < deadline,
                "the server has {:?} open, not {fds:?}",
                self.fds()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Connects and sends `GET /` in five pieces, 20 ms apart, so that the server has
    /// to wait for the rest; returns the connection's two ends and the response.
    fn request_in_pieces(
        &self,
    ) -> (
        std::net::TcpStream,
        BufReader<std::net::TcpStream>,
        Response,
    ) {
        let s = self.connect();
        s.set_nodelay(true).unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        for piece in ["GET / HT", "TP/1.1\r\nHo", "st: x\r\n", "\r", "\n"] {
            w.write_all(piece.as_bytes()).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        let first = response(&mut r, false);
        (w, r, first)
    }

    fn connect(&self) -> std::net::TcpStream {
        let s = std::net::TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }
}

/// Counts of a process's file descriptors.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Fds {
    total: usize,
    sockets: usize,
}

/// A seeded generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// Mostly small, sometimes large enough to fill the socket buffers.
    fn size(&mut self) -> usize {
        let r = self.next() as usize;
        match r % 10 {
            0..=5 => r / 10 % 2048,
            6..=8 => r / 10 % (64 * 1024),
            _ => r / 10 % (512 * 1024),
        }
    }
}

/// One echo round trip on a blocking socket.
fn echo_once(s: &mut std::net::TcpStream, data: &[u8]) {
    s.write_all(data).unwrap();
    let mut back = vec![0; data.len()];
    s.read_exact(&mut back).unwrap();
    assert_eq!(back, data);
}

/// How a load client ended.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Every byte came back, in order.
    Echoed(usize),
    /// Reset on purpose after this many bytes came back correctly.
    Reset,
}

/// Connects (counting in `arrived`), waits for `go`, sends `size` seeded bytes while
/// reading them back, and checks them.
async fn client(
    addr: SocketAddr,
    seed: u64,
    arrived: Arc<AtomicUsize>,
    go: Computation<()>,
) -> io::Result<Outcome> {
    let conn = TcpStream::connect(addr).await;
    arrived.fetch_add(1, Ordering::SeqCst);
    let conn = Rc::new(conn?);
    go.wait().await.unwrap();
    let mut rng = Rng(seed);
    let size = rng.size();
    let data = Rc::new(rng.bytes(size));
    let writer = {
        let (conn, data) = (conn.clone(), data.clone());
        miou::spawn(async move {
            conn.write_all(&data).await?;
            conn.shutdown(Shutdown::Write).await
        })
    };
    let mut back = Vec::with_capacity(size);
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        back.extend_from_slice(&buf[..n]);
        if back.len() > size || back[..] != data[..back.len()] {
            break;
        }
    }
    writer.await.unwrap()?;
    if back[..] != data[..] {
        return Err(io::Error::other(format!(
            "{size} bytes sent, {} came back{}",
            back.len(),
            if back.len() <= size && back[..] == data[..back.len()] {
                ""
            } else {
                ", different"
            }
        )));
    }
    Ok(Outcome::Echoed(size))
}

/// Already connected (with `SO_LINGER` 0), waits for `go`, sends part of its data,
/// reads some back, and drops the connection: a reset in the middle of the stream.
async fn resetter(
    conn: std::net::TcpStream,
    seed: u64,
    go: Computation<()>,
) -> io::Result<Outcome> {
    let conn = TcpStream::from_std(conn)?;
    go.wait().await.unwrap();
    let mut rng = Rng(seed);
    let size = 1 + rng.next() as usize % (256 * 1024);
    let data = rng.bytes(size);
    conn.write_all(&data).await?;
    let mut buf = vec![0; 1 + rng.next() as usize % 4096];
    let n = conn.read(&mut buf).await?;
    assert_eq!(buf[..n], data[..n]);
    Ok(Outcome::Reset)
}

const CLIENTS: usize = 1000;
const RESETS: usize = 100;

#[test]
fn echo_serves_1000_concurrent_connections_and_releases_them() {
    let server = Server::start("echo", 2);
    let h = server.handle();
    watchdog(60, move || {
        let baseline = h.fds();
        let addr = h.addr;
        // The resetting clients connect first, blocking, to set SO_LINGER to 0.
        let resetters: Vec<_> = (0..RESETS)
            .map(|_| {
                let s = std::net::TcpStream::connect(addr).unwrap();
                socket2::SockRef::from(&s)
                    .set_linger(Some(Duration::ZERO))
                    .unwrap();
                s
            })
            .collect();
        let start = Instant::now();
        let h2 = h.clone();
        let outcomes = miou::Builder::new().domains(0).run(async move {
            let arrived = Arc::new(AtomicUsize::new(0));
            let go = Computation::new();
            let mut tasks = Vec::new();
            for (i, s) in resetters.into_iter().enumerate() {
                tasks.push(miou::spawn(resetter(s, 1000 + i as u64, go.clone())));
            }
            for i in RESETS..CLIENTS {
                let (arrived, go) = (arrived.clone(), go.clone());
                tasks.push(miou::spawn(client(addr, 1000 + i as u64, arrived, go)));
            }
            // Every connection is open, on both sides, before any data flows.
            while arrived.load(Ordering::SeqCst) < CLIENTS - RESETS
                || h2.fds().sockets < baseline.sockets + CLIENTS
            {
                miou::time::sleep(Duration::from_millis(5)).await;
            }
            let peak = h2.fds();
            go.try_return(());
            (miou::await_all(tasks).await, peak)
        });
        let (outcomes, peak) = outcomes;
        let open = peak.sockets - baseline.sockets;
        let took = start.elapsed();
        let mut bytes = 0;
        for (i, o) in outcomes.into_iter().enumerate() {
            match o.unwrap() {
                Ok(Outcome::Echoed(n)) => bytes += n,
                Ok(Outcome::Reset) => assert!(i < RESETS),
                Err(e) => panic!("client {i}: {e}"),
            }
        }
        eprintln!(
            "{CLIENTS} connections ({open} open at once on the server), {RESETS} reset, \
             {bytes} bytes echoed in {took:?}"
        );
        assert_eq!(open, CLIENTS);
        // Every connection's descriptor is closed again. (Only the sockets are compared
        // with the count at startup: a worker domain may create its backend, an epoll
        // and an eventfd, after the server printed its address, if it started late.)
        let idle = Fds {
            total: peak.total - CLIENTS,
            sockets: baseline.sockets,
        };
        h.wait_fds(idle, Duration::from_secs(10));
        // ...and the server still serves.
        let mut s = h.connect();
        echo_once(&mut s, b"still there?");
        drop(s);
        h.wait_fds(idle, Duration::from_secs(10));
        let unexpected: Vec<_> = h
            .log()
            .into_iter()
            .filter(|l| l.contains("connection") || l.contains("accept"))
            .collect();
        assert!(unexpected.is_empty(), "{unexpected:?}");
        h.signal(libc::SIGTERM);
        let status = h.wait_exit(Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{:?}", h.log());
    });
    drop(server);
}

/// The examples run one accept loop per domain with `parallel`, one item per worker,
/// since `miou::parallel`'s documentation promises its items "spread evenly in turn"
/// over the worker domains.
/// Regression: idle workers used to take `parallel`'s not-yet-started items from the
/// worker they were placed on, so two could run on one domain and the other get none.
/// Each item sleeps so that both are running at once (on the virtual clock: the sleep
/// ends only once every domain is idle, so the other item has started by then).
#[test]
fn parallel_runs_one_item_on_each_worker() {
    watchdog(20, || {
        for round in 0..20 {
            let placed = miou::Builder::new().domains(2).virtual_clock().run(async {
                let item = |()| async {
                    let here = miou::domain::current().index();
                    miou::time::sleep(Duration::from_millis(20)).await;
                    here
                };
                miou::parallel(item, vec![(), ()]).await
            });
            let mut placed: Vec<usize> = placed.into_iter().map(Result::unwrap).collect();
            placed.sort();
            assert_eq!(placed, [1, 2], "round {round}");
        }
    });
}

#[test]
fn echo_stops_accepting_at_sigterm_and_lets_open_connections_finish() {
    let server = Server::start("echo", 1);
    let h = server.handle();
    watchdog(20, move || {
        let mut open = h.connect();
        echo_once(&mut open, b"before");
        h.signal(libc::SIGTERM);
        h.wait_log("SIGTERM", Duration::from_secs(10));
        // No new connections: the listeners close.
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(h.addr).is_ok() {
            assert!(Instant::now() < deadline, "still accepting");
            std::thread::sleep(Duration::from_millis(10));
        }
        // The open connection is still served, and the server waits for it.
        echo_once(&mut open, b"during shutdown");
        std::thread::sleep(Duration::from_millis(100));
        assert!(h.exited().is_none(), "exited with a connection open");
        open.shutdown(Shutdown::Write).unwrap();
        assert_eq!(open.read(&mut [0; 16]).unwrap(), 0);
        let status = h.wait_exit(Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{:?}", h.log());
        // The log is read by another thread: the last line may come in just after the
        // exit status.
        h.wait_log("stopped", Duration::from_secs(5));
    });
    drop(server);
}

#[test]
fn echo_closes_open_connections_at_a_second_signal() {
    let server = Server::start("echo", 1);
    let h = server.handle();
    watchdog(20, move || {
        let mut open = h.connect();
        echo_once(&mut open, b"hello");
        h.signal(libc::SIGINT);
        h.wait_log("SIGINT", Duration::from_secs(10));
        h.signal(libc::SIGTERM);
        let status = h.wait_exit(Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{:?}", h.log());
        // Closed by the server: end of stream (or a reset).
        assert!(matches!(open.read(&mut [0; 16]), Ok(0) | Err(_)));
    });
    drop(server);
}

/// What the echo chapter of the book shows: a client's round trips, then a graceful
/// shutdown (first signal), then a forced one (second signal), each step in the order
/// the test drives it and each server line waited for before the next step, so the
/// transcript is the same on every run. The port is written `PORT`.
#[test]
fn echo_transcript_of_a_graceful_then_a_forced_shutdown() {
    let mut lines = Vec::new();
    for (part, signals) in [("graceful", 1), ("forced", 2)] {
        let server = Server::start("echo", 1);
        let h = server.handle();
        let part_lines = watchdog(30, move || {
            let mut t = Transcript::new(h.clone());
            t.step(&format!("== {part}: the server starts"));
            t.server_says("listening on");
            let (mut a, mut b) = (h.connect(), h.connect());
            t.round_trip("a", &mut a, b"hello");
            t.round_trip("b", &mut b, b"world");
            t.step("the test sends SIGTERM");
            h.signal(libc::SIGTERM);
            t.server_says("SIGTERM");
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect(h.addr).is_ok() {
                assert!(Instant::now() < deadline, "still accepting");
                std::thread::sleep(Duration::from_millis(10));
            }
            t.step("client c: cannot connect");
            t.round_trip("a", &mut a, b"still there?");
            if signals == 2 {
                t.step("the test sends SIGINT");
                h.signal(libc::SIGINT);
                t.server_says("SIGINT");
            } else {
                a.shutdown(Shutdown::Write).unwrap();
                b.shutdown(Shutdown::Write).unwrap();
                t.step("clients a and b close their side");
            }
            for (name, s) in [("a", &mut a), ("b", &mut b)] {
                let end = match s.read(&mut [0; 16]) {
                    Ok(0) => "the end of the stream",
                    Ok(_) => "more data",
                    Err(_) => "an error",
                };
                t.step(&format!("client {name}: reads {end}"));
            }
            let status = h.wait_exit(Duration::from_secs(10));
            let code = status.code().map_or("none".to_string(), |c| c.to_string());
            t.step(&format!("the server exits with status {code}"));
            t.server_says("stopped");
            t.lines
        });
        lines.extend(part_lines);
        drop(server);
    }
    insta::assert_snapshot!("echo_transcript", lines.join("\n"));
}

/// The transcript of a test driving a server: its steps, and the server's lines,
/// each once, in the order they were waited for.
struct Transcript {
    server: Handle,
    seen: usize,
    lines: Vec<String>,
}

impl Transcript {
    fn new(server: Handle) -> Transcript {
        Transcript {
            server,
            seen: 0,
            lines: Vec::new(),
        }
    }

    fn step(&mut self, line: &str) {
        self.lines.push(line.to_string());
    }

    /// Waits for a server line containing `text`, and adds the server's lines up to
    /// it (those after it wait for the next look), the port replaced by `PORT`.
    fn server_says(&mut self, text: &str) {
        self.server.wait_log(text, Duration::from_secs(10));
        let log = self.server.log();
        let port = format!(":{}", self.server.addr.port());
        for line in &log[self.seen..] {
            self.lines
                .push(format!("server: {}", line.replace(&port, ":PORT")));
            self.seen += 1;
            if line.contains(text) {
                break;
            }
        }
    }

    fn round_trip(&mut self, name: &str, s: &mut std::net::TcpStream, data: &[u8]) {
        echo_once(s, data);
        let data = String::from_utf8_lossy(data);
        self.step(&format!(
            "client {name}: sends {data:?}, gets {data:?} back"
        ));
    }
}

/// A parsed HTTP response.
#[derive(Debug)]
struct Response {
    code: u16,
    close: bool,
    body: Vec<u8>,
}

/// Reads one response from `r` (its body too, unless it answers a HEAD).
fn response(r: &mut impl BufRead, head: bool) -> Response {
    let mut raw = Vec::new();
    while !raw.ends_with(b"\r\n\r\n") {
        let n = r.read_until(b'\n', &mut raw).unwrap();
        assert!(n > 0, "end of stream in a response head: {raw:?}");
    }
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut resp = httparse::Response::new(&mut headers);
    assert!(resp.parse(&raw).unwrap().is_complete());
    let header = |name: &str| {
        resp.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    let len: usize = header("content-length").unwrap().parse().unwrap();
    let close = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
    let mut body = vec![0; if head { 0 } else { len }];
    r.read_exact(&mut body).unwrap();
    Response {
        code: resp.code.unwrap(),
        close,
        body,
    }
}

#[test]
fn http_keep_alive_partial_and_pipelined_requests() {
    let server = Server::start("http", 1);
    let h = server.handle();
    watchdog(20, move || {
        // One request in pieces: the server waits for the rest.
        let (mut w, mut r, first) = h.request_in_pieces();
        assert_eq!((first.code, first.close), (200, false));
        assert_eq!(first.body, b"Hello, world!");
        // The same connection, a missing page, then a request with a body.
        w.write_all(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        assert_eq!(response(&mut r, false).code, 404);
        w.write_all(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel")
            .unwrap();
        std::thread::sleep(Duration::from_millis(20));
        w.write_all(b"lo").unwrap();
        assert_eq!(response(&mut r, false).code, 405);
        // Pipelined: four requests in one write, answered in order.
        w.write_all(
            b"GET / HTTP/1.1\r\n\r\nHEAD / HTTP/1.1\r\n\r\n\
              GET /a?b HTTP/1.1\r\n\r\nGET /?q=1 HTTP/1.1\r\n\r\n",
        )
        .unwrap();
        let codes: Vec<_> = [false, true, false, false]
            .into_iter()
            .map(|head| response(&mut r, head))
            .map(|resp| (resp.code, resp.body.len()))
            .collect();
        assert_eq!(codes, [(200, 13), (200, 0), (404, 10), (200, 13)]);
        // `Connection: close`: answered, then closed, and what follows is ignored.
        w.write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n")
            .unwrap();
        let last = response(&mut r, false);
        assert_eq!((last.code, last.close), (200, true));
        assert_eq!(r.read(&mut [0; 64]).unwrap(), 0, "not closed");
        // HTTP/1.0 closes unless asked to keep alive.
        let mut s = h.connect();
        s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        let mut all = String::new();
        s.read_to_string(&mut all).unwrap();
        assert!(all.starts_with("HTTP/1.1 200 OK\r\n") && all.ends_with("Hello, world!"));
        // Garbage is a 400, and the end of the connection.
        let mut s = h.connect();
        s.write_all(b"\x01\x02 nonsense\r\n\r\n").unwrap();
        let mut all = String::new();
        s.read_to_string(&mut all).unwrap();
        assert!(all.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{all}");
        // A request head that does not end within 64 KiB is refused.
        let mut s = h.connect();
        let mut big = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
        big.resize(70_000, b'a');
        s.write_all(&big).unwrap();
        let mut all = String::new();
        s.read_to_string(&mut all).unwrap();
        assert!(all.starts_with("HTTP/1.1 431 "), "{all}");

        h.signal(libc::SIGTERM);
        let status = h.wait_exit(Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{:?}", h.log());
    });
    drop(server);
}

#[test]
fn http_closes_idle_connections_at_shutdown() {
    let server = Server::start("http", 1);
    let h = server.handle();
    watchdog(20, move || {
        let s = h.connect();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        w.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(response(&mut r, false).code, 200);
        // Idle, kept alive: the server closes it when it stops, and exits.
        h.signal(libc::SIGTERM);
        assert_eq!(r.read(&mut [0; 64]).unwrap(), 0);
        let status = h.wait_exit(Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{:?}", h.log());
    });
    drop(server);
}

#[test]
fn http_with_curl() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("note: curl is not installed; http_with_curl checks nothing");
        return;
    }
    let server = Server::start("http", 2);
    let h = server.handle();
    watchdog(20, move || {
        let root = format!("http://{}/", h.addr);
        let missing = format!("http://{}/missing", h.addr);
        // Three requests: curl reuses its connection for the second and third.
        let out = Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "10"])
            .args(["--write-out", "|%{http_code} %{num_connects}\n"])
            .args([&root, &missing, &root])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let out = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            out,
            "Hello, world!|200 1\nNot Found\n|404 0\nHello, world!|200 0\n"
        );
        h.signal(libc::SIGINT);
        let status = h.wait_exit(Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{:?}", h.log());
    });
    drop(server);
}

// The hyper example: hyper's HTTP/1 server on miou's sockets and timer.

#[path = "../examples/hyper/rt.rs"]
#[rustfmt::skip] // formatted as an example (examples/rustfmt.toml)
mod hyper_rt;

const HYPER_HELLO: &[u8] = b"hello from hyper on miou\n";

/// Writes `requests` in one write on a new connection to `h` (from another thread,
/// while this one reads) and reads `expected.len()` responses: their codes, bodies
/// and `Connection: close` must be `expected`, in order, and then the connection ends.
fn exchange(h: &Handle, requests: Vec<u8>, expected: &[(u16, &[u8], bool)]) {
    let s = h.connect();
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || w.write_all(&requests));
    let mut r = BufReader::new(s);
    for (i, &(code, body, close)) in expected.iter().enumerate() {
        if let Err(e) = r.fill_buf() {
            panic!("no response {i} of {}: {e}", expected.len());
        }
        let resp = response(&mut r, false);
        assert_eq!(
            (resp.code, &resp.body[..], resp.close),
            (code, body, close),
            "response {i} of {}",
            expected.len()
        );
    }
    assert_eq!(r.read(&mut [0; 64]).unwrap(), 0, "more than expected");
    writer.join().unwrap().unwrap();
}

const PIPELINED: usize = 1000;

/// 1,000 `GET /` written at once on one connection, with a `GET /missing` after the
/// 500th and one with `Connection: close` at the end: every one is answered, in order.
/// Regression: at quanta 16, hyper, which wakes its task by reference and returns
/// `Pending` every 16 requests to be fair, answered 16 and then slept for ever (miou
/// lost a `wake_by_ref` made during the task's turn).
fn hyper_answers_pipelined_requests(quanta: usize) {
    let server = Server::start_with("hyper", &[("MIOU_DOMAINS", 1), ("MIOU_QUANTA", quanta)]);
    let h = server.handle();
    watchdog(60, move || {
        let mut requests = Vec::new();
        let mut expected: Vec<(u16, &[u8], bool)> = Vec::new();
        for i in 0..PIPELINED {
            requests.extend_from_slice(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            expected.push((200, HYPER_HELLO, false));
            if i == PIPELINED / 2 - 1 {
                requests.extend_from_slice(b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n");
                expected.push((404, b"Not Found\n", false));
            }
        }
        requests.extend_from_slice(b"GET /missing HTTP/1.1\r\nConnection: close\r\n\r\n");
        expected.push((404, b"Not Found\n", true));
        let start = Instant::now();
        exchange(&h, requests, &expected);
        eprintln!(
            "quanta {quanta}: {} pipelined requests answered in {:?}",
            expected.len(),
            start.elapsed()
        );
        h.signal(libc::SIGTERM);
        let status = h.wait_exit(Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{:?}", h.log());
    });
    drop(server);
}

#[test]
fn hyper_answers_1000_pipelined_requests_at_quanta_1() {
    hyper_answers_pipelined_requests(1);
}

#[test]
fn hyper_answers_1000_pipelined_requests_at_quanta_16() {
    hyper_answers_pipelined_requests(16);
}

#[test]
fn hyper_answers_1000_pipelined_requests_at_quanta_64() {
    hyper_answers_pipelined_requests(64);
}

#[test]
fn hyper_keep_alive_and_404() {
    let server = Server::start("hyper", 1);
    let h = server.handle();
    watchdog(20, move || {
        // One request in pieces: hyper waits for the rest.
        let (mut w, mut r, first) = h.request_in_pieces();
        assert_eq!((first.code, first.close), (200, false));
        assert_eq!(first.body, HYPER_HELLO);
        // The same connection, one request at a time: missing pages, another method.
        for (request, code) in [
            ("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404),
            ("GET /?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", 200),
            ("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", 404),
            ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200),
        ] {
            w.write_all(request.as_bytes()).unwrap();
            let resp = response(&mut r, false);
            assert_eq!((resp.code, resp.close), (code, false), "{request:?}");
            let body: &[u8] = if code == 200 {
                HYPER_HELLO
            } else {
                b"Not Found\n"
            };
            assert_eq!(resp.body, body, "{request:?}");
        }
        // `Connection: close`: answered, then closed.
        w.write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let last = response(&mut r, false);
        assert_eq!((last.code, last.close), (200, true));
        assert_eq!(r.read(&mut [0; 64]).unwrap(), 0, "not closed");
        // HTTP/1.0 closes unless asked to keep alive.
        exchange(
            &h,
            b"GET / HTTP/1.0\r\n\r\n".to_vec(),
            &[(200, HYPER_HELLO, false)],
        );

        h.signal(libc::SIGTERM);
        let status = h.wait_exit(Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{:?}", h.log());
        let unexpected: Vec<_> = h
            .log()
            .into_iter()
            .filter(|l| l.contains("connection:") || l.contains("accept"))
            .collect();
        assert!(unexpected.is_empty(), "{unexpected:?}");
    });
    drop(server);
}

/// At the first signal, hyper's graceful shutdown: the idle connections close at once
/// (a new one, and kept-alive ones between requests, even with part of the next request
/// read: hyper counts them idle), a first request under way is answered with
/// `Connection: close`, and then the server exits.
#[test]
fn hyper_shuts_down_gracefully_at_sigterm() {
    let server = Server::start("hyper", 1);
    let h = server.handle();
    watchdog(20, move || {
        let baseline = h.fds();
        let mut fresh = h.connect();
        // Kept alive after a request; the second one has part of its next request sent.
        let mut idle: Vec<_> = [&b""[..], b"GET / HTTP/1.1\r\n"]
            .into_iter()
            .map(|next| {
                let mut s = BufReader::new(h.connect());
                s.get_mut().write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
                assert_eq!(response(&mut s, false).code, 200);
                s.get_mut().write_all(next).unwrap();
                s
            })
            .collect();
        let mut busy = BufReader::new(h.connect());
        busy.get_mut().write_all(b"GET / HTTP/1.1\r\n").unwrap();
        // The server has accepted the four connections, and read what they sent.
        let deadline = Instant::now() + Duration::from_secs(10);
        while h.fds().sockets < baseline.sockets + 4 {
            assert!(Instant::now() < deadline, "{:?} open", h.fds());
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(100));

        h.signal(libc::SIGTERM);
        h.wait_log("SIGTERM", Duration::from_secs(10));
        assert_eq!(fresh.read(&mut [0; 64]).unwrap(), 0, "the new one is open");
        for (i, s) in idle.iter_mut().enumerate() {
            assert_eq!(
                s.read(&mut [0; 64]).unwrap(),
                0,
                "idle connection {i} is open"
            );
        }
        std::thread::sleep(Duration::from_millis(100));
        assert!(h.exited().is_none(), "exited with a request under way");
        busy.get_mut().write_all(b"Host: x\r\n\r\n").unwrap();
        let last = response(&mut busy, false);
        assert_eq!(
            (last.code, &last.body[..], last.close),
            (200, HYPER_HELLO, true)
        );
        assert_eq!(busy.read(&mut [0; 64]).unwrap(), 0, "the busy one is open");
        let status = h.wait_exit(Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{:?}", h.log());
        h.wait_log("stopped", Duration::from_secs(5));
    });
    drop(server);
}

/// A second signal cancels the connections still open (here, one whose request is
/// half there, with hyper's header-read timer running).
#[test]
fn hyper_closes_open_connections_at_a_second_signal() {
    let server = Server::start("hyper", 1);
    let h = server.handle();
    watchdog(20, move || {
        let mut busy = h.connect();
        busy.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(100));
        h.signal(libc::SIGTERM);
        h.wait_log("SIGTERM", Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(100));
        assert!(h.exited().is_none(), "exited with a request under way");
        h.signal(libc::SIGINT);
        let status = h.wait_exit(Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{:?}", h.log());
        assert!(matches!(busy.read(&mut [0; 64]), Ok(0) | Err(_)));
    });
    drop(server);
}

/// The timer, in this process: hyper's header-read timeout closes a connection whose
/// next request head is late, a new one or one kept alive after a response.
#[test]
fn hyper_header_read_timeout_runs_on_miou_time() {
    use hyper::server::conn::http1;
    use hyper::service::service_fn;

    const TIMEOUT: Duration = Duration::from_millis(200);
    watchdog(20, || {
        let (client, took) = miou::Builder::new().domains(0).run(async {
            let listener = miou::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            // Each connection sends a partial head, after one whole request for the
            // second; each returns how long the server took to close it.
            let client = std::thread::spawn(move || {
                let mut waits = Vec::new();
                for first in [&b""[..], b"GET / HTTP/1.1\r\n\r\n"] {
                    let mut s = std::net::TcpStream::connect(addr).unwrap();
                    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                    let mut r = BufReader::new(s.try_clone().unwrap());
                    if !first.is_empty() {
                        s.write_all(first).unwrap();
                        assert_eq!(response(&mut r, false).code, 200);
                    }
                    s.write_all(b"GET / HT").unwrap();
                    let start = Instant::now();
                    let mut rest = Vec::new();
                    r.read_to_end(&mut rest).unwrap();
                    assert_eq!(rest, b"", "an answer to a late head");
                    waits.push(start.elapsed());
                }
                waits
            });
            let mut took = Vec::new();
            for _ in 0..2 {
                let (conn, _) = listener.accept().await.unwrap();
                let start = Instant::now();
                let hello = |_| async {
                    let body = http_body_util::Full::new(bytes::Bytes::from_static(HYPER_HELLO));
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(body))
                };
                let end = http1::Builder::new()
                    .timer(hyper_rt::Timer)
                    .header_read_timeout(TIMEOUT)
                    .serve_connection(hyper_rt::Io::new(conn), service_fn(hello))
                    .await;
                assert!(end.as_ref().is_err_and(|e| e.is_timeout()), "{end:?}");
                took.push(start.elapsed());
            }
            (client, took)
        });
        let waits = client.join().unwrap();
        eprintln!("header-read timeout {TIMEOUT:?}: closed after {took:?} (client: {waits:?})");
        for t in took.iter().chain(&waits) {
            assert!(*t < TIMEOUT * 10, "{t:?}");
        }
        // The server's side waited the whole timeout each time. So did the first
        // client; the second client's clock started later than hyper's (after it read
        // the first response, when hyper was already waiting for the next head), so
        // it may see a little less.
        for t in took.iter().chain(&waits[..1]) {
            assert!(*t >= TIMEOUT, "{t:?}");
        }
    });
}

/// The timer's two kinds of sleep, and a reset, measured.
#[test]
fn hyper_timer_sleeps() {
    use hyper::rt::Timer;

    watchdog(20, || {
        miou::Builder::new().domains(0).run(async {
            let ms = Duration::from_millis;
            let t = hyper_rt::Timer;
            let start = Instant::now();
            t.sleep(ms(50)).await;
            let slept = start.elapsed();
            let start = Instant::now();
            t.sleep_until(start + ms(50)).await;
            let until = start.elapsed();
            let start = Instant::now();
            let mut s = t.sleep_until(start + ms(500));
            t.reset(&mut s, start + ms(50));
            s.await;
            let reset = start.elapsed();
            for d in [slept, until, reset] {
                assert!(d >= ms(50) && d < ms(400), "{slept:?} {until:?} {reset:?}");
            }
        });
    });
}
