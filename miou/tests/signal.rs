//! `miou::signal`: a task waiting for an OS signal wakes when the process gets it.
//!
//! Signals are process-wide, so the tests of this file take turns (`serial`), and each
//! registers its signals before anything raises them (an uncaught `SIGUSR1` would kill
//! the test process).

mod common;

use std::future::{Future, poll_fn};
use std::io::ErrorKind;
use std::pin::pin;
use std::sync::{Mutex, MutexGuard};
use std::task::Poll;
use std::time::{Duration, Instant};

use common::clock::Clock;
use common::watchdog;
use miou::signal::{SIGINT, SIGUSR1, SIGUSR2, Signals};
use miou::sync::Computation;
use miou::time::timeout;
use miou::{Builder, spawn};
use signal_hook::low_level::raise;

fn serial() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sends `signal` to the whole process: the kernel delivers it to any thread, a
/// domain's or not, perhaps after `kill` returns.
fn kill(signal: i32) {
    // SAFETY: kill(2) with our own pid has no memory effects.
    let r = unsafe { libc::kill(libc::getpid(), signal) };
    assert_eq!(r, 0, "kill: {}", std::io::Error::last_os_error());
}

/// Sends `signal` to the process from another thread after `delay`.
fn kill_later(signal: i32, delay: Duration) -> std::thread::JoinHandle<Instant> {
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        let at = Instant::now();
        kill(signal);
        at
    })
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn a_task_sleeping_on_a_signal_wakes_when_it_arrives() {
    let _turn = serial();
    watchdog(10, || {
        Builder::new().domains(0).run(async {
            let mut signals = Signals::new(&[SIGUSR1]).unwrap();
            // The only task waits: domain 0 blocks in its backend until the signal.
            let sender = kill_later(SIGUSR1, Duration::from_millis(50));
            assert_eq!(signals.recv().await.unwrap(), SIGUSR1);
            let woke = Instant::now();
            let sent = sender.join().unwrap();
            assert!(
                woke.duration_since(sent) < Duration::from_secs(2),
                "woke {:?} after the signal",
                woke.duration_since(sent)
            );
        });
    });
}

#[test]
fn every_instance_gets_the_signal_on_every_domain() {
    let _turn = serial();
    watchdog(10, || {
        Builder::new().domains(1).run(async {
            let mut here = Signals::new(&[SIGUSR1]).unwrap();
            let mut also_here = Signals::new(&[SIGUSR1, SIGUSR2]).unwrap();
            let ready = Computation::new();
            let r = ready.clone();
            let there = miou::call(move || async move {
                let mut signals = Signals::new(&[SIGUSR1]).unwrap();
                r.try_return(());
                signals.recv().await.unwrap()
            });
            let sibling = spawn(async move { also_here.recv().await.unwrap() });
            ready.wait().await.unwrap();
            let sender = kill_later(SIGUSR1, Duration::from_millis(20));
            assert_eq!(here.recv().await.unwrap(), SIGUSR1);
            assert_eq!(sibling.await.unwrap(), SIGUSR1);
            assert_eq!(there.await.unwrap(), SIGUSR1);
            sender.join().unwrap();
        });
    });
}

#[test]
fn signals_that_arrived_before_recv_are_kept_and_coalesce() {
    let _turn = serial();
    watchdog(10, || {
        Builder::new().domains(0).run(async {
            let mut signals = Signals::new(&[SIGUSR1, SIGUSR2]).unwrap();
            // `raise` runs the handler on this thread before it returns.
            raise(SIGUSR2).unwrap();
            raise(SIGUSR1).unwrap();
            raise(SIGUSR1).unwrap();
            // By increasing number, each once.
            assert_eq!(signals.recv().await.unwrap(), SIGUSR1);
            assert_eq!(signals.recv().await.unwrap(), SIGUSR2);
            let more = timeout(Duration::from_millis(30), signals.recv()).await;
            assert!(more.is_err(), "got {more:?}");
        });
    });
}

