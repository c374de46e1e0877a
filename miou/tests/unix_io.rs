//! Miou's `test/test_unix.ml` (in the Miou repository,
//! <https://github.com/robur-coop/miou>: `test01` to `test05`), on `miou::net`,
//! `miou::time` and `miou::signal`, each on one domain like `Miou_unix.run ~domains:0`.

mod common;

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::clock::Clock;
use common::{Out, panicked, watchdog};
use miou::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use miou::{Builder, await_first, await_one, cancel, spawn};

/// Runs the future that `make` builds on one domain, under a watchdog.
fn run<T, F, Fut>(make: F) -> T
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T> + 'static,
    T: Send + 'static,
{
    watchdog(20, move || Builder::new().domains(0).run(make()))
}

/// 01: the end of a child's output (a socket as its stdout) is seen, and it beats a
/// one-second timer. Miou's third job, a blocking `waitpid`, has no equivalent: a
/// blocking call would hold up the domain.
#[test]
fn t01_end_of_a_childs_output_beats_a_timer() {
    let r = run(|| async {
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        let mut command = Command::new("true");
        command.stdout(Stdio::from(std::os::fd::OwnedFd::from(theirs)));
        let mut child = command.spawn().expect("cannot run `true`");
        drop(command); // our copy of the child's end: only the child holds it now
        let ours = UnixStream::from_std(ours).unwrap();
        let read = spawn(async move {
            let mut buf = [0; 16];
            ours.read(&mut buf).await.unwrap() == 0
        });
        let timeout = spawn(async {
            miou::time::sleep(Duration::from_secs(1)).await;
            false
        });
        let (first, rest) = await_one(vec![read, timeout]).await;
        for p in rest {
            cancel(p).await;
        }
        child.wait().unwrap();
        first
    });
    assert!(r.unwrap());
}

/// 02: a `SIGCHLD` handler reaps the child. Miou runs the handler as a fresh task on
/// domain 0; here a task waits for the signal with `miou::signal::Signals`.
#[test]
fn t02_sigchld_reaps_the_child() {
    let out = Out::new();
    let o = out.clone();
    run(move || async move {
        let mut child = Command::new("sleep").arg("0.5").spawn().unwrap();
        o.push("sleep launched");
        let mut signals = miou::signal::Signals::new(&[miou::signal::SIGCHLD]).unwrap();
        o.push("signal handler installed");
        // Like Miou's handler: `waitpid [WNOHANG]`, and wait again while it is 0 (this
        // also covers a child that ended before the handler was installed).
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            signals.recv().await.unwrap();
        };
        o.push(format!("WEXITED({})", status.code().unwrap()));
    });
    assert_eq!(
        out.text(),
        "sleep launched\nsignal handler installed\nWEXITED(0)\n"
    );
}

/// 03: UDP echo, the server answers in upper case.
#[test]
fn t03_udp_echo() {
    let (server_got, client_sent, server_sent, client_got) = run(|| async {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let server = spawn(async move {
            let mut buf = [0; 1024];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            let got = String::from_utf8(buf[..n].to_vec()).unwrap();
            let sent = server
                .send_to(got.to_uppercase().as_bytes(), from)
                .await
                .unwrap();
            (got, sent)
        });
        let client = spawn(async move {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            let sent = socket.send_to(b"hello, world!", addr).await.unwrap();
            let mut buf = [0; 1024];
            let (n, from) = socket.recv_from(&mut buf).await.unwrap();
            assert_eq!(from, addr);
            (sent, String::from_utf8(buf[..n].to_vec()).unwrap())
        });
        let (server_got, server_sent) = server.await.unwrap();
        let (client_sent, client_got) = client.await.unwrap();
        (server_got, client_sent, server_sent, client_got)
    });
    assert_eq!(server_got, "hello, world!");
    assert_eq!((client_sent, server_sent), (13, 13));
    assert_eq!(client_got, "HELLO, WORLD!");
}

/// 04: Miou checks at run time that `read`/`write` are not used on a datagram socket
/// nor `recvfrom`/`sendto` on a stream socket (`Invalid_argument`). In Rust the socket
/// kinds are distinct types (`TcpStream` has no `send_to`, `UdpSocket` no `read`):
/// such a program does not compile, so there is nothing to check at run time.
///
/// What can go wrong at run time instead: the network needs the built-in events
/// backend. With a user backend (`Builder::events`) every socket constructor returns
/// an error saying so, and nothing hangs.
#[test]
fn t04_net_with_a_user_backend_is_a_clear_error() {
    let clock = Clock::new(0);
    let errors = watchdog(20, move || {
        clock.builder().run(async {
            let mut errors: Vec<io::Error> = vec![
                TcpListener::bind("127.0.0.1:0").unwrap_err(),
                UdpSocket::bind("127.0.0.1:0").unwrap_err(),
                TcpStream::connect("127.0.0.1:9").await.unwrap_err(),
            ];
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            errors.push(TcpListener::from_std(std_listener).unwrap_err());
            let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
            errors.push(UnixStream::from_std(a).unwrap_err());
            errors
        })
    });
    for e in errors {
        assert!(
            e.to_string().contains("needs the built-in events backend")
                && e.to_string().contains("Builder::events"),
            "unclear: {e}"
        );
    }
}

/// 04, continued: `time::sleep` with a user backend panics in the task that called it
/// (a backend of its own has its own notion of time), with a message saying so.
#[test]
fn t04_sleep_with_a_user_backend_panics_clearly() {
    let clock = Clock::new(0);
    let r = watchdog(20, move || {
        clock
            .builder()
            .run(async { spawn(miou::time::sleep(Duration::from_millis(1))).await })
    });
    let message = panicked(r);
    assert!(
        message.contains("miou::time::sleep needs the built-in events backend")
            && message.contains("Builder::events"),
        "unclear: {message}"
    );
}

/// The outcome of test 05's jobs.
#[derive(Debug, PartialEq)]
enum Connect {
    Connected,
    Refused,
    Failed(ErrorKind),
    Timeout,
}

/// 05: a refused connection is reported promptly: the error wakes the connecting task,
/// which surfaces the socket's error (`ConnectionRefused`), well before a 2 s timer.
#[test]
fn t05_a_refused_connect_surfaces_promptly() {
    let dead: SocketAddr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let start = Instant::now();
    let r = run(move || async move {
        let connect = spawn(async move {
            match TcpStream::connect(dead).await {
                Ok(_) => Connect::Connected,
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => Connect::Refused,
                Err(e) => Connect::Failed(e.kind()),
            }
        });
        let timeout = spawn(async {
            miou::time::sleep(Duration::from_secs(2)).await;
            Connect::Timeout
        });
        await_first(vec![connect, timeout]).await
    });
    assert_eq!(r.unwrap(), Connect::Refused);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}
