//! The turns of the chapter's examples, worked out by hand from the rules of
//! step 3 (a new task runs to its first point for free; then each turn does
//! up to `quanta` operations, "yield, then do").

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

#[path = "../demo/runs.rs"]
#[allow(dead_code)]
mod runs;

use runs::letters;
use runs::{a_and_b, answers_before_sorted, availability, hello};
use step_03::examples::{Pause, merge_sort};
use step_03::report::Report;
use step_03::{Task, print, run, spawn, yield_now};

/// A turn as `(task, what it did, how it ended)`.
fn turns(report: &Report) -> Vec<(String, String, String)> {
    let turn = |t: &step_03::report::Turn| {
        (t.task.clone(), t.did.join(", "), t.end.clone())
    };
    report.turns.iter().map(turn).collect()
}

fn t(task: &str, did: &str, end: &str) -> (String, String, String) {
    (task.to_string(), did.to_string(), end.to_string())
}

#[test]
fn quanta_1_alternates() {
    // Each task starts (no quantum), then does one print per turn.
    let report = a_and_b(1);
    assert_eq!(
        report.output,
        ["A0", "B0", "A1", "B1", "A2", "B2", "A3", "B3"]
    );
    let turns = turns(&report);
    assert_eq!(turns.len(), 10);
    assert_eq!(turns[0], t("A", "start", "queued at print \"A0\""));
    assert_eq!(turns[1], t("B", "start", "queued at print \"B0\""));
    assert_eq!(turns[2], t("A", "print \"A0\"", "queued at print \"A1\""));
    assert_eq!(turns[9], t("B", "print \"B3\"", "finished"));
}

#[test]
fn quanta_3_runs_three_prints_per_turn() {
    // After the two starts: A0 A1 A2, B0 B1 B2, then the last print of each.
    let report = a_and_b(3);
    assert_eq!(
        report.output,
        ["A0", "A1", "A2", "B0", "B1", "B2", "A3", "B3"]
    );
    assert_eq!(
        turns(&report),
        [
            t("A", "start", "queued at print \"A0\""),
            t("B", "start", "queued at print \"B0\""),
            t(
                "A",
                "print \"A0\", print \"A1\", print \"A2\"",
                "queued at print \"A3\""
            ),
            t(
                "B",
                "print \"B0\", print \"B1\", print \"B2\"",
                "queued at print \"B3\""
            ),
            t("A", "print \"A3\"", "finished"),
            t("B", "print \"B3\"", "finished"),
        ]
    );
}

#[test]
fn quanta_2_runs_pairs() {
    let report = a_and_b(2);
    assert_eq!(
        report.output,
        ["A0", "A1", "B0", "B1", "A2", "A3", "B2", "B3"]
    );
    assert_eq!(report.turns.len(), 6);
}

#[test]
fn hello_world_under_quanta_1_prints_world_first() {
    // Yield, then do: main is queued at each point. The spawn is done in
    // main's second turn, which runs main on to `print "World"`; main is
    // queued there, ahead of the child's print, so "World" is done first.
    let report = hello(false);
    assert_eq!(report.output, ["World", "Hello"]);
    assert_eq!(
        turns(&report),
        [
            t("main", "start", "queued at spawn hello"),
            t("main", "spawn hello", "queued at print \"World\""),
            t("hello", "start", "queued at print \"Hello\""),
            t("main", "print \"World\"", "queued at await hello"),
            t("hello", "print \"Hello\"", "finished"),
            t("main", "await hello", "finished"),
        ]
    );
}

#[test]
fn hello_world_with_a_yield_prints_hello_first() {
    // The yield puts main's print behind the child's.
    let report = hello(true);
    assert_eq!(report.output, ["Hello", "World"]);
    let order: Vec<&str> =
        report.turns.iter().map(|t| t.task.as_str()).collect();
    assert_eq!(
        order,
        ["main", "main", "hello", "main", "hello", "main", "main"]
    );
    assert_eq!(
        turns(&report)[3],
        t("main", "yield", "queued at print \"World\"")
    );
}

#[test]
fn a_yield_ends_the_turn_with_quanta_left() {
    let task = Task::new("t", async {
        print("a").await;
        yield_now().await;
        print("b").await;
        print("c").await;
    });
    let report = run(5, vec![task]);
    assert_eq!(
        turns(&report),
        [
            t("t", "start", "queued at print \"a\""),
            t("t", "print \"a\", yield", "queued at print \"b\""),
            t("t", "print \"b\", print \"c\"", "finished"),
        ]
    );
}

#[test]
fn an_unresolved_await_ends_the_turn_with_quanta_left() {
    let main = Task::new("main", async {
        let child = spawn("child", async { print("c").await }).await;
        child.await;
        print("done").await;
    });
    let report = run(5, vec![main]);
    assert_eq!(report.output, ["c", "done"]);
    assert_eq!(
        turns(&report),
        [
            t("main", "start", "queued at spawn child"),
            t("main", "spawn child", "queued at await child"),
            t("child", "start", "queued at print \"c\""),
            t("main", "", "queued at await child"),
            t("child", "print \"c\"", "finished"),
            t("main", "await child, print \"done\"", "finished"),
        ]
    );
}

#[test]
#[should_panic(expected = "at least one scheduling point")]
fn quanta_0_is_refused() {
    run(0, vec![]);
}

#[test]
fn merge_sort_merges_n_minus_1_times() {
    // 16 leaves, each merge joins two runs into one: 15 merges.
    let output = availability(Pause::Effect).output;
    assert_eq!(output.iter().filter(|l| *l == "merge").count(), 15);
}

#[test]
fn a_sort_on_ready_futures_never_stops() {
    // Polled once, it runs to the end: no `.await` in it returns Pending.
    let mut sort = pin!(merge_sort(vec![3, 1, 2], Pause::Ready));
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(sort.as_mut().poll(&mut cx), Poll::Ready(vec![1, 2, 3]));
}

#[test]
fn the_server_answers_between_merges() {
    // sort starts and stops at its first merge's print; server starts and
    // stops at "answer 1". From then on they alternate, one operation each,
    // until the server has answered 8 times; the 7 remaining merges and
    // "sorted" follow.
    let output = availability(Pause::Effect).output;
    assert_eq!(
        letters(&output),
        "M A M A M A M A M A M A M A M A M M M M M M M S"
    );
    assert_eq!(answers_before_sorted(&output), 8);
}

#[test]
fn the_server_waits_for_a_sort_without_points() {
    // sort's first run does the whole sort and stops at "sorted", the server
    // starts, "sorted" is printed, then the server answers alone.
    let output = availability(Pause::Ready).output;
    assert_eq!(letters(&output), "S A A A A A A A A");
    assert_eq!(answers_before_sorted(&output), 0);
}
