//! The rules of the task tree, each broken or kept once, with the results
//! worked out by hand from the rules of step 6: children are awaited or
//! cancelled; only the parent awaits or cancels; cancelling stops the
//! children first and waits for them; a panic fails the task, its children
//! cancelled; orphans are ordinary children.

#[path = "../demo/runs.rs"]
#[allow(dead_code)]
mod runs;

use runs::on_clock;
use step_06::clock::sleep;
use step_06::examples::{
    Guard, background, cancel_a_tree, family, forgotten, not_a_child, panicking,
};
use step_06::{Error, Task, print, run, spawn};

/// Runs `body` with panics kept off stderr (a panicking task is an error of
/// the run's, which the test checks), then puts the default hook back, so
/// that the other tests' failures still print their messages.
fn with_quiet_panics<R>(body: impl FnOnce() -> R) -> R {
    std::panic::set_hook(Box::new(|_| {}));
    let result = body();
    let _ = std::panic::take_hook();
    result
}

#[test]
fn awaited_children_give_their_values() {
    let report = on_clock(|_| family());
    assert_eq!(report.output, ["a: Ok(11), b: Ok(20)"]);
    assert_eq!(report.result, Ok(()));
}

#[test]
fn a_forgotten_child_fails_the_run_and_is_cancelled() {
    let report = on_clock(forgotten);
    // main printed, returned with its child left: the run fails, and the
    // sleeper, which never woke up, was cancelled (its guard dropped).
    assert_eq!(report.output, ["main returns", "sleeper dropped"]);
    assert_eq!(report.result, Err(Error::StillHasChildren));
}

#[test]
fn only_the_parent_may_cancel() {
    let report = on_clock(|_| not_a_child());
    assert_eq!(
        report.output,
        ["b cancelling a: Err(NotAChild)", "main awaiting a: Ok(1)"]
    );
    assert_eq!(report.result, Ok(()));
}

#[test]
fn cancelling_stops_the_children_first_and_waits_for_them() {
    let report = on_clock(cancel_a_tree);
    assert_eq!(
        report.output,
        [
            "grandchild dropped",
            "child dropped",
            "parent dropped",
            "cancel returned",
            "parent: Err(Cancelled)",
        ]
    );
    // The teardown turns: each level asks the one below to stop and parks;
    // the futures are dropped from the bottom up.
    let ends: Vec<(&str, &str)> = report
        .turns
        .iter()
        .skip(12)
        .take(7)
        .map(|t| (t.task.as_str(), t.end.as_str()))
        .collect();
    assert_eq!(
        ends,
        [
            ("main", "parked at cancel parent"),
            ("parent", "parked at teardown"),
            ("child", "parked at teardown"),
            ("grandchild", "cancelled"),
            ("child", "cancelled"),
            ("parent", "cancelled"),
            ("main", "queued at print \"cancel returned\""),
        ]
    );
}

#[test]
fn a_panic_fails_the_task_after_its_children_are_cancelled() {
    let report = with_quiet_panics(|| on_clock(panicking));
    // The panic unwinds through the worker's own frame first (its guard is
    // dropped then); the helper is cancelled before the parent's await
    // returns the error.
    assert_eq!(
        report.output,
        [
            "worker dropped",
            "helper dropped",
            "awaiting worker: Err(Panicked(\"the worker gave up\"))",
        ]
    );
    assert_eq!(report.result, Ok(()));
}

#[test]
fn orphans_are_reaped_as_they_finish() {
    let report = on_clock(background);
    // Jobs of 3, 1, 4, 1, 5 ticks; main looks at ticks 1, 2 and 3, then
    // awaits the rest in spawn order.
    assert_eq!(
        report.output,
        [
            "at 1: reaped the job of 1",
            "at 1: reaped the job of 1",
            "at 3: reaped the job of 3",
            "at the end: the job of 4",
            "at the end: the job of 5",
        ]
    );
}

#[test]
fn forgetting_an_orphan_is_forgetting_a_child() {
    let report = on_clock(|clock| async move {
        let jobs = step_06::Orphans::new();
        jobs.spawn("job", async move { sleep(&clock, 1).await })
            .await;
    });
    assert_eq!(report.result, Err(Error::StillHasChildren));
}

