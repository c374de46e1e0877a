//! The part of futures-rs's test suite (branch 0.3, `futures/tests/`; futures-util
//! 0.3.34) that puts an executor to work, rewritten to run on miou.
//!
//! futures-util's tests live in the `futures` facade crate, 70 files. The ones ported
//! here are those in which futures wait and are woken: the `join!`/`select!` macros,
//! `Shared`, `FuturesUnordered`, `AtomicWaker`, the async `Mutex`, abortable futures
//! and streams, futures spawned on a pool (`eventual.rs`, `oneshot.rs`), and the
//! stream combinators of `stream.rs`, `stream_select_all.rs`. Within a ported file every
//! test that runs under an executor (`block_on`, `block_on_stream`, a thread pool,
//! `run_in_background`) or that counts a waker's calls is ported; tests that only poll
//! by hand with no-op or panicking contexts, or only check sizes or compilation, are
//! not. `ecosystem/README.md` lists them all, and the files not selected.
//!
//! Upstream's `block_on` becomes a one-domain miou run; its threads and pools become
//! child tasks ([`fork`]); a test whose main thread blocks on a `std` channel while the
//! pool works keeps doing so on domain 0, with the work called onto worker domains.
//! Upstream's `futures-test` helpers are replaced by small equivalents: a no-op
//! context is `Waker::noop()`, a counting waker is [`counting_waker`] or, when the
//! task must also be resumed, [`relay_waker`], and `pending_once` is
//! `futures_lite::future::yield_now` (both return `Pending` once after waking the task
//! by reference).

mod common;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc as std_mpsc};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::{
    LIMIT_SECS, block_on, fork, join, join_each, on_both, on_miou, relay_waker, watchdog,
};
use futures_channel::{mpsc, oneshot};
use futures_util::future::{self, FutureExt, TryFutureExt, poll_fn};
use futures_util::sink::SinkExt;
use futures_util::stream::{self, StreamExt};

/// A context whose waker does nothing (`futures-test`'s `noop_context`).
fn noop_cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

mod async_await_macros {
    use super::*;
    use futures_util::{join, pending, poll, select, select_biased, stream_select};

    /// upstream: futures tests/async_await_macros.rs `poll_and_pending`
    #[test]
    fn poll_and_pending() {
        block_on(|| async {
            let mut once = pin!(async { pending!() });
            assert_eq!(poll!(&mut once), Poll::Pending);
            assert_eq!(poll!(&mut once), Poll::Ready(()));
        });
    }

    /// upstream: futures tests/async_await_macros.rs `join`
    #[test]
    fn join() {
        block_on(|| async {
            let (tx1, rx1) = oneshot::channel::<i32>();
            let (tx2, rx2) = oneshot::channel::<i32>();
            let mut both = pin!(async {
                assert_eq!(join!(rx1, rx2), (Ok(1), Ok(2)));
            });
            assert_eq!(poll!(&mut both), Poll::Pending);
            tx1.send(1).unwrap();
            assert_eq!(poll!(&mut both), Poll::Pending);
            tx2.send(2).unwrap();
            assert_eq!(poll!(&mut both), Poll::Ready(()));
        });
    }

    /// upstream: futures tests/async_await_macros.rs `select`
    #[test]
    fn select() {
        let ran = block_on(|| async {
            let (tx1, rx1) = oneshot::channel::<i32>();
            let (_tx2, rx2) = oneshot::channel::<i32>();
            tx1.send(1).unwrap();
            select! {
                v = rx1.fuse() => {
                    assert_eq!(v, Ok(1));
                    true
                },
                _ = rx2.fuse() => unreachable!(),
            }
        });
        assert!(ran);
    }

    /// upstream: futures tests/async_await_macros.rs `select_grammar`
    #[test]
    fn select_grammar() {
        block_on(|| async {
            select! {
                () = future::pending::<()>() => {}
                () = future::ready(()) => {}
            }
        });
    }

    /// upstream: futures tests/async_await_macros.rs `select_biased`
    #[test]
    fn select_biased() {
        let ran = block_on(|| async {
            let (tx1, rx1) = oneshot::channel::<i32>();
            let (_tx2, rx2) = oneshot::channel::<i32>();
            tx1.send(1).unwrap();
            select_biased! {
                v = rx1.fuse() => {
                    assert_eq!(v, Ok(1));
                    true
                },
                _ = rx2.fuse() => unreachable!(),
            }
        });
        assert!(ran);
    }

    /// upstream: futures tests/async_await_macros.rs `select_streams`
    #[test]
    fn select_streams() {
        let ran = block_on(|| async {
            let (mut tx1, rx1) = mpsc::channel::<i32>(1);
            let (mut tx2, rx2) = mpsc::channel::<i32>(1);
            let (mut rx1, mut rx2) = (rx1.fuse(), rx2.fuse());
            let (mut ran, mut total) = (false, 0);
            let (mut keep1, mut keep2);
            // Nothing sent yet: only `default` can run.
            select! {
                _ = rx1.next() => panic!(),
                _ = rx2.next() => panic!(),
                default => {
                    tx1.send(2).await.unwrap();
                    tx2.send(3).await.unwrap();
                    keep1 = Some(tx1);
                    keep2 = Some(tx2);
                }
                complete => panic!(),
            }
            loop {
                select! {
                    v = rx1.next() => if let Some(v) = v { total += v; },
                    v = rx2.next() => if let Some(v) = v { total += v; },
                    default => {
                        // Both values are in; closing both streams leads to `complete`.
                        assert_eq!(total, 5);
                        ran = true;
                        drop(keep1.take().unwrap());
                        drop(keep2.take().unwrap());
                    },
                    complete => break,
                };
            }
            ran
        });
        assert!(ran);
    }

    /// upstream: futures tests/async_await_macros.rs `select_can_move_uncompleted_futures`
    #[test]
    fn select_can_move_uncompleted_futures() {
        let ran = block_on(|| async {
            let (tx1, rx1) = oneshot::channel::<i32>();
            let (tx2, rx2) = oneshot::channel::<i32>();
            tx1.send(1).unwrap();
            tx2.send(2).unwrap();
            let (mut rx1, mut rx2) = (rx1.fuse(), rx2.fuse());
            // Whichever wins, the other (not completed, moved into the branch) is
            // awaited there.
            select! {
                v = rx1 => {
                    assert_eq!(v, Ok(1));
                    assert_eq!(rx2.await, Ok(2));
                    true
                },
                v = rx2 => {
                    assert_eq!(v, Ok(2));
                    assert_eq!(rx1.await, Ok(1));
                    true
                },
            }
        });
        assert!(ran);
    }

    /// upstream: futures tests/async_await_macros.rs `select_nested`
    #[test]
    fn select_nested() {
        let sum = block_on(|| async {
            let mut outer = future::ready(1);
            let mut inner = future::ready(2);
            select! {
                x = outer => select! { y = inner => x + y },
            }
        });
        assert_eq!(sum, 3);
    }

    /// upstream: futures tests/async_await_macros.rs `select_on_non_unpin_expressions`
    #[test]
    fn select_on_non_unpin_expressions() {
        let v = block_on(|| async {
            let make = || async { 5 };
            let v;
            select! {
                a = make().fuse() => v = a,
                b = make().fuse() => v = b,
            };
            v
        });
        assert_eq!(v, 5);
    }

    /// upstream: futures tests/async_await_macros.rs
    /// `select_on_non_unpin_expressions_with_default`
    #[test]
    fn select_on_non_unpin_expressions_with_default() {
        let v = block_on(|| async {
            let make = || async { 5 };
            let v;
            select! {
                a = make().fuse() => v = a,
                b = make().fuse() => v = b,
                default => v = 7,
            };
            v
        });
        assert_eq!(v, 5);
    }

    /// upstream: futures tests/async_await_macros.rs `select_can_be_used_as_expression`
    #[test]
    fn select_can_be_used_as_expression() {
        let v = block_on(|| async {
            select! {
                x = future::ready(7) => x,
                y = future::ready(3) => y + 1,
            }
        });
        assert!(v == 7 || v == 4);
    }

    /// upstream: futures tests/async_await_macros.rs
    /// `select_with_default_can_be_used_as_expression`
    #[test]
    fn select_with_default_can_be_used_as_expression() {
        fn never<T>(_: &mut Context<'_>) -> Poll<T> {
            Poll::Pending
        }
        let v = block_on(|| async {
            select! {
                x = poll_fn(never::<i32>).fuse() => x,
                y = poll_fn(never::<i32>).fuse() => y + 1,
                default => 99,
            }
        });
        assert_eq!(v, 99);
    }

