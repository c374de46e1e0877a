//! B9 tcp_echo: 1 KiB request/response over loopback (the monoio-benchmark protocol),
//! 50 connections driven by one client thread (a `mio` loop, no runtime), one server
//! thread: requests per second and the latency of each request (p50, p99).
//!
//! The server accepts the 50 connections and serves each in its own task (`read_exact`
//! 1 KiB, `write_all` it back, until the client closes):
//!
//! - miou: one domain (`domains(0)`), `miou::net`, a `spawn`ed task per connection;
//! - tokio-ct: `current_thread` with its I/O driver, `tokio::net`, `tokio::spawn`;
//! - async-executor: `LocalExecutor` with `async_io::Async<TcpListener>`, driven by
//!   `async_io::block_on` (the standard smol set-up);
//! - floor: a bare `mio` event loop with a state machine per connection, no tasks.
//!
//! Each connection makes 400 round trips (20,000 requests in all; 10 each with
//! `--quick`). The clock runs from the client's first request to its last reply.

use std::time::Duration;

use super::net::{self, echo};
use super::{Case, Config, Measured, Metric, Run, Target, Unit, thousands};
use crate::runtimes::{self, Runtime, ae};

/// Request and reply size.
pub const SIZE: usize = 1024;
/// Connections.
pub const CONNS: usize = 50;

/// The B9 case.
pub fn cases(cfg: &Config) -> Vec<Case> {
    let rounds = if cfg.quick { 10 } else { 400 };
    let quanta = cfg.quanta;
    vec![Case {
        id: "B9".to_string(),
        workload: "B9",
        name: "tcp_echo",
        title: format!(
            "B9 tcp_echo {CONNS} conns x {rounds} x 1 KiB ({} requests)",
            thousands(CONNS * rounds)
        ),
        runtimes: runtimes::WITH_FLOOR,
        check: None,
        metrics: vec![
            Metric {
                unit: Unit::ReqPerSec,
                gate: vec![Target::Runtime(Runtime::TokioCt, 0.8)],
                goal: vec![
                    Target::Runtime(Runtime::TokioCt, 1.0),
                    Target::Runtime(Runtime::Floor, 0.9),
                ],
            },
            Metric::plain(Unit::P50),
            Metric::plain(Unit::P99),
        ],
        run: Run::Metrics(Box::new(move |rt| run(rt, rounds, quanta))),
    }]
}

/// One run on a fresh `rt`: requests per second, p50 and p99 (seconds).
pub fn run(rt: Runtime, rounds: usize, quanta: usize) -> Measured {
    let (listener, addr) = net::bind();
    let deadline = Duration::from_secs(60);
    let client = std::thread::Builder::new()
        .name("b9-client".into())
        .spawn(move || net::load_client(addr, CONNS, rounds, SIZE, deadline))
        .expect("spawn the B9 client");
    let served = match rt {
        Runtime::Miou => runtimes::miou(quanta, async move {
            let l = miou::net::TcpListener::from_std(listener).expect("B9: listener");
            let mut conns = Vec::with_capacity(CONNS);
            for _ in 0..CONNS {
                let (s, _) = l.accept().await.expect("B9: accept");
                conns.push(miou::spawn(echo::miou(s, SIZE)));
            }
            let mut served = 0;
            for c in conns {
                served += c.await.expect("B9: connection task").expect("B9: echo");
            }
            served
        }),
        Runtime::TokioCt => runtimes::tokio_ct_io(async move {
            let l = tokio::net::TcpListener::from_std(listener).expect("B9: listener");
            let mut conns = Vec::with_capacity(CONNS);
            for _ in 0..CONNS {
                let (s, _) = l.accept().await.expect("B9: accept");
                conns.push(tokio::spawn(echo::tokio(s, SIZE)));
            }
            let mut served = 0;
            for c in conns {
                served += c.await.expect("B9: connection task").expect("B9: echo");
            }
            served
        }),
        Runtime::AsyncExecutor => ae::block_on_io(async move {
            let l = async_io::Async::new(listener).expect("B9: listener");
            let mut conns = Vec::with_capacity(CONNS);
            for _ in 0..CONNS {
                let (s, _) = l.accept().await.expect("B9: accept");
                conns.push(ae::spawn(echo::async_io(s, SIZE)));
            }
            let mut served = 0;
            for c in conns {
                served += c.await.expect("B9: echo");
            }
            served
        }),
        Runtime::Floor => net::floor_server(listener, CONNS, SIZE).expect("B9: floor server"),
        other => unreachable!("B9 does not run on {}", other.name()),
    };
    let mut load = client.join().expect("the B9 client panicked");
    assert_eq!(served as usize, CONNS * rounds, "B9: requests served");
    assert_eq!(load.latencies.len(), CONNS * rounds, "B9: replies");
    Measured {
        values: vec![
            load.latencies.len() as f64 / load.elapsed.as_secs_f64(),
            net::percentile(&mut load.latencies, 0.50).as_secs_f64(),
            net::percentile(&mut load.latencies, 0.99).as_secs_f64(),
        ],
        note: None,
    }
}
