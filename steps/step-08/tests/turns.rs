//! Resources owned by tasks, with the results worked out by hand from the
//! rules of step 8: a task releases, disowns or transfers what it owns
//! before it returns; whatever it still owns when it ends is finalised, once;
//! returning with a resource is a leak, which fails the run. Every test runs
//! under a watchdog: the runs use threads, and a bug shows as a hang.

#[path = "../demo/runs.rs"]
#[allow(dead_code)]
mod runs;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use runs::on_domains;
use step_08::examples::{cancelled, handed_back, leaking, open, panicking};
use step_08::ownership::Resource;
use step_08::{Error, call_with, note, print, spawn, spawn_with, yield_now};

/// Runs `test` on its own thread and fails if it takes more than 60 s.
fn within_a_minute<R: Send + 'static>(
    test: impl FnOnce() -> R + Send + 'static,
) -> R {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(test());
    });
    receive
        .recv_timeout(Duration::from_secs(60))
        .expect("the run finishes within a minute")
}

/// Runs `body` with panics kept off stderr (a panicking task is an error the
/// test checks), then puts the default hook back.
fn with_quiet_panics<R>(body: impl FnOnce() -> R) -> R {
    std::panic::set_hook(Box::new(|_| {}));
    let result = body();
    let _ = std::panic::take_hook();
    result
}

/// A resource whose finaliser counts its runs in `count`.
fn counted(name: &str, count: &Arc<AtomicUsize>) -> Resource {
    let count = Arc::clone(count);
    Resource::new(name, move || {
        count.fetch_add(1, Ordering::SeqCst);
    })
}

#[test]
fn release_runs_the_finaliser_once_and_disown_never() {
    let (released, disowned) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (r, d) = (Arc::clone(&released), Arc::clone(&disowned));
    let report = within_a_minute(move || {
        on_domains(0, async move {
            let (a, b) = (counted("a", &r), counted("b", &d));
            a.own().unwrap();
            b.own().unwrap();
            a.release().unwrap();
            b.disown().unwrap();
            // Both are no longer owned: a second release is refused.
            let again = a.release();
            print(format!("again: {again:?}")).await;
        })
    });
    assert_eq!(report.output, ["again: Err(NotOwner)"]);
    assert_eq!(report.result, Ok(()));
    assert_eq!(released.load(Ordering::SeqCst), 1);
    assert_eq!(disowned.load(Ordering::SeqCst), 0);
}

#[test]
fn a_panicking_task_s_resources_are_finalised_before_its_parent_hears() {
    let report =
        within_a_minute(|| with_quiet_panics(|| on_domains(1, panicking())));
    assert_eq!(
        report.output,
        [
            "reader reads data.txt",
            "data.txt closed",
            "reader: Err(Panicked(\"the data is corrupt\"))",
        ]
    );
    assert_eq!(report.result, Ok(()));
}

#[test]
fn a_cancelled_task_s_resources_are_finalised_on_its_domain() {
    let report = within_a_minute(|| on_domains(1, cancelled()));
    assert_eq!(
        report.output,
        [
            "main owns connection 1: Err(NotOwner)",
            "connection 1 closed",
            "cancel returned",
        ]
    );
    // The handler was torn down on the worker: its future dropped, then its
    // connection finalised.
    let handler: Vec<String> = report.workers[0]
        .turns
        .iter()
        .filter(|t| t.task == "handler")
        .map(|t| t.did.join(", "))
        .collect();
    assert_eq!(handler.last().unwrap(), "drop, finalise connection 1");
}

#[test]
fn returning_with_a_resource_finalises_it_and_fails_the_run() {
    let report = within_a_minute(|| on_domains(1, leaking()));
    assert_eq!(
        report.output,
        ["leaky reads data.txt, and forgets it", "data.txt closed"]
    );
    assert_eq!(report.result, Err(Error::ResourceLeaked));
    // The leaky task ended with the error; main, a root, was cancelled.
    let ends: Vec<(&str, &str)> = report
        .turns
        .iter()
        .filter(|t| !t.end.contains(" at "))
        .map(|t| (t.task.as_str(), t.end.as_str()))
        .collect();
    assert_eq!(
        ends,
        [("leaky", "failed: ResourceLeaked"), ("main", "cancelled")]
    );
}

