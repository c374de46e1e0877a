//! The observable orders the scheduling policy fixes, derived by hand from the policy
//! and written literally.
//!
//! The policy (lib.rs, "The scheduling policy"): each domain has a FIFO run queue; a
//! scheduling point is every `.await` on a miou operation; a turn passes at most
//! `quanta` points, and at the next one the task goes to the back of the queue, the
//! operation being done when it comes back ("yield, then do": that operation uses the
//! first point of the next turn). A new task's first turn has no points: it runs to its
//! first scheduling point and yields there. `yield_now` always ends the turn, and when
//! the task comes back it uses one point of the new turn. An operation that had to wait
//! (parked) uses one point of the turn in which it completes. `spawn` and `Hook::add`
//! are not scheduling points. Before each step the domain runs its hooks, most recently
//! added first.
//!
//! Every run here is on `domains(0)`: one thread, fully deterministic.

mod common;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use common::{Out, exn, forever, watchdog};
use miou::trace::{TraceEvent, TraceKind};
use miou::{Builder, Hook, Promise, TaskId, cancel, spawn, yield_now};

fn one_domain(quanta: usize) -> Builder {
    Builder::new().domains(0).quanta(quanta)
}

/// Miou's `test01` (`test/test_core.ml`), for every quanta: the root's first turn has
/// no budget, so whatever the quanta it yields at `p.await`, after logging "World";
/// then p runs.
#[test]
fn test01_world_then_hello_for_any_quanta() {
    for quanta in 1..=4 {
        let out = Out::new();
        let o = out.clone();
        watchdog(10, move || {
            one_domain(quanta).run(async move {
                let o2 = o.clone();
                let p = spawn(async move { o2.push("Hello") });
                o.push("World");
                exn(p.await);
            })
        });
        assert_eq!(out.text(), "World\nHello\n", "quanta {quanta}");
    }
}

/// Miou's `test10` (`test/test_core.ml`), for every quanta: `yield_now` ends the turn
/// whatever the quanta, and p, queued by the spawn, is ahead of the root.
#[test]
fn test10_hello_then_world_for_any_quanta() {
    for quanta in 1..=4 {
        let out = Out::new();
        let o = out.clone();
        watchdog(10, move || {
            one_domain(quanta).run(async move {
                let o2 = o.clone();
                let p = spawn(async move { o2.push("Hello") });
                yield_now().await;
                o.push("World");
                exn(p.await);
            })
        });
        assert_eq!(out.text(), "Hello\nWorld\n", "quanta {quanta}");
    }
}

/// Round robin is FIFO: three tasks that log and `yield_now` three times interleave
/// `123123123` for any quanta (each `yield_now` ends the turn).
#[test]
fn yield_now_is_round_robin_for_any_quanta() {
    for quanta in 1..=3 {
        let out = Out::new();
        let o = out.clone();
        watchdog(10, move || {
            one_domain(quanta).run(async move {
                let ps: Vec<_> = (1..=3)
                    .map(|i| {
                        let o = o.clone();
                        spawn(async move {
                            for _ in 0..3 {
                                o.push(i.to_string());
                                yield_now().await;
                            }
                        })
                    })
                    .collect();
                for r in miou::await_all(ps).await {
                    r.unwrap();
                }
            })
        });
        assert_eq!(out.joined(), "123123123", "quanta {quanta}");
    }
}

/// The scheduling point the A/B loops pass at each iteration: awaiting, or cancelling,
/// a child that has already returned. Either is exactly one point, and never parks.
#[derive(Clone, Copy, Debug)]
enum Point {
    AwaitFinished,
    CancelFinished,
}

