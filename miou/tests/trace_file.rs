//! The trace file (`Builder::trace_file`, `MIOU_TRACE`): a run writes Chrome
//! trace-event JSON that Perfetto opens. Each test runs a program with the export on,
//! parses the file with a real JSON parser, and checks its structure: the tracks of the
//! domains, the turns and their names, the instants, the order of time, the limit.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use common::watchdog;
use serde_json::Value;

/// A path in the temporary folder for this test's file, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("miou-trace-{name}-{}.json", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempFile(path)
    }

    /// The file, parsed (it must be valid JSON).
    fn parse(&self) -> Value {
        let text = std::fs::read_to_string(&self.0)
            .unwrap_or_else(|e| panic!("no trace file at {}: {e}", self.0.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{text}"))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `traceEvents`, checking what every event has: a phase, a pid, a tid, a name.
fn events_of(trace: &Value) -> &[Value] {
    let events = trace["traceEvents"]
        .as_array()
        .expect("an object with a traceEvents array");
    for e in events {
        assert!(e["ph"].is_string(), "{e}");
        assert!(e["pid"].is_u64(), "{e}");
        assert!(e["tid"].is_u64(), "{e}");
        assert!(e["name"].is_string(), "{e}");
        if e["ph"] != "M" {
            assert!(e["ts"].as_f64().is_some_and(|ts| ts >= 0.0), "{e}");
        }
    }
    events
}

fn phase<'a>(events: &'a [Value], ph: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    events.iter().filter(move |e| e["ph"] == ph)
}

fn named<'a>(events: &'a [Value], ph: &'a str, name: &'a str) -> Vec<&'a Value> {
    phase(events, ph).filter(|e| e["name"] == name).collect()
}

fn tid(e: &Value) -> u64 {
    e["tid"].as_u64().unwrap()
}

/// The `thread_name` of each domain's track.
fn thread_names(events: &[Value]) -> BTreeMap<u64, String> {
    named(events, "M", "thread_name")
        .into_iter()
        .map(|e| (tid(e), e["args"]["name"].as_str().unwrap().to_string()))
        .collect()
}

/// On each track, the turns (`X`) start in order and do not overlap: a domain runs one
/// turn at a time. Timestamps are whole nanoseconds written in microseconds, so the
/// comparisons allow for the rounding of the parse.
fn check_turns_in_order(events: &[Value]) {
    let mut last_end: HashMap<u64, (f64, f64)> = HashMap::new();
    for e in phase(events, "X") {
        let ts = e["ts"].as_f64().unwrap();
        let dur = e["dur"].as_f64().expect("a turn has a duration");
        assert!(dur >= 0.0, "{e}");
        if let Some(&(start, end)) = last_end.get(&tid(e)) {
            assert!(ts >= start, "turns out of order on domain {}: {e}", tid(e));
            assert!(ts + 1e-3 >= end, "turns overlap on domain {}: {e}", tid(e));
        }
        last_end.insert(tid(e), (ts, ts + dur));
    }
}

