//! Wake-ups that arrive while a task is being polled: by reference or by value, from the
//! task itself or from another thread, on spawned and called tasks, at every quanta.
//!
//! These are the regression tests of a lost wake-up: `Waker::wake_by_ref` used to ignore
//! a wake-up that arrived while the task was queued or in its turn instead of recording
//! it, so a future that woke itself by reference and returned `Pending` slept for ever.
//! `futures_lite::future::yield_now`, `AtomicWaker::register` racing a wake-up, and
//! hyper's yield between pipelined requests all do that. Every test runs under a
//! watchdog: the bug shows as a hang.

mod common;

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::watchdog;

/// How a future wakes itself before returning `Pending`.
#[derive(Clone, Copy, Debug)]
enum How {
    ByRef,
    ByValue,
}

/// Returns `Pending` `times` times, waking itself each time during its own poll.
fn self_waking(times: usize, how: How) -> impl Future<Output = usize> {
    let mut polls = 0;
    poll_fn(move |cx| {
        polls += 1;
        if polls > times {
            return Poll::Ready(polls);
        }
        match how {
            How::ByRef => cx.waker().wake_by_ref(),
            // Waking a clone by value is the case under test, not a slip.
            #[allow(clippy::waker_clone_wake)]
            How::ByValue => cx.waker().clone().wake(),
        }
        Poll::Pending
    })
}

const QUANTA: [usize; 4] = [1, 2, 16, 64];

#[test]
fn a_root_that_wakes_itself_by_reference_completes() {
    for quanta in QUANTA {
        let polls = watchdog(10, move || {
            miou::Builder::new()
                .domains(0)
                .quanta(quanta)
                .run(self_waking(1, How::ByRef))
        });
        assert_eq!(polls, 2, "quanta {quanta}: one Pending, then Ready");
    }
}

#[test]
fn a_spawned_task_that_wakes_itself_completes_either_way() {
    for quanta in QUANTA {
        for how in [How::ByRef, How::ByValue] {
            let polls = watchdog(10, move || {
                miou::Builder::new()
                    .domains(0)
                    .quanta(quanta)
                    .run(async move { miou::spawn(self_waking(100, how)).await.unwrap() })
            });
            assert_eq!(polls, 101, "quanta {quanta}, {how:?}");
        }
    }
}

#[test]
fn a_called_task_that_wakes_itself_completes_either_way() {
    for quanta in QUANTA {
        for how in [How::ByRef, How::ByValue] {
            let polls = watchdog(10, move || {
                miou::Builder::new()
                    .domains(1)
                    .quanta(quanta)
                    .run(async move { miou::call(move || self_waking(100, how)).await.unwrap() })
            });
            assert_eq!(polls, 101, "quanta {quanta}, {how:?}");
        }
    }
}