/// A task of the A/B test. Its first turn logs its lower-case name, spawns `n` children
/// that return at once, and yields (so that they run); then each iteration logs its
/// name and passes one scheduling point on a finished child.
async fn looper(name: char, out: Out, n: usize, point: Point) {
    out.push(name.to_ascii_lowercase().to_string());
    let kids: Vec<Promise<()>> = (0..n).map(|_| spawn(async {})).collect();
    yield_now().await;
    for kid in kids {
        out.push(name.to_string());
        match point {
            Point::AwaitFinished => kid.await.unwrap(),
            Point::CancelFinished => cancel(kid).await,
        }
    }
}

fn alternation(quanta: usize, point: Point) -> String {
    let out = Out::new();
    let o = out.clone();
    watchdog(10, move || {
        one_domain(quanta).run(async move {
            let a = spawn(looper('A', o.clone(), 4, point));
            let b = spawn(looper('B', o.clone(), 4, point));
            exn(a.await);
            exn(b.await);
        })
    });
    out.joined()
}

/// A and B each loop 4 times on a scheduling point that is not `yield_now`.
///
/// Derivation, quanta 1. Queue [R]. R's first turn (no budget) spawns A, B and yields
/// at `a.await`: [A B R]. A's first turn logs `a`, spawns kA0-3, yields: [B R kA A].
/// B likewise logs `b`: [R kA A kB B]. R passes its point, A is not done: R parks. The
/// kA run and return. A's turn: the `yield_now` uses the only point; A logs `A` and
/// yields at the await of kA0: [kB B A]. The kB return. B logs `B` and yields: [A B].
/// From then on each turn of A completes the pending await (its one point), logs `A`,
/// and yields at the next await; same for B: `ABABABAB`, and A's fifth turn completes
/// the await of kA3 and returns.
///
/// Quanta 3. Same first turns (`ab`, no budget). A's second turn: the `yield_now` uses
/// one point, then `A`, await kA0 (2nd point), `A`, await kA1 (3rd point), `A`, await
/// kA2: no point left, yield. So `AAA`, then B's `BBB`. A's third turn: await kA2 (1st
/// point), `A`, await kA3 (2nd), the loop ends, A returns. Then B: `B`, returns.
///
/// Quanta 2: `AA BB AA BB`, and the third turns only complete the last await.
#[test]
fn a_b_alternation_on_awaits_of_finished_children() {
    let p = Point::AwaitFinished;
    assert_eq!(alternation(1, p), "abABABABAB");
    assert_eq!(alternation(2, p), "abAABBAABB");
    assert_eq!(alternation(3, p), "abAAABBBAB");
}

/// The same loops with `cancel` of a finished child as the scheduling point: `cancel`
/// passes one point and, the child being complete, does not park (its value is just
/// dropped). Same orders as with `.await`.
#[test]
fn a_b_alternation_on_cancels_of_finished_children() {
    let p = Point::CancelFinished;
    assert_eq!(alternation(1, p), "abABABABAB");
    assert_eq!(alternation(2, p), "abAABBAABB");
    assert_eq!(alternation(3, p), "abAAABBBAB");
}

/// Miou test 38 adapted (see `catalogue.rs` for the literal port). In Rust `Hook::add`
/// and `Hook::remove` are not scheduling points, so hooks added in a turn first run
/// before the domain's next step. Program: add h1, spawn p, add h2 (logs then panics),
/// log `root`, `yield_now`, log `root2`, remove h1, await p.
///
/// Derivation. Step 1: no hook yet; the root's first turn does everything up to the
/// `yield_now`: `root`; queue [p R]. Step 2: hooks, most recent first: h2 logs `h2` and
/// panics (removed), h1 logs `h1`; then p logs `p` and returns. Step 3: h1 logs `h1`;
/// the root logs `root2`, removes h1, and yields at `p.await` (the `yield_now` used the
/// turn's only point). Step 4: no hook left; the root completes.
#[test]
fn hooks_run_before_every_step_most_recent_first() {
    for quanta in [1, 2] {
        let out = Out::new();
        let o = out.clone();
        watchdog(10, move || {
            one_domain(quanta).run(async move {
                let o1 = o.clone();
                let h1 = Hook::add(move || o1.push("h1"));
                let op = o.clone();
                let p = spawn(async move { op.push("p") });
                let o2 = o.clone();
                let _h2 = Hook::add(move || {
                    o2.push("h2");
                    panic!("h2");
                });
                o.push("root");
                yield_now().await;
                o.push("root2");
                h1.remove();
                exn(p.await);
            })
        });
        assert_eq!(
            out.lines(),
            ["root", "h2", "h1", "p", "h1", "root2"],
            "quanta {quanta}"
        );
    }
}

