//! The runtimes under test: miou and its peers, each started the way its own benchmarks
//! start it. New peers (tokio `multi_thread`, async-executor driven by N threads, a bare
//! `mio` loop) are added here as variants for the workloads that need them.

pub mod floor;

use std::future::Future;

/// One runtime of the comparison, by the name `--json` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Runtime {
    /// miou, one domain (`domains(0)`), with the quanta the case says.
    Miou,
    /// tokio's `current_thread` scheduler, no drivers (as tokio's own scheduler benches).
    TokioCt,
    /// async-executor's `LocalExecutor`, driven by `futures_lite::future::block_on`.
    AsyncExecutor,
    /// The hand-written FIFO executor of [`floor`].
    Floor,
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

impl Runtime {
    /// Every runtime, in the table's column order.
    pub const ALL: &[Runtime] = WITH_FLOOR;

    /// The name `--json` prints and `--rss` accepts.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Miou => "miou",
            Runtime::TokioCt => "tokio-ct",
            Runtime::AsyncExecutor => "async-executor",
            Runtime::Floor => "floor",
        }
    }

    /// The runtime called `name`.
    pub fn from_name(name: &str) -> Option<Runtime> {
        Runtime::ALL.iter().copied().find(|r| r.name() == name)
    }

    /// A peer, as opposed to miou itself and the floor.
    pub fn is_peer(self) -> bool {
        matches!(self, Runtime::TokioCt | Runtime::AsyncExecutor)
    }
}

/// Runs `fut` as the root of a fresh single-domain miou run.
pub fn miou<F: Future + 'static>(quanta: usize, fut: F) -> F::Output {
    miou::Builder::new()
        .domains(0)
        .quanta(quanta)
        .seed(1)
        .run(fut)
}

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

/// `tokio::spawn`, awaited as the task's value.
pub fn spawn_tokio<F>(fut: F) -> Unwrap<tokio::task::JoinHandle<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Unwrap(tokio::spawn(fut))
}