    /// upstream: futures tests/async_await_macros.rs
    /// `select_with_complete_can_be_used_as_expression`
    #[test]
    fn select_with_complete_can_be_used_as_expression() {
        let v = block_on(|| async {
            select! {
                x = future::pending::<i32>() => x,
                y = future::pending::<i32>() => y + 1,
                default => 99,
                complete => 237,
            }
        });
        assert_eq!(v, 237);
    }

    async fn takes_mut(_: &mut i32) {}
    async fn nothing() {}

    /// upstream: futures tests/async_await_macros.rs
    /// `select_on_mutable_borrowing_future_with_same_borrow_in_block`
    #[test]
    #[allow(unused_assignments)]
    fn select_on_mutable_borrowing_future_with_same_borrow_in_block() {
        block_on(|| async {
            let mut value = 234;
            select! {
                _ = takes_mut(&mut value).fuse() => {},
                _ = nothing().fuse() => value += 5,
            }
        });
    }

    /// upstream: futures tests/async_await_macros.rs
    /// `select_on_mutable_borrowing_future_with_same_borrow_in_block_and_default`
    #[test]
    #[allow(unused_assignments)]
    fn select_on_mutable_borrowing_future_with_same_borrow_in_block_and_default() {
        block_on(|| async {
            let mut value = 234;
            select! {
                _ = takes_mut(&mut value).fuse() => {},
                _ = nothing().fuse() => value += 5,
                default => value += 27,
            }
        });
    }

    /// upstream: futures tests/async_await_macros.rs `stream_select`
    #[test]
    fn stream_select() {
        block_on(|| async {
            let forever = |v: i32| stream::iter(std::iter::repeat(v));
            let mut ones = stream_select!(forever(1), stream::pending());
            assert_eq!(ones.next().await, Some(1));
            assert_eq!(ones.next().await, Some(1));

            let mut two = stream_select!(stream::iter([1]), stream::iter([1]));
            assert_eq!(two.next().await, Some(1));
            assert_eq!(two.next().await, Some(1));
            assert_eq!(two.next().await, None);

            // Polled in a random order: over 1000 items each source gives about a third.
            let mixed = stream_select!(forever(1), forever(2), forever(3));
            let mut n = 0;
            let got: Vec<i32> = mixed
                .take_while(move |_| {
                    n += 1;
                    future::ready(n < 1000)
                })
                .collect()
                .await;
            for v in 1..=3 {
                assert!(
                    got.iter().filter(|&&x| x == v).count() >= 299,
                    "unfair to {v}"
                );
            }
        });
    }
}

mod future_join {
    use super::*;

    /// Returns `Pending` once, waking itself by reference first.
    fn yield_once() -> impl Future<Output = ()> {
        let mut yielded = false;
        poll_fn(move |cx| {
            if std::mem::replace(&mut yielded, true) {
                Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
    }

    /// upstream: futures tests/future_join.rs `futures_join_macro_self_referential`:
    /// a future that borrows from itself across a yield, inside `join!`.
    #[test]
    fn futures_join_macro_self_referential() {
        block_on(|| async {
            futures_util::join!(yield_once(), async {
                let lucky = 42;
                let borrowed = &lucky;
                yield_once().await;
                assert_eq!(*borrowed, 42);
            })
        });
    }
}

mod future_shared {
    use super::*;
    use futures_util::future::{FusedFuture, LocalFutureObj};

    /// A value that counts its clones.
    struct Clones(Rc<Cell<i32>>);

    impl Clone for Clones {
        fn clone(&self) -> Self {
            self.0.set(self.0.get() + 1);
            Clones(self.0.clone())
        }
    }

    /// The scenario of `one_thread`, `two_threads`, `many_threads`: `n` other tasks
    /// and the root await clones of one shared oneshot receiver.
    fn shared_by(n: usize) {
        on_both(2, move |place| async move {
            let (tx, rx) = oneshot::channel::<i32>();
            let shared = rx.shared();
            let waiters: Vec<_> = (0..n)
                .map(|_| {
                    let mine = shared.clone();
                    fork(
                        place,
                        move || async move { assert_eq!(mine.await.unwrap(), 6) },
                    )
                })
                .collect();
            tx.send(6).unwrap();
            assert_eq!(shared.await.unwrap(), 6);
            join_each(waiters).await;
        });
    }

    /// upstream: futures tests/future_shared.rs `one_thread`
    #[test]
    fn one_thread() {
        shared_by(1);
    }

    /// upstream: futures tests/future_shared.rs `two_threads`
    #[test]
    fn two_threads() {
        shared_by(2);
    }

    /// upstream: futures tests/future_shared.rs `many_threads` (1000 threads upstream,
    /// 1000 tasks here)
    #[test]
    fn many_threads() {
        shared_by(1000);
    }

    /// upstream: futures tests/future_shared.rs `drop_on_one_task_ok`: a clone dropped
    /// by one task after it was polled must not stop another clone from completing.
    #[test]
    fn drop_on_one_task_ok() {
        on_both(1, |place| async move {
            let (tx, rx) = oneshot::channel::<u32>();
            let f1 = rx.shared();
            let f2 = f1.clone();
            let (tx2, rx2) = oneshot::channel::<u32>();
            let (tx3, rx3) = oneshot::channel::<u32>();
            let t1 = fork(place, move || async move {
                let race = future::try_select(f1.map_err(|_| ()), rx2.map_err(|_| ()));
                drop(race.await);
            });
            let t2 = fork(place, move || async move {
                let _ = f2
                    .map_ok(move |x| tx3.send(x).unwrap())
                    .map_err(|_| ())
                    .await;
            });
            tx2.send(11).unwrap(); // t1's race ends, dropping its clone
            join(t1).await;
            tx.send(42).unwrap(); // t2's clone completes, and tells us
            assert_eq!(rx3.await.unwrap(), 42);
            join(t2).await;
        });
    }

    /// upstream: futures tests/future_shared.rs `drop_in_poll`: the shared future's own
    /// poll drops the last other clone of itself.
    #[test]
    fn drop_in_poll() {
        let v = block_on(|| async {
            let slot: Rc<RefCell<Option<LocalFutureObj<'static, i32>>>> = Rc::default();
            let slot2 = slot.clone();
            let f = future::lazy(move |_| {
                slot2.replace(None);
                1
            })
            .shared();
            slot.replace(Some(LocalFutureObj::new(Box::new(f.clone()))));
            f.await
        });
        assert_eq!(v, 1);
    }

    /// upstream: futures tests/future_shared.rs `peek` (upstream polls the clone on a
    /// `LocalPool`; here a spawned task awaits it)
    #[test]
    fn peek() {
        block_on(|| async {
            let (tx, rx) = oneshot::channel::<i32>();
            let f1 = rx.shared();
            let f2 = f1.clone();
            for _ in 0..2 {
                assert!(f1.peek().is_none() && f2.peek().is_none());
            }
            // Sent, but not polled in yet: still nothing to peek at.
            tx.send(42).unwrap();
            for _ in 0..2 {
                assert!(f1.peek().is_none() && f2.peek().is_none());
            }
            join(miou::spawn(f1.map(drop))).await;
            for _ in 0..2 {
                assert_eq!(f2.peek(), Some(&Ok(42)));
            }
        });
    }

    /// upstream: futures tests/future_shared.rs `downgrade`
    #[test]
    fn downgrade() {
        block_on(|| async {
            let (tx, rx) = oneshot::channel::<i32>();
            let shared = rx.shared();
            let weak = shared.downgrade().unwrap();
            let mut other = weak.upgrade().unwrap();
            tx.send(42).unwrap();
            assert_eq!(shared.await.unwrap(), 42);
            // `other` still holds the inner future.
            assert!(other.downgrade().is_some());
            assert!(weak.upgrade().is_some());
            assert_eq!((&mut other).await.unwrap(), 42);
            // All clones have completed: nothing to upgrade to.
            assert!(weak.upgrade().is_none());
            assert!(other.downgrade().is_none());
        });
    }

    /// upstream: futures tests/future_shared.rs `ptr_eq`
    #[test]
    fn ptr_eq() {
        use std::hash::{DefaultHasher, Hasher};
        block_on(|| async {
            let (tx, rx) = oneshot::channel::<i32>();
            let shared = rx.shared();
            let mut other = shared.clone();
            let hash = |s: &future::Shared<oneshot::Receiver<i32>>| {
                let mut h = DefaultHasher::new();
                s.ptr_hash(&mut h);
                h.finish()
            };
            assert!(shared.ptr_eq(&other) && other.ptr_eq(&shared));
            assert_eq!(hash(&shared), hash(&other));
            tx.send(42).unwrap();
            assert_eq!((&mut other).await.unwrap(), 42);
            // A completed clone no longer shares anything.
            assert!(other.is_terminated());
            assert!(!shared.ptr_eq(&other));
            let third = shared.clone();
            assert!(shared.ptr_eq(&third));
            assert_eq!(hash(&shared), hash(&third));
            let (_tx, rx) = oneshot::channel::<i32>();
            assert!(!shared.ptr_eq(&rx.shared()));
        });
    }

    /// upstream: futures tests/future_shared.rs `dont_clone_in_single_owner_shared_future`
    #[test]
    fn dont_clone_in_single_owner_shared_future() {
        let clones = block_on(|| async {
            let (tx, rx) = oneshot::channel();
            let rx = rx.shared();
            tx.send(Clones(Rc::new(Cell::new(0)))).ok().unwrap();
            rx.await.unwrap().0.get()
        });
        assert_eq!(clones, 0);
    }

    /// upstream: futures tests/future_shared.rs `dont_do_unnecessary_clones_on_output`
    #[test]
    fn dont_do_unnecessary_clones_on_output() {
        block_on(|| async {
            let (tx, rx) = oneshot::channel();
            let rx = rx.shared();
            tx.send(Clones(Rc::new(Cell::new(0)))).ok().unwrap();
            assert_eq!(rx.clone().await.unwrap().0.get(), 1);
            assert_eq!(rx.clone().await.unwrap().0.get(), 2);
            // The last clone takes the value itself.
            assert_eq!(rx.await.unwrap().0.get(), 2);
        });
    }

    /// upstream: futures tests/future_shared.rs
    /// `shared_future_that_wakes_itself_until_pending_is_returned`: the shared future
    /// wakes itself by reference and returns `Pending` until the other half of the
    /// `join` ran, so the task must be polled again after such a wake-up.
    #[test]
    fn shared_future_that_wakes_itself_until_pending_is_returned() {
        block_on(|| async {
            let proceed = Cell::new(false);
            let spinning = poll_fn(|cx| {
                if proceed.get() {
                    Poll::Ready(())
                } else {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            })
            .shared();
            let both = future::join(spinning, async { proceed.set(true) }).await;
            assert_eq!(both, ((), ()));
        });
    }

    /// upstream: futures tests/future_shared.rs `panic_while_poll`: once the inner
    /// future panicked in one run, polling another clone (in a second run) panics too.
    #[test]
    #[should_panic(expected = "inner future panicked during poll")]
    fn panic_while_poll() {
        watchdog(LIMIT_SECS, || {
            let fut = poll_fn::<i8, _>(|_| panic!("test")).shared();
            let first = fut.clone();
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                miou::Builder::new().domains(0).run(first)
            }));
            assert!(run.is_err(), "the first run should have panicked");
            miou::Builder::new().domains(0).run(fut)
        });
    }

    /// upstream: futures tests/future_shared.rs `poll_while_panic`: miou runs started
    /// from a destructor while the thread unwinds from a panic.
    #[test]
    #[should_panic(expected = "test_marker")]
    fn poll_while_panic() {
        struct RunsOnDrop;
        impl Drop for RunsOnDrop {
            fn drop(&mut self) {
                let fut = future::ready(1).shared();
                assert_eq!(miou::Builder::new().domains(0).run(fut.clone()), 1);
                assert_eq!(miou::Builder::new().domains(0).run(fut), 1);
            }
        }
        watchdog(LIMIT_SECS, || {
            let _guard = RunsOnDrop;
            panic!("test_marker");
        });
    }
}

mod task_atomic_waker {
    use super::*;
    use futures_util::task::AtomicWaker;