/// `call`s onto two workers (through `parallel`, which spreads them over both), spawns
/// on domain 0, a yield, a park and a cancel: the file shows all of it, on three
/// tracks.
#[test]
fn a_run_on_three_domains_writes_a_chrome_trace() {
    let file = TempFile::new("three-domains");
    let path = file.0.clone();
    watchdog(60, move || {
        let sum = miou::Builder::new()
            .domains(2)
            .seed(1)
            .trace_file(&path)
            .run(async {
                let here: Vec<_> = (0..3u64)
                    .map(|i| {
                        miou::spawn(async move {
                            miou::yield_now().await;
                            i
                        })
                    })
                    .collect();
                let there = miou::parallel(|i: u64| async move { i * 10 }, vec![1, 2, 3, 4]).await;
                let forever = miou::spawn(async {
                    loop {
                        miou::yield_now().await;
                    }
                });
                miou::cancel(forever).await;
                let here: u64 = miou::await_all(here)
                    .await
                    .into_iter()
                    .map(|r| r.unwrap())
                    .sum();
                here + there.into_iter().map(|r| r.unwrap()).sum::<u64>()
            });
        assert_eq!(sum, 3 + 100);
    });
    let trace = file.parse();
    let events = events_of(&trace);

    // One named track per domain, and the process named after the run.
    let names = thread_names(events);
    assert_eq!(
        names,
        (0..3)
            .map(|d| (d, format!("domain {d}")))
            .collect::<BTreeMap<_, _>>()
    );
    let process = named(events, "M", "process_name");
    assert_eq!(process.len(), 1);
    assert!(
        process[0]["args"]["name"]
            .as_str()
            .unwrap()
            .starts_with("miou run at miou/tests/trace_file.rs:"),
        "{}",
        process[0]
    );

    // Turns on every domain (the workers ran the `parallel` items), named after the
    // task and where it was spawned.
    let turns: Vec<_> = phase(events, "X").collect();
    let tracks: BTreeSet<u64> = turns.iter().map(|e| tid(e)).collect();
    assert_eq!(tracks, BTreeSet::from([0, 1, 2]), "turns on every domain");
    for t in &turns {
        let task = t["args"]["task"].as_str().expect("a turn names its task");
        let name = t["name"].as_str().unwrap();
        assert!(name.starts_with(&format!("{task} ")), "{t}");
        assert!(
            ["yield", "park", "finish"].contains(&t["args"]["end"].as_str().unwrap()),
            "{t}"
        );
        if task != "1@0" {
            assert_eq!(t["args"]["parent"], "1@0", "{t}");
        }
    }
    assert!(
        turns.iter().any(|t| t["args"]["task"] == "1@0"
            && t["name"]
                .as_str()
                .unwrap()
                .starts_with("1@0 miou/tests/trace_file.rs:")),
        "the root is named after where the run started"
    );
    assert!(
        turns.iter().any(|t| t["args"]["task"] == "1@0"
            && t["args"]["end"] == "finish"
            && t["args"]["ok"] == true),
        "the root's last turn"
    );
    check_turns_in_order(events);

    // An instant for each spawn (3 + 4 + 1 tasks), with an arrow to the child's first
    // turn, and the cancel, the parks.
    let spawns = named(events, "i", "spawn");
    assert_eq!(spawns.len(), 8, "{spawns:?}");
    let runners: BTreeSet<u64> = spawns
        .iter()
        .map(|s| s["args"]["runner"].as_u64().unwrap())
        .collect();
    assert_eq!(runners, BTreeSet::from([0, 1, 2]));
    let mut sites = BTreeSet::new();
    for s in &spawns {
        assert_eq!(s["args"]["parent"], "1@0", "{s}");
        assert_eq!(tid(s), 0, "spawned from the root, on domain 0: {s}");
        let site = s["args"]["spawned_at"].as_str().unwrap();
        assert!(site.starts_with("miou/tests/trace_file.rs:"), "{s}");
        sites.insert(site);
        // Each turn of the task is on its runner's track, named after the spawn site.
        let task = s["args"]["task"].as_str().unwrap();
        let its: Vec<_> = turns.iter().filter(|t| t["args"]["task"] == task).collect();
        assert!(!its.is_empty(), "no turn of {task}");
        for t in its {
            assert_eq!(t["name"], format!("{task} {site}"), "{t}");
            assert_eq!(t["tid"], s["args"]["runner"], "{t}");
        }
    }
    // Three places: the `spawn` in the map, `parallel`, the `spawn` of `forever`.
    assert_eq!(sites.len(), 3, "{sites:?}");
    let starts: BTreeSet<u64> = phase(events, "s")
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    let ends: BTreeSet<u64> = phase(events, "f")
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(starts.len(), 8);
    assert_eq!(starts, ends, "each arrow has both ends");
    assert!(phase(events, "f").all(|e| e["bp"] == "e"));
    assert!(
        phase(events, "f").any(|e| tid(e) != 0),
        "an arrow across domains"
    );
    let cancels = named(events, "i", "cancel");
    assert_eq!(cancels.len(), 1, "{cancels:?}");
    let parks = named(events, "i", "park");
    assert!(!parks.is_empty(), "the root parked");
    // Every park is answered by a wake of the same task on the same track (the runner
    // reports it, whoever woke the task), no earlier than the park and no later than
    // the task's next turn there. The root's wakes include some from the workers.
    let wakes = named(events, "i", "wake");
    let ts = |e: &Value| e["ts"].as_f64().expect("a timestamp");
    for p in &parks {
        let task = &p["args"]["task"];
        let next = turns
            .iter()
            .filter(|t| &t["args"]["task"] == task && tid(t) == tid(p) && ts(t) >= ts(p))
            .map(|t| ts(t))
            .fold(f64::INFINITY, f64::min);
        assert!(next.is_finite(), "{p} parks and never runs again");
        assert!(
            wakes.iter().any(|w| &w["args"]["task"] == task
                && tid(w) == tid(p)
                && ts(w) >= ts(p)
                && ts(w) <= next),
            "no wake of {task} between its park at {} and its next turn at {next}",
            ts(p)
        );
    }

    let other = &trace["otherData"];
    assert_eq!(other["outcome"], "ok");
    assert_eq!(other["dropped_events"], 0);
    assert_eq!(other["domains"], 3);
    assert_eq!(other["seed"], "1");
    assert!(named(events, "i", "events dropped").is_empty());
    assert_eq!(named(events, "i", "run ends").len(), 1);
}