/// A future that busy-polls: it wakes itself by reference until another task has made
/// progress. Both must keep running, turn after turn.
#[test]
fn busy_polling_with_wake_by_ref_lets_the_others_run() {
    let n = watchdog(10, || {
        miou::Builder::new().domains(0).quanta(1).run(async {
            let done = Arc::new(AtomicUsize::new(0));
            let d = done.clone();
            let counter = miou::spawn(async move {
                for _ in 0..50 {
                    d.fetch_add(1, Ordering::SeqCst);
                    miou::yield_now().await;
                }
            });
            let d = done.clone();
            let spinner = miou::spawn(poll_fn(move |cx| {
                if d.load(Ordering::SeqCst) == 50 {
                    Poll::Ready(())
                } else {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            }));
            counter.await.unwrap();
            spinner.await.unwrap();
            done.load(Ordering::SeqCst)
        })
    });
    assert_eq!(n, 50);
}

/// A waker slot shared with another thread, which wakes whatever waker it finds there.
#[derive(Default)]
struct Slot {
    waker: Mutex<Option<Waker>>,
    /// The last round the other thread started.
    ready: AtomicUsize,
    /// The last round the task finished waiting for.
    seen: AtomicUsize,
}

/// A future that parks in `slot` until the other thread has bumped `ready` to `target`.
fn wait_for(slot: Arc<Slot>, target: usize) -> impl Future<Output = ()> {
    poll_fn(move |cx| {
        *slot.waker.lock().unwrap() = Some(cx.waker().clone());
        if slot.ready.load(Ordering::SeqCst) >= target {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
}

/// Another thread wakes the task by reference or by value while it may be in its turn
/// (registering, checking, returning `Pending`): many rounds of one wake-up each, any
/// of which hangs if its wake-up is dropped.
#[test]
fn a_foreign_thread_waking_during_the_poll_is_never_lost() {
    for how in [How::ByRef, How::ByValue] {
        for domains in [0, 1] {
            watchdog(30, move || {
                let slot = Arc::new(Slot::default());
                let s = slot.clone();
                let waker_thread = std::thread::spawn(move || {
                    for round in 1..=2_000 {
                        s.ready.store(round, Ordering::SeqCst);
                        // Wake whichever waker is registered now, possibly mid-poll.
                        let w = s.waker.lock().unwrap().clone();
                        if let Some(w) = w {
                            match how {
                                How::ByRef => w.wake_by_ref(),
                                How::ByValue => w.wake(),
                            }
                        }
                        // Wait for the task to see this round before the next one,
                        // without waking it again: one wake-up per round, so a lost
                        // one hangs the test.
                        while s.seen.load(Ordering::SeqCst) != round {
                            std::thread::yield_now();
                        }
                    }
                });
                let body = {
                    let slot = slot.clone();
                    async move {
                        for round in 1..=2_000 {
                            wait_for(slot.clone(), round).await;
                            slot.seen.store(round, Ordering::SeqCst);
                        }
                    }
                };
                let builder = miou::Builder::new().domains(domains).quanta(1);
                if domains == 0 {
                    builder.run(body);
                } else {
                    builder.run(async move { miou::call(move || body).await.unwrap() });
                }
                waker_thread.join().unwrap();
            });
        }
    }
}

/// A wake-up by reference that races with the task's completion: the task is woken by
/// another thread right as it returns `Ready`. Completion wins; nothing is queued twice
/// and nothing hangs.
#[test]
fn waking_a_completing_task_is_harmless() {
    watchdog(30, || {
        for _ in 0..200 {
            miou::Builder::new().domains(1).run(async {
                let slot = Arc::new(Slot::default());
                let s = slot.clone();
                let p = miou::call(move || async move {
                    let mut first = true;
                    poll_fn(move |cx| {
                        *s.waker.lock().unwrap() = Some(cx.waker().clone());
                        if first {
                            first = false;
                            cx.waker().wake_by_ref();
                            Poll::Pending
                        } else {
                            Poll::Ready(())
                        }
                    })
                    .await
                });
                // Wake the called task from this domain while it completes on the other.
                for _ in 0..20 {
                    if let Some(w) = slot.waker.lock().unwrap().clone() {
                        w.wake_by_ref();
                    }
                    miou::yield_now().await;
                }
                p.await.unwrap();
                // And once more after it is complete: the waker outlives the task's turn.
                if let Some(w) = slot.waker.lock().unwrap().take() {
                    w.wake_by_ref();
                    w.wake();
                }
            });
        }
    });
}

/// `futures_lite::future::yield_now`, written out: wake by reference, return `Pending`
/// once. It is how foreign code yields, and it must behave as `miou::yield_now` does:
/// the task goes to the back of the queue.
struct ForeignYield(bool);

impl Future for ForeignYield {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn a_foreign_yield_goes_to_the_back_of_the_queue() {
    let order = watchdog(10, || {
        miou::Builder::new().domains(0).quanta(1).run(async {
            let log = Arc::new(Mutex::new(Vec::new()));
            let mut ps = Vec::new();
            for name in ["a", "b"] {
                let log = log.clone();
                ps.push(miou::spawn(async move {
                    for i in 0..3 {
                        log.lock().unwrap().push(format!("{name}{i}"));
                        ForeignYield(false).await;
                    }
                }));
            }
            miou::await_all(ps).await;
            Arc::try_unwrap(log).unwrap().into_inner().unwrap()
        })
    });
    // Hand-derived: each yield sends the task behind the other, so they alternate.
    assert_eq!(order, ["a0", "b0", "a1", "b1", "a2", "b2"]);
}

/// A self-waking future on a real timer path: a sleep between wake-ups, so that the
/// domain goes through `select` while the task is parked and again while it is queued.
#[test]
fn self_wakes_mixed_with_sleeps() {
    watchdog(10, || {
        miou::Builder::new().domains(0).run(async {
            for _ in 0..10 {
                self_waking(3, How::ByRef).await;
                miou::time::sleep(Duration::from_millis(1)).await;
            }
        })
    });
}

/// Set by the waker of the test below.
static SAME_POINTER_WOKEN: AtomicUsize = AtomicUsize::new(0);

/// A combinator's waker that carries the task's own data pointer with a vtable of its
/// own (it owns nothing: cloning and dropping do nothing, waking counts).
fn same_pointer_waker(data: *const ()) -> Waker {
    use std::task::{RawWaker, RawWakerVTable};
    const VTABLE: RawWakerVTable = RawWakerVTable::new(
        |data| RawWaker::new(data, &VTABLE),
        |_| {
            SAME_POINTER_WOKEN.fetch_add(1, Ordering::SeqCst);
        },
        |_| {
            SAME_POINTER_WOKEN.fetch_add(1, Ordering::SeqCst);
        },
        |_| {},
    );
    // SAFETY: the vtable's functions never read the pointer.
    unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) }
}

/// A turn that ends at a scheduling point wakes the waker the task was polled under
/// unless it is the task's own, which the loop requeues anyway. "Its own" means its
/// block's pointer *and* the vtable of task wakers: a waker with the same pointer and
/// another vtable (a combinator's, which must hear that its branch is to be polled
/// again) is woken.
#[test]
fn a_waker_with_the_tasks_pointer_and_another_vtable_is_woken_at_a_point() {
    watchdog(10, || {
        miou::Builder::new().domains(0).run(async {
            let child = miou::spawn(async { 1 });
            let mut join = std::pin::pin!(std::future::IntoFuture::into_future(child));
            // A first turn has no points: the await's point ends it.
            let pending = poll_fn(|cx| {
                let waker = same_pointer_waker(cx.waker().data());
                let mut inner = Context::from_waker(&waker);
                Poll::Ready(join.as_mut().poll(&mut inner).is_pending())
            })
            .await;
            assert!(pending, "the point ended the turn");
            assert_eq!(SAME_POINTER_WOKEN.load(Ordering::SeqCst), 1);
            assert_eq!(join.await.unwrap(), 1);
        })
    });
}