    /// upstream: futures tests/task_atomic_waker.rs `basic`: a task on a worker domain
    /// registers with an `AtomicWaker` and returns `Pending` once; the root, spinning on
    /// domain 0 until it has, wakes it. (The root spins without awaiting, as upstream's
    /// main thread does, so the waiting task needs a domain of its own.)
    #[test]
    fn basic() {
        on_miou(1, || async {
            let waker = Arc::new(AtomicWaker::new());
            let pended = Arc::new(AtomicBool::new(false));
            let woken = Arc::new(AtomicBool::new(false));
            let (w, p, k) = (waker.clone(), pended.clone(), woken.clone());
            let waiter = miou::call(move || async move {
                let mut pendings = 0;
                poll_fn(move |cx| {
                    if k.load(Ordering::Relaxed) {
                        Poll::Ready(())
                    } else {
                        assert_eq!(pendings, 0, "polled again without a wake-up");
                        pendings += 1;
                        w.register(cx.waker());
                        p.store(true, Ordering::Relaxed);
                        Poll::Pending
                    }
                })
                .await
            });
            while !pended.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
            std::thread::yield_now();
            woken.store(true, Ordering::Relaxed);
            waker.wake();
            join(waiter).await;
        });
    }
}

mod stream_futures_unordered {
    use super::*;
    use futures_util::stream::{FusedStream, FuturesUnordered};

    /// upstream: futures tests/stream_futures_unordered.rs `works_1`
    #[test]
    fn works_1() {
        block_on(|| async {
            let (a_tx, a_rx) = oneshot::channel::<i32>();
            let (b_tx, b_rx) = oneshot::channel::<i32>();
            let (c_tx, c_rx) = oneshot::channel::<i32>();
            let mut all: FuturesUnordered<_> = [a_rx, b_rx, c_rx].into_iter().collect();
            b_tx.send(99).unwrap();
            assert_eq!(all.next().await, Some(Ok(99)));
            a_tx.send(33).unwrap();
            c_tx.send(33).unwrap();
            assert_eq!(all.next().await, Some(Ok(33)));
            assert_eq!(all.next().await, Some(Ok(33)));
            assert_eq!(all.next().await, None);
        });
    }

    /// upstream: futures tests/stream_futures_unordered.rs `from_iterator`
    #[test]
    fn from_iterator() {
        block_on(|| async {
            let all: FuturesUnordered<_> = (1..=3).map(future::ready::<i32>).collect();
            assert_eq!(all.len(), 3);
            assert_eq!(all.collect::<Vec<_>>().await, vec![1, 2, 3]);
        });
    }

    /// upstream: futures tests/stream_futures_unordered.rs `iter_mut_cancel`
    #[test]
    fn iter_mut_cancel() {
        block_on(|| async {
            let (txs, rxs): (Vec<_>, Vec<_>) = (0..3).map(|_| oneshot::channel::<i32>()).unzip();
            let mut all: FuturesUnordered<_> = rxs.into_iter().collect();
            for rx in all.iter_mut() {
                rx.close();
            }
            assert!(txs.iter().all(|tx| tx.is_canceled()));
            for _ in 0..3 {
                assert_eq!(all.next().await, Some(Err(oneshot::Canceled)));
            }
            assert_eq!(all.next().await, None);
        });
    }

    /// upstream: futures tests/stream_futures_unordered.rs `iter_cancel`
    #[test]
    fn iter_cancel() {
        /// Pending until told to give up through a shared reference.
        struct GiveUp<F> {
            inner: F,
            give_up: AtomicBool,
        }
        impl<F: Future + Unpin> Future for GiveUp<F> {
            type Output = Option<F::Output>;
            fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                if self.give_up.load(Ordering::Relaxed) {
                    Poll::Ready(None)
                } else {
                    self.inner.poll_unpin(cx).map(Some)
                }
            }
        }
        block_on(|| async {
            let all: FuturesUnordered<_> = (0..3)
                .map(|_| GiveUp {
                    inner: future::pending::<()>(),
                    give_up: AtomicBool::new(false),
                })
                .collect();
            for f in all.iter() {
                f.give_up.store(true, Ordering::Relaxed);
            }
            let mut all = all;
            for _ in 0..3 {
                assert_eq!(all.next().await, Some(None));
            }
            assert_eq!(all.next().await, None);
        });
    }

    /// upstream: futures tests/stream_futures_unordered.rs `into_iter_cancel`
    #[test]
    fn into_iter_cancel() {
        block_on(|| async {
            let (txs, rxs): (Vec<_>, Vec<_>) = (0..3).map(|_| oneshot::channel::<i32>()).unzip();
            let all: FuturesUnordered<_> = rxs.into_iter().collect();
            let mut all: FuturesUnordered<_> = all
                .into_iter()
                .map(|mut rx| {
                    rx.close();
                    rx
                })
                .collect();
            assert!(txs.iter().all(|tx| tx.is_canceled()));
            for _ in 0..3 {
                assert_eq!(all.next().await, Some(Err(oneshot::Canceled)));
            }
            assert_eq!(all.next().await, None);
        });
    }