/// More events than the limit: each domain keeps its first `limit`, the file says how
/// many were dropped, and it is still whole.
#[test]
fn the_limit_is_honoured_and_dropped_events_are_counted() {
    const LIMIT: usize = 40;
    let file = TempFile::new("limit");
    let path = file.0.clone();
    watchdog(60, move || {
        miou::Builder::new()
            .domains(1)
            .trace_file(&path)
            .trace_file_limit(LIMIT)
            .run(async {
                let here: Vec<_> = (0..100).map(|_| miou::spawn(async {})).collect();
                miou::await_all(here).await;
                for _ in 0..50 {
                    miou::call(|| async { miou::yield_now().await })
                        .await
                        .unwrap();
                }
            });
    });
    let trace = file.parse();
    let events = events_of(&trace);
    assert_eq!(thread_names(events).len(), 2);
    // What a domain records: its turns and its `task` instants.
    let mut kept: BTreeMap<u64, usize> = BTreeMap::new();
    for e in events {
        if e["ph"] == "X" || (e["ph"] == "i" && e["cat"] == "task") {
            *kept.entry(tid(e)).or_default() += 1;
        }
    }
    assert_eq!(kept[&0], LIMIT, "domain 0 recorded more than the limit");
    assert_eq!(kept[&1], LIMIT, "domain 1 recorded more than the limit");
    let dropped = named(events, "i", "events dropped");
    assert_eq!(dropped.len(), 2, "one per domain: {dropped:?}");
    let total: u64 = dropped
        .iter()
        .map(|e| {
            assert_eq!(e["args"]["limit"], LIMIT, "{e}");
            e["args"]["dropped"].as_u64().unwrap()
        })
        .sum();
    assert!(total > 0);
    assert_eq!(trace["otherData"]["dropped_events"], total);
    assert_eq!(trace["otherData"]["events_limit_per_domain"], LIMIT);
    // The kept ones are the first: the root's first turn spawns the 100 tasks (spawning
    // is not a scheduling point) before it yields, so domain 0 kept the spawns of the
    // first 40 tasks, 2@0 to 41@0, and nothing else.
    let kept_spawns: Vec<String> = named(events, "i", "spawn")
        .into_iter()
        .filter(|e| tid(e) == 0)
        .map(|e| e["args"]["task"].as_str().unwrap().to_string())
        .collect();
    let first: Vec<String> = (2..2 + LIMIT).map(|n| format!("{n}@0")).collect();
    assert_eq!(kept_spawns, first);
    check_turns_in_order(events);
}

/// A run that fails writes its trace too, with the broken rule and the failure; so does
/// one whose root panics, before `run` panics in turn.
#[test]
fn a_failed_run_writes_its_trace() {
    let broken = TempFile::new("broken");
    let path = broken.0.clone();
    let r = watchdog(60, move || {
        miou::Builder::new()
            .domains(1)
            .trace_file(&path)
            .try_run(async {
                let _lost = miou::spawn(async {});
            })
    });
    assert!(matches!(r, Err(miou::Error::StillHasChildren)), "{r:?}");
    let trace = broken.parse();
    let events = events_of(&trace);
    let rules = named(events, "i", "rule broken");
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(rules[0]["args"]["error"], "StillHasChildren");
    assert_eq!(rules[0]["args"]["task"], "1@0");
    assert_eq!(named(events, "i", "promise dropped").len(), 1);
    assert_eq!(trace["otherData"]["outcome"], "failed");
    assert!(
        trace["otherData"]["failure"]
            .as_str()
            .unwrap()
            .contains("the root task (1@0, run at miou/tests/trace_file.rs:"),
        "{}",
        trace["otherData"]
    );
    check_turns_in_order(events);

    let panicked = TempFile::new("panicked");
    let path = panicked.0.clone();
    let text = watchdog(60, move || {
        common::panic_text(|| {
            miou::Builder::new()
                .domains(0)
                .trace_file(&path)
                .run(async {
                    miou::spawn(async { panic!("boom") }).await.unwrap();
                })
        })
    });
    assert!(text.contains("boom"), "{text}");
    let trace = panicked.parse();
    let events = events_of(&trace);
    // The child's panic, then the root's (it unwrapped the child's `Err`).
    let panics: Vec<_> = named(events, "i", "panic")
        .into_iter()
        .map(|e| e["args"]["task"].as_str().unwrap())
        .collect();
    assert_eq!(panics, ["2@0", "1@0"]);
    assert_eq!(trace["otherData"]["outcome"], "failed");
}

