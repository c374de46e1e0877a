//! Tasks on several domains, with the results worked out by hand from the
//! rules of step 7: a called task runs on a worker domain, never its
//! caller's; `parallel` answers in the order of its inputs; the rules of the
//! tree hold across domains; and no wake-up is lost between threads. Every
//! test runs under a watchdog: a lost wake-up shows as a hang, which fails.

#[path = "../demo/runs.rs"]
#[allow(dead_code)]
mod runs;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use runs::on_domains;
use step_07::clock::{VirtualClock, sleep};
use step_07::examples::{
    Guard, cancel_across_domains, never_the_callers_domain, on_a_worker, primes,
};
use step_07::report::Report;
use step_07::{
    Error, Task, call, domain, parallel, print, run, spawn, yield_now,
};

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

/// The tasks that had turns on each domain, domain 0 first, each list in
/// order of first turn.
fn tasks_by_domain(report: &Report) -> Vec<Vec<String>> {
    let domains = std::iter::once(report).chain(&report.workers);
    domains
        .map(|d| {
            let mut names: Vec<String> = Vec::new();
            for turn in &d.turns {
                if !names.contains(&turn.task) {
                    names.push(turn.task.clone());
                }
            }
            names
        })
        .collect()
}

#[test]
fn a_called_task_runs_on_a_worker_and_its_future_is_built_there() {
    let report = within_a_minute(|| on_domains(2, on_a_worker()));
    assert_eq!(
        report.output,
        [
            "main runs on domain 0",
            "counter counted to 3",
            "counter ran on domain 0: false",
        ]
    );
    // Which worker ran it depends on which was idle first; never domain 0.
    let domains = tasks_by_domain(&report);
    assert_eq!(domains[0], ["main"]);
    assert_eq!(domains[1..].concat(), ["counter"]);
}

#[test]
fn parallel_answers_in_the_order_of_its_inputs() {
    // The first inputs are the slowest: they finish last, and come first.
    let report = within_a_minute(|| {
        on_domains(3, async {
            let inputs: Vec<u64> = (0..12).collect();
            let results = parallel("square", inputs, |k| async move {
                let _ = primes(0, (12 - k) * 5_000);
                (k * k, domain())
            })
            .await;
            let squares: Vec<u64> =
                results.iter().map(|r| r.as_ref().unwrap().0).collect();
            print(format!("{squares:?}")).await;
            let on_0 = results.iter().filter(|r| r.as_ref().unwrap().1 == 0);
            print(format!("on domain 0: {}", on_0.count())).await;
        })
    });
    assert_eq!(
        report.output,
        [
            "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81, 100, 121]",
            "on domain 0: 0"
        ]
    );
    assert_eq!(tasks_by_domain(&report)[0], ["main"]);
}

#[test]
fn a_call_never_runs_on_its_callers_domain() {
    for _ in 0..20 {
        let report =
            within_a_minute(|| on_domains(3, never_the_callers_domain()));
        assert_eq!(
            report.output,
            ["inner ran on another domain than outer: true"]
        );
    }
}

#[test]
fn a_call_with_no_other_domain_fails_the_caller() {
    let report = within_a_minute(|| {
        with_quiet_panics(|| {
            on_domains(0, async {
                let child = spawn("child", async {
                    let _never = call("x", || async {}).await;
                })
                .await;
                print(format!("child: {:?}", child.await)).await;
            })
        })
    });
    assert_eq!(
        report.output,
        ["child: Err(Panicked(\"no domain is available for `call x`\"))"]
    );
    assert_eq!(report.result, Ok(()));
}

#[test]
fn round_trips_lose_no_wake_up() {
    // Each call wakes a sleeping worker, and each answer a sleeping domain
    // 0: a wake-up lost in either direction hangs the run.
    for workers in [1, 3] {
        let report = within_a_minute(move || {
            on_domains(workers, async {
                let mut sum = 0u64;
                for k in 1..=10_000u64 {
                    let echo = call("echo", move || async move { k }).await;
                    sum += echo.await.unwrap();
                }
                print(format!("{sum}")).await;
            })
        });
        assert_eq!(report.output, ["50005000"]);
    }
}