    /// upstream: futures tests/stream_futures_unordered.rs `clear`
    #[test]
    fn clear() {
        block_on(|| async {
            let mut all: FuturesUnordered<_> =
                [future::ready(1), future::ready(2)].into_iter().collect();
            assert_eq!(all.next().await, Some(1));
            assert!(!all.is_empty());
            all.clear();
            assert!(all.is_empty());
            all.push(future::ready(3));
            assert!(!all.is_empty());
            all.clear();
            assert!(all.is_empty());
            assert_eq!(all.next().await, None);
            assert!(all.is_terminated());
            all.clear();
            assert!(!all.is_terminated());
        });
    }

    /// upstream: futures tests/stream_futures_unordered.rs `clear_in_loop` (futures-rs
    /// issue 2529): 24 receivers at a time, whose senders fire from elsewhere about
    /// 100 µs later; after the first arrives the set is cleared while the others may be
    /// waking it. Upstream starts a detached thread per receiver, 10 000 rounds; here
    /// the senders are child tasks (joined at the end of each round), 1000 rounds.
    #[test]
    fn clear_in_loop() {
        const ROUNDS: usize = 1000;
        on_both(1, |place| async move {
            let mut all = FuturesUnordered::new();
            for _ in 0..ROUNDS {
                let mut senders = Vec::with_capacity(24);
                for _ in 0..24 {
                    let (tx, rx) = oneshot::channel();
                    senders.push(fork(place, move || async move {
                        miou::time::sleep(Duration::from_micros(100)).await;
                        let _ = tx.send(());
                    }));
                    all.push(async move { rx.await.unwrap() });
                }
                let _ = all.next().await;
                all.clear();
                join_each(senders).await;
            }
        });
    }
}

mod ready_queue {
    use super::*;
    use futures_util::stream::FuturesUnordered;

    /// upstream: futures tests/ready_queue.rs `basic_usage`
    #[test]
    fn basic_usage() {
        block_on(|| {
            future::lazy(|cx| {
                let mut queue = FuturesUnordered::new();
                let (tx1, rx1) = oneshot::channel();
                let (tx2, rx2) = oneshot::channel();
                let (tx3, rx3) = oneshot::channel();
                queue.extend([rx1, rx2, rx3]);
                assert!(queue.poll_next_unpin(cx).is_pending());
                tx2.send("hello").unwrap();
                assert_eq!(queue.poll_next_unpin(cx), Poll::Ready(Some(Ok("hello"))));
                assert!(queue.poll_next_unpin(cx).is_pending());
                tx1.send("world").unwrap();
                tx3.send("world2").unwrap();
                assert_eq!(queue.poll_next_unpin(cx), Poll::Ready(Some(Ok("world"))));
                assert_eq!(queue.poll_next_unpin(cx), Poll::Ready(Some(Ok("world2"))));
                assert_eq!(queue.poll_next_unpin(cx), Poll::Ready(None));
            })
        });
    }

    /// upstream: futures tests/ready_queue.rs `resolving_errors`
    #[test]
    fn resolving_errors() {
        block_on(|| {
            future::lazy(|cx| {
                let mut queue = FuturesUnordered::new();
                let (tx1, rx1) = oneshot::channel::<&str>();
                let (tx2, rx2) = oneshot::channel::<&str>();
                let (tx3, rx3) = oneshot::channel();
                queue.extend([rx1, rx2, rx3]);
                assert!(queue.poll_next_unpin(cx).is_pending());
                drop(tx2);
                assert_eq!(
                    queue.poll_next_unpin(cx),
                    Poll::Ready(Some(Err(oneshot::Canceled)))
                );
                assert!(queue.poll_next_unpin(cx).is_pending());
                drop(tx1);
                tx3.send("world2").unwrap();
                assert_eq!(
                    queue.poll_next_unpin(cx),
                    Poll::Ready(Some(Err(oneshot::Canceled)))
                );
                assert_eq!(queue.poll_next_unpin(cx), Poll::Ready(Some(Ok("world2"))));
                assert_eq!(queue.poll_next_unpin(cx), Poll::Ready(None));
            })
        });
    }

    /// upstream: futures tests/ready_queue.rs `dropping_ready_queue`
    #[test]
    fn dropping_ready_queue() {
        block_on(|| {
            future::lazy(|_| {
                let queue = FuturesUnordered::new();
                let (mut tx1, rx1) = oneshot::channel::<()>();
                let (mut tx2, rx2) = oneshot::channel::<()>();
                let (mut tx3, rx3) = oneshot::channel::<()>();
                for rx in [rx1, rx2, rx3] {
                    queue.push(rx);
                }
                let mut cx = noop_cx();
                assert!(tx1.poll_canceled(&mut cx).is_pending());
                assert!(tx2.poll_canceled(&mut cx).is_pending());
                assert!(tx3.poll_canceled(&mut cx).is_pending());
                drop(queue);
                assert!(tx1.poll_canceled(&mut cx).is_ready());
                assert!(tx2.poll_canceled(&mut cx).is_ready());
                assert!(tx3.poll_canceled(&mut cx).is_ready());
            })
        });
    }

    /// upstream: futures tests/ready_queue.rs `stress`: rounds of `n` senders released
    /// together by a barrier, their receivers in one `FuturesUnordered`. Upstream's
    /// threads wait on a `std` barrier; tasks wait on async-lock's.
    #[test]
    fn stress() {
        const ROUNDS: usize = 300;
        on_both(2, |place| async move {
            let mut queue = FuturesUnordered::new();
            for i in 0..ROUNDS {
                let n = i % 10 + 1;
                for _ in 0..5 {
                    let barrier = Arc::new(async_lock::Barrier::new(n + 1));
                    let mut senders = Vec::with_capacity(n);
                    for num in 0..n {
                        let (tx, rx) = oneshot::channel();
                        queue.push(rx);
                        let barrier = barrier.clone();
                        senders.push(fork(place, move || async move {
                            barrier.wait().await;
                            tx.send(num).unwrap();
                        }));
                    }
                    barrier.wait().await;
                    let mut got: Vec<usize> =
                        (&mut queue).take(n).map(|r| r.unwrap()).collect().await;
                    got.sort_unstable();
                    assert_eq!(got, (0..n).collect::<Vec<_>>());
                    join_each(senders).await;
                }
            }
        });
    }

    /// upstream: futures tests/ready_queue.rs `panicking_future_dropped`
    #[test]
    fn panicking_future_dropped() {
        block_on(|| {
            future::lazy(|cx| {
                let mut queue = FuturesUnordered::new();
                queue.push(poll_fn(|_| -> Poll<Result<i32, i32>> {
                    panic!("on purpose")
                }));
                let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    queue.poll_next_unpin(cx)
                }));
                assert!(polled.is_err());
                // The panicking future was removed.
                assert!(queue.is_empty());
                assert_eq!(queue.poll_next_unpin(cx), Poll::Ready(None));
            })
        });
    }
}

mod lock_mutex {
    use super::*;
    use futures_util::lock::Mutex;

    /// upstream: futures tests/lock_mutex.rs `mutex_wakes_waiters`: a waiter's waker is
    /// called once when the holder lets go (here the waker is the task's own, counted).
    #[test]
    fn mutex_wakes_waiters() {
        block_on(|| async {
            let mutex = Mutex::new(());
            let held = mutex.lock().await;
            let wakes = Arc::new(AtomicUsize::new(0));
            let mut waiter = mutex.lock();
            poll_fn(|cx| {
                let waker = relay_waker(cx.waker(), &wakes);
                assert!(
                    waiter
                        .poll_unpin(&mut Context::from_waker(&waker))
                        .is_pending()
                );
                Poll::Ready(())
            })
            .await;
            assert_eq!(wakes.load(Ordering::SeqCst), 0);
            drop(held);
            assert_eq!(wakes.load(Ordering::SeqCst), 1);
            poll_fn(|cx| {
                assert!(waiter.poll_unpin(cx).is_ready());
                Poll::Ready(())
            })
            .await;
        });
    }