#[test]
fn a_dropped_recv_loses_nothing() {
    let _turn = serial();
    watchdog(10, || {
        Builder::new().domains(0).run(async {
            let mut signals = Signals::new(&[SIGUSR1]).unwrap();
            // Dropped while it waits in the events backend.
            let quiet = timeout(Duration::from_millis(20), signals.recv()).await;
            assert!(quiet.is_err());
            // Dropped after 0, 1, 2... polls, wherever it stands then (the signal taken
            // from the pipe but not returned yet, or returned): each signal is received
            // exactly once.
            for polls in 0..4 {
                raise(SIGUSR1).unwrap();
                let mut got = None;
                {
                    let mut recv = pin!(signals.recv());
                    for _ in 0..polls {
                        let once = poll_fn(|cx| Poll::Ready(recv.as_mut().poll(cx))).await;
                        if let Poll::Ready(r) = once {
                            got = Some(r.unwrap());
                            break;
                        }
                        miou::yield_now().await;
                    }
                }
                let got = match got {
                    Some(s) => s,
                    None => timeout(Duration::from_secs(5), signals.recv())
                        .await
                        .expect("the signal was lost")
                        .unwrap(),
                };
                assert_eq!(got, SIGUSR1, "after {polls} polls");
                let again = timeout(Duration::from_millis(20), signals.recv()).await;
                assert!(again.is_err(), "after {polls} polls: received twice");
            }
        });
    });
}

#[test]
fn dropping_unregisters_the_handler() {
    let _turn = serial();
    watchdog(10, || {
        Builder::new().domains(0).run(async {
            let before = open_fds();
            let first = Signals::new(&[SIGUSR1]).unwrap();
            assert_eq!(open_fds(), before + 2, "the two ends of the self-pipe");
            drop(first);
            // The write end belongs to the handler: it is closed only once the handler
            // is unregistered.
            assert_eq!(open_fds(), before);
            // The signal is now ignored (signal-hook keeps its OS handler installed),
            // and the next instance does not see it.
            raise(SIGUSR1).unwrap();
            let mut second = Signals::new(&[SIGUSR1]).unwrap();
            let stale = timeout(Duration::from_millis(30), second.recv()).await;
            assert!(stale.is_err(), "got {stale:?}");
        });
    });
}

#[test]
fn a_task_cancelled_while_waiting_unregisters() {
    let _turn = serial();
    watchdog(10, || {
        Builder::new().domains(0).run(async {
            let before = open_fds();
            let waiter = spawn(async { Signals::new(&[SIGUSR2]).unwrap().recv().await });
            miou::yield_now().await;
            assert_eq!(open_fds(), before + 2);
            miou::cancel(waiter).await;
            assert_eq!(open_fds(), before);
        });
    });
}

#[test]
fn uncatchable_signals_are_refused() {
    let _turn = serial();
    watchdog(10, || {
        Builder::new().domains(0).run(async {
            for s in [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV, 0, -1, 300] {
                let e = Signals::new(&[SIGUSR1, s]).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::InvalidInput, "{s}");
                assert!(e.to_string().contains("cannot be waited for"), "{e}");
            }
        });
    });
}

#[test]
fn with_a_user_backend_signals_is_an_error_not_a_hang() {
    let _turn = serial();
    let clock = Clock::new(0);
    let e = watchdog(10, move || {
        clock
            .builder()
            .run(async { Signals::new(&[SIGUSR1]).unwrap_err() })
    });
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("Builder::events"), "{e}");
}

#[test]
fn ctrl_c_returns_on_sigint() {
    let _turn = serial();
    watchdog(10, || {
        Builder::new().domains(1).run(async {
            let waiter = spawn(miou::signal::ctrl_c());
            // The waiter's first turn registers its handler, then it sleeps; until
            // then a SIGINT would kill us.
            miou::yield_now().await;
            let sender = kill_later(SIGINT, Duration::from_millis(20));
            waiter.await.unwrap().unwrap();
            sender.join().unwrap();
        });
    });
}
