//! Cancel scopes: `miou::time::timeout` and `miou::Scope` cancel the tasks the scoped
//! computation started, with their subtrees on every domain, and wait for them; a
//! scope dropped by a combinator of another crate leaves its tasks to be reaped instead
//! of failing the run. Most tests run on the virtual clock (`Builder::virtual_clock`),
//! so their sleeps take no time; the first also runs on the real clock.

mod common;

use std::cell::RefCell;
use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use common::{Alive, Count, Guard, Out, owned_resource, watchdog};
use miou::time::{Instant, sleep, timeout};
use miou::{Builder, Error, Promise, Scope, call, cancel, spawn, yield_now};

const HOUR: Duration = Duration::from_secs(3600);

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Sleeps an hour holding `g` (dropped when the task is cancelled).
async fn sleep_holding(g: Guard) {
    let _g = g;
    sleep(HOUR).await
}

/// What `futures::select!` does to the loser: polls `a` then `b` until one is ready,
/// and drops the other where it stands. `true` if `a` won.
async fn race<A: Future, B: Future>(a: A, b: B) -> bool {
    let (mut a, mut b) = (pin!(a), pin!(b));
    std::future::poll_fn(|cx| {
        if a.as_mut().poll(cx).is_ready() {
            return Poll::Ready(true);
        }
        if b.as_mut().poll(cx).is_ready() {
            return Poll::Ready(false);
        }
        Poll::Pending
    })
    .await
}

/// The issue's case, grown: the timed computation starts a child on its own domain and
/// one on each worker, each with grandchildren (on its domain and on another one), all
/// holding guards, one of them a resource; the deadline passes while they sleep.
/// `timeout` returns `Err(Elapsed)` only once every one of them is gone (destructors
/// and finalisers ran), and the run goes on and succeeds.
fn children_on_two_domains_and_grandchildren(virtual_clock: bool) {
    let alive = Alive::new();
    let finalised = Count::new();
    let (a, f) = (alive.clone(), finalised.clone());
    let log = watchdog(30, move || {
        let mut b = Builder::new().domains(2);
        if virtual_clock {
            b = b.virtual_clock();
        }
        b.run(async move {
            let out = Out::new();
            let started = Count::new();
            let limit = if virtual_clock {
                secs(1)
            } else {
                Duration::from_millis(50)
            };
            let (a2, f2, s2) = (a.clone(), f.clone(), started.clone());
            let r = timeout(limit, async move {
                let (a3, s3) = (a2.clone(), s2.clone());
                let here = spawn(async move {
                    let _g = a3.guard();
                    let a4 = a3.clone();
                    let grandchild = spawn(sleep_holding(a3.guard()));
                    let far = call(move || sleep_holding(a4.guard()));
                    s3.incr();
                    let _ = grandchild.await;
                    let _ = far.await;
                });
                let mut there = Vec::new();
                for _ in 0..2 {
                    let (a5, f5, s5) = (a2.clone(), f2.clone(), s2.clone());
                    there.push(call(move || async move {
                        let _g = a5.guard();
                        let _r = owned_resource(&f5);
                        let a6 = a5.clone();
                        let grandchild = spawn(sleep_holding(a5.guard()));
                        let far = call(move || sleep_holding(a6.guard()));
                        s5.incr();
                        let _ = grandchild.await;
                        let _ = far.await;
                    }));
                }
                let _ = here.await;
                for p in there {
                    let _ = p.await;
                }
                "finished"
            })
            .await;
            out.push(format!("timeout: {r:?}"));
            out.push(format!("started: {}", started.get()));
            out.push(format!("alive: {}", a.live()));
            out.push(format!("finalised: {}", f.get()));
            // The run goes on: the task may start more work.
            let more = spawn(async { 7 });
            out.push(format!("more: {}", more.await.unwrap()));
            out.lines()
        })
    });
    assert_eq!(
        log,
        [
            "timeout: Err(Elapsed(()))",
            "started: 3",
            "alive: 0",
            "finalised: 2",
            "more: 7"
        ]
    );
    assert_eq!(alive.created(), 9, "three children and six grandchildren");
}