/// Runs the root built by `make` on one domain with quanta 1 and returns its trace as
/// lines `"<task> <event>"`, its `Wake`s too if `wakes`. Tasks are named by `names` in
/// order of appearance: the first task seen is the root, then each spawned task takes
/// the next name.
fn traced<F>(
    names: &'static [&'static str],
    wakes: bool,
    make: impl FnOnce() -> F + Send + 'static,
) -> Vec<String>
where
    F: Future<Output = ()> + 'static,
{
    let events: Arc<Mutex<Vec<TraceEvent>>> = Arc::default();
    let e = events.clone();
    watchdog(10, move || {
        Builder::new()
            .domains(0)
            .quanta(1)
            .trace(move |ev| e.lock().unwrap().push(ev.clone()))
            .run(make())
    });
    let events = events.lock().unwrap().clone();
    let mut name: HashMap<TaskId, &str> = HashMap::new();
    let mut fresh = names.iter();
    let mut lines = Vec::new();
    for ev in events {
        assert_eq!(ev.domain.index(), 0, "{ev:?}");
        if ev.kind == TraceKind::Wake && !wakes {
            continue;
        }
        let who = *name
            .entry(ev.task)
            .or_insert_with(|| fresh.next().expect("more tasks than names"));
        let what = match &ev.kind {
            TraceKind::Spawn { parent, runner } => {
                format!("Spawn by {} on {}", name[parent], runner.index())
            }
            TraceKind::Resume => "Resume".into(),
            TraceKind::Yield => "Yield".into(),
            TraceKind::Park => "Park".into(),
            TraceKind::Wake => "Wake".into(),
            TraceKind::Cancel => "Cancel".into(),
            TraceKind::Panic => "Panic".into(),
            TraceKind::Finish { ok: true } => "Finish ok".into(),
            TraceKind::Finish { ok: false } => "Finish err".into(),
            other => format!("{other:?}"),
        };
        lines.push(format!("{who} {what}"));
    }
    lines
}

/// The root of the next two tests.
async fn spawn_yield_await() {
    let p = spawn(async {
        yield_now().await;
        7
    });
    assert_eq!(exn(p.await), 7);
}

/// `p = spawn(async { yield_now().await; 7 }); p.await` with quanta 1.
///
/// Derivation. The root R resumes (its first turn), spawns p (not a scheduling point)
/// and yields at `p.await` (no budget in a first turn). p resumes and yields at
/// `yield_now`. R resumes, the await uses its point, p is not finished: R parks. p
/// resumes, `yield_now` completes, p returns: it finishes, which wakes R. R resumes,
/// takes the value and returns.
#[test]
fn trace_of_spawn_yield_await() {
    let lines = traced(&["R", "p"], false, spawn_yield_await);
    assert_eq!(
        lines,
        [
            "R Resume",
            "p Spawn by R on 0",
            "R Yield",
            "p Resume",
            "p Yield",
            "R Resume",
            "R Park",
            "p Resume",
            "p Finish ok",
            "R Resume",
            "R Finish ok",
        ]
    );
}