    /// upstream: futures tests/lock_mutex.rs `mutex_contested`: 1000 tasks (on a pool of
    /// 16 threads upstream) each take the lock, yield once while holding it, and count.
    #[test]
    fn mutex_contested() {
        const TASKS: usize = 1000;
        on_both(2, |place| async move {
            let (tx, mut rx) = mpsc::unbounded();
            let mutex = Arc::new(Mutex::new(0));
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let (tx, mutex) = (tx.clone(), mutex.clone());
                    fork(place, move || async move {
                        let mut guard = mutex.lock().await;
                        futures_lite::future::yield_now().await;
                        *guard += 1;
                        tx.unbounded_send(()).unwrap();
                        drop(guard);
                    })
                })
                .collect();
            for _ in 0..TASKS {
                rx.next().await.unwrap();
            }
            assert_eq!(*mutex.lock().await, TASKS);
            join_each(tasks).await;
        });
    }
}

mod eventual {
    use super::*;

    /// Upstream's `run`: the future goes off to a thread pool and the test goes on
    /// without it. Here it is called onto a worker domain, and the root awaits it at
    /// the end of the test; in between the root blocks on `std` channels like
    /// upstream's main thread, which only domain 0 (where nothing else runs) feels.
    fn in_background<F>(fut: F) -> miou::Promise<()>
    where
        F: Future + Send + 'static,
    {
        miou::call(move || fut.map(drop))
    }

    /// upstream: futures tests/eventual.rs `join1`
    #[test]
    fn join1() {
        on_miou(1, || async {
            let (tx, rx) = std_mpsc::channel();
            let bg = in_background(
                future::try_join(future::ok::<i32, i32>(1), future::ok(2))
                    .map_ok(move |v| tx.send(v).unwrap()),
            );
            assert_eq!(rx.recv(), Ok((1, 2)));
            assert!(rx.recv().is_err(), "the future was not dropped once done");
            join(bg).await;
        });
    }

    /// upstream: futures tests/eventual.rs `join2`
    #[test]
    fn join2() {
        on_miou(1, || async {
            let (c1, p1) = oneshot::channel::<i32>();
            let (c2, p2) = oneshot::channel::<i32>();
            let (tx, rx) = std_mpsc::channel();
            let bg = in_background(future::try_join(p1, p2).map_ok(move |v| tx.send(v).unwrap()));
            assert!(rx.try_recv().is_err());
            c1.send(1).unwrap();
            assert!(rx.try_recv().is_err());
            c2.send(2).unwrap();
            assert_eq!(rx.recv(), Ok((1, 2)));
            assert!(rx.recv().is_err());
            join(bg).await;
        });
    }

    /// upstream: futures tests/eventual.rs `join3`
    #[test]
    fn join3() {
        on_miou(1, || async {
            let (c1, p1) = oneshot::channel::<i32>();
            let (c2, p2) = oneshot::channel::<i32>();
            let (tx, rx) = std_mpsc::channel();
            let bg = in_background(future::try_join(p1, p2).map_err(move |_| tx.send(1).unwrap()));
            assert!(rx.try_recv().is_err());
            drop(c1);
            assert_eq!(rx.recv(), Ok(1));
            assert!(rx.recv().is_err());
            drop(c2);
            join(bg).await;
        });
    }

    /// upstream: futures tests/eventual.rs `join4`
    #[test]
    fn join4() {
        on_miou(1, || async {
            let (c1, p1) = oneshot::channel::<i32>();
            let (c2, p2) = oneshot::channel::<i32>();
            let (tx, rx) = std_mpsc::channel();
            let bg = in_background(future::try_join(p1, p2).map_err(move |e| tx.send(e).unwrap()));
            assert!(rx.try_recv().is_err());
            drop(c1);
            assert!(rx.recv().is_ok());
            drop(c2);
            assert!(rx.recv().is_err());
            join(bg).await;
        });
    }

    /// upstream: futures tests/eventual.rs `join5`
    #[test]
    fn join5() {
        on_miou(1, || async {
            let (c1, p1) = oneshot::channel::<i32>();
            let (c2, p2) = oneshot::channel::<i32>();
            let (c3, p3) = oneshot::channel::<i32>();
            let (tx, rx) = std_mpsc::channel();
            let bg = in_background(
                future::try_join(future::try_join(p1, p2), p3).map_ok(move |v| tx.send(v).unwrap()),
            );
            assert!(rx.try_recv().is_err());
            c1.send(1).unwrap();
            assert!(rx.try_recv().is_err());
            c2.send(2).unwrap();
            assert!(rx.try_recv().is_err());
            c3.send(3).unwrap();
            assert_eq!(rx.recv(), Ok(((1, 2), 3)));
            assert!(rx.recv().is_err());
            join(bg).await;
        });
    }

    /// upstream: futures tests/eventual.rs `select1`
    #[test]
    fn select1() {
        on_miou(1, || async {
            let (c1, p1) = oneshot::channel::<i32>();
            let (c2, p2) = oneshot::channel::<i32>();
            let (tx, rx) = std_mpsc::channel();
            let bg1 =
                in_background(future::try_select(p1, p2).map_ok(move |v| tx.send(v).unwrap()));
            assert!(rx.try_recv().is_err());
            c1.send(1).unwrap();
            let (v, p2) = rx.recv().unwrap().into_inner();
            assert_eq!(v, 1);
            assert!(rx.recv().is_err());
            // The loser goes on in another background future.
            let (tx, rx) = std_mpsc::channel();
            let bg2 = in_background(p2.map_ok(move |v| tx.send(v).unwrap()));
            c2.send(2).unwrap();
            assert_eq!(rx.recv(), Ok(2));
            assert!(rx.recv().is_err());
            join(bg1).await;
            join(bg2).await;
        });
    }

    /// upstream: futures tests/eventual.rs `select2`
    #[test]
    fn select2() {
        on_miou(1, || async {
            let (c1, p1) = oneshot::channel::<i32>();
            let (c2, p2) = oneshot::channel::<i32>();
            let (tx, rx) = std_mpsc::channel();
            let bg1 = in_background(
                future::try_select(p1, p2)
                    .map_err(move |e| tx.send((1, e.into_inner().1)).unwrap()),
            );
            assert!(rx.try_recv().is_err());
            drop(c1);
            let (v, p2) = rx.recv().unwrap();
            assert_eq!(v, 1);
            assert!(rx.recv().is_err());
            let (tx, rx) = std_mpsc::channel();
            let bg2 = in_background(p2.map_ok(move |v| tx.send(v).unwrap()));
            c2.send(2).unwrap();
            assert_eq!(rx.recv(), Ok(2));
            assert!(rx.recv().is_err());
            join(bg1).await;
            join(bg2).await;
        });
    }

    /// upstream: futures tests/eventual.rs `select3`
    #[test]
    fn select3() {
        on_miou(1, || async {
            let (c1, p1) = oneshot::channel::<i32>();
            let (c2, p2) = oneshot::channel::<i32>();
            let (tx, rx) = std_mpsc::channel();
            let bg1 = in_background(
                future::try_select(p1, p2)
                    .map_err(move |e| tx.send((1, e.into_inner().1)).unwrap()),
            );
            assert!(rx.try_recv().is_err());
            drop(c1);
            let (v, p2) = rx.recv().unwrap();
            assert_eq!(v, 1);
            assert!(rx.recv().is_err());
            let (tx, rx) = std_mpsc::channel();
            let bg2 = in_background(p2.map_err(move |_| tx.send(2).unwrap()));
            drop(c2);
            assert_eq!(rx.recv(), Ok(2));
            assert!(rx.recv().is_err());
            join(bg1).await;
            join(bg2).await;
        });
    }

    /// upstream: futures tests/eventual.rs `select4`: 10 000 races between a oneshot that
    /// a helper completes and one that is dropped. Upstream's helper is a thread fed by a
    /// `std` channel; here a task on a second worker domain, fed by a futures channel.
    #[test]
    fn select4() {
        const ROUNDS: usize = 10_000;
        on_miou(2, || async {
            let (to_helper, mut helper_rx) = mpsc::unbounded::<oneshot::Sender<i32>>();
            let helper = miou::call(move || async move {
                while let Some(c) = helper_rx.next().await {
                    c.send(1).unwrap();
                }
            });
            let (tx2, rx2) = std_mpsc::channel();
            for _ in 0..ROUNDS {
                let (c1, p1) = oneshot::channel::<i32>();
                let (c2, p2) = oneshot::channel::<i32>();
                let tx3 = tx2.clone();
                let bg = in_background(
                    future::try_select(p1, p2).map_ok(move |_| tx3.send(()).unwrap()),
                );
                to_helper.unbounded_send(c1).unwrap();
                rx2.recv().unwrap();
                drop(c2);
                join(bg).await;
            }
            drop(to_helper);
            join(helper).await;
        });
    }
}

mod oneshot_in_background {
    use super::*;

