//! A read from a TCP stream that emptied the receive buffer (it got fewer bytes than
//! it asked for) makes the next read wait for a readable event before it tries. These
//! tests pin what makes that safe: data that arrives while no task waits on the socket
//! raises an event that the domain sees in its next look at the kernel, and the next
//! read finds the data instead of waiting for an event that already came; the end of
//! the stream, which raises no event after the last data, is still read; and a read
//! into an empty buffer returns at once.

mod common;

use std::fmt::Debug;
use std::future::poll_fn;
use std::io::Write;
use std::pin::Pin;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use common::watchdog;
use futures_io::AsyncRead;
use miou::Builder;
use miou::net::{TcpListener, TcpStream};

/// How the server reads: `TcpStream::read`, or the `futures-io` trait.
#[derive(Clone, Copy, Debug)]
enum Read {
    Method,
    Poll,
}

async fn read(stream: &mut TcpStream, buf: &mut [u8], how: Read) -> usize {
    match how {
        Read::Method => stream.read(buf).await.unwrap(),
        Read::Poll => poll_fn(|cx| Pin::new(&mut *stream).poll_read(cx, buf))
            .await
            .unwrap(),
    }
}

/// Runs `test` on one domain under a watchdog, once for each way of reading, and
/// checks that it returns `expected`.
fn for_each_read<T, Fut>(expected: T, test: fn(Read) -> Fut)
where
    T: Debug + PartialEq + Send + 'static,
    Fut: Future<Output = T> + 'static,
{
    for how in [Read::Method, Read::Poll] {
        let got = watchdog(20, move || Builder::new().domains(0).run(test(how)));
        assert_eq!(got, expected, "read by {how:?}");
    }
}

/// A connection from a client thread, which runs `client` on its end: the server's
/// end, and the thread.
async fn connect(
    client: impl FnOnce(std::net::TcpStream) + Send + 'static,
) -> (TcpStream, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::thread::spawn(move || client(std::net::TcpStream::connect(addr).unwrap()));
    let (stream, _) = listener.accept().await.unwrap();
    (stream, client)
}

/// The client (a plain thread) sends `hello`; the server's read gets 5 bytes of 64,
/// which empties the buffer. The client then sends `world` while the server sleeps:
/// its readable event comes while nobody waits. The server's next read gets it, with
/// no further event to come.
#[test]
fn data_that_came_while_nobody_waited_is_read() {
    for_each_read("helloworld".to_string(), |how| async move {
        let (go, wait) = mpsc::channel::<()>();
        let (mut stream, client) = connect(move |mut s| {
            s.write_all(b"hello").unwrap();
            wait.recv().unwrap();
            s.write_all(b"world").unwrap();
            // Kept open until the server read both: no end-of-stream event
            // comes to release a read that waits for nothing.
            wait.recv().unwrap();
        })
        .await;
        let mut buf = [0u8; 64];
        let mut first = 0;
        while first < 5 {
            first += read(&mut stream, &mut buf[first..], how).await;
        }
        go.send(()).unwrap();
        // The domain blocks in its look at the kernel meanwhile, and sees
        // `world` arrive with no task waiting on the socket.
        miou::time::sleep(Duration::from_millis(50)).await;
        let n = read(&mut stream, &mut buf[5..], how).await;
        go.send(()).unwrap();
        client.join().unwrap();
        String::from_utf8(buf[..5 + n].to_vec()).unwrap()
    });
}

/// A stream sent in many small writes, read with a buffer larger than each: every
/// read empties the buffer, and every byte still arrives, in order.
#[test]
fn a_stream_read_in_partial_reads_arrives_whole() {
    for_each_read(7 * (0..200u64).sum::<u64>(), |how| async move {
        let (mut stream, client) = connect(|mut s| {
            s.set_nodelay(true).unwrap();
            for i in 0..200u8 {
                s.write_all(&[i; 7]).unwrap();
                if i % 20 == 0 {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        })
        .await;
        let mut buf = [0u8; 4096];
        let mut sum = 0u64;
        let mut total = 0;
        loop {
            let n = read(&mut stream, &mut buf, how).await;
            if n == 0 {
                break;
            }
            for &b in &buf[..n] {
                assert_eq!(usize::from(b), (total / 7) % 256, "out of order");
                sum += u64::from(b);
                total += 1;
            }
        }
        client.join().unwrap();
        assert_eq!(total, 1400);
        sum
    });
}

/// The client sends `bye` and closes at once; the server looks only after both came,
/// reported by one event while nobody waited. Its read gets the 3 bytes (fewer than it
/// asked for), and the next one the end of the stream: the close raises no second
/// event, so that read must try rather than wait for one.
#[test]
fn the_end_that_came_with_the_last_data_is_read() {
    for_each_read("bye".to_string(), |how| async move {
        let (mut stream, client) = connect(|mut s| s.write_all(b"bye").unwrap()).await;
        client.join().unwrap();
        miou::time::sleep(Duration::from_millis(50)).await;
        let mut buf = [0u8; 64];
        let mut n = 0;
        loop {
            match read(&mut stream, &mut buf[n..], how).await {
                0 => break,
                k => n += k,
            }
        }
        String::from_utf8(buf[..n].to_vec()).unwrap()
    });
}

/// A read into an empty buffer returns `Ok(0)` at once, also on a socket whose last
/// read emptied the receive buffer. Regression: it made the system call, which Linux
/// answers with `WouldBlock` while nothing is queued, and then waited for the peer's
/// next bytes, which here never come.
#[test]
fn an_empty_read_after_a_short_one_returns_at_once() {
    for_each_read(0, |how| async move {
        let (done, wait) = mpsc::channel::<()>();
        let (mut stream, client) = connect(move |mut s| {
            s.write_all(b"hi").unwrap();
            wait.recv().unwrap();
        })
        .await;
        let mut buf = [0u8; 64];
        let mut got = 0;
        while got < 2 {
            got += read(&mut stream, &mut buf[got..], how).await;
        }
        let n = read(&mut stream, &mut [], how).await;
        done.send(()).unwrap();
        client.join().unwrap();
        n
    });
}
