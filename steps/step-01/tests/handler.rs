//! The handler's behaviour, with expected values worked out by hand from the
//! rules of the chapter (one poll per effect, each effect answered between the
//! poll that produced it and the next one).

use step_01::examples::inventory;
use step_01::{Effect, Handler, Task, resume};

#[test]
fn the_trace_alternates_polls_and_answers() {
    // A handler of its own (2 apples, 9 pears), so that changing the demo's
    // numbers does not change this test.
    let mut handler = Handler::new(&[("apples", 2), ("pears", 9)]);
    assert_eq!(handler.run(inventory()), 11);
    let expected = [
        "Launch",
        "poll   -> Suspended(Print(\"taking stock\"))",
        "answer Unit to Print(\"taking stock\")",
        "poll   -> Suspended(Ask(\"apples\"))",
        "answer Number(2) to Ask(\"apples\")",
        "poll   -> Suspended(Ask(\"pears\"))",
        "answer Number(9) to Ask(\"pears\")",
        "poll   -> Suspended(Print(\"2 apples and 9 pears: 11 fruits\"))",
        "answer Unit to Print(\"2 apples and 9 pears: 11 fruits\")",
        "poll   -> Finished(11)",
    ];
    for (n, (got, want)) in handler.trace.iter().zip(expected).enumerate() {
        assert_eq!(got, want, "line {} of the trace", n + 1);
    }
    assert_eq!(handler.trace.len(), expected.len(), "length of the trace");
    assert_eq!(
        handler.output,
        ["taking stock", "2 apples and 9 pears: 11 fruits"]
    );
}

#[test]
fn an_unknown_name_is_answered_with_0() {
    let mut handler = Handler::new(&[("apples", 10)]);
    assert_eq!(handler.run(inventory()), 10);
    let answer = "answer Number(0) to Ask(\"pears\")".to_string();
    assert!(handler.trace.contains(&answer));
}

#[test]
fn one_poll_stops_at_the_first_effect() {
    // Polled by hand, the task runs up to `print("taking stock")` and leaves
    // the request in the mailbox.
    match resume(Box::pin(inventory())) {
        Task::Suspended(_, effect) => {
            assert_eq!(effect, Effect::Print("taking stock".to_string()))
        }
        _ => panic!("the task should be suspended on its first effect"),
    }
}

#[test]
fn a_task_without_effects_finishes_in_one_poll() {
    let mut handler = Handler::new(&[]);
    assert_eq!(handler.run(async { 6 * 7 }), 42);
    assert_eq!(handler.trace, ["Launch", "poll   -> Finished(42)"]);
}

#[test]
#[should_panic(expected = "without performing an effect")]
fn pending_without_an_effect_is_a_bug() {
    // A future that waits for something the handler knows nothing about.
    let mut handler = Handler::new(&[]);
    handler.run(std::future::pending::<()>());
}

#[test]
#[should_panic(expected = "resumed without an answer")]
fn a_task_resumed_without_its_answer_is_a_bug() {
    let Task::Suspended(future, _) = resume(Box::pin(inventory())) else {
        panic!("the task should be suspended on its first effect");
    };
    // Polled again with nothing in the mailbox.
    resume(future);
}
