//! The runtimes under test: miou and its peers, each started the way its own benchmarks
//! start it. The bare `mio` loop of the network workloads is their `floor` (in
//! `workloads/net.rs`); `sequential` is plain code on one thread, with no runtime.

pub mod floor;

use std::future::Future;
use std::sync::Arc;

/// One runtime of the comparison, by the name `--json` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Runtime {
    /// miou, one domain (`domains(0)`), with the quanta the case says; with worker
    /// domains in B6 and B10; in B11, miou as a user gets it (`miou::run`, default
    /// settings).
    Miou,
    /// miou with `domains(0)`, in B11 only: the baseline of a default run (a run that
    /// never calls should cost what a run without worker domains does).
    MiouD0,
    /// tokio's `current_thread` scheduler, no drivers (as tokio's own scheduler benches)
    /// in B1-B5 and B8; with its I/O driver in B7, B9, B11 and HTTP.
    TokioCt,
    /// tokio's `multi_thread` scheduler with [`workers`] worker threads; the root runs
    /// in `block_on` on the calling thread, as miou's root runs on domain 0.
    TokioMt,
    /// async-executor's `LocalExecutor`, driven by `futures_lite::future::block_on`
    /// (`async_io::block_on` in the network workloads). One per thread, kept from run to
    /// run (see [`ae`]): unlike the others, it is not a fresh runtime each run.
    AsyncExecutor,
    /// async-executor's `Executor`, run by [`workers`] threads; the root runs in
    /// `futures_lite::future::block_on` on the calling thread.
    AsyncExecutorMt,
    /// The hand-written FIFO executor of [`floor`] (scheduler workloads), a bare `mio`
    /// event loop with no runtime (network workloads), plain threads (B10), or a bare
    /// `futures_lite::future::block_on` (B11).
    Floor,
    /// The same work done by plain code on one thread, no runtime (B10).
    Sequential,
}

/// The scheduler workloads' runtimes (B1-B3), in the order they run in a round.
pub const WITH_FLOOR: &[Runtime] = &[
    Runtime::Miou,
    Runtime::TokioCt,
    Runtime::AsyncExecutor,
    Runtime::Floor,
];

/// The runtimes of the workloads with no floor (B4, B5: channels from another crate).
pub const PEERS_ONLY: &[Runtime] = &[Runtime::Miou, Runtime::TokioCt, Runtime::AsyncExecutor];

/// B6's runtimes: miou with worker domains against the multi-thread peers.
pub const MULTI: &[Runtime] = &[Runtime::Miou, Runtime::TokioMt, Runtime::AsyncExecutorMt];

/// B8's: miou against tokio's hand-built abort tree.
pub const TOKIO_CT_ONLY: &[Runtime] = &[Runtime::Miou, Runtime::TokioCt];

/// B11's: miou's default run and its `domains(0)` baseline, the peers' fresh runtimes,
/// and a bare `block_on`.
pub const SHORT_RUNS: &[Runtime] = &[
    Runtime::Miou,
    Runtime::MiouD0,
    Runtime::TokioCt,
    Runtime::AsyncExecutor,
    Runtime::Floor,
];

/// B10's: miou's worker domains, tokio's blocking pool, plain threads, and one thread.
pub const PARALLEL: &[Runtime] = &[
    Runtime::Miou,
    Runtime::TokioMt,
    Runtime::Floor,
    Runtime::Sequential,
];

impl Runtime {
    /// Every runtime, in the table's column order.
    pub const ALL: &[Runtime] = &[
        Runtime::Miou,
        Runtime::MiouD0,
        Runtime::TokioCt,
        Runtime::TokioMt,
        Runtime::AsyncExecutor,
        Runtime::AsyncExecutorMt,
        Runtime::Floor,
        Runtime::Sequential,
    ];

    /// The name `--json` prints and `--rss` accepts.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Miou => "miou",
            Runtime::MiouD0 => "miou-d0",
            Runtime::TokioCt => "tokio-ct",
            Runtime::TokioMt => "tokio-mt",
            Runtime::AsyncExecutor => "async-executor",
            Runtime::AsyncExecutorMt => "async-executor-mt",
            Runtime::Floor => "floor",
            Runtime::Sequential => "sequential",
        }
    }

    /// The runtime called `name`.
    pub fn from_name(name: &str) -> Option<Runtime> {
        Runtime::ALL.iter().copied().find(|r| r.name() == name)
    }

    /// A peer, as opposed to miou itself and the baselines (floor, sequential).
    pub fn is_peer(self) -> bool {
        matches!(
            self,
            Runtime::TokioCt | Runtime::TokioMt | Runtime::AsyncExecutor | Runtime::AsyncExecutorMt
        )
    }
}

/// The worker count of the multi-thread workloads: `available_parallelism() - 1`, at
/// least 1 (miou's default number of worker domains, domain 0 being the caller).
pub fn workers() -> usize {
    cores().saturating_sub(1).max(1)
}