#[test]
fn cancelling_a_called_task_waits_for_its_tree_on_its_domain() {
    let report = within_a_minute(|| on_domains(1, cancel_across_domains()));
    assert_eq!(
        report.output,
        [
            "helper dropped",
            "worker dropped",
            "cancel returned",
            "worker: Err(Cancelled)",
        ]
    );
    // The teardown ran on the worker: the helper's future was dropped
    // first, then the worker's.
    let ends: Vec<(String, String)> = report.workers[0]
        .turns
        .iter()
        .filter(|t| t.did.iter().any(|d| d == "drop"))
        .map(|t| (t.task.clone(), t.end.clone()))
        .collect();
    let ends: Vec<(&str, &str)> =
        ends.iter().map(|(t, e)| (t.as_str(), e.as_str())).collect();
    assert_eq!(ends, [("helper", "cancelled"), ("worker", "cancelled")]);
}

#[test]
fn a_called_task_cancelled_before_a_worker_took_it_never_runs() {
    // The only worker is stuck in `busy`, which spins without a scheduling
    // point until `release` lets it go: the worker cannot take `never`, so
    // main's cancel finds it not started. On domain 0, `release` yields ten
    // times (main has parked in its cancel long before), then lets go.
    let report = within_a_minute(|| {
        on_domains(1, async {
            let go = Arc::new(AtomicBool::new(false));
            let (for_busy, for_release) = (Arc::clone(&go), Arc::clone(&go));
            let busy = call("busy", move || async move {
                while !for_busy.load(Ordering::SeqCst) {
                    std::hint::spin_loop();
                }
            })
            .await;
            let release = spawn("release", async move {
                for _ in 0..10 {
                    yield_now().await;
                }
                for_release.store(true, Ordering::SeqCst);
            })
            .await;
            let guard = Guard("never");
            let never = call("never", move || async move {
                let _guard = guard;
                print("never ran").await;
            })
            .await;
            never.cancel().await.unwrap();
            print(format!("never: {:?}", never.await)).await;
            release.await.unwrap();
            busy.await.unwrap();
        })
    });
    // Its closure was dropped (with the guard it held) without being called.
    assert_eq!(report.output, ["never dropped", "never: Err(Cancelled)"]);
    let never: Vec<String> = report.workers[0]
        .turns
        .iter()
        .filter(|t| t.task == "never")
        .map(|t| t.did.join(", "))
        .collect();
    assert_eq!(never, ["drop"]);
}

#[test]
fn a_panic_on_a_worker_is_its_callers_error() {
    let report = within_a_minute(|| {
        with_quiet_panics(|| {
            on_domains(2, async {
                let p = call("p", || async {
                    let _guard = Guard("p");
                    panic!("the worker gave up");
                })
                .await;
                let result: Result<(), Error> = p.await;
                print(format!("p: {result:?}")).await;
            })
        })
    });
    assert_eq!(
        report.output,
        ["p dropped", "p: Err(Panicked(\"the worker gave up\"))"]
    );
    assert_eq!(report.result, Ok(()));
}

#[test]
fn a_called_task_that_forgets_its_child_fails_the_run() {
    // `forgetful` returns with `left` neither awaited nor cancelled: the run
    // fails, main (a root) is cancelled, and `left` with it, on the worker.
    let report = within_a_minute(|| {
        on_domains(1, async {
            let forgetful = call("forgetful", || async {
                let guard = Guard("left");
                let _left = spawn("left", async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                })
                .await;
            })
            .await;
            let result = forgetful.await;
            print(format!("never printed: {result:?}")).await;
        })
    });
    assert_eq!(report.output, ["left dropped"]);
    assert_eq!(report.result, Err(Error::StillHasChildren));
    let ends: Vec<&str> = report.turns.iter().map(|t| t.end.as_str()).collect();
    assert_eq!(ends.last(), Some(&"cancelled"));
}