/// The same run as [`trace_of_spawn_yield_await`], wakes included.
///
/// Derivation. A spawned task is queued directly and a yielding one is put back by the
/// loop: neither is a wake. The only wake is R's: it parked awaiting p, and p's
/// completion wakes it, right after p's `Finish` (the result is published, then the
/// waiter woken), before R's next turn.
#[test]
fn wake_is_reported_where_the_task_is_queued() {
    let lines = traced(&["R", "p"], true, spawn_yield_await);
    assert_eq!(
        lines,
        [
            "R Resume",
            "p Spawn by R on 0",
            "R Yield",
            "p Resume",
            "p Yield",
            "R Resume",
            "R Park",
            "p Resume",
            "p Finish ok",
            "R Wake",
            "R Resume",
            "R Finish ok",
        ]
    );
}

/// A task woken during its own turn, whose turn then ends in a park (a foreign future
/// that wakes its waker and returns `Pending`), goes back to the queue at once; its
/// `Wake` is reported at the end of that turn, right after the `Park`.
///
/// Derivation. R's first turn polls the foreign future, which wakes R's waker and
/// returns `Pending` (no miou point is passed, so the turn ends in a park, not a
/// yield). The wake came during the turn, so R
/// is queued again at once: `Park`, `Wake`, then R's next turn, in which the future is
/// ready and R returns.
#[test]
fn a_wake_during_the_turn_is_reported_when_the_turn_parks() {
    let lines = traced(&["R"], true, || async {
        let mut woke = false;
        std::future::poll_fn(|cx| {
            if woke {
                std::task::Poll::Ready(())
            } else {
                woke = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
    });
    assert_eq!(
        lines,
        ["R Resume", "R Park", "R Wake", "R Resume", "R Finish ok"]
    );
}

/// A wake from another thread is reported by the task's own domain, when it takes the
/// task back from its mailbox: after the waker's event, before the task's next turn.
#[test]
fn a_wake_from_another_domain_is_reported_by_the_runner() {
    let events: Arc<Mutex<Vec<TraceEvent>>> = Arc::default();
    let e = events.clone();
    watchdog(10, move || {
        Builder::new()
            .domains(1)
            .trace(move |ev| e.lock().unwrap().push(ev.clone()))
            .run(async {
                // The child sleeps, so the root is parked on it when it finishes.
                let p = miou::call(|| async {
                    miou::time::sleep(std::time::Duration::from_millis(50)).await;
                });
                exn(p.await);
            })
    });
    let events = events.lock().unwrap();
    let root = events[0].task;
    let at = |task_is_root: bool, kind: TraceKind| {
        events
            .iter()
            .position(|ev| (ev.task == root) == task_is_root && ev.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} in {events:#?}"))
    };
    let finish = at(false, TraceKind::Finish { ok: true });
    assert_eq!(
        events[finish].domain.index(),
        1,
        "the child ran on the worker"
    );
    let park = at(true, TraceKind::Park);
    let wakes: Vec<usize> = (0..events.len())
        .filter(|&i| events[i].task == root && events[i].kind == TraceKind::Wake)
        .collect();
    assert_eq!(wakes.len(), 1, "{events:#?}");
    let wake = wakes[0];
    assert_eq!(
        events[wake].domain.index(),
        0,
        "reported by the root's domain"
    );
    assert!(park < finish && finish < wake, "{events:#?}");
    let next_turn = (wake..events.len())
        .find(|&i| events[i].task == root && events[i].kind == TraceKind::Resume)
        .expect("the root runs again");
    assert!(wake < next_turn);
}

/// `a = spawn(loop yield); b = spawn(panic); yield_now; cancel(a); b.await` with
/// quanta 1.
///
/// Derivation. R spawns a and b and yields: [a b R]. a yields in its loop: [b R a]. b
/// panics in its first turn: Panic, then it finishes with an error. R resumes, its
/// `yield_now` uses the point, so `cancel` yields: [a R]. a resumes and yields again:
/// [R a]. R resumes, `cancel` uses the point and asks a to cancel (a is already queued),
/// then R parks until a is gone. a's next turn is its teardown: it finishes with an
/// error and wakes R. R resumes, the wait used the point, so `b.await` yields; R
/// resumes, takes b's `Err(Panicked)` and returns.
#[test]
fn trace_of_panic_and_cancel() {
    let lines = traced(&["R", "a", "b"], false, || async {
        let a = spawn(forever());
        let b = spawn(async { panic!("b") });
        yield_now().await;
        cancel(a).await;
        assert!(matches!(b.await, Err(miou::Error::Panicked(_))));
    });
    assert_eq!(
        lines,
        [
            "R Resume",
            "a Spawn by R on 0",
            "b Spawn by R on 0",
            "R Yield",
            "a Resume",
            "a Yield",
            "b Resume",
            "b Panic",
            "b Finish err",
            "R Resume",
            "R Yield",
            "a Resume",
            "a Yield",
            "R Resume",
            "a Cancel",
            "R Park",
            "a Resume",
            "a Finish err",
            "R Resume",
            "R Yield",
            "R Resume",
            "R Finish ok",
        ]
    );
}

/// A backend of the program's own is asked for events (`select(false)`) after every
/// turn while a task is suspended on a syscall: only the built-in backend, whose look
/// is a system call, is asked less often. A simulation relies on it.
///
/// Derivation. R spawns s (which suspends on a syscall the backend keeps) and b (which
/// yields three times), then awaits b: with quanta 1, each turn of b ends at its
/// `yield_now`. From s's suspension on, every turn is followed by a `select`; the
/// backend releases s at the select after b's third turn.
#[test]
fn a_backend_of_ones_own_is_asked_after_every_turn() {
    use miou::{Events, Interrupter, Signal, Syscall, SyscallId};
    type Log = Arc<Mutex<Vec<&'static str>>>;
    struct Counting {
        log: Log,
        pending: Arc<Mutex<Vec<Syscall>>>,
    }
    impl Events for Counting {
        fn select(&mut self, _block: bool, _: &[SyscallId]) -> Vec<Signal> {
            let mut log = self.log.lock().unwrap();
            log.push("select");
            if log.iter().filter(|e| **e == "b").count() == 3 {
                return self
                    .pending
                    .lock()
                    .unwrap()
                    .drain(..)
                    .map(|s| s.signal())
                    .collect();
            }
            Vec::new()
        }
        fn interrupter(&self) -> Interrupter {
            Interrupter::new(|| {})
        }
    }
    let log: Log = Arc::default();
    let pending: Arc<Mutex<Vec<Syscall>>> = Arc::default();
    let (l, p) = (log.clone(), pending.clone());
    let (l2, p2) = (log.clone(), pending.clone());
    watchdog(10, move || {
        Builder::new()
            .domains(0)
            .quanta(1)
            .events(move |_| Counting {
                log: l.clone(),
                pending: p.clone(),
            })
            .run(async move {
                let (ls, lb) = (l2.clone(), l2.clone());
                let s = spawn(async move {
                    let call = miou::syscall();
                    p2.lock().unwrap().push(call.clone());
                    ls.lock().unwrap().push("s suspends");
                    miou::suspend(call).await;
                    ls.lock().unwrap().push("s released");
                });
                let b = spawn(async move {
                    for _ in 0..3 {
                        lb.lock().unwrap().push("b");
                        yield_now().await;
                    }
                });
                exn(b.await);
                exn(s.await);
            })
    });
    let log = log.lock().unwrap();
    let from = log.iter().position(|e| *e == "s suspends").unwrap();
    let to = log.iter().position(|e| *e == "s released").unwrap();
    let between: Vec<&str> = log[from..to].to_vec();
    // s's first turn ends at suspend's point (no select: nothing is suspended yet); its
    // second suspends, and each turn from then on is followed by a select.
    let bs = between.iter().filter(|e| **e == "b").count();
    assert!(bs >= 1, "{between:?}");
    for (i, e) in between.iter().enumerate() {
        if *e == "b" {
            assert_eq!(
                between.get(i + 1),
                Some(&"select"),
                "a turn of b without a select after it: {between:?}"
            );
        }
    }
}
