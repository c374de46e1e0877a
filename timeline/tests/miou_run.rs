//! A real two-domain `miou` run, traced, read with `from_miou` and drawn. Which domain
//! reports first is up to the threads, so the checks are about structure, not bytes.

use std::sync::{Arc, Mutex};

use timeline::{StopKind, from_miou, parse, render};

fn traced_run() -> Vec<miou::TraceEvent> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&events);
    let total = miou::Builder::new()
        .domains(1)
        .seed(1)
        .trace(move |e| log.lock().unwrap().push(e.clone()))
        .run(async {
            let here = miou::spawn(async {
                miou::yield_now().await;
                1
            });
            let there = miou::call(|| async {
                miou::yield_now().await;
                2
            });
            here.await.unwrap() + there.await.unwrap()
        });
    assert_eq!(total, 3);
    events.lock().unwrap().clone()
}

#[test]
fn a_two_domain_run_becomes_two_lanes() {
    let events = traced_run();
    let trace = from_miou(&events);

    let domains: Vec<_> = trace.domains().iter().map(|d| d.id.as_str()).collect();
    assert_eq!(domains, ["0", "1"]);
    assert_eq!(trace.domains()[1].label, "domain 1");

    // The root and its two children, the root first.
    assert_eq!(trace.tasks().len(), 3);
    assert_eq!(trace.tasks()[0].id, "1@0");
    let spawned = &trace.tasks()[1].id;
    let called = &trace.tasks()[2].id;

    // Every turn ends the way miou reports it.
    for turn in trace.turns() {
        assert!(
            ["yield", "park", "done"].contains(&turn.stop.as_str()),
            "{turn:?}"
        );
    }
    // The spawned child runs on domain 0, the called one on domain 1, each until done
    // after one yield.
    let on = |d: &'static str, task: &str| -> Vec<String> {
        trace
            .turns_on(d)
            .filter(|t| t.task == task)
            .map(|t| t.stop.clone())
            .collect()
    };
    assert_eq!(on("0", spawned), ["yield", "done"]);
    assert_eq!(on("1", called), ["yield", "done"]);
    assert!(on("1", spawned).is_empty() && on("0", called).is_empty());
    assert_eq!(on("0", "1@0").last().map(String::as_str), Some("done"));

    // The root's first turn made both children.
    let first = trace.turns_on("0").next().unwrap();
    let note = first.note.as_deref().unwrap();
    assert!(note.contains(&format!("spawn {spawned}")), "{note}");
    assert!(
        note.contains(&format!("call {called} on domain 1")),
        "{note}"
    );

    // As many turns as Resume events.
    let resumes = events
        .iter()
        .filter(|e| e.kind == miou::TraceKind::Resume)
        .count();
    assert_eq!(trace.turns().len(), resumes);

    // The text format carries it all.
    assert_eq!(parse(&trace.to_text()), Ok(trace.clone()));

    // The picture: two lanes, one filled cell per turn, no queues.
    let svg = render(&trace);
    assert_eq!(svg.matches("<g class=\"lane\"").count(), 2);
    assert!(svg.contains("data-domain=\"0\"") && svg.contains("data-domain=\"1\""));
    assert!(svg.contains(">domain 0</text>") && svg.contains(">domain 1</text>"));
    assert_eq!(
        svg.matches("<g class=\"cell\"").count(),
        trace.turns().len()
    );
    assert!(!svg.contains("class=\"queue\""));
    assert!(svg.contains(">1@0</text>"));
    assert!(trace.turns().iter().any(|t| t.kind() == StopKind::Yield));
}

#[test]
fn cancellation_and_failure_become_notes_and_failed_turns() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&events);
    miou::Builder::new()
        .domains(0)
        .seed(1)
        .trace(move |e| log.lock().unwrap().push(e.clone()))
        .run(async {
            let child = miou::spawn(async {
                loop {
                    miou::yield_now().await;
                }
            });
            miou::yield_now().await;
            miou::cancel(child).await;
        });
    let trace = from_miou(&events.lock().unwrap());
    let child = &trace.tasks()[1].id;
    let last = trace
        .turns_on("0")
        .filter(|t| t.task == *child)
        .last()
        .unwrap();
    assert_eq!(last.stop, "failed");
    assert_eq!(last.kind(), StopKind::Failed);
    let root_notes: Vec<_> = trace
        .turns_on("0")
        .filter(|t| t.task == "1@0")
        .filter_map(|t| t.note.clone())
        .collect();
    assert!(
        root_notes
            .iter()
            .any(|n| n.contains(&format!("cancel {child}"))),
        "{root_notes:?}"
    );
    let svg = render(&trace);
    assert!(svg.contains("data-kind=\"failed\""));
    assert!(svg.contains(">failed / cancelled</text>"));
}