#[test]
fn with_no_worker_a_run_is_the_run_of_step_6() {
    // One root breaks the rule; another root, asleep, is cancelled; nobody
    // waits for the sleepers' deadlines (step 6's test, on domain 0 alone).
    let (report, now) = within_a_minute(|| {
        let clock = VirtualClock::default();
        let (c1, c2) = (clock.clone(), clock.clone());
        let breaker = Task::new("breaker", async move {
            let _forgotten =
                spawn("x", async move { sleep(&c1, 50).await }).await;
        });
        let sleeper = Task::new("sleeper", async move {
            let _guard = Guard("sleeper");
            sleep(&c2, 100).await;
        });
        let report = run(1, 0, clock.clone(), vec![breaker, sleeper]);
        use step_07::clock::Clock;
        (report, clock.now())
    });
    assert_eq!(report.result, Err(Error::StillHasChildren));
    assert_eq!(report.output, ["sleeper dropped"]);
    assert_eq!(now, 0);
    assert!(report.workers.is_empty());
}

#[test]
fn a_domain_asleep_in_its_clock_is_woken_by_a_worker() {
    // Domain 0 runs on a virtual clock with nobody asleep on it: when main
    // awaits the worker, the clock must wait for an interrupt, not jump.
    let output = within_a_minute(|| {
        let main = Task::new("main", async {
            let answer = call("answer", || async {
                let _ = primes(0, 50_000);
                42
            })
            .await;
            print(format!("{:?}", answer.await)).await;
        });
        run(1, 1, VirtualClock::default(), vec![main]).output
    });
    assert_eq!(output, ["Ok(42)"]);
}

/// `waiter` waits until a flag is up, yielding or (with `blocking`)
/// spinning without a scheduling point, which keeps its domain from
/// anything else; `setter`, called after it, raises the flag. With
/// `busy_for` set, a third task, called in between, spins that long.
async fn waiter_then_setter(blocking: bool, busy_for: Option<Duration>) {
    let flag = Arc::new(AtomicBool::new(false));
    let (for_waiter, for_setter) = (Arc::clone(&flag), Arc::clone(&flag));
    let waiter = call("waiter", move || async move {
        while !for_waiter.load(Ordering::SeqCst) {
            if blocking {
                std::hint::spin_loop();
            } else {
                yield_now().await;
            }
        }
    })
    .await;
    let busy = match busy_for {
        Some(time) => Some(
            call("busy", move || async move {
                let start = std::time::Instant::now();
                while start.elapsed() < time {
                    std::hint::spin_loop();
                }
            })
            .await,
        ),
        None => None,
    };
    let setter = call("setter", move || async move {
        for_setter.store(true, Ordering::SeqCst);
    })
    .await;
    waiter.await.unwrap();
    setter.await.unwrap();
    if let Some(busy) = busy {
        busy.await.unwrap();
    }
    print("done").await;
}

#[test]
fn a_worker_kept_busy_still_starts_what_is_called_onto_it() {
    // One worker: `setter` is queued behind `waiter`, which never lets the
    // worker's to-do list empty. The worker starts a new task every turn.
    let report =
        within_a_minute(|| on_domains(1, waiter_then_setter(false, None)));
    assert_eq!(report.output, ["done"]);
}

#[test]
fn an_idle_worker_takes_a_task_waiting_behind_a_busy_one() {
    // Two workers: `waiter` and `setter` go to domain 1 in turn, `busy` to
    // domain 2. `waiter` holds domain 1 until `setter` runs, so only domain
    // 2 can start it: when it is done with `busy`, it looks at domain 1's
    // tasks before it goes to sleep.
    for _ in 0..10 {
        let busy = Some(Duration::from_millis(5));
        let report = within_a_minute(move || {
            on_domains(2, waiter_then_setter(true, busy))
        });
        assert_eq!(report.output, ["done"]);
    }
}
