//! The sleep tests of Miou's `test/test_core.ml` (`test22` to `test27`, `test29` and
//! `test45`, ported in `catalogue.rs`) with the real clock and the built-in `mio`
//! backend. The catalogue runs them on a virtual clock (`common/clock.rs`), where time
//! is exact; here the durations are short and the bounds wide: each test checks what the
//! timeline proves (sleeps overlap, a cancel interrupts a sleeping worker at once, a
//! broken rule does not wait for a long sleep), not how fast the machine is.

mod common;

use std::time::{Duration, Instant};

use common::watchdog;
use miou::time::sleep;
use miou::{Builder, Error};

const LONG: Duration = Duration::from_secs(30);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// 22: a child cancelled because its parent failed never finishes its sleep; one that
/// is awaited sleeps its whole time.
#[test]
fn t22_a_failing_parent_cancels_its_sleeping_child() {
    watchdog(20, || {
        for fail in [false, true] {
            let start = Instant::now();
            let r = Builder::new().domains(0).run(async move {
                let p = miou::spawn(async move {
                    let c = miou::spawn(sleep(if fail { LONG } else { ms(50) }));
                    if fail {
                        panic!("Basic_failure");
                    }
                    c.await.unwrap();
                });
                p.await
            });
            let took = start.elapsed();
            if fail {
                assert!(matches!(r, Err(Error::Panicked(_))));
                assert!(
                    took < ms(5_000),
                    "the child's long sleep was cancelled: {took:?}"
                );
            } else {
                assert!(r.is_ok());
                assert!(took >= ms(50), "the child slept its 50 ms: {took:?}");
            }
        }
    });
}

/// 23: cancelling a task asleep on a worker interrupts that worker's blocking poll.
#[test]
fn t23_cancel_interrupts_a_sleeping_worker() {
    watchdog(20, || {
        let start = Instant::now();
        Builder::new().domains(1).run(async {
            let a = miou::call(|| sleep(LONG));
            sleep(ms(20)).await;
            miou::cancel(a).await;
        });
        assert!(start.elapsed() < ms(5_000));
    });
}

/// 24 and 27: `parallel` sleeps overlap across workers.
#[test]
fn t24_t27_parallel_sleeps_overlap() {
    watchdog(20, || {
        let start = Instant::now();
        let rs = Builder::new()
            .domains(2)
            .run(async { miou::parallel(sleep, vec![ms(200), ms(400)]).await });
        let took = start.elapsed();
        assert!(rs.iter().all(Result::is_ok));
        assert!(took >= ms(400), "the longest sleep is 400 ms: {took:?}");
        assert!(
            took < ms(590),
            "the sleeps overlapped (600 ms one after the other): {took:?}"
        );
    });
}

/// 25: a broken rule does not wait for a long sleep on a worker.
#[test]
fn t25_still_has_children_does_not_wait_for_the_sleep() {
    watchdog(20, || {
        let start = Instant::now();
        let r = Builder::new().domains(1).try_run(async {
            let _forgotten = miou::call(|| sleep(LONG));
        });
        assert!(matches!(r, Err(Error::StillHasChildren)));
        assert!(start.elapsed() < ms(5_000));
    });
}

/// 26: two sleeping children of one domain overlap.
#[test]
fn t26_sleeps_on_one_domain_overlap() {
    watchdog(20, || {
        let start = Instant::now();
        Builder::new().domains(0).run(async {
            let a = miou::spawn(sleep(ms(300)));
            let b = miou::spawn(sleep(ms(300)));
            for r in miou::await_all(vec![a, b]).await {
                r.unwrap();
            }
        });
        let took = start.elapsed();
        assert!(took >= ms(300) && took < ms(590), "{took:?}");
    });
}

/// 29: `await_first` takes the child that finishes and cancels the one that sleeps.
#[test]
fn t29_await_first_cancels_the_sleeper() {
    watchdog(20, || {
        let start = Instant::now();
        let r = Builder::new().domains(0).run(async {
            let quick = miou::spawn(async {});
            let slow = miou::spawn(async {
                sleep(LONG).await;
                panic!("Timeout");
            });
            miou::await_first(vec![quick, slow]).await
        });
        assert!(r.is_ok());
        assert!(start.elapsed() < ms(5_000));
    });
}

/// 45: many sleepers collected in an orphans collector, taken back and cancelled.
#[test]
fn t45_orphans_of_sleepers_are_taken_and_cancelled() {
    watchdog(20, || {
        Builder::new().domains(0).seed(45).run(async {
            let p = miou::spawn(async {
                let orphans = miou::Orphans::new();
                for i in 0..42u64 {
                    orphans.spawn(sleep(ms(i)));
                }
                let mut n = 0;
                while let Some(p) = orphans.take() {
                    miou::cancel(p).await;
                    n += 1;
                }
                n
            });
            assert_eq!(p.await.unwrap(), 42);
        });
    });
}

/// `timeout` with the real clock: a future that finishes in time, and one that does not
/// (it is dropped at its sleep).
#[test]
fn timeout_returns_the_value_or_elapsed() {
    watchdog(20, || {
        Builder::new().domains(0).run(async {
            assert_eq!(miou::time::timeout(ms(500), async { 7 }).await, Ok(7));
            let start = Instant::now();
            assert!(miou::time::timeout(ms(50), sleep(LONG)).await.is_err());
            assert!(start.elapsed() < ms(5_000));
        });
    });
}

/// The built-in backend looks at the kernel at most every 20 µs while tasks are ready
/// (`DomainEvents::look_after_turn`), but it does look: a sleeper wakes, and a socket's
/// data is read, while another task yields for ever on the same domain. Were the look
/// only made when the queue is empty, this run would never end (the watchdog fails it).
#[test]
fn events_are_seen_while_tasks_keep_yielding() {
    watchdog(20, || {
        let rounds = Builder::new().domains(0).run(async {
            let stop = std::rc::Rc::new(std::cell::Cell::new(false));
            let s = stop.clone();
            let spinner = miou::spawn(async move {
                let mut rounds = 0u64;
                while !s.get() {
                    miou::yield_now().await;
                    rounds += 1;
                }
                rounds
            });
            let start = Instant::now();
            sleep(ms(5)).await;
            assert!(start.elapsed() >= ms(5));
            // A socket too: the reply comes in while the spinner runs.
            let listener = miou::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let client = std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut c = std::net::TcpStream::connect(addr).unwrap();
                c.write_all(b"ping").unwrap();
                let mut buf = [0; 4];
                c.read_exact(&mut buf).unwrap();
                buf
            });
            let (conn, _) = listener.accept().await.unwrap();
            let mut buf = [0; 4];
            conn.read_exact(&mut buf).await.unwrap();
            conn.write_all(&buf).await.unwrap();
            assert_eq!(&client.join().unwrap(), b"ping");
            stop.set(true);
            spinner.await.unwrap()
        });
        assert!(rounds > 0);
    });
}
