//! B7 availability: how long does a server task wait for its turn while other tasks
//! compute? The reason miou's scheduler exists.
//!
//! One single-threaded runtime runs a TCP echo server task and K busy tasks. A client
//! on its own OS thread (blocking std sockets, no runtime) sends 64-byte requests one
//! at a time and times each round trip: p50, p99 and max over 2,000 requests (after a
//! few untimed ones), and the busy tasks' iterations per second (what their share of
//! the thread costs them).
//!
//! A busy task loops until the client is done: a fixed piece of arithmetic
//! ([`busy_work`], the same in every runtime), then one await on a runtime operation that
//! completes at once, an uncontended lock of the task's own mutex:
//!
//! - miou: `miou::sync::Mutex::lock().await` (a scheduling point: with quanta 1 the turn
//!   ends there and the domain polls its events between turns);
//! - tokio-ct: `tokio::sync::Mutex::lock().await`, which consumes tokio's coop budget
//!   (128 per poll): the task yields when it runs out, and its wake is deferred until
//!   the I/O driver has been polled;
//! - async-executor: `async_lock::Mutex::lock().await`, ready at once and with no
//!   budget: the task never yields. The server cannot run until the busy tasks end: the
//!   client waits `stall` (1 s) for a reply, then marks the run starved, tells the busy
//!   tasks to stop, takes the late reply and ends. Such a run reports that wait as every
//!   percentile, a lower bound of the real figure (which is unbounded).
//!
//! The client is closed-loop: it sends the next request as soon as it has the reply. So
//! the runtime that answers sooner also serves more requests per second, and every
//! request costs the domain's thread its `recv`, its `send` and their wake-ups, time
//! the busy tasks do not get. The case's last row, requests served per second (timed
//! and untimed, over the time the server ran), says how much serving each runtime did
//! while its busy tasks made the iterations of the row above it. The paced cases
//! ([`paced`]) send one request per millisecond instead, so that every runtime that
//! keeps up serves the same requests, and the busy iterations compare the schedulers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::net::{self, echo};
use super::{Case, Config, Measured, Metric, Run, Target, Unit, thousands};
use crate::runtimes::{self, Runtime, ae, spawn_miou, spawn_tokio};

/// Request and reply size.
pub const SIZE: usize = 64;

/// Rounds of [`busy_work`] per loop iteration: about a microsecond on a 3 GHz core.
pub const WORK_ROUNDS: u32 = 400;

/// The busy tasks' arithmetic: a dependent chain of multiply-adds the compiler cannot
/// skip.
#[inline(never)]
pub fn busy_work(mut x: u64) -> u64 {
    for _ in 0..WORK_ROUNDS {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x ^= x >> 29;
    }
    std::hint::black_box(x)
}

/// A busy task's body, the same in every runtime but for its mutex: loop until `stop`,
/// one [`busy_work`] and one uncontended lock per iteration; returns the iterations.
// ANCHOR: busy
macro_rules! busy {
    ($mutex:ty, $seed:expr, $stop:expr, $started:expr) => {{
        let (seed, stop, started): (u64, Arc<AtomicBool>, Arc<AtomicUsize>) =
            ($seed, $stop, $started);
        async move {
            let m = <$mutex>::new(0u64);
            started.fetch_add(1, Ordering::SeqCst);
            let mut x = seed;
            let mut iterations = 0u64;
            while !stop.load(Ordering::Relaxed) {
                x = busy_work(x);
                *m.lock().await += x & 1;
                iterations += 1;
            }
            std::hint::black_box(x);
            iterations
        }
    }};
}
// ANCHOR_END: busy

/// B7's root, the same in every runtime but for its spawn, its sockets, its echo
/// and its mutex: the echo server and `k` busy tasks spawned side by side; returns
/// the busy tasks' iterations and the time the server took to serve the client.
// ANCHOR: root
macro_rules! root {
    (
        $spawn:path,
        $listener:expr,
        $echo:path,
        $mutex:ty,
        $k:expr,
        $stop:expr,
        $started:expr
    ) => {{
        let (k, stop, started) = ($k, $stop, $started);
        async move {
            let l = $listener.expect("B7: listener");
            let server = $spawn(async move {
                let (s, _) = l.accept().await?;
                $echo(s, SIZE).await
            });
            let start = Instant::now();
            let busy: Vec<_> = (0..k)
                .map(|i| {
                    let seed = 0x5eed + i as u64;
                    $spawn(busy!($mutex, seed, stop.clone(), started.clone()))
                })
                .collect();
            server.await.expect("B7: echo");
            let elapsed = start.elapsed();
            stop.store(true, Ordering::SeqCst);
            let mut iterations = 0;
            for b in busy {
                iterations += b.await;
            }
            (iterations, elapsed)
        }
    }};
}
// ANCHOR_END: root

/// How one B7 case runs.
#[derive(Clone, Copy, Debug)]
pub struct Setup {
    pub busy: usize,
    pub warmup: usize,
    pub requests: usize,
    pub stall: Duration,
    pub quanta: usize,
    /// The paced cases: one request per `pace` (see [`net::rtt_client`]).
    pub pace: Option<Duration>,
}

