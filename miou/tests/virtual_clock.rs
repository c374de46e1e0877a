//! `Builder::virtual_clock`: `time` on virtual time, which starts at zero and jumps to
//! the next deadline whenever nothing can run, on every domain; sockets still work.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Out, Rng, watchdog};
use miou::net::{TcpListener, TcpStream};
use miou::time::{Instant, sleep, sleep_until, timeout};
use miou::{Builder, Events, Interrupter, Signal, SyscallId, call, spawn, yield_now};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// An hour of sleeps on three domains, started in a shuffled order, wake in deadline
/// order, each exactly at its deadline, and the whole run takes far less than a second
/// of real time.
#[test]
fn an_hour_of_sleeps_wakes_in_deadline_order_in_no_time() {
    let real = std::time::Instant::now();
    let woke = watchdog(30, || {
        Builder::new().domains(2).virtual_clock().run(async {
            let start = Instant::now();
            let woke = Arc::new(Mutex::new(Vec::new()));
            let mut minutes: Vec<u64> = (1..=60).collect();
            let mut rng = Rng::new(15);
            for i in (1..minutes.len()).rev() {
                minutes.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let mut ps = Vec::new();
            for (i, m) in minutes.into_iter().enumerate() {
                let w = woke.clone();
                let body = move || async move {
                    sleep(secs(60 * m)).await;
                    w.lock().unwrap().push((m, start.elapsed()));
                };
                // A third on each domain: local children and called ones.
                ps.push(if i % 3 == 0 {
                    spawn(body())
                } else {
                    call(body)
                });
            }
            miou::await_all(ps).await;
            assert_eq!(start.elapsed(), secs(3600));
            Arc::try_unwrap(woke).unwrap().into_inner().unwrap()
        })
    });
    let took = real.elapsed();
    let expected: Vec<_> = (1..=60).map(|m| (m, secs(60 * m))).collect();
    assert_eq!(woke, expected);
    assert!(took < Duration::from_secs(1), "an hour took {took:?}");
}

/// Virtual time starts at zero: `Instant::now` does not move while tasks run, only
/// when they all wait; `sleep_until` wakes exactly at its deadline, at once for one in
/// the past; a sleep of zero and a yield do not move it.
#[test]
fn time_moves_only_when_everything_waits() {
    let log = watchdog(10, || {
        Builder::new().domains(1).virtual_clock().run(async {
            let out = Out::new();
            let start = Instant::now();
            for _ in 0..100 {
                yield_now().await;
            }
            out.push(format!("after 100 yields: {:?}", start.elapsed()));
            sleep(Duration::ZERO).await;
            out.push(format!("after a sleep of zero: {:?}", start.elapsed()));
            sleep_until(start + Duration::from_millis(2500)).await;
            out.push(format!("until 2.5s: {:?}", start.elapsed()));
            sleep_until(start).await;
            out.push(format!("until the start: {:?}", start.elapsed()));
            let p = call(move || async move {
                sleep(secs(10)).await;
                start.elapsed()
            });
            out.push(format!("on the worker: {:?}", p.await.unwrap()));
            out.lines()
        })
    });
    assert_eq!(
        log,
        [
            "after 100 yields: 0ns",
            "after a sleep of zero: 0ns",
            "until 2.5s: 2.5s",
            "until the start: 2.5s",
            "on the worker: 12.5s"
        ]
    );
}

/// A task that keeps running keeps time still: a sleeper on another domain wakes
/// only once the busy task waits.
#[test]
fn a_busy_task_keeps_time_still() {
    let log = watchdog(10, || {
        Builder::new().domains(1).virtual_clock().run(async {
            let out = Out::new();
            let o = out.clone();
            let sleeper = call(move || async move {
                sleep(secs(1)).await;
                o.push("slept");
            });
            for i in 0..1000 {
                if i == 999 {
                    out.push("busy done");
                }
                yield_now().await;
            }
            sleeper.await.unwrap();
            out.lines()
        })
    });
    assert_eq!(log, ["busy done", "slept"]);
}

/// Timeouts on virtual time fire exactly at their deadline, in deadline order across
/// domains; the cancelled computations' sleepers are forgotten (they do not make time
/// jump to them later).
#[test]
fn timeouts_fire_at_their_deadline() {
    let (log, end) = watchdog(10, || {
        Builder::new().domains(2).virtual_clock().run(async {
            let start = Instant::now();
            let out = Arc::new(Mutex::new(Vec::new()));
            let mut ps = Vec::new();
            for n in [3u64, 1, 2] {
                let o = out.clone();
                ps.push(call(move || async move {
                    let r = timeout(secs(n), sleep(secs(100 * n))).await;
                    o.lock().unwrap().push((n, r.is_err(), start.elapsed()));
                }));
            }
            miou::await_all(ps).await;
            let log = out.lock().unwrap().clone();
            (log, start.elapsed())
        })
    });
    assert_eq!(
        log,
        [(1, true, secs(1)), (2, true, secs(2)), (3, true, secs(3))]
    );
    assert_eq!(end, secs(3), "no jump to a cancelled sleeper's deadline");
}

/// Sockets still work on the virtual clock, and time does not jump while data is on
/// its way between two domains of the run: a client on domain 0 asks a server on a
/// worker, over TCP, under a timeout, many times; none of the timeouts fires although
/// nothing else sleeps (a jump would fire it at once).
#[test]
fn sockets_work_and_time_waits_for_them() {
    let elapsed = watchdog(30, || {
        Builder::new().domains(1).virtual_clock().run(async {
            let start = Instant::now();
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let std_listener = listener.into_std().unwrap();
            let server = call(move || async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                let (conn, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 1];
                for _ in 0..200 {
                    conn.read_exact(&mut buf).await.unwrap();
                    buf[0] = buf[0].wrapping_add(1);
                    conn.write_all(&buf).await.unwrap();
                }
            });
            let client = TcpStream::connect(addr).await.unwrap();
            for i in 0..200u32 {
                let r = timeout(secs(5), async {
                    client.write_all(&[i as u8]).await.unwrap();
                    let mut buf = [0u8; 1];
                    client.read_exact(&mut buf).await.unwrap();
                    buf[0]
                })
                .await;
                assert_eq!(r, Ok((i as u8).wrapping_add(1)), "exchange {i}");
            }
            server.await.unwrap();
            start.elapsed()
        })
    });
    assert_eq!(elapsed, Duration::ZERO);
}