/// `MIOU_TRACE` asks for the file, and `MIOU_DOMAINS` sets the workers the default
/// builder starts. Both are read by a child process (this test binary, running
/// [`miou_trace_child`]), so that the variables are set for it alone.
#[test]
fn miou_trace_writes_the_file() {
    let file = TempFile::new("env");
    let path = file.0.clone();
    let out = watchdog(60, move || {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "miou_trace_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("MIOU_TRACE", &path)
            .env("MIOU_DOMAINS", "1")
            .env("MIOU_TRACE_CHILD", "1")
            .output()
            .expect("cannot run the test binary")
    });
    assert!(
        out.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = file.parse();
    let events = events_of(&trace);
    assert_eq!(thread_names(events).len(), 2);
    let tracks: BTreeSet<u64> = phase(events, "X").map(tid).collect();
    assert_eq!(tracks, BTreeSet::from([0, 1]));
    assert_eq!(trace["otherData"]["outcome"], "ok");
}

/// The child process of [`miou_trace_writes_the_file`] (does nothing otherwise): a run
/// with the default builder, a `call` and a spawn.
#[test]
fn miou_trace_child() {
    if std::env::var_os("MIOU_TRACE_CHILD").is_none() {
        return;
    }
    let v = miou::run(async {
        let here = miou::spawn(async { 1 });
        let there = miou::call(|| async { 2 });
        here.await.unwrap() + there.await.unwrap()
    });
    assert_eq!(v, 3);
}

/// An events backend that panics when domain 0 has nothing to run: the panic goes
/// through the runtime itself (not a task's, which would be caught).
struct Broken;

impl miou::Events for Broken {
    fn select(&mut self, block: bool, _: &[miou::SyscallId]) -> Vec<miou::Signal> {
        assert!(!block, "the backend broke");
        Vec::new()
    }
    fn interrupter(&self) -> miou::Interrupter {
        miou::Interrupter::new(|| {})
    }
}

/// A panic that goes through the runtime (here, of the events backend) unwinds out of
/// `run`: the file is still written, with the outcome `unwound`.
#[test]
fn a_run_that_unwinds_writes_its_trace() {
    let file = TempFile::new("unwound");
    let path = file.0.clone();
    let text = watchdog(60, move || {
        common::panic_text(|| {
            miou::Builder::new()
                .domains(0)
                .events(|_| Broken)
                .trace_file(&path)
                .run(async {
                    miou::spawn(async {}).await.unwrap();
                    // The root waits for nothing: domain 0 blocks in its backend.
                    std::future::pending::<()>().await
                })
        })
    });
    assert!(text.contains("the backend broke"), "{text}");
    let trace = file.parse();
    let events = events_of(&trace);
    assert_eq!(trace["otherData"]["outcome"], "unwound");
    assert_eq!(named(events, "i", "spawn").len(), 1);
    assert!(phase(events, "X").any(|t| t["args"]["task"] == "2@0"));
    check_turns_in_order(events);
}

/// A file that cannot be written is reported, and the run's result is unaffected.
#[test]
fn an_unwritable_trace_file_does_not_fail_the_run() {
    let dir = std::env::temp_dir().join(format!("miou-trace-missing-{}", std::process::id()));
    let path = dir.join("no").join("trace.json");
    let v = watchdog(60, move || {
        miou::Builder::new()
            .domains(0)
            .trace_file(&path)
            .run(async { miou::spawn(async { 7 }).await.unwrap() })
    });
    assert_eq!(v, 7);
    assert!(!dir.exists());
}
