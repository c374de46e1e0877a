//! B1's body (spawn N children, then await each) on miou or on the floor executor, for
//! counting instructions with callgrind, which the timed bench cannot do:
//!
//! ```sh
//! cargo build --release -p bench --example b1_instructions
//! valgrind --tool=callgrind target/release/examples/b1_instructions miou 1000 3
//! valgrind --tool=callgrind target/release/examples/b1_instructions miou 11000 3
//! ```
//!
//! The difference between two sizes, divided by the tasks it adds (3 rounds of 10,000),
//! is the cost of one task without the run's fixed cost. `bench/RESULTS.md` has the
//! figures and their breakdown by function (`callgrind_annotate`).

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

#[allow(dead_code)]
#[path = "../src/runtimes/floor.rs"]
mod floor;

/// B1's body, as `bench/src/workloads/b1_spawn_many.rs` writes it.
macro_rules! spawn_many {
    ($spawn:path, $n:expr) => {
        async move {
            let n: usize = $n;
            let mut handles = Vec::with_capacity(n);
            for i in 0..n {
                handles.push($spawn(async move { i as u64 }));
            }
            let mut sum = 0;
            for h in handles {
                sum += h.await;
            }
            sum
        }
    };
}

/// A child's result, unwrapped, as the bench's `spawn_miou` gives it.
struct Unwrap<F>(F);

impl<T, F: Future<Output = Result<T, miou::Error>> + Unpin> Future for Unwrap<F> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.expect("a B1 child"))
    }
}

fn spawn_miou<F: Future + 'static>(f: F) -> Unwrap<miou::Join<F::Output>>
where
    F::Output: 'static,
{
    Unwrap(miou::spawn(f).into_future())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: b1_instructions miou|floor N ROUNDS";
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).expect(usage);
    let rounds: usize = args.get(3).and_then(|a| a.parse().ok()).expect(usage);
    let sum = match args.get(1).map(String::as_str) {
        Some("miou") => miou::Builder::new().domains(0).quanta(1).run(async move {
            let mut s = 0;
            for _ in 0..rounds {
                s += spawn_many!(spawn_miou, n).await;
            }
            s
        }),
        Some("floor") => floor::block_on(async move {
            let mut s = 0;
            for _ in 0..rounds {
                s += spawn_many!(floor::spawn, n).await;
            }
            s
        }),
        _ => panic!("{usage}"),
    };
    let expected = rounds as u64 * (n as u64 * (n as u64 - 1) / 2);
    assert_eq!(sum, expected, "B1's sum");
    println!("{sum}");
}