    /// futures-test's `run_in_background`: here the future is called onto a worker
    /// domain, and awaited by the root at the end of the test.
    fn in_background<F>(fut: F) -> miou::Promise<()>
    where
        F: Future + Send + 'static,
    {
        miou::call(move || fut.map(drop))
    }

    /// upstream: futures tests/oneshot.rs `oneshot_send1`
    #[test]
    fn oneshot_send1() {
        on_miou(2, || async {
            let (tx1, rx1) = oneshot::channel::<i32>();
            let (tx2, rx2) = std_mpsc::channel();
            let t = miou::call(move || async move { tx1.send(1).unwrap() });
            let bg = in_background(rx1.map_ok(move |x| tx2.send(x)));
            assert_eq!(rx2.recv().unwrap(), 1);
            join(t).await;
            join(bg).await;
        });
    }

    /// upstream: futures tests/oneshot.rs `oneshot_send2`
    #[test]
    fn oneshot_send2() {
        on_miou(2, || async {
            let (tx1, rx1) = oneshot::channel::<i32>();
            let (tx2, rx2) = std_mpsc::channel();
            join(miou::call(move || async move { tx1.send(1).unwrap() })).await;
            let bg = in_background(rx1.map_ok(move |x| tx2.send(x).unwrap()));
            assert_eq!(rx2.recv().unwrap(), 1);
            join(bg).await;
        });
    }

    /// upstream: futures tests/oneshot.rs `oneshot_send3`
    #[test]
    fn oneshot_send3() {
        on_miou(2, || async {
            let (tx1, rx1) = oneshot::channel::<i32>();
            let (tx2, rx2) = std_mpsc::channel();
            let bg = in_background(rx1.map_ok(move |x| tx2.send(x).unwrap()));
            join(miou::call(move || async move { tx1.send(1).unwrap() })).await;
            assert_eq!(rx2.recv().unwrap(), 1);
            join(bg).await;
        });
    }

    /// upstream: futures tests/oneshot.rs `oneshot_drop_tx1`
    #[test]
    fn oneshot_drop_tx1() {
        on_miou(2, || async {
            let (tx1, rx1) = oneshot::channel::<i32>();
            let (tx2, rx2) = std_mpsc::channel();
            drop(tx1);
            let bg = in_background(rx1.map(move |r| tx2.send(r).unwrap()));
            assert_eq!(rx2.recv().unwrap(), Err(oneshot::Canceled));
            join(bg).await;
        });
    }

    /// upstream: futures tests/oneshot.rs `oneshot_drop_tx2`
    #[test]
    fn oneshot_drop_tx2() {
        on_miou(2, || async {
            let (tx1, rx1) = oneshot::channel::<i32>();
            let (tx2, rx2) = std_mpsc::channel();
            let t = miou::call(move || async move { drop(tx1) });
            let bg = in_background(rx1.map(move |r| tx2.send(r).unwrap()));
            join(t).await;
            assert_eq!(rx2.recv().unwrap(), Err(oneshot::Canceled));
            join(bg).await;
        });
    }
}

mod future_abortable {
    use super::*;
    use futures_util::future::{Aborted, abortable};

    /// upstream: futures tests/future_abortable.rs `abortable_works`
    #[test]
    fn abortable_works() {
        block_on(|| async {
            let (_tx, rx) = oneshot::channel::<()>();
            let (rx, handle) = abortable(rx);
            handle.abort();
            assert!(rx.is_aborted());
            assert_eq!(rx.await, Err(Aborted));
        });
    }

    /// upstream: futures tests/future_abortable.rs `abortable_awakens`: aborting wakes
    /// the waiting task once (here the task's own waker, counted).
    #[test]
    fn abortable_awakens() {
        block_on(|| async {
            let (_tx, rx) = oneshot::channel::<()>();
            let (mut rx, handle) = abortable(rx);
            let wakes = Arc::new(AtomicUsize::new(0));
            poll_fn(|cx| {
                let waker = relay_waker(cx.waker(), &wakes);
                assert_eq!(
                    rx.poll_unpin(&mut Context::from_waker(&waker)),
                    Poll::Pending
                );
                Poll::Ready(())
            })
            .await;
            assert_eq!(wakes.load(Ordering::SeqCst), 0);
            handle.abort();
            assert_eq!(wakes.load(Ordering::SeqCst), 1);
            assert!(rx.is_aborted());
            assert_eq!(rx.await, Err(Aborted));
        });
    }

    /// upstream: futures tests/future_abortable.rs `abortable_resolves`
    #[test]
    fn abortable_resolves() {
        block_on(|| async {
            let (tx, rx) = oneshot::channel::<()>();
            let (rx, _handle) = abortable(rx);
            tx.send(()).unwrap();
            assert!(!rx.is_aborted());
            assert_eq!(rx.await, Ok(Ok(())));
        });
    }
}

mod stream_abortable {
    use super::*;
    use futures_util::stream::{Stream, abortable};

    /// upstream: futures tests/stream_abortable.rs `abortable_works`
    #[test]
    fn abortable_works() {
        block_on(|| async {
            let (_tx, rx) = mpsc::channel::<()>(1);
            let (mut rx, handle) = abortable(rx);
            handle.abort();
            assert!(rx.is_aborted());
            assert_eq!(rx.next().await, None);
        });
    }

    /// upstream: futures tests/stream_abortable.rs `abortable_awakens`
    #[test]
    fn abortable_awakens() {
        block_on(|| async {
            let (_tx, rx) = mpsc::channel::<()>(1);
            let (mut rx, handle) = abortable(rx);
            let wakes = Arc::new(AtomicUsize::new(0));
            poll_fn(|cx| {
                let waker = relay_waker(cx.waker(), &wakes);
                let mut cx = Context::from_waker(&waker);
                assert_eq!(Pin::new(&mut rx).poll_next(&mut cx), Poll::Pending);
                Poll::Ready(())
            })
            .await;
            assert_eq!(wakes.load(Ordering::SeqCst), 0);
            handle.abort();
            assert_eq!(wakes.load(Ordering::SeqCst), 1);
            assert!(rx.is_aborted());
            assert_eq!(rx.next().await, None);
        });
    }

    /// upstream: futures tests/stream_abortable.rs `abortable_resolves`
    #[test]
    fn abortable_resolves() {
        block_on(|| async {
            let (mut tx, rx) = mpsc::channel::<()>(1);
            let (mut rx, _handle) = abortable(rx);
            tx.send(()).await.unwrap();
            assert!(!rx.is_aborted());
            assert_eq!(rx.next().await, Some(()));
        });
    }
}

mod recurse {
    use super::*;
    use futures_util::future::BoxFuture;

    /// upstream: futures tests/recurse.rs `lots`: a chain of 1000 boxed futures, each
    /// built by the previous one, run on another thread (here another task).
    #[test]
    fn lots() {
        const N: i32 = 1000;
        fn step((n, acc): (i32, i32)) -> BoxFuture<'static, i32> {
            if n == 0 {
                future::ready(acc).boxed()
            } else {
                future::ready((n - 1, acc + n)).then(step).boxed()
            }
        }
        on_both(1, |place| async move {
            let sum = join(fork(place, || step((N, 0)))).await;
            assert_eq!(sum, (0..=N).sum::<i32>());
        });
    }
}

mod stream_tests {
    use super::*;
    use futures_util::stream::Stream;

    /// upstream: futures tests/stream.rs `select`
    #[test]
    fn select() {
        block_on(|| async {
            let cases = [
                (vec![1, 2, 3], vec![4, 5, 6], vec![1, 4, 2, 5, 3, 6]),
                (vec![1, 2, 3], vec![4, 5], vec![1, 4, 2, 5, 3]),
                (vec![1, 2], vec![4, 5, 6], vec![1, 4, 2, 5, 6]),
            ];
            for (a, b, expected) in cases {
                let got: Vec<u32> = stream::select(stream::iter(a), stream::iter(b))
                    .collect()
                    .await;
                assert_eq!(got, expected);
            }
        });
    }

    /// upstream: futures tests/stream.rs `flat_map`
    #[test]
    fn flat_map() {
        block_on(|| async {
            let streams = stream::iter([
                stream::iter(0..=4u8),
                stream::iter(6..=10),
                stream::iter(0..=2),
            ]);
            let evens: Vec<_> = streams
                .flat_map(|s| s.filter(|v| future::ready(v % 2 == 0)))
                .collect()
                .await;
            assert_eq!(evens, vec![0, 2, 4, 6, 8, 10, 0, 2]);
        });
    }