/// The set-up of a B7 case with `busy` tasks and miou's `quanta`: 2,000 timed
/// requests after 50 (200 after 10 with `quick`), a stall limit of 1 s (100 ms).
pub fn setup(quick: bool, busy: usize, quanta: usize) -> Setup {
    let (requests, warmup, stall) = if quick {
        (200, 10, Duration::from_millis(100))
    } else {
        (2_000, 50, Duration::from_secs(1))
    };
    Setup {
        busy,
        warmup,
        requests,
        stall,
        quanta,
        pace: None,
    }
}

/// The set-up of a paced case: one request per millisecond, 1,000 timed after 50 (200
/// after 10 with `quick`), so that a run lasts about a second on every runtime that
/// keeps up.
pub fn paced(quick: bool, busy: usize, quanta: usize) -> Setup {
    let closed = setup(quick, busy, quanta);
    Setup {
        requests: if quick { 200 } else { 1_000 },
        pace: Some(Duration::from_millis(1)),
        ..closed
    }
}

/// The B7 cases: K = 1 and K = 10 busy tasks, set up by [`setup`], then the same
/// with a paced client ([`paced`]).
pub fn cases(cfg: &Config) -> Vec<Case> {
    let closed = [1, 10].map(|busy| (setup(cfg.quick, busy, cfg.quanta), ""));
    let paced = [1, 10].map(|busy| (paced(cfg.quick, busy, cfg.quanta), "paced "));
    closed
        .into_iter()
        .chain(paced)
        .map(|(setup, paced)| {
            let busy = setup.busy;
            let requests = setup.requests;
            let p99_goal = if busy == 10 && paced.is_empty() {
                vec![Target::Runtime(Runtime::TokioCt, 0.2)]
            } else {
                Vec::new()
            };
            let (id, what) = if paced.is_empty() {
                (
                    format!("B7/k={busy}"),
                    format!("{} x {SIZE} B round trips", thousands(requests)),
                )
            } else {
                (
                    format!("B7/paced-k={busy}"),
                    format!("{} x {SIZE} B requests, one per ms", thousands(requests)),
                )
            };
            Case {
                id,
                workload: "B7",
                name: "availability",
                title: format!("B7 availability {paced}K={busy}, {what}"),
                runtimes: runtimes::PEERS_ONLY,
                check: None,
                metrics: vec![
                    Metric::plain(Unit::P50),
                    Metric {
                        unit: Unit::P99,
                        gate: vec![Target::Runtime(Runtime::TokioCt, 1.0)],
                        goal: p99_goal,
                    },
                    Metric::plain(Unit::Max),
                    Metric::plain(Unit::IterPerSec),
                    // Not a score: the closed-loop client sends its next request when
                    // the reply comes, so a runtime that answers sooner serves more
                    // requests per second, and its busy tasks pay for the work (see the
                    // module doc). The paced client asks the same of every runtime.
                    Metric::plain(Unit::ReqPerSec),
                ],
                run: Run::Metrics(Box::new(move |rt| run(rt, setup))),
            }
        })
        .collect()
}

/// One run on a fresh `rt`: p50, p99, max (seconds), busy iterations per second.
pub fn run(rt: Runtime, setup: Setup) -> Measured {
    let (listener, addr) = net::bind();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let client = {
        let (stop, started) = (stop.clone(), started.clone());
        std::thread::Builder::new()
            .name("b7-client".into())
            .spawn(move || {
                net::rtt_client(
                    addr,
                    SIZE,
                    &setup,
                    || started.load(Ordering::SeqCst) >= setup.busy,
                    &stop,
                )
            })
            .expect("spawn the B7 client")
    };
    let k = setup.busy;
    let (iterations, busy_time) = match rt {
        Runtime::Miou => runtimes::miou(
            setup.quanta,
            // ANCHOR: miou_run
            root!(
                spawn_miou,
                miou::net::TcpListener::from_std(listener),
                echo::miou,
                miou::sync::Mutex<u64>,
                k,
                stop,
                started
            ),
            // ANCHOR_END: miou_run
        ),
        Runtime::TokioCt => runtimes::tokio_ct_io(root!(
            spawn_tokio,
            tokio::net::TcpListener::from_std(listener),
            echo::tokio,
            tokio::sync::Mutex<u64>,
            k,
            stop,
            started
        )),
        Runtime::AsyncExecutor => ae::block_on_io(root!(
            ae::spawn,
            async_io::Async::new(listener),
            echo::async_io,
            async_lock::Mutex<u64>,
            k,
            stop,
            started
        )),
        other => unreachable!("B7 does not run on {}", other.name()),
    };
    let mut rtts = client.join().expect("the B7 client panicked");
    let rate = iterations as f64 / busy_time.as_secs_f64();
    let served = (setup.warmup + setup.requests) as f64 / busy_time.as_secs_f64();
    match rtts.starved {
        Some(wait) => {
            let w = wait.as_secs_f64();
            Measured {
                values: vec![w, w, w, rate, served],
                note: Some(format!(
                    "starved: a request had no reply within {:?} while the busy tasks ran; \
                     its wait stands for every percentile",
                    setup.stall
                )),
            }
        }
        None => {
            let s = &mut rtts.samples;
            Measured {
                values: vec![
                    net::percentile(s, 0.50).as_secs_f64(),
                    net::percentile(s, 0.99).as_secs_f64(),
                    net::percentile(s, 1.0).as_secs_f64(),
                    rate,
                    served,
                ],
                note: None,
            }
        }
    }
}
