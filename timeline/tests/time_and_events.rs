//! The time view (`unit`, `at`, `span`) and the events between turns (`events`), read
//! from text and drawn; and the pictures of traces without them, unchanged to the byte.
//! Every expected value is worked out from the trace by hand.

use timeline::{Trace, parse, render};

/// Three sleepers of 3, 1 and 2 ticks started at time 0, and a fourth of 5 ticks that
/// main cancels at time 2. The sleepers' turns are at times 0, 0, 0, 1, 2, 3.
const SLEEPERS: &str = "\
title Three sleepers and a cancelled one
description main spawns four sleepers at time 0 and sleeps 2 ticks; the sleepers of 1, 2 and 3 ticks run at time 0 and when their deadline passes; main cancels the sleeper of 5 ticks at time 2.
unit ticks
task main main
task s3 sleep 3
task s1 sleep 1
task s2 sleep 2
task s5 sleep 5
span main 0 2 -- sleep 2
span s3 0 3 -- sleep 3
span s1 0 1 -- sleep 1
span s2 0 2 -- sleep 2
span s5 0 2 -- cancelled
at 0
turn 0 main spawn -- spawned s3, s1, s2, s5
turn 0 s3 sleep 3
turn 0 s1 sleep 1
turn 0 s2 sleep 2
turn 0 s5 sleep 5
turn 0 main sleep 2
at 1
turn 0 s1 done
at 2
turn 0 s2 done
turn 0 main cancel s5
turn 0 s5 cancelled
turn 0 main done
at 3
turn 0 s3 done
";

/// A listener and a client; the events backend reports before turns 1, 3 and 4.
const SERVER: &str = "\
title A server
description The listener accepts a client, which reads its request when its socket is ready.
task l listener
task c client
events 0 ready: listener
turn 0 l accept -- accepted the client
queue 0 c l
turn 0 c read -- would block
queue 0 l
events 0 ready: client
turn 0 l park
queue 0 c
events 0 timer: 5
events 0 ready: listener
turn 0 c done
queue 0
";

