//! Moving sockets between domains: `into_std` on one domain, `from_std` on another (or
//! the same), and the descriptor behind `AsRawFd`.

mod common;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd};

use common::{panic_text, watchdog};
use miou::net::{TcpListener, TcpStream, UdpSocket, UnixStream};

const CLIENTS: usize = 20;

/// A blocking client: sends one line and reads its echo.
fn client(addr: SocketAddr, i: usize) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    writeln!(s, "hello {i}").unwrap();
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).unwrap();
    line
}

/// Reads one line (up to and including `\n`) from a miou stream.
async fn read_line(conn: &TcpStream) -> Vec<u8> {
    let mut line = Vec::new();
    let mut buf = [0; 64];
    while !line.ends_with(b"\n") {
        let n = conn.read(&mut buf).await.unwrap();
        assert_ne!(n, 0, "the client closed before sending its line");
        line.extend_from_slice(&buf[..n]);
    }
    line
}

#[test]
fn accepted_connections_are_served_on_worker_domains() {
    let (echoes, domains) = watchdog(60, || {
        miou::Builder::new().domains(2).run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let clients: Vec<_> = (0..CLIENTS)
                .map(|i| std::thread::spawn(move || client(addr, i)))
                .collect();
            let mut workers = Vec::new();
            for _ in 0..CLIENTS {
                let (conn, _) = listener.accept().await.unwrap();
                let conn = conn.into_std().unwrap();
                workers.push(miou::call(move || async move {
                    let conn = TcpStream::from_std(conn).unwrap();
                    let line = read_line(&conn).await;
                    conn.write_all(&line).await.unwrap();
                    miou::domain::current()
                }));
            }
            let mut domains = Vec::new();
            for w in workers {
                domains.push(w.await.unwrap());
            }
            let echoes: Vec<String> = clients.into_iter().map(|c| c.join().unwrap()).collect();
            (echoes, domains)
        })
    });
    for (i, echo) in echoes.iter().enumerate() {
        assert_eq!(echo, &format!("hello {i}\n"), "client {i}");
    }
    assert_eq!(domains.len(), CLIENTS);
    assert!(
        domains.iter().all(|d| d.index() != 0),
        "a connection was served on domain 0: {domains:?}"
    );
}

#[test]
fn a_round_trip_on_the_same_domain_keeps_the_connection() {
    watchdog(30, || {
        miou::Builder::new().domains(0).run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let mut client = std::net::TcpStream::connect(addr).unwrap();
            let (conn, _) = listener.accept().await.unwrap();

            client.write_all(b"one").unwrap();
            let mut buf = [0; 3];
            conn.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"one");

            let fd = conn.as_raw_fd();
            assert_eq!(conn.as_fd().as_raw_fd(), fd);
            let std_conn = conn.into_std().unwrap();
            assert_eq!(std_conn.as_raw_fd(), fd);
            // Left non-blocking, as documented: nothing to read yet.
            let err = (&std_conn).read(&mut buf).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::WouldBlock);

            let conn = TcpStream::from_std(std_conn).unwrap();
            assert_eq!(conn.as_raw_fd(), fd);
            client.write_all(b"two").unwrap();
            conn.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"two");
            conn.write_all(b"three").await.unwrap();
            let mut back = [0; 5];
            client.read_exact(&mut back).unwrap();
            assert_eq!(&back, b"three");

            // The listener survives a round trip too.
            let lfd = listener.as_raw_fd();
            let listener = TcpListener::from_std(listener.into_std().unwrap()).unwrap();
            assert_eq!(listener.as_raw_fd(), lfd);
            let _second = std::net::TcpStream::connect(addr).unwrap();
            let (_, from) = listener.accept().await.unwrap();
            assert_eq!(from, _second.local_addr().unwrap());
        });
    });
}

#[test]
fn udp_and_unix_sockets_round_trip() {
    watchdog(30, || {
        miou::Builder::new().domains(1).run(async {
            let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
            let addr = udp.local_addr().unwrap();
            let fd = udp.as_raw_fd();
            let std_udp = udp.into_std().unwrap();
            assert_eq!(std_udp.as_raw_fd(), fd);
            // Received on a worker domain.
            let got = miou::call(move || async move {
                let udp = UdpSocket::from_std(std_udp).unwrap();
                let mut buf = [0; 8];
                let (n, _) = udp.recv_from(&mut buf).await.unwrap();
                buf[..n].to_vec()
            });
            let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
            sender.send_to(b"dgram", addr).await.unwrap();
            assert_eq!(got.await.unwrap(), b"dgram");

            let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
            let a = UnixStream::from_std(a).unwrap();
            let b = UnixStream::from_std(b).unwrap();
            let fd = b.as_raw_fd();
            let b = b.into_std().unwrap();
            assert_eq!(b.as_raw_fd(), fd);
            let echoed = miou::call(move || async move {
                let b = UnixStream::from_std(b).unwrap();
                let mut buf = [0; 4];
                b.read_exact(&mut buf).await.unwrap();
                b.write_all(&buf).await.unwrap();
            });
            a.write_all(b"unix").await.unwrap();
            let mut buf = [0; 4];
            a.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"unix");
            echoed.await.unwrap();
        });
    });
}

#[test]
fn from_std_outside_a_run_panics() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let text = panic_text(|| TcpListener::from_std(std_listener));
    assert!(text.contains("inside a task"), "{text}");
}