/// This machine's cores, as `available_parallelism` sees them.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `fut` as the root of a fresh miou run with `domains` worker domains.
pub fn miou_domains<F: Future + 'static>(domains: usize, quanta: usize, fut: F) -> F::Output {
    miou::Builder::new()
        .domains(domains)
        .quanta(quanta)
        .seed(1)
        .run(fut)
}

/// Runs `fut` on a fresh tokio `multi_thread` runtime with `workers` worker threads
/// and at most `blocking` threads in its blocking pool.
pub fn tokio_mt<F: Future>(workers: usize, blocking: usize, fut: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .max_blocking_threads(blocking)
        .build()
        .expect("tokio: cannot build a multi_thread runtime")
        .block_on(fut)
}

/// Runs `fut` on a fresh tokio `current_thread` runtime with its I/O driver.
pub fn tokio_ct_io<F: Future>(fut: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("tokio: cannot build a current_thread runtime")
        .block_on(fut)
}

/// async-executor's shared `Executor` run by `threads` threads (its benches'
/// "multi_thread" setting): `root` gets the executor and runs on the calling thread in
/// `futures_lite::future::block_on`; the threads stop and are joined when it returns.
pub fn ae_mt<R, F>(
    threads: usize,
    root: impl FnOnce(Arc<async_executor::Executor<'static>>) -> F,
) -> R
where
    F: Future<Output = R>,
{
    let ex = Arc::new(async_executor::Executor::new());
    let mut stops = Vec::with_capacity(threads);
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let (stop, stopped) = futures_channel::oneshot::channel::<()>();
            stops.push(stop);
            let ex = ex.clone();
            std::thread::Builder::new()
                .name(format!("ae-mt-{i}"))
                .spawn(move || {
                    futures_lite::future::block_on(ex.run(async move {
                        let _ = stopped.await;
                    }))
                })
                .expect("spawn an async-executor thread")
        })
        .collect();
    let out = futures_lite::future::block_on(root(ex));
    drop(stops);
    for h in handles {
        h.join().expect("an async-executor thread panicked");
    }
    out
}

/// Runs `fut` as the root of a fresh single-domain miou run.
// ANCHOR: builder
pub fn miou<F: Future + 'static>(quanta: usize, fut: F) -> F::Output {
    miou::Builder::new()
        .domains(0)
        .quanta(quanta)
        .seed(1)
        .run(fut)
}
// ANCHOR_END: builder

/// Runs `fut` on a fresh tokio `current_thread` runtime.
pub fn tokio_ct<F: Future>(fut: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio: cannot build a current_thread runtime")
        .block_on(fut)
}

/// async-executor's `LocalExecutor`: one per thread, as async-executor's own benches keep
/// one static executor.
pub mod ae {
    use std::future::Future;

    use async_executor::{LocalExecutor, Task};

    thread_local! {
        static EX: LocalExecutor<'static> = const { LocalExecutor::new() };
    }

    /// Runs the executor on this thread until `fut` completes.
    pub fn block_on<F: Future + 'static>(fut: F) -> F::Output {
        EX.with(|ex| futures_lite::future::block_on(ex.run(fut)))
    }

    /// The same, driven by async-io's `block_on`, which runs the reactor on this
    /// thread while the executor has nothing to do: the standard smol set-up for I/O.
    pub fn block_on_io<F: Future + 'static>(fut: F) -> F::Output {
        EX.with(|ex| async_io::block_on(ex.run(fut)))
    }

    /// Spawns onto this thread's executor.
    pub fn spawn<F: Future + 'static>(fut: F) -> Task<F::Output> {
        EX.with(|ex| ex.spawn(fut))
    }

    pub use futures_lite::future::yield_now;
}

/// A join handle whose output is a `Result`, unwrapped: a failed task is a broken run.
/// Its type depends only on the output, so a task may spawn a copy of itself.
pub struct Unwrap<J>(J);

impl<J, T, E> Future for Unwrap<J>
where
    J: Future<Output = Result<T, E>> + Unpin,
    E: std::fmt::Debug,
{
    type Output = T;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<T> {
        std::pin::Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.expect("a task failed"))
    }
}

/// `miou::spawn`, awaited as the child's value.
pub fn spawn_miou<F>(fut: F) -> Unwrap<miou::Join<F::Output>>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Unwrap(std::future::IntoFuture::into_future(miou::spawn(fut)))
}

/// `miou::call` (onto a worker domain), awaited as the child's value.
pub fn call_miou<F, Fut>(f: F) -> Unwrap<miou::Join<Fut::Output>>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future + 'static,
    Fut::Output: Send + 'static,
{
    Unwrap(std::future::IntoFuture::into_future(miou::call(f)))
}

/// `tokio::spawn`, awaited as the task's value.
pub fn spawn_tokio<F>(fut: F) -> Unwrap<tokio::task::JoinHandle<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Unwrap(tokio::spawn(fut))
}