    /// upstream: futures tests/stream.rs `scan`
    #[test]
    fn scan() {
        block_on(|| async {
            let got = stream::iter([1u8, 2, 3, 4, 6, 8, 2])
                .scan(1, |state, e| {
                    *state += 1;
                    future::ready((e < *state).then_some(e))
                })
                .collect::<Vec<_>>()
                .await;
            assert_eq!(got, vec![1u8, 2, 3, 4]);
        });
    }

    /// A stream of the values in `data` (popped from the end), each of which it makes
    /// wait once: it returns `Pending` and has its waker called, either at once (by
    /// reference, during the poll) or from a thread after a short sleep.
    struct DataStream {
        data: Vec<u8>,
        polled: bool,
        wake_at_once: bool,
    }

    impl Stream for DataStream {
        type Item = u8;

        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u8>> {
            if self.polled {
                self.polled = false;
                return Poll::Ready(self.data.pop());
            }
            self.polled = true;
            if self.wake_at_once {
                cx.waker().wake_by_ref();
            } else {
                let waker = cx.waker().clone();
                let nap = Duration::from_millis(*self.data.first().unwrap_or(&0) as u64 / 10);
                std::thread::spawn(move || {
                    std::thread::sleep(nap);
                    waker.wake_by_ref();
                });
            }
            Poll::Pending
        }
    }

    /// A stream of `DataStream`s (six values each, `base * 6 ..`), each one after a
    /// wait of the same two kinds.
    struct Interchanger {
        polled: bool,
        base: u8,
        wake_at_once: bool,
    }

    impl Stream for Interchanger {
        type Item = DataStream;

        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<DataStream>> {
            if self.polled {
                let data = (0..6).rev().map(|v| v + self.base * 6).collect();
                self.base += 1;
                self.polled = false;
                return Poll::Ready(Some(DataStream {
                    data,
                    polled: false,
                    wake_at_once: self.wake_at_once && self.base.is_multiple_of(2),
                }));
            }
            self.polled = true;
            if self.wake_at_once {
                cx.waker().wake_by_ref();
            } else {
                let waker = cx.waker().clone();
                let nap = Duration::from_millis(self.base as u64);
                std::thread::spawn(move || {
                    std::thread::sleep(nap);
                    waker.wake_by_ref();
                });
            }
            Poll::Pending
        }
    }

    fn interchanger(wake_at_once: bool) -> Interchanger {
        Interchanger {
            polled: false,
            base: 0,
            wake_at_once,
        }
    }

    /// Ready with `value` after `time`, woken from a thread.
    fn timeout<I: Clone>(time: Duration, value: I) -> impl Future<Output = I> {
        let ready = Arc::new(AtomicBool::new(false));
        let mut started = false;
        poll_fn(move |cx| {
            if !started {
                let (waker, ready) = (cx.waker().clone(), ready.clone());
                std::thread::spawn(move || {
                    std::thread::sleep(time);
                    ready.store(true, Ordering::Release);
                    waker.wake_by_ref();
                });
                started = true;
            }
            if ready.load(Ordering::Acquire) {
                Poll::Ready(value.clone())
            } else {
                Poll::Pending
            }
        })
    }

    /// A `flatten_unordered` nested in another, over delayed items.
    fn nested<S: Stream + Unpin>(st: S) -> impl Stream<Item = S::Item> + Unpin
    where
        S::Item: Clone,
    {
        let inner = st
            .then(|item| timeout(Duration::from_millis(50), item))
            .enumerate()
            .map(|(i, v)| {
                stream::once(if i % 2 == 0 {
                    future::ready(v).left_future()
                } else {
                    timeout(Duration::from_millis(100), v).right_future()
                })
            })
            .flatten_unordered(None);
        stream::once(future::ready(inner)).flatten_unordered(None)
    }

    /// upstream: futures tests/stream.rs `flatten_unordered`. The streams above wake
    /// their task from other threads or by reference during the poll; upstream's
    /// thread that polls with a panicking waker, and its thread pool, become child
    /// tasks, on one domain and then on a worker domain.
    #[test]
    fn flatten_unordered() {
        use futures_util::lock::Mutex;
        use futures_util::task::{ArcWake, waker};
        use std::convert::identity;

        let sixty: Vec<u8> = (0..60).collect();
        on_both(1, move |place| {
            let sixty = sixty.clone();
            async move {
                // Plain behaviour.
                let st = stream::iter([
                    stream::iter(0..=4u8),
                    stream::iter(6..=10),
                    stream::iter(10..=12),
                ]);
                let got = st.flatten_unordered(3).collect::<Vec<_>>().await;
                assert_eq!(got, vec![0, 6, 10, 1, 7, 11, 2, 8, 12, 3, 9, 4, 10]);
                let st = stream::iter([
                    stream::iter(0..=4u8),
                    stream::iter(6..=10),
                    stream::iter(0..=2),
                ]);
                let mut got = st
                    .flat_map_unordered(1, |s| s.filter(|v| future::ready(v % 2 == 0)))
                    .collect::<Vec<_>>()
                    .await;
                got.sort_unstable();
                assert_eq!(got, vec![0, 0, 2, 2, 4, 6, 8, 10]);

                // Woken at once, then woken from threads.
                for at_once in [true, false] {
                    let mut got = interchanger(at_once)
                        .take(10)
                        .map(|s| s.map(identity))
                        .flatten_unordered(10)
                        .collect::<Vec<_>>()
                        .await;
                    got.sort_unstable();
                    assert_eq!(got, sixty);
                    let mut got = interchanger(at_once)
                        .take(10)
                        .flat_map_unordered(10, |s| s.map(identity))
                        .collect::<Vec<_>>()
                        .await;
                    got.sort_unstable();
                    assert_eq!(got, sixty);
                }
                let (mut a, mut b) = futures_util::join!(
                    interchanger(false)
                        .take(10)
                        .flat_map_unordered(10, |s| s.map(identity))
                        .collect::<Vec<_>>(),
                    interchanger(false)
                        .take(10)
                        .map(|s| s.map(identity))
                        .flatten_unordered(10)
                        .collect::<Vec<_>>()
                );
                a.sort_unstable();
                b.sort_unstable();
                assert_eq!(a, b);
                assert_eq!(a, sixty);

                // A waker that panics: the task polling with it fails, the stream
                // survives and still yields everything.
                struct PanicWaker;
                impl ArcWake for PanicWaker {
                    fn wake_by_ref(_: &Arc<Self>) {
                        panic!("WAKE UP");
                    }
                }
                let shared = Arc::new(Mutex::new(
                    interchanger(true)
                        .take(10)
                        .flat_map_unordered(10, |s| s.map(identity)),
                ));
                let victim = fork(place, {
                    let shared = shared.clone();
                    move || async move {
                        let mut once = stream::poll_fn(|cx| {
                            let mut lock = futures_util::ready!(shared.lock().poll_unpin(cx));
                            let panicking = waker(Arc::new(PanicWaker));
                            let mut panic_cx = Context::from_waker(&panicking);
                            let _ = futures_util::ready!(lock.poll_next_unpin(&mut panic_cx));
                            Poll::Ready(Some(()))
                        });
                        once.next().await
                    }
                });
                assert!(matches!(victim.await, Err(miou::Error::Panicked(_))));
                let mut got: Vec<_> = shared.lock().await.by_ref().collect().await;
                got.sort_unstable();
                assert_eq!(got, sixty);

                // An inner stream that panics when polled: same.
                let st = stream::iter(std::iter::once(
                    stream::once(Box::pin(async { panic!("Polled") })).left_stream::<DataStream>(),
                ))
                .chain(interchanger(true).map(|s| s.right_stream()).take(10));
                let shared = Arc::new(Mutex::new(st.flatten_unordered(10)));
                let victim = fork(place, {
                    let shared = shared.clone();
                    move || async move {
                        let mut once = stream::poll_fn(|cx| {
                            let mut lock = futures_util::ready!(shared.lock().poll_unpin(cx));
                            let data = futures_util::ready!(lock.poll_next_unpin(cx));
                            Poll::Ready(data)
                        });
                        once.next().await
                    }
                });
                assert!(matches!(victim.await, Err(miou::Error::Panicked(_))));
                let mut got: Vec<_> = shared.lock().await.by_ref().collect().await;
                got.sort_unstable();
                assert_eq!(got, sixty);

                // Nested, on another task (a thread pool upstream), twice.
                let counted = fork(place, || async {
                    nested(stream::iter(1..=10)).count().await
                });
                assert_eq!(join(counted).await, 10);
                let counted = fork(place, || async {
                    let mut fu = nested(stream::iter(1..10));
                    let mut cx = noop_cx();
                    let _ = fu.poll_next_unpin(&mut cx);
                    let _ = fu.poll_next_unpin(&mut cx);
                    fu.count().await
                });
                assert_eq!(join(counted).await, 9);
            }
        });
    }