#[test]
fn a_child_cancelled_before_it_started_never_runs() {
    // Under quanta 2, main's second turn spawns the child and passes the
    // point of its cancel: the child is asked to stop before its first run.
    let main = Task::new("main", async {
        let child = spawn("child", async {
            let _guard = Guard("child");
            print("the child ran").await;
        })
        .await;
        child.cancel().await.unwrap();
    });
    let clock = step_06::clock::VirtualClock::default();
    let report = run(2, clock, vec![main]);
    // Its future was dropped before its first poll: its body never ran, so
    // not even its guard existed.
    assert!(report.output.is_empty(), "{:?}", report.output);
    assert_eq!(report.result, Ok(()));
    let child: Vec<String> = report
        .turns
        .iter()
        .filter(|t| t.task == "child")
        .map(|t| t.did.join(", "))
        .collect();
    assert_eq!(child, ["drop"]);
}

#[test]
fn the_run_fails_but_every_other_task_is_cancelled_first() {
    // One root breaks the rule; another root, asleep, is cancelled.
    let clock = step_06::clock::VirtualClock::default();
    let (c1, c2) = (clock.clone(), clock.clone());
    let breaker = Task::new("breaker", async move {
        let _forgotten = spawn("x", async move { sleep(&c1, 50).await }).await;
    });
    let sleeper = Task::new("sleeper", async move {
        let _guard = Guard("sleeper");
        sleep(&c2, 100).await;
    });
    let report = run(1, clock.clone(), vec![breaker, sleeper]);
    assert_eq!(report.result, Err(Error::StillHasChildren));
    assert_eq!(report.output, ["sleeper dropped"]);
    // Nobody waited for the sleepers' deadlines.
    use step_06::clock::Clock;
    assert_eq!(clock.now(), 0);
}

#[test]
fn only_the_parent_may_await_and_the_promise_is_gone() {
    // b awaits its sibling a: NotAChild, and the promise went with the await,
    // so main can never settle a, and the run fails.
    let report = on_clock(|_| async {
        let a = spawn("a", async { 1 }).await;
        let b = spawn("b", async move {
            let tried = a.await;
            print(format!("b awaiting a: {tried:?}")).await;
        })
        .await;
        b.await.unwrap();
    });
    assert_eq!(report.output, ["b awaiting a: Err(NotAChild)"]);
    assert_eq!(report.result, Err(Error::StillHasChildren));
}

#[test]
fn a_cancelled_task_with_a_finished_child_it_never_awaited_is_cancelled() {
    // parent's child has returned, but parent has not awaited it yet when it
    // is cancelled: nothing is left to stop, and parent is cancelled at once.
    let report = on_clock(|clock| async move {
        let parent = spawn("parent", async move {
            let _guard = Guard("parent");
            let child = spawn("child", async { 7 }).await;
            sleep(&clock, 5).await;
            child.await.unwrap();
        })
        .await;
        step_06::yield_now().await;
        step_06::yield_now().await;
        step_06::yield_now().await;
        parent.cancel().await.unwrap();
        print(format!("parent: {:?}", parent.await)).await;
    });
    assert_eq!(report.output, ["parent dropped", "parent: Err(Cancelled)"]);
    assert_eq!(report.result, Ok(()));
}

#[test]
fn a_task_cancelled_while_it_sleeps_leaves_no_deadline_behind() {
    // The sleeper parks in its sleep, its deadline of 5 handed to the clock,
    // and is cancelled there; main then sleeps 10. The clock forgets 5 and
    // goes straight to 10.
    let clock = step_06::clock::VirtualClock::default();
    let (c1, c2) = (clock.clone(), clock.clone());
    let main = Task::new("main", async move {
        let sleeper =
            spawn("sleeper", async move { sleep(&c1, 5).await }).await;
        step_06::yield_now().await;
        sleeper.cancel().await.unwrap();
        sleep(&c2, 10).await;
    });
    let report = run(1, clock.clone(), vec![main]);
    assert_eq!(report.result, Ok(()));
    use step_06::clock::Clock;
    let timers = clock.timers().borrow();
    let log: Vec<&str> = timers.log.iter().map(|(_, w)| w.as_str()).collect();
    assert_eq!(log, ["forgets syscall 1 (due at 5)", "jumps to 10"]);
}