/// A backend of the user's, which knows nothing of time: on the virtual clock `time`
/// works with it (on the real clock it needs the built-in backend).
#[test]
fn the_virtual_clock_works_with_a_user_backend() {
    /// Never has events; sleeps on a channel until interrupted.
    struct Quiet(
        std::sync::mpsc::Receiver<()>,
        std::sync::mpsc::SyncSender<()>,
    );
    impl Events for Quiet {
        fn select(&mut self, block: bool, _: &[SyscallId]) -> Vec<Signal> {
            if block {
                let _ = self.0.recv();
            }
            Vec::new()
        }
        fn interrupter(&self) -> Interrupter {
            let tx = self.1.clone();
            Interrupter::new(move || {
                let _ = tx.try_send(());
            })
        }
    }
    let log = watchdog(10, || {
        Builder::new()
            .domains(1)
            .virtual_clock()
            .events(|_| {
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                Quiet(rx, tx)
            })
            .run(async {
                let start = Instant::now();
                let p = call(move || async move {
                    sleep(secs(30)).await;
                    start.elapsed()
                });
                sleep(secs(20)).await;
                let here = start.elapsed();
                let there = p.await.unwrap();
                let r = timeout(secs(1), sleep(secs(2))).await;
                (here, there, r.is_err(), start.elapsed())
            })
    });
    assert_eq!(log, (secs(20), secs(30), true, secs(31)));
}

/// Outside a run, `Instant::now` is the real clock; inside a run on the virtual clock,
/// the clock of that run (nested runs each have their own).
#[test]
fn instant_now_is_the_clock_of_the_current_run() {
    let before = Instant::now();
    std::thread::sleep(Duration::from_millis(2));
    assert!(before.elapsed() >= Duration::from_millis(2));
    let inner = watchdog(10, || {
        Builder::new().domains(0).virtual_clock().run(async {
            let start = Instant::now();
            sleep(secs(7)).await;
            start.elapsed()
        })
    });
    assert_eq!(inner, secs(7));
}