#[test]
fn a_transferred_resource_belongs_to_the_parent() {
    let report = within_a_minute(|| on_domains(1, handed_back()));
    assert_eq!(
        report.output,
        [
            "connector connects the socket",
            "sibling releasing the socket: Err(NotOwner)",
            "main owns the socket: Ok(())",
            "socket closed",
        ]
    );
    assert_eq!(report.result, Ok(()));
}

#[test]
fn a_parent_that_returns_with_what_it_was_handed_leaks_it() {
    let report = within_a_minute(|| {
        on_domains(0, async {
            let child = spawn("child", async {
                let file = open("f");
                file.transfer().unwrap();
            })
            .await;
            child.await.unwrap();
        })
    });
    assert_eq!(report.output, ["f closed"]);
    assert_eq!(report.result, Err(Error::ResourceLeaked));
}

#[test]
fn cancelling_a_tree_finalises_every_level() {
    // On the worker, parent owns p and gives q to its child; the child says
    // it has started, and both wait for ever. Cancelling parent tears down
    // the child first (q), then parent (p), before the cancel returns.
    let report = within_a_minute(|| {
        on_domains(1, async {
            let started = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&started);
            let parent = call_with("parent", &[], move || async move {
                let _p = open("p");
                let q = open("q");
                let child = spawn_with("child", &[&q], async move {
                    flag.store(true, Ordering::SeqCst);
                    std::future::pending::<()>().await;
                })
                .await;
                child.await.unwrap();
            })
            .await;
            while !started.load(Ordering::SeqCst) {
                yield_now().await;
            }
            parent.cancel().await.unwrap();
            print("cancel returned").await;
        })
    });
    assert_eq!(report.output, ["q closed", "p closed", "cancel returned"]);
    assert_eq!(report.result, Ok(()));
}

#[test]
fn a_task_cannot_own_what_another_owns_or_give_what_it_does_not() {
    let report = within_a_minute(|| {
        with_quiet_panics(|| {
            on_domains(0, async {
                let mine = open("mine");
                let (for_own, for_give) = (mine.clone(), mine.clone());
                let owner = spawn("owner", async move {
                    let tried = for_own.own();
                    print(format!("owning mine: {tried:?}")).await;
                })
                .await;
                owner.await.unwrap();
                let giver = spawn("giver", async move {
                    let _child =
                        spawn_with("child", &[&for_give], async {}).await;
                })
                .await;
                print(format!("giver: {:?}", giver.await)).await;
                let tried = mine.transfer();
                print(format!("a root transferring: {tried:?}")).await;
                mine.release().unwrap();
            })
        })
    });
    assert_eq!(
        report.output,
        [
            "owning mine: Err(NotOwner)",
            "giver: Err(Panicked(\"a task can only give what it owns, not mine\"))",
            "a root transferring: Err(NotOwner)",
            "mine closed",
        ]
    );
    assert_eq!(report.result, Ok(()));
}

#[test]
fn a_panicking_finaliser_does_not_stop_the_others() {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    let report = within_a_minute(move || {
        with_quiet_panics(|| {
            on_domains(0, async move {
                let child = spawn("child", async move {
                    let bad = Resource::new("bad", || panic!("cannot close"));
                    bad.own().unwrap();
                    counted("good", &counter).own().unwrap();
                    panic!("the child fails");
                })
                .await;
                let _ = child.await;
                note("main goes on");
            })
        })
    });
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(report.output, ["main goes on"]);
    assert_eq!(report.result, Ok(()));
}

#[test]
fn a_task_that_breaks_both_rules_fails_for_its_files_first() {
    let report = within_a_minute(|| {
        on_domains(0, async {
            let forgetful = spawn("forgetful", async {
                let _file = open("f");
                let _left = spawn("left", async {}).await;
            })
            .await;
            let _ = forgetful.await;
        })
    });
    // Resources first, as Miou checks them: the file is finalised at once and
    // the leak fails the run; the teardown then stops the child.
    assert_eq!(report.output, ["f closed"]);
    assert_eq!(report.result, Err(Error::ResourceLeaked));
}