/// `(name, value)` of the `data-*` attributes of each `<g class="CLASS" ...>`, in order.
fn groups(svg: &str, class: &str, attrs: &[&str]) -> Vec<Vec<String>> {
    svg.split(&format!("<g class=\"{class}\" "))
        .skip(1)
        .map(|rest| {
            let tag = &rest[..rest.find('>').unwrap()];
            attrs
                .iter()
                .map(|name| {
                    let key = format!("{name}=\"");
                    let start = tag.find(&key).unwrap() + key.len();
                    tag[start..start + tag[start..].find('"').unwrap()].to_string()
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_sleepers_trace_reads_and_round_trips() {
    let trace = parse(SLEEPERS).unwrap();
    assert_eq!(trace.time_unit(), Some("ticks"));
    assert_eq!(trace.spans().len(), 5);
    assert_eq!(trace.end_time(), 3);
    let times: Vec<u64> = trace
        .turns()
        .iter()
        .filter(|t| t.task != "main" && t.task != "s5")
        .map(|t| t.time.unwrap())
        .collect();
    assert_eq!(times, [0, 0, 0, 1, 2, 3]);
    assert_eq!(parse(&trace.to_text()).unwrap(), trace);
    assert_eq!(render(&parse(&trace.to_text()).unwrap()), render(&trace));
}

#[test]
fn the_sleepers_picture_has_a_bar_per_span_and_a_mark_per_time() {
    let svg = render(&parse(SLEEPERS).unwrap());
    assert_eq!(
        svg.matches("<g class=\"time-view\" data-end=\"3\">")
            .count(),
        1
    );
    // The time view comes before the grid.
    assert!(svg.find("class=\"time-view\"").unwrap() < svg.find("class=\"lane\"").unwrap());
    // Five spans, in the order of the trace; the cancelled one is drawn as failed.
    let spans = groups(
        &svg,
        "span",
        &["data-task", "data-start", "data-end", "data-kind"],
    );
    let expected = [
        ["main", "0", "2", "wait"],
        ["s3", "0", "3", "wait"],
        ["s1", "0", "1", "wait"],
        ["s2", "0", "2", "wait"],
        ["s5", "0", "2", "failed"],
    ];
    assert_eq!(spans, expected.map(|s| s.map(String::from).to_vec()));
    // Marks, row by row: main has 2 turns at 0 and 2 at 2; s5 one at 0 and one at 2;
    // each other sleeper one at 0 and one at its deadline.
    let marks = groups(&svg, "mark", &["data-task", "data-time", "data-turns"]);
    let expected = [
        ["main", "0", "2"],
        ["main", "2", "2"],
        ["s3", "0", "1"],
        ["s3", "3", "1"],
        ["s1", "0", "1"],
        ["s1", "1", "1"],
        ["s2", "0", "1"],
        ["s2", "2", "1"],
        ["s5", "0", "1"],
        ["s5", "2", "1"],
    ];
    assert_eq!(marks, expected.map(|m| m.map(String::from).to_vec()));
    assert_eq!(svg.matches(">×2</text>").count(), 2);
    // The axis: 0 to 3, one tick per tick, named by the unit.
    for t in 0..=3 {
        assert!(svg.contains(&format!(">{t}</text>")));
    }
    assert!(svg.contains(">ticks</text>"));
    // The grid is still there, 12 turns.
    assert_eq!(svg.matches("<g class=\"cell\"").count(), 12);
}

#[test]
fn the_bars_are_ordered_like_their_ends() {
    // All the sleepers start at 0: the bars start at the same x and end in the order of
    // their deadlines, 1 < 2 < 3.
    let svg = render(&parse(SLEEPERS).unwrap());
    let rects: Vec<(i32, i32)> = svg
        .split("<g class=\"span\" ")
        .skip(1)
        .map(|rest| {
            let rect = &rest[rest.find("<rect ").unwrap()..];
            let num = |name: &str| -> i32 {
                let key = format!(" {name}=\"");
                let start = rect.find(&key).unwrap() + key.len();
                rect[start..start + rect[start..].find('"').unwrap()]
                    .parse()
                    .unwrap()
            };
            (num("x"), num("x") + num("width"))
        })
        .collect();
    let (s3, s1, s2) = (rects[1], rects[2], rects[3]);
    assert!(s3.0 == s1.0 && s1.0 == s2.0);
    assert!(s1.1 < s2.1 && s2.1 < s3.1);
}

#[test]
fn events_attach_to_the_next_turn_of_their_domain() {
    let trace = parse(SERVER).unwrap();
    let events: Vec<Option<&str>> = trace.turns().iter().map(|t| t.events.as_deref()).collect();
    assert_eq!(
        events,
        [
            Some("ready: listener"),
            None,
            Some("ready: client"),
            Some("timer: 5; ready: listener")
        ]
    );
    let svg = render(&trace);
    let columns = groups(&svg, "events", &["data-turn"]);
    assert_eq!(
        columns,
        [["1"], ["3"], ["4"]].map(|c| c.map(String::from).to_vec())
    );
    assert!(svg.contains("<title>events before turn 4: timer: 5; ready: listener</title>"));
    assert!(!svg.contains("class=\"time-view\""));
    assert_eq!(parse(&trace.to_text()).unwrap(), trace);
}

#[test]
fn errors_of_time_and_events_name_their_line() {
    let head = "title T\ndescription D\ntask a A\n";
    let error = |body: &str| parse(&format!("{head}{body}")).unwrap_err().to_string();
    assert_eq!(
        error("at 3\nturn 0 a sleep\nat 1\n"),
        "line 6: time goes backwards: `at 1` after `at 3` on line 4"
    );
    assert_eq!(
        error("span a 2 1\n"),
        "line 4: the span of `a` ends at 1, before it starts at 2"
    );
    assert_eq!(
        error("turn 0 a read\nevents 0 ready: a\n"),
        "line 5: events after the last turn of domain `0` (an `events` line goes with the \
         next turn of its domain, and none follows)"
    );
}

#[test]
fn the_builder_draws_what_the_text_does() {
    let built = Trace::new(
        "A server",
        "The listener accepts a client, which reads its request when its socket is ready.",
    )
    .task("l", "listener")
    .task("c", "client")
    .turn("0", "l", "accept")
    .events("ready: listener")
    .note("accepted the client")
    .queue("0", &["c", "l"])
    .turn("0", "c", "read")
    .note("would block")
    .queue("0", &["l"])
    .turn("0", "l", "park")
    .events("ready: client")
    .queue("0", &["c"])
    .turn("0", "c", "done")
    .events("timer: 5")
    .events("ready: listener")
    .queue("0", &[]);
    assert_eq!(built, parse(SERVER).unwrap());
    assert_eq!(render(&built), render(&parse(SERVER).unwrap()));
}

/// Traces of the book's pictures (`cargo run -p step-03 -- --trace NAME`) and the
/// pictures committed in `book/pictures/` when the time view and events were added:
/// a trace without them must still give the same bytes.
#[test]
fn traces_without_time_or_events_draw_the_same_bytes_as_before() {
    for (trace, svg) in [
        (
            include_str!("fixtures/03-quanta-1.txt"),
            include_str!("fixtures/03-quanta-1.svg"),
        ),
        (
            include_str!("fixtures/03-availability-ready.txt"),
            include_str!("fixtures/03-availability-ready.svg"),
        ),
    ] {
        let trace = parse(trace).unwrap();
        assert!(!trace.uses_time());
        assert_eq!(render(&trace), svg);
    }
}
