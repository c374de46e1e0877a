//! Runs the benchmark binary as CI would (`--quick --json`) and checks that every
//! workload printed one well-formed line for each of its runtimes, and nothing else;
//! and runs its single-run child (`--rss`). A watchdog kills the binary if it hangs (a
//! runtime that loses a wake-up would).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Far above what a debug build needs (a few seconds), far below CI's patience.
const DEADLINE: Duration = Duration::from_secs(120);

/// The value of `"key": value` in one JSON line of the bench's flat shape.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(&format!("\"{key}\": "))? + key.len() + 4;
    let rest = &line[start..];
    let end = rest.find([',', '}'])?;
    Some(rest[..end].trim_matches('"'))
}

/// Runs the bench binary with `args` under a watchdog; its status, stdout and stderr.
fn run_bench(args: &[&str]) -> (ExitStatus, String, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the bench binary");
    let child = Arc::new(Mutex::new(child));
    let mut stdout = child.lock().unwrap().stdout.take().expect("piped stdout");
    let mut stderr = child.lock().unwrap().stderr.take().expect("piped stderr");

    let done = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (child, done, killed) = (child.clone(), done.clone(), killed.clone());
        std::thread::spawn(move || {
            let start = Instant::now();
            while !done.load(Ordering::SeqCst) {
                if start.elapsed() > DEADLINE {
                    killed.store(true, Ordering::SeqCst);
                    let _ = child.lock().unwrap().kill();
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };

    let mut out = String::new();
    stdout.read_to_string(&mut out).expect("read stdout");
    // A few progress lines: they fit in the pipe while stdout is read.
    let mut err = String::new();
    stderr.read_to_string(&mut err).expect("read stderr");
    let status = child.lock().unwrap().wait().expect("wait for the bench");
    done.store(true, Ordering::SeqCst);
    watchdog.join().unwrap();
    assert!(
        !killed.load(Ordering::SeqCst),
        "bench {args:?} did not finish within {DEADLINE:?}; output so far:\n{out}\n{err}"
    );
    (status, out, err)
}

/// `bench --rss W RUNTIME N` runs one workload once (what the memory figures and a
/// profiler use) and prints a peak resident set that grows with N.
#[test]
fn the_single_run_child_runs_b1_b2_b3_b5_and_b8() {
    let peak = |args: &[&str]| -> u64 {
        let (status, out, err) = run_bench(args);
        assert!(
            status.success(),
            "bench {args:?} failed: {status}\n{out}\n{err}"
        );
        out.trim()
            .parse()
            .unwrap_or_else(|e| panic!("bench {args:?} printed {out:?}, not bytes: {e}"))
    };
    for (w, small, large) in [
        ("B1", "0", "20000"),
        ("B2", "1", "20000"),
        ("B3", "1", "50"),
    ] {
        for rt in ["miou", "floor"] {
            let (a, b) = (
                peak(&["--rss", w, rt, small]),
                peak(&["--rss", w, rt, large]),
            );
            // B3's 200 tasks are alive whatever their yields: no growth is asked of it.
            if w != "B3" {
                assert!(
                    b > a,
                    "{w} on {rt}: {large} tasks peak at {b} bytes, {small} at {a}"
                );
            }
        }
    }
    // B5's 300 tasks are alive whatever its rounds: it only has to run.
    for rt in ["miou", "tokio-ct"] {
        assert!(peak(&["--rss", "B5", rt, "1"]) > 0);
    }
    assert!(peak(&["--rss", "B8", "miou", "1111"]) > 0);
    let (status, _, err) = run_bench(&["--rss", "B4", "miou", "10"]);
    assert!(!status.success(), "B4 has no single run");
    assert!(err.contains("only B1, B2, B3, B5 and B8"), "{err}");
}

#[test]
fn quick_json_prints_a_line_per_workload_and_runtime() {
    let (status, out, err) = run_bench(&["--quick", "--json"]);
    assert!(status.success(), "the bench failed: {status}\n{out}\n{err}");

    // case id -> (unit, runtime) seen
    let mut seen: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for line in out.lines() {
        assert!(
            line.starts_with('{') && line.ends_with('}'),
            "not a JSON object line: {line:?}"
        );
        let workload = field(line, "workload").expect("a workload");
        let runtime = field(line, "runtime").expect("a runtime");
        let median: f64 = field(line, "median")
            .and_then(|m| m.parse().ok())
            .expect("a numeric median");
        assert!(
            median > 0.0 && median.is_finite(),
            "not a positive figure: {line}"
        );
        let unit = field(line, "unit").expect("a unit");
        assert!(
            ["s", "req/s", "s_p50", "s_p99", "s_max", "iter/s"].contains(&unit),
            "an unknown unit: {line}"
        );
        assert_eq!(
            field(line, "runs"),
            Some("3"),
            "--quick makes 3 runs: {line}"
        );
        assert!(
            seen.entry(workload.to_string())
                .or_default()
                .insert((unit.to_string(), runtime.to_string())),
            "a duplicate line: {line}"
        );
    }

    let set = |units: &[&str], runtimes: &[&str]| -> BTreeSet<(String, String)> {
        units
            .iter()
            .flat_map(|u| runtimes.iter().map(|r| (u.to_string(), r.to_string())))
            .collect()
    };
    let with_floor = ["miou", "tokio-ct", "async-executor", "floor"];
    let peers_only = ["miou", "tokio-ct", "async-executor"];
    let expected = |w: &str| match w {
        "B1" | "B2" | "B3" => set(&["s"], &with_floor),
        "B4" | "B5" => set(&["s"], &peers_only),
        "B6" => set(&["s"], &["miou", "tokio-mt", "async-executor-mt"]),
        "B7" => set(&["s_p50", "s_p99", "s_max", "iter/s", "req/s"], &peers_only),
        "B8" => set(&["s"], &["miou", "tokio-ct"]),
        "B9" => set(&["req/s", "s_p50", "s_p99"], &with_floor),
        "B10" => set(&["s"], &["miou", "tokio-mt", "floor", "sequential"]),
        "HTTP" | "HTTP/hyper" => set(&["req/s", "s_p50", "s_p99"], &["miou", "tokio-ct"]),
        _ => unreachable!(),
    };
    // The HTTP cases run only where wrk and miou's example are already there.
    for id in ["HTTP", "HTTP/hyper"] {
        if let Some(lines) = seen.get(id) {
            assert_eq!(lines, &expected(id), "units and runtimes of {id}");
        }
    }
    for w in ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10"] {
        let cases: Vec<_> = seen
            .iter()
            .filter(|(id, _)| *id == w || id.starts_with(&format!("{w}/")))
            .collect();
        assert!(!cases.is_empty(), "no line for {w}:\n{out}");
        for (id, lines) in cases {
            assert_eq!(lines, &expected(w), "units and runtimes of {id}");
        }
    }
    assert_eq!(
        seen.keys().filter(|id| id.starts_with("B1/")).count(),
        2,
        "two B1 sizes"
    );
    let b7: BTreeSet<&str> = seen
        .keys()
        .filter(|id| id.starts_with("B7/"))
        .map(|id| id.as_str())
        .collect();
    assert_eq!(
        b7,
        BTreeSet::from(["B7/k=1", "B7/k=10", "B7/paced-k=1", "B7/paced-k=10"]),
        "B7 with K = 1 and K = 10, closed-loop and paced"
    );
}
