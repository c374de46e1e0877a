//! Step 5's sockets, driven through real loopback connections: what a client
//! sends comes back, a read of data that is already there does not wait, a
//! refused connection is an error, and the run's output is the same every
//! time. The expected transcripts are written out from the protocol (each
//! line comes back as it was sent), not copied from a run.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;

#[path = "../demo/runs.rs"]
#[allow(dead_code)]
mod runs;

use step_05::clock::sleep;
use step_05::net::{TcpListener, TcpStream};
use step_05::reactor::Reactor;
use step_05::{Task, run};

/// Runs `test` on a thread of its own and fails if it takes more than 30 s:
/// a bug in a socket's wait shows as a hang, and a hang must fail the test.
fn watchdog(test: impl FnOnce() + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    let body = std::thread::spawn(move || {
        test();
        let _ = done.send(());
    });
    let limit = std::time::Duration::from_secs(30);
    match finished.recv_timeout(limit) {
        Ok(()) => body.join().unwrap(),
        // The test panicked: show its panic.
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = body.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(_) => panic!("the test did not finish in 30 s: it hangs"),
    }
}

#[test]
fn every_client_gets_its_own_lines_back_in_order() {
    watchdog(|| {
        let (transcripts, report, _) = runs::echo(3, 2);
        assert_eq!(transcripts.len(), 3);
        for (k, transcript) in transcripts.iter().enumerate() {
            let k = k + 1;
            let line = |n| format!("line {n} of client {k}\n");
            assert_eq!(
                transcript,
                &[
                    format!("sent {:?}, got {:?}", line(1), line(1)),
                    format!("sent {:?}, got {:?}", line(2), line(2)),
                    "closed; the server closed too: true".to_string(),
                ]
            );
        }
        // Every task finished: main, the server, 3 clients, 3 echo handlers.
        let finished = report.turns.iter().filter(|t| t.end == "finished");
        assert_eq!(finished.count(), 8);
    });
}

#[test]
fn the_output_is_the_same_on_every_run() {
    watchdog(|| {
        let first = runs::echo(3, 2).0;
        for _ in 0..5 {
            assert_eq!(runs::echo(3, 2).0, first);
        }
    });
}

/// Runs `body` on a fresh reactor, under quanta 1.
fn with_reactor(body: impl AsyncFnOnce(Reactor) + 'static) -> Reactor {
    let reactor = Reactor::new().expect("a mio::Poll");
    let r = reactor.clone();
    let main = Task::new("main", async move { body(r).await });
    run(1, reactor.clone(), vec![main]);
    reactor
}

#[test]
fn a_read_of_data_already_there_does_not_wait() {
    watchdog(|| {
        let waits = Rc::new(RefCell::new((0, 0)));
        let w = Rc::clone(&waits);
        with_reactor(async move |reactor| {
            let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
            let listener = TcpListener::bind(&reactor, any).unwrap();
            let addr = listener.local_addr().unwrap();
            let client = TcpStream::connect(&reactor, addr, "c").await.unwrap();
            let server = listener.accept("s").await.unwrap();
            client.write_all(b"ping").await.unwrap();
            // Give loopback time to deliver, on the reactor's own clock.
            sleep(&reactor, 20).await;
            let before = reactor.waits();
            let mut buf = [0; 4];
            assert_eq!(server.read(&mut buf).await.unwrap(), 4);
            assert_eq!(&buf, b"ping");
            *w.borrow_mut() = (before, reactor.waits());
        });
        let (before, after) = *waits.borrow();
        assert_eq!(before, after, "the read tried first and did not wait");
    });
}

#[test]
fn a_read_with_nothing_to_read_waits_then_gets_the_data() {
    watchdog(|| {
        let got = Rc::new(RefCell::new(Vec::new()));
        let g = Rc::clone(&got);
        let reactor = with_reactor(async move |reactor| {
            let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
            let listener = TcpListener::bind(&reactor, any).unwrap();
            let addr = listener.local_addr().unwrap();
            let client = TcpStream::connect(&reactor, addr, "c").await.unwrap();
            let server = listener.accept("s").await.unwrap();
            let reader = step_05::spawn("reader", async move {
                let mut buf = [0; 5];
                let n = server.read(&mut buf).await.unwrap();
                buf[..n].to_vec()
            })
            .await;
            // The reader has parked on WouldBlock by the time this writes.
            sleep(&reactor, 20).await;
            client.write_all(b"hello").await.unwrap();
            *g.borrow_mut() = reader.await;
        });
        assert_eq!(*got.borrow(), b"hello");
        assert!(reactor.waits() >= 1, "the reader waited for the data");
    });
}

#[test]
fn a_write_larger_than_the_buffers_waits_for_room() {
    watchdog(|| {
        // 8 MiB do not fit in loopback's socket buffers: the writer must wait
        // for the reader to make room, several times.
        const LEN: usize = 8 << 20;
        let got = Rc::new(RefCell::new(0));
        let g = Rc::clone(&got);
        let reactor = with_reactor(async move |reactor| {
            let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
            let listener = TcpListener::bind(&reactor, any).unwrap();
            let addr = listener.local_addr().unwrap();
            let client = TcpStream::connect(&reactor, addr, "c").await.unwrap();
            let server = listener.accept("s").await.unwrap();
            let writer = step_05::spawn("writer", async move {
                client.write_all(&vec![7; LEN]).await.unwrap();
            })
            .await;
            let mut buf = vec![0; 64 << 10];
            let mut total = 0;
            while total < LEN {
                let n = server.read(&mut buf).await.unwrap();
                assert!(n > 0 && buf[..n].iter().all(|&b| b == 7));
                total += n;
            }
            writer.await;
            *g.borrow_mut() = total;
        });
        assert_eq!(*got.borrow(), LEN);
        assert!(reactor.waits() >= 2, "the writer waited for room");
    });
}

#[test]
fn a_refused_connection_is_an_error() {
    watchdog(|| {
        // Bind a port, then close it: nobody listens there any more.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let result = Rc::new(RefCell::new(None));
        let r = Rc::clone(&result);
        with_reactor(async move |reactor| {
            let c = TcpStream::connect(&reactor, addr, "c").await;
            *r.borrow_mut() = Some(c.err().map(|e| e.kind()));
        });
        let kind = result.borrow_mut().take().expect("the task ran");
        assert_eq!(kind, Some(std::io::ErrorKind::ConnectionRefused));
    });
}