    /// upstream: futures tests/stream.rs `take_until`
    #[test]
    fn take_until() {
        /// Pending (without asking to be woken) `stop_on` times, then ready.
        fn stopper(stop_on: u32) -> impl Future<Output = ()> {
            let mut polls = 0;
            poll_fn(move |_| {
                polls += 1;
                if polls <= stop_on {
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            })
        }
        block_on(|| async {
            // It stops...
            let last = stream::iter(1u32..=10)
                .take_until(stopper(5))
                .fold(0, |_, i| async move { i })
                .await;
            assert_eq!(last, 5);
            // ...unless its stopper was taken away...
            let mut st = stream::iter(1..=10).take_until(stopper(5));
            assert_eq!(st.next().await, Some(1));
            assert_eq!(st.next().await, Some(2));
            st.take_future();
            assert_eq!(st.fold(0, |_, i| async move { i }).await, 10);
            // ...which is gone once it stopped...
            let mut st = stream::iter(1u32..=10).take_until(stopper(1));
            assert_eq!(st.next().await, Some(1));
            assert_eq!(st.next().await, None);
            assert!(st.take_future().is_none());
            // ...and it is fused.
            let mut polls = 0;
            let inner = stream::poll_fn(move |_| {
                polls += 1;
                match polls {
                    1 => Poll::Ready(Some(1)),
                    2 => Poll::Ready(None),
                    _ => panic!("TakeUntil is not fused"),
                }
            });
            let mut st = inner.take_until(stopper(1));
            assert_eq!(st.next().await, Some(1));
            assert_eq!(st.next().await, None);
            assert_eq!(st.next().await, None);
        });
    }

    /// upstream: futures tests/stream.rs `ready_chunks`
    #[test]
    fn ready_chunks() {
        block_on(|| async {
            let (mut tx, rx) = mpsc::channel::<i32>(16);
            let mut chunks = rx.ready_chunks(2);
            assert!(chunks.next().poll_unpin(&mut noop_cx()).is_pending());
            tx.send(1).await.unwrap();
            assert_eq!(chunks.next().await.unwrap(), vec![1]);
            for v in 2..=4 {
                tx.send(v).await.unwrap();
            }
            assert_eq!(chunks.next().await.unwrap(), vec![2, 3]);
            assert_eq!(chunks.next().await.unwrap(), vec![4]);
        });
    }

    /// upstream: futures tests/stream.rs `select_with_strategy_doesnt_terminate_early`:
    /// one side returns `Pending` every other poll after waking itself by reference.
    #[test]
    fn select_with_strategy_doesnt_terminate_early() {
        struct Slow {
            should_poll: usize,
            polled: Rc<Cell<usize>>,
        }
        impl Stream for Slow {
            type Item = usize;
            fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<usize>> {
                self.polled.set(self.polled.get() + 1);
                let n = self.polled.get();
                if n.is_multiple_of(2) {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                } else if n >= self.should_poll {
                    Poll::Ready(None)
                } else {
                    Poll::Ready(Some(n))
                }
            }
        }
        for side in [stream::PollNext::Left, stream::PollNext::Right] {
            let polls = block_on(move || async move {
                let polled = Rc::new(Cell::new(0));
                let slow = Slow {
                    should_poll: 10,
                    polled: polled.clone(),
                };
                let mut both = stream::select_with_strategy(
                    slow,
                    stream::iter([10, 20]),
                    move |_: &mut ()| side,
                );
                while both.next().await.is_some() {}
                polled.get()
            });
            assert_eq!(polls, 11);
        }
    }

    async fn is_even(n: u8) -> bool {
        n.is_multiple_of(2)
    }

    /// upstream: futures tests/stream.rs `all`
    #[test]
    fn all() {
        block_on(|| async {
            assert!(stream::iter([0u8; 0]).all(is_even).await);
            assert!(stream::iter([2, 4, 6, 8]).all(is_even).await);
            assert!(!stream::iter([2, 3, 4]).all(is_even).await);
        });
    }

    /// upstream: futures tests/stream.rs `any`
    #[test]
    fn any() {
        block_on(|| async {
            assert!(!stream::iter([0u8; 0]).any(is_even).await);
            assert!(stream::iter([1, 2, 3]).any(is_even).await);
            assert!(!stream::iter([1, 3, 5]).any(is_even).await);
        });
    }
}

mod stream_select_all {
    use super::*;
    use futures_util::stream::{SelectAll, select_all};

    /// Walks `it` to its end, checking that its length is `n` and counts down.
    fn walk<I: ExactSizeIterator>(mut it: I, n: usize) {
        assert_eq!(it.len(), n);
        for left in (0..n).rev() {
            assert!(it.next().is_some());
            assert_eq!(it.len(), left);
        }
        assert!(it.next().is_none());
    }

    /// upstream: futures tests/stream_select_all.rs `issue_1626`
    #[test]
    fn issue_1626() {
        block_on(|| async {
            let both = select_all([stream::iter(0..=2), stream::iter(10..=14)]);
            let got: Vec<_> = both.collect().await;
            assert_eq!(got, vec![0, 10, 1, 11, 2, 12, 13, 14]);
        });
    }

    /// upstream: futures tests/stream_select_all.rs `works_1`
    #[test]
    fn works_1() {
        block_on(|| async {
            let (a_tx, a_rx) = mpsc::unbounded::<u32>();
            let (b_tx, b_rx) = mpsc::unbounded::<u32>();
            let (c_tx, c_rx) = mpsc::unbounded::<u32>();
            let mut all = select_all([a_rx, b_rx, c_rx]);
            for _ in 0..2 {
                b_tx.unbounded_send(99).unwrap();
                a_tx.unbounded_send(33).unwrap();
                assert_eq!(all.next().await, Some(33));
                assert_eq!(all.next().await, Some(99));
            }
            c_tx.unbounded_send(42).unwrap();
            assert_eq!(all.next().await, Some(42));
            a_tx.unbounded_send(43).unwrap();
            assert_eq!(all.next().await, Some(43));
            drop((a_tx, b_tx, c_tx));
            assert_eq!(all.next().await, None);
        });
    }

    /// upstream: futures tests/stream_select_all.rs `clear`
    #[test]
    fn clear() {
        use futures_util::stream::FusedStream;
        block_on(|| async {
            let mut all = select_all([stream::iter([1]), stream::iter([2])]);
            assert_eq!(all.next().await, Some(1));
            assert!(!all.is_empty());
            all.clear();
            assert!(all.is_empty());
            all.push(stream::iter([3]));
            assert!(!all.is_empty());
            all.clear();
            assert!(all.is_empty());
            assert_eq!(all.next().await, None);
            assert!(all.is_terminated());
            all.clear();
            assert!(!all.is_terminated());
        });
    }

    /// upstream: futures tests/stream_select_all.rs `iter_mut`
    #[test]
    fn iter_mut() {
        block_on(|| async {
            let mut pending: SelectAll<_> = (0..3).map(|_| stream::pending::<()>()).collect();
            walk(pending.iter_mut(), 3);

            let mut all: SelectAll<_> = [vec![], vec![1], vec![2]]
                .into_iter()
                .map(stream::iter)
                .collect();
            assert_eq!(all.len(), 3);
            assert_eq!(all.next().await, Some(1));
            // The empty stream ended and was removed on the way.
            assert_eq!(all.len(), 2);
            walk(all.iter_mut(), 2);
            assert_eq!(all.next().await, Some(2));
            assert_eq!(all.len(), 2);
            assert_eq!(all.next().await, None);
            walk(all.iter_mut(), 0);
        });
    }

    /// upstream: futures tests/stream_select_all.rs `iter`
    #[test]
    fn iter() {
        block_on(|| async {
            let pending: SelectAll<_> = (0..3).map(|_| stream::pending::<()>()).collect();
            walk(pending.iter(), 3);

            let mut all: SelectAll<_> = [vec![], vec![1], vec![2]]
                .into_iter()
                .map(stream::iter)
                .collect();
            assert_eq!(all.len(), 3);
            assert_eq!(all.next().await, Some(1));
            assert_eq!(all.len(), 2);
            walk(all.iter(), 2);
            assert_eq!(all.next().await, Some(2));
            assert_eq!(all.len(), 2);
            assert_eq!(all.next().await, None);
            walk(all.iter(), 0);
        });
    }
}