#[test]
fn a_timeout_cancels_children_on_two_domains_and_grandchildren() {
    children_on_two_domains_and_grandchildren(true);
}

#[test]
fn a_timeout_cancels_children_on_the_real_clock_too() {
    children_on_two_domains_and_grandchildren(false);
}

/// The issue's code, verbatim: a helper spawned inside a timeout, awaited there; the
/// timeout fires. Before cancel scopes this failed the run with `StillHasChildren`.
#[test]
fn the_issue_example_no_longer_fails_the_run() {
    let r = watchdog(10, || {
        Builder::new().domains(0).virtual_clock().try_run(async {
            let fetch = || sleep(secs(60));
            let v = timeout(Duration::from_millis(20), async {
                let p = miou::spawn(fetch());
                p.await
            })
            .await;
            assert!(v.is_err(), "{v:?}");
            "went on"
        })
    });
    assert_eq!(r.unwrap(), "went on");
}

/// A `Promise` given to `timeout` directly belongs to the scope: when the deadline
/// passes, the child (and its subtree) is cancelled before `Err(Elapsed)` is returned.
/// When the child finishes in time, its result comes back.
#[test]
fn a_timeout_over_a_promise_cancels_the_child() {
    let alive = Alive::new();
    let a = alive.clone();
    let log = watchdog(10, move || {
        Builder::new().domains(1).virtual_clock().run(async move {
            let out = Out::new();
            let start = Instant::now();
            let quick = spawn(async {
                sleep(secs(1)).await;
                1
            });
            let r = timeout(secs(5), quick).await;
            out.push(format!("quick: {r:?} at {:?}", start.elapsed()));
            let a2 = a.clone();
            let slow = call(move || async move {
                let _g = a2.guard();
                let grandchild = spawn(sleep_holding(a2.guard()));
                grandchild.await.map(|()| 2)
            });
            let r = timeout(secs(5), slow).await;
            out.push(format!(
                "slow: {r:?} at {:?}, alive {}",
                start.elapsed(),
                a.live()
            ));
            out.lines()
        })
    });
    assert_eq!(
        log,
        [
            "quick: Ok(Ok(1)) at 1s",
            "slow: Err(Elapsed(())) at 6s, alive 0"
        ]
    );
    assert_eq!(alive.created(), 2);
}

/// A promise created before the timeout and moved into the timed future joins the
/// scope when the future is dropped: cancelled, and the run does not fail.
#[test]
fn a_promise_moved_into_a_timeout_is_cancelled_with_it() {
    let alive = Alive::new();
    let a = alive.clone();
    let live_after = watchdog(10, move || {
        Builder::new().domains(1).virtual_clock().run(async move {
            let p = call({
                let a = a.clone();
                move || sleep_holding(a.guard())
            });
            let r = timeout(secs(1), async move {
                sleep(secs(0)).await;
                p.await
            })
            .await;
            assert!(r.is_err());
            a.live()
        })
    });
    assert_eq!(live_after, 0);
    assert_eq!(alive.created(), 1);
}

/// A child started inside the scope whose promise the future stored outside it is
/// cancelled when the deadline passes, and stays its holder's to await: it gives
/// `Err(Cancelled)`. One that finished before the deadline keeps its value.
#[test]
fn an_escaped_promise_is_cancelled_and_left_to_its_holder() {
    let r = watchdog(10, || {
        Builder::new().domains(1).virtual_clock().run(async {
            let kept: Rc<RefCell<Vec<Promise<u32>>>> = Rc::default();
            let k = kept.clone();
            let r = timeout(secs(10), async move {
                k.borrow_mut().push(spawn(async { 1 }));
                k.borrow_mut().push(call(|| async {
                    sleep(HOUR).await;
                    2
                }));
                // Let the first one finish.
                sleep(secs(1)).await;
                std::future::pending::<()>().await
            })
            .await;
            assert!(r.is_err());
            let ps = std::mem::take(&mut *kept.borrow_mut());
            miou::await_all(ps).await
        })
    });
    assert!(matches!(r[..], [Ok(1), Err(Error::Cancelled)]), "{r:?}");
}

