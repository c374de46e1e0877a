//! The picture of a small fixed trace, checked for its structure with string searches.
//! Every expected value is worked out from the trace by hand.

use timeline::{Trace, parse, render};

/// Hello and World under a quanta of 1: main spawns hello, prints, awaits; hello prints.
const HELLO: &str = r#"
# step-03's Hello and World
title Hello & World, quanta 1
description main spawns hello, then prints "World"; hello prints "Hello".
domain 0 main domain
task m main
task h hello
turn 0 m spawn -- start
queue 0 m
turn 0 m print "World" -- did spawn hello
queue 0 h m
turn 0 h print "Hello" -- start
queue 0 m h
turn 0 m park at await hello -- printed "World"
queue 0 h m
turn 0 h done -- printed "Hello"
queue 0 m
turn 0 m done
queue 0
"#;

fn svg() -> String {
    render(&parse(HELLO).unwrap())
}

#[test]
fn the_document_starts_with_its_accessible_name_and_description() {
    let svg = svg();
    let id_start = svg.find("aria-labelledby=\"").unwrap() + "aria-labelledby=\"".len();
    let ids = &svg[id_start..id_start + svg[id_start..].find('"').unwrap()];
    let (title_id, desc_id) = ids.split_once(' ').unwrap();
    assert!(title_id.ends_with("-title") && desc_id.ends_with("-desc"));
    // The first two children of <svg>.
    let after_open = &svg[svg.find(">\n").unwrap() + 2..];
    let expected = format!(
        "<title id=\"{title_id}\">Hello &amp; World, quanta 1</title>\n\
         <desc id=\"{desc_id}\">main spawns hello, then prints &quot;World&quot;; hello prints &quot;Hello&quot;.</desc>\n"
    );
    assert!(after_open.starts_with(&expected), "{after_open}");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" "));
    assert!(svg.contains(" role=\"img\" "));
    assert!(svg.trim_end().ends_with("</svg>"));
}

#[test]
fn it_is_self_contained_on_a_white_background() {
    let svg = svg();
    assert!(svg.contains("fill=\"#ffffff\"/>"));
    for banned in [
        "<style",
        "<script",
        "href",
        "url(",
        "@import",
        "<image",
        "<foreignObject",
    ] {
        assert!(!svg.contains(banned), "{banned}");
    }
    for family in svg.split("font-family=\"").skip(1) {
        let family = &family[..family.find('"').unwrap()];
        assert!(["sans-serif", "monospace"].contains(&family), "{family}");
    }
}

#[test]
fn six_turns_six_cells_in_the_right_rows() {
    let svg = svg();
    // Turns 1, 2, 4, 6 are main's, 3 and 5 hello's.
    let cells: Vec<(String, String)> = svg
        .split("<g class=\"cell\" data-turn=\"")
        .skip(1)
        .map(|rest| {
            let turn = rest[..rest.find('"').unwrap()].to_string();
            let task_at = rest.find("data-task=\"").unwrap() + "data-task=\"".len();
            let task = rest[task_at..task_at + rest[task_at..].find('"').unwrap()].to_string();
            (turn, task)
        })
        .collect();
    let expected: Vec<(String, String)> =
        [(1, "m"), (2, "m"), (3, "h"), (4, "m"), (5, "h"), (6, "m")]
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
    assert_eq!(cells, expected);
    // Kinds: spawn and print are other effects, a park waits, done is done.
    assert_eq!(svg.matches("data-kind=\"other\"").count(), 3);
    assert_eq!(svg.matches("data-kind=\"wait\"").count(), 1);
    assert_eq!(svg.matches("data-kind=\"done\"").count(), 2);
    // Two rows, main above hello; one lane, so no lane heading.
    let main = svg.find(">main</text>").unwrap();
    let hello = svg.find(">hello</text>").unwrap();
    assert!(main < hello);
    assert!(!svg.contains(">main domain</text>"));
}

#[test]
fn tooltips_keep_the_stop_and_the_note() {
    let svg = svg();
    assert!(svg.contains(
        "<title>turn 2: main stopped at print &quot;World&quot; — did spawn hello</title>"
    ));
    assert!(svg.contains("<title>turn 6: main stopped at done</title>"));
    assert!(svg.contains("<title>run queue after turn 2: hello, main</title>"));
    assert!(svg.contains("<title>run queue after turn 6: empty</title>"));
}

#[test]
fn the_legend_names_the_kinds_in_text() {
    let svg = svg();
    for name in ["park / wait", "done", "other stop"] {
        assert!(svg.contains(&format!(">{name}</text>")), "{name}");
    }
    assert!(!svg.contains(">yield</text>"));
}

#[test]
fn the_text_round_trips_and_the_picture_is_stable() {
    let trace = parse(HELLO).unwrap();
    assert_eq!(parse(&trace.to_text()).unwrap(), trace);
    assert_eq!(render(&trace), render(&parse(&trace.to_text()).unwrap()));
    // The same trace built in code gives the same picture.
    let built = Trace::new(
        "Hello & World, quanta 1",
        "main spawns hello, then prints \"World\"; hello prints \"Hello\".",
    )
    .domain("0", "main domain")
    .task("m", "main")
    .task("h", "hello")
    .turn("0", "m", "spawn")
    .note("start")
    .queue("0", &["m"])
    .turn("0", "m", "print \"World\"")
    .note("did spawn hello")
    .queue("0", &["h", "m"])
    .turn("0", "h", "print \"Hello\"")
    .note("start")
    .queue("0", &["m", "h"])
    .turn("0", "m", "park at await hello")
    .note("printed \"World\"")
    .queue("0", &["h", "m"])
    .turn("0", "h", "done")
    .note("printed \"Hello\"")
    .queue("0", &["m"])
    .turn("0", "m", "done")
    .queue("0", &[]);
    assert_eq!(built, trace);
    assert_eq!(render(&built), svg());
}
