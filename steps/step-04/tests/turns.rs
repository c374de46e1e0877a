//! The turns of the chapter's examples, worked out by hand from the rules of
//! step 4: a turn is one poll with a budget of `quanta` points (none for a
//! task's first run); a task that waits parks and is not polled until its
//! waker is called; between turns, the clock is asked what is due, and when
//! nothing can run a virtual clock jumps to the next deadline.

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

#[path = "../demo/runs.rs"]
#[allow(dead_code)]
mod runs;

use runs::{first, parked_parent, sleepers};
use step_04::clock::{Clock, RealClock, VirtualClock};
use step_04::events::{suspend, syscall};
use step_04::report::Report;
use step_04::{Task, run};

/// A turn as `(task, what it did, how it ended)`.
fn turns(report: &Report) -> Vec<(String, String, String)> {
    let turn = |t: &step_04::report::Turn| {
        (t.task.clone(), t.did.join(", "), t.end.clone())
    };
    report.turns.iter().map(turn).collect()
}

fn t(task: &str, did: &str, end: &str) -> (String, String, String) {
    (task.to_string(), did.to_string(), end.to_string())
}

#[test]
fn a_parent_waiting_for_its_child_parks_instead_of_spinning() {
    // main spawns, passes the await's point, finds the child unfinished and
    // parks. The child's completion wakes it; in step 3 main had a turn in
    // between that did nothing.
    let report = parked_parent();
    assert_eq!(
        turns(&report),
        [
            t("main", "start", "queued at spawn child"),
            t("main", "spawn child, await child", "parked at await child"),
            t("child", "start", "queued at print \"c\""),
            t("child", "print \"c\"", "finished"),
            t("main", "await child, print \"done\"", "finished"),
        ]
    );
    assert_eq!(report.empty_turns(), 0);
    // The child's completion put main back in the list.
    assert_eq!(report.turns[3].queue, ["main"]);
}

#[test]
fn sleepers_wake_in_deadline_order_at_their_virtual_times() {
    let clock = VirtualClock::default();
    let report = sleepers(clock.clone(), 1);
    assert_eq!(
        report.output,
        ["b wakes up at 1", "c wakes up at 2", "a wakes up at 3"]
    );
    assert_eq!(report.empty_turns(), 0);
    let timers = clock.timers().borrow();
    let jumps: Vec<&str> = timers.log.iter().map(|(_, w)| w.as_str()).collect();
    assert_eq!(jumps, ["jumps to 1", "jumps to 2", "jumps to 3"]);
    // Three blocking selects, one per deadline, each releasing one sleeper.
    let blocking: Vec<_> = report.selects.iter().filter(|s| s.block).collect();
    assert_eq!(blocking.len(), 3);
    let woke: Vec<&str> = blocking.iter().map(|s| s.woke[0].as_str()).collect();
    assert_eq!(woke, ["b", "c", "a"]);
    assert_eq!(clock.now(), 3);
}

#[test]
fn a_cancelled_sleep_is_forgotten_and_never_waited_for() {
    let clock = VirtualClock::default();
    let report = first(clock.clone());
    assert_eq!(report.output, ["the short sleep ended first at 2"]);
    let timers = clock.timers().borrow();
    assert_eq!(timers.log[0], (2, "jumps to 2".to_string()));
    assert_eq!(
        timers.log[1],
        (2, "forgets syscall 1 (due at 5)".to_string())
    );
    // The run ended at 2: nobody waited for the forgotten deadline.
    assert_eq!(clock.now(), 2);
}

#[test]
fn a_sleep_dropped_before_its_point_is_forgotten_too() {
    // A race: a print and a sleep of 5. The print wins in the turn in which
    // the sleep is still queued at its point; the sleep, already registered
    // with the clock, is dropped there. Another task sleeps 10: the clock
    // must go straight to 10, never stopping at the forgotten 5.
    use std::future::Future;
    let clock = VirtualClock::default();
    let (c1, c2) = (clock.clone(), clock.clone());
    let racer = Task::new("racer", async move {
        let mut print = Box::pin(step_04::print("x"));
        let mut sleep = Box::pin(step_04::clock::sleep(&c1, 5));
        poll_fn(|cx| {
            if print.as_mut().poll(cx).is_ready() {
                return Poll::Ready(());
            }
            let _ = sleep.as_mut().poll(cx);
            Poll::Pending
        })
        .await;
    });
    let other = Task::new("other", async move {
        step_04::clock::sleep(&c2, 10).await;
    });
    run(1, clock.clone(), vec![racer, other]);
    let timers = clock.timers().borrow();
    let log: Vec<&str> = timers.log.iter().map(|(_, w)| w.as_str()).collect();
    assert_eq!(log, ["forgets syscall 1 (due at 5)", "jumps to 10"]);
}

#[test]
fn a_task_that_wakes_itself_during_its_poll_runs_again() {
    // It wakes itself, then returns Pending without yielding: it parks, and
    // the wake-up recorded during the poll puts it straight back.
    let polls = Rc::new(Cell::new(0));
    let p = Rc::clone(&polls);
    let task = Task::new(
        "t",
        poll_fn(move |cx| {
            p.set(p.get() + 1);
            if p.get() == 1 {
                cx.waker().wake_by_ref();
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        }),
    );
    let report = run(1, VirtualClock::default(), vec![task]);
    // Woken twice, queued once: two polls in all.
    assert_eq!(polls.get(), 2);
    assert_eq!(report.turns.len(), 2);
}

#[test]
fn the_real_clock_wakes_sleepers_in_deadline_order() {
    let clock = RealClock::new();
    let report = sleepers(clock.clone(), 5);
    let order: Vec<&str> = report.output.iter().map(|l| &l[..1]).collect();
    assert_eq!(order, ["b", "c", "a"]);
    assert!(clock.now() >= 15, "a slept 15 ms at least");
}

#[test]
fn a_parked_task_is_not_polled_again_until_woken() {
    // `waiter` parks on a waker it leaves in a shared slot; `busy` yields ten
    // times, then wakes it. However many turns `busy` takes, `waiter` is
    // polled twice: once to park, once when woken.
    let polls = Rc::new(Cell::new(0));
    let slot: Rc<Cell<Option<std::task::Waker>>> = Rc::default();
    let (p, s) = (Rc::clone(&polls), Rc::clone(&slot));
    let waiter = Task::new(
        "waiter",
        poll_fn(move |cx| {
            p.set(p.get() + 1);
            if p.get() == 1 {
                s.set(Some(cx.waker().clone()));
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        }),
    );
    let busy = Task::new("busy", async move {
        for _ in 0..10 {
            step_04::yield_now().await;
        }
        slot.take().expect("the waiter parked").wake();
    });
    let report = run(1, VirtualClock::default(), vec![waiter, busy]);
    assert_eq!(polls.get(), 2);
    assert_eq!(
        report.turns.iter().filter(|t| t.task == "waiter").count(),
        2
    );
    assert_eq!(report.empty_turns(), 0);
}

#[test]
#[should_panic(expected = "nothing can run and nobody sleeps")]
fn waiting_for_a_syscall_no_backend_knows_is_reported() {
    // The syscall is never registered with the clock: when nothing else can
    // run, the clock has no deadline to jump to.
    let main = Task::new("main", async {
        suspend(syscall()).await;
    });
    run(1, VirtualClock::default(), vec![main]);
}