/// When the deadline does not pass, nothing changes: a child the future started and
/// returned is still running, and the caller awaits it.
#[test]
fn a_timeout_that_does_not_fire_changes_nothing() {
    let v = watchdog(10, || {
        Builder::new().domains(0).virtual_clock().run(async {
            let start = Instant::now();
            let p = timeout(secs(1), async {
                spawn(async {
                    sleep(secs(5)).await;
                    "late"
                })
            })
            .await
            .unwrap();
            (p.await.unwrap(), start.elapsed())
        })
    });
    assert_eq!(v, ("late", secs(5)));
}

/// The order of events when a timeout fires, pinned: the timed future is dropped
/// first (its destructors run), then its children are cancelled (here a local one
/// and one on a worker, each logging its destructor), and `timeout` returns last.
#[test]
fn a_firing_timeout_drops_the_future_then_cancels_then_returns() {
    let log = watchdog(10, || {
        Builder::new().domains(1).virtual_clock().run(async {
            let out = Out::new();
            struct Say(Out, &'static str);
            impl Drop for Say {
                fn drop(&mut self) {
                    self.0.push(self.1);
                }
            }
            let (o1, o2, o3) = (out.clone(), out.clone(), out.clone());
            let r = timeout(secs(1), async move {
                let _say = Say(o1, "future dropped");
                let local = spawn(async move {
                    let _say = Say(o2, "local child dropped");
                    sleep(HOUR).await
                });
                let remote = call(move || async move {
                    let _say = Say(o3, "remote child dropped");
                    sleep(HOUR).await
                });
                let _ = local.await;
                let _ = remote.await;
            })
            .await;
            out.push(format!("timeout returned {r:?}"));
            out.lines()
        })
    });
    assert_eq!(log[0], "future dropped");
    assert_eq!(log[3], "timeout returned Err(Elapsed(()))");
    let mut children = log[1..3].to_vec();
    children.sort();
    assert_eq!(children, ["local child dropped", "remote child dropped"]);
}

/// A scope nested in a timeout, dropped while the timeout's scope unwinds: its tasks
/// move to the timeout's scope, which waits for them (they are not just asked to
/// stop).
#[test]
fn a_nested_scope_hands_its_tasks_to_the_unwinding_one() {
    let alive = Alive::new();
    let a = alive.clone();
    let live_after = watchdog(10, move || {
        Builder::new().domains(1).virtual_clock().run(async move {
            let a2 = a.clone();
            let r = timeout(secs(1), async move {
                Scope::new(async move {
                    // One on this domain: it cannot be gone before `timeout` returns
                    // unless `timeout` waits for it. One on the worker.
                    let here = spawn(sleep_holding(a2.guard()));
                    let a3 = a2.clone();
                    let there = call(move || sleep_holding(a3.guard()));
                    let _ = here.await;
                    there.await
                })
                .await
            })
            .await;
            assert!(r.is_err());
            a.live()
        })
    });
    assert_eq!(
        live_after, 0,
        "timeout returned before the inner scope's task was gone"
    );
}

/// `Scope::cancel`: the scope's tasks on every domain are gone when it returns.
#[test]
fn cancelling_a_scope_waits_for_its_tasks() {
    let alive = Alive::new();
    let a = alive.clone();
    let (live_after, order) = watchdog(10, move || {
        Builder::new().domains(2).virtual_clock().run(async move {
            let out = Out::new();
            let (a2, o) = (a.clone(), out.clone());
            let mut s = Scope::new(async move {
                let ps: Vec<_> = (0..3)
                    .map(|_| {
                        let a3 = a2.clone();
                        call(move || sleep_holding(a3.guard()))
                    })
                    .collect();
                o.push("started");
                miou::await_all(ps).await
            });
            let finished = race(&mut s, sleep(secs(1))).await;
            out.push(format!(
                "finished: {finished}, scope finished: {}",
                s.is_finished()
            ));
            s.cancel().await;
            out.push("cancelled");
            (a.live(), out.lines())
        })
    });
    assert_eq!(live_after, 0);
    assert_eq!(alive.created(), 3);
    assert_eq!(
        order,
        [
            "started",
            "finished: false, scope finished: false",
            "cancelled"
        ]
    );
}

/// A scope dropped unfinished by a combinator of another crate (here a hand-made
/// `select!`): its tasks are asked to stop, and since a drop cannot wait, the task that
/// owns the scope reaps them: its return waits for them. The run does not fail, and
/// when the owner's parent sees it complete, their destructors ran.
#[test]
fn a_dropped_scope_leaves_its_tasks_to_be_reaped() {
    let alive = Alive::new();
    let a = alive.clone();
    let r = watchdog(10, move || {
        Builder::new()
            .domains(1)
            .virtual_clock()
            .try_run(async move {
                let a2 = a.clone();
                let owner = spawn(async move {
                    let a3 = a2.clone();
                    let work = Scope::new(async move {
                        let local = spawn(sleep_holding(a3.guard()));
                        let a4 = a3.clone();
                        let remote = call(move || sleep_holding(a4.guard()));
                        let _ = local.await;
                        let _ = remote.await;
                    });
                    let won = race(work, sleep(secs(1))).await;
                    assert!(!won);
                    // The scope was dropped: its tasks are asked to stop, not gone yet.
                    a2.live()
                });
                let live_when_dropped = owner.await.unwrap();
                (live_when_dropped, a.live())
            })
    });
    let (_, live_after_owner) = r.unwrap();
    assert_eq!(
        live_after_owner, 0,
        "the owner completed before its reaped tasks were gone"
    );
    assert_eq!(alive.created(), 2);
}

/// The same for a `timeout` that a combinator of another crate drops before its
/// deadline: its tasks are reaped by the task that awaited it.
#[test]
fn a_dropped_timeout_leaves_its_tasks_to_be_reaped() {
    let alive = Alive::new();
    let a = alive.clone();
    let r = watchdog(10, move || {
        Builder::new()
            .domains(1)
            .virtual_clock()
            .try_run(async move {
                let a2 = a.clone();
                let owner = spawn(async move {
                    let a3 = a2.clone();
                    let timed = timeout(HOUR, async move {
                        let a4 = a3.clone();
                        let remote = call(move || sleep_holding(a4.guard()));
                        let local = spawn(sleep_holding(a3.guard()));
                        let _ = remote.await;
                        let _ = local.await;
                    });
                    assert!(!race(timed, sleep(secs(1))).await);
                });
                owner.await.unwrap();
                a.live()
            })
    });
    assert_eq!(
        r.unwrap(),
        0,
        "the owner completed before its reaped tasks were gone"
    );
    assert_eq!(alive.created(), 2);
}

/// A task that drops scopes in a loop: each round's task is asked to stop when its
/// scope is dropped, and is gone by the next round; the root's return reaps the last.
/// (That the finished ones are also settled as the loop goes, rather than piling up
/// in the family table, is checked by `scope::tests` inside the crate.)
#[test]
fn dropped_scopes_in_a_loop_are_reaped_as_they_go() {
    let alive = Alive::new();
    let a = alive.clone();
    let live_per_round = watchdog(10, move || {
        Builder::new().domains(0).virtual_clock().run(async move {
            let mut live = Vec::new();
            for _ in 0..5 {
                let a2 = a.clone();
                let work = Scope::new(async move {
                    let p = spawn(sleep_holding(a2.guard()));
                    let _ = p.await;
                });
                race(work, sleep(secs(1))).await;
                live.push(a.live());
            }
            live
        })
    });
    // Each round's task is asked to stop when its scope is dropped; it is gone by the
    // next round (it ran its teardown while the loop slept).
    assert_eq!(live_per_round, [1, 1, 1, 1, 1]);
    assert_eq!(alive.live(), 0);
}

/// A `cancel` dropped while it waits (a `select!` of another crate again): the child
/// was asked to cancel, and its promise is gone with the `cancel`: the parent reaps it
/// instead of failing the run.
#[test]
fn a_dropped_cancel_is_reaped() {
    let alive = Alive::new();
    let a = alive.clone();
    let r = watchdog(10, move || {
        Builder::new()
            .domains(1)
            .virtual_clock()
            .try_run(async move {
                let a2 = a.clone();
                let p = call(move || sleep_holding(a2.guard()));
                // First turn: the cancel passes its scheduling point; the second: it asks
                // the child to cancel and parks, the yield is done, the cancel is dropped.
                race(cancel(p), yield_now()).await;
            })
    });
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(
        alive.live(),
        0,
        "the run ended before the reaped child was gone"
    );
}

/// A promise dropped outside any scope by a combinator of another crate is still a
/// forgotten child; the failure says what to use instead.
#[test]
fn a_promise_dropped_by_a_foreign_select_names_the_remedies() {
    let f = watchdog(10, || {
        Builder::new()
            .domains(0)
            .virtual_clock()
            .try_run_detailed(async {
                let p = spawn(sleep(HOUR));
                race(p.into_future(), sleep(secs(1))).await;
            })
    })
    .unwrap_err();
    assert!(matches!(f.error(), Error::StillHasChildren));
    let text = f.to_string();
    for remedy in ["select!", "await_first", "time::timeout", "Scope"] {
        assert!(text.contains(remedy), "{remedy} not in: {text}");
    }
}

/// Only the task that first polled a scope may poll it again.
#[test]
fn a_scope_belongs_to_the_task_that_polled_it() {
    let msg = watchdog(10, || {
        Builder::new().domains(0).run(async {
            let mut s = Box::pin(Scope::new(std::future::pending::<()>()));
            let _ = race(s.as_mut(), std::future::ready(())).await;
            let p = spawn(async move {
                let _ = race(s.as_mut(), std::future::ready(())).await;
            });
            match p.await {
                Err(Error::Panicked(p)) => p.message().unwrap_or_default().to_string(),
                other => panic!("{other:?}"),
            }
        })
    });
    assert!(msg.contains("belongs to task 1@0"), "{msg}");
}

/// Nor may another task cancel it: the scope's tasks are its owner's children. (Before,
/// such a cancel dropped the future and cancelled nothing, and the owner's children in
/// it were left for the run to find.)
#[test]
fn only_the_task_that_polled_a_scope_cancels_it() {
    let msg = watchdog(10, || {
        Builder::new().domains(0).run(async {
            let mut s = Scope::new(std::future::pending::<()>());
            let _ = race(&mut s, std::future::ready(())).await;
            let p = spawn(async move { s.cancel().await });
            match p.await {
                Err(Error::Panicked(p)) => p.message().unwrap_or_default().to_string(),
                other => panic!("{other:?}"),
            }
        })
    });
    assert!(
        msg.contains("belongs to task 1@0, but task 2@0 cancelled it"),
        "{msg}"
    );
}

/// A scope, and a timeout, are `Send` when their future is, as before: code that hands
/// a timed future to an API wanting `Send` (hyper's executor, say) still compiles.
#[test]
fn scopes_are_send_when_their_future_is() {
    fn send<T: Send>(_: &T) {}
    let t = timeout(secs(1), async { 1 });
    send(&t);
    let s = Scope::new(async { 1 });
    send(&s);
}
