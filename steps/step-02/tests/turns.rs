//! The turns of the chapter's examples, worked out by hand from the rules of
//! step 2 (FIFO to-do list; a turn answers effects until the task finishes,
//! yields, or awaits an unresolved promise).

use std::future::Future;

use step_02::examples::{hello_world, three_workers};
use step_02::report::Report;
use step_02::{Task, print, run, spawn};

fn run_main(main: impl Future<Output = ()> + 'static) -> Report {
    run(vec![Task::new("main", main)])
}

/// A turn as `(task, what it did, how it ended)`.
fn turns(report: &Report) -> Vec<(String, String, String)> {
    let turn = |t: &step_02::report::Turn| {
        (t.task.clone(), t.did.join(", "), t.end.clone())
    };
    report.turns.iter().map(turn).collect()
}

fn t(task: &str, did: &str, end: &str) -> (String, String, String) {
    (task.to_string(), did.to_string(), end.to_string())
}

fn queues(report: &Report) -> Vec<String> {
    report.turns.iter().map(|t| t.queue.join(" ")).collect()
}

#[test]
fn without_yield_the_parent_prints_first() {
    // Spawning queues "hello" behind main, and main is resumed at once: it
    // prints "World", then finds the promise unresolved and goes behind
    // "hello".
    let report = run_main(hello_world(false));
    assert_eq!(report.output, ["World", "Hello"]);
    assert_eq!(
        turns(&report),
        [
            t(
                "main",
                "start, spawn hello, print \"World\"",
                "queued at await hello"
            ),
            t("hello", "start, print \"Hello\"", "finished"),
            t("main", "await hello", "finished"),
        ]
    );
    assert_eq!(queues(&report), ["hello main", "main", ""]);
}

#[test]
fn a_yield_lets_the_child_print_first() {
    // The yield sends main behind "hello" before it prints.
    let report = run_main(hello_world(true));
    assert_eq!(report.output, ["Hello", "World"]);
    assert_eq!(
        turns(&report),
        [
            t("main", "start, spawn hello", "queued at yield"),
            t("hello", "start, print \"Hello\"", "finished"),
            t("main", "yield, print \"World\", await hello", "finished"),
        ]
    );
}

#[test]
fn workers_take_turns_in_fifo_order() {
    // main spawns a, b, c (queued in that order) and waits behind them. Each
    // worker prints and yields, so each round visits a, b, c, then main.
    let report = run_main(three_workers());
    assert_eq!(
        report.output,
        ["a1", "b1", "c1", "a2", "b2", "c2", "6 lines"]
    );
    let order: Vec<&str> =
        report.turns.iter().map(|t| t.task.as_str()).collect();
    let round = ["a", "b", "c", "main"];
    assert_eq!(order, [&["main"][..], &round, &round, &round].concat());
    let turns = turns(&report);
    assert_eq!(turns[4], t("main", "", "queued at await a"));
    assert_eq!(
        turns[12],
        t(
            "main",
            "await a, await b, await c, print \"6 lines\"",
            "finished"
        )
    );
    assert_eq!(report.turns[0].queue, ["a", "b", "c", "main"]);
}

#[test]
fn a_promise_carries_the_value() {
    let report = run_main(async {
        let p = spawn("answer", async { 6 * 7 }).await;
        let value = p.await;
        print(format!("{value}")).await;
    });
    assert_eq!(report.output, ["42"]);
}

#[test]
fn tasks_given_to_run_start_in_order() {
    let report = run(vec![
        Task::new("x", async { print("x").await }),
        Task::new("y", async { print("y").await }),
    ]);
    assert_eq!(report.output, ["x", "y"]);
    assert_eq!(report.turns.len(), 2);
}

#[test]
fn the_trace_has_a_row_per_task_and_a_column_per_turn() {
    let trace = run_main(hello_world(false)).trace("t", "d");
    let lines: Vec<&str> = trace.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "title t",
            "description d",
            "task main main",
            "task hello hello"
        ]
    );
    assert_eq!(lines.iter().filter(|l| l.starts_with("turn ")).count(), 3);
    assert_eq!(
        lines[4],
        "turn 0 main await -- start, spawn hello, print \"World\" -> queued at await hello"
    );
    assert_eq!(lines[5], "queue 0 hello main");
}
