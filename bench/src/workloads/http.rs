//! HTTP: a server of miou's examples against the same server on tokio
//! `current_thread`, each a child process on 127.0.0.1 with one server thread (the
//! example runs with `MIOU_DOMAINS=0`), loaded by `wrk -t1 -c50 -d5s --latency`
//! (`-d1s` with `--quick`): requests per second, p50 and p99 as wrk reports them.
//!
//! - `HTTP`: `miou/examples/http.rs`, written by hand, and its tokio twin
//!   (`bench --http-tokio ADDR`, `src/http_tokio.rs`).
//! - `HTTP/hyper`: `miou/examples/hyper.rs`, hyper's HTTP/1 server, and the same hyper
//!   server on tokio through hyper-util (`bench --hyper-tokio ADDR`,
//!   `src/hyper_tokio.rs`): the runtimes under a real HTTP stack. It has no target
//!   (`bench/WORKLOADS.md`); its figures are for the reader.
//!
//! Needs `wrk` (Debian's package: installed with `apt-get install -y wrk` when missing
//! and running as root, except with `--quick`) and the example's binary next to this
//! one (`target/release/examples/http` or `hyper`; a full run builds it with cargo when
//! missing, a `--quick` run does not). Without them the case is skipped with a message.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{Case, Config, Measured, Metric, Run, Target, Unit};
use crate::runtimes::{self, Runtime};

/// One comparison: a miou example and its tokio twin.
#[derive(Clone, Copy)]
struct Twins {
    /// The example, `miou/examples/NAME.rs`.
    example: &'static str,
    /// The flag that runs this binary as the tokio twin.
    twin: &'static str,
}

const HTTP: Twins = Twins {
    example: "http",
    twin: "--http-tokio",
};

const HYPER: Twins = Twins {
    example: "hyper",
    twin: "--hyper-tokio",
};

/// The HTTP cases.
pub fn cases(cfg: &Config) -> Vec<Case> {
    let secs = if cfg.quick { 1 } else { 5 };
    let quick = cfg.quick;
    let case = |id: &str, title: &str, twins: Twins, metrics| Case {
        id: id.to_string(),
        workload: "HTTP",
        name: "http",
        title: format!("{title}, wrk -t1 -c50 -d{secs}s"),
        runtimes: runtimes::TOKIO_CT_ONLY,
        check: Some(Box::new(move || prepare(quick, twins))),
        metrics,
        run: Run::Metrics(Box::new(move |rt| run(rt, twins, secs))),
    };
    vec![
        case(
            "HTTP",
            "HTTP hello world",
            HTTP,
            vec![
                Metric {
                    unit: Unit::ReqPerSec,
                    gate: vec![Target::Runtime(Runtime::TokioCt, 0.8)],
                    goal: vec![Target::Runtime(Runtime::TokioCt, 1.0)],
                },
                Metric::plain(Unit::P50),
                Metric::plain(Unit::P99),
            ],
        ),
        case(
            "HTTP/hyper",
            "HTTP hello world, hyper",
            HYPER,
            [Unit::ReqPerSec, Unit::P50, Unit::P99]
                .into_iter()
                .map(Metric::plain)
                .collect(),
        ),
    ]
}

/// Where the example's binary should be: beside this executable, in `examples/`.
fn example(twins: Twins) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("no current exe: {e}"))?;
    let dir = exe.parent().ok_or("the executable has no folder")?;
    Ok(dir.join("examples").join(twins.example))
}

/// Is this process root (`Uid:` in `/proc/self/status`)?
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

fn has_wrk() -> bool {
    Command::new("wrk")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Makes sure `wrk` and the example are there (installing and building them in a full
/// run), or says why the case is skipped.
fn prepare(quick: bool, twins: Twins) -> Result<(), String> {
    if !has_wrk() {
        if quick {
            return Err("wrk is not installed (a full run installs it)".into());
        }
        if !is_root() {
            return Err("wrk is not installed and this is not root: `apt-get install wrk`".into());
        }
        eprintln!("bench: installing wrk (apt-get install -y wrk)");
        let install = || {
            Command::new("apt-get")
                .args(["install", "-y", "wrk"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .output()
        };
        let ok = |o: &std::io::Result<std::process::Output>| {
            o.as_ref().is_ok_and(|o| o.status.success())
        };
        if !ok(&install()) {
            let _ = Command::new("apt-get").arg("update").output();
            let out = install();
            if !ok(&out) {
                return Err(format!(
                    "apt-get install -y wrk failed: {}",
                    out.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                        .unwrap_or_else(|e| e.to_string())
                ));
            }
        }
        if !has_wrk() {
            return Err("wrk is still missing after apt-get install".into());
        }
    }
    let bin = example(twins)?;
    let name = twins.example;
    if !bin.exists() {
        if quick {
            return Err(format!(
                "{} is missing: `cargo build --release -p miou --example {name}`",
                bin.display()
            ));
        }
        let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
        let target = bin
            .parent()
            .and_then(|p| p.parent())
            .and_then(|p| p.parent())
            .ok_or("cannot tell the target folder")?;
        // The same profile as this binary, so that it lands beside it.
        let release = (!cfg!(debug_assertions)).then_some("--release");
        eprintln!("bench: building miou's {name} example (cargo build -p miou --example {name})");
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "-p", "miou", "--example", name])
            .args(release)
            .arg("--manifest-path")
            .arg(manifest)
            .env("CARGO_TARGET_DIR", target)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("cargo: {e}"))?;
        if !status.success() || !bin.exists() {
            return Err(format!("building miou's {name} example failed"));
        }
    }
    Ok(())
}

/// A server child process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server of `twins` on `rt` on a port the kernel picks (its address is in
/// its `listening on ADDR` line).
fn start(rt: Runtime, twins: Twins) -> Server {
    let mut cmd = match rt {
        Runtime::Miou => {
            let mut c = Command::new(example(twins).expect("the example's path"));
            c.env("MIOU_DOMAINS", "0");
            c
        }
        Runtime::TokioCt => {
            let mut c = Command::new(std::env::current_exe().expect("the bench's path"));
            c.arg(twins.twin);
            c
        }
        other => unreachable!("HTTP does not run on {}", other.name()),
    };
    let child = cmd
        .arg("127.0.0.1:0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the HTTP server");
    Server(child)
}

/// Reads the server's stderr up to its `listening on ADDR` line; returns ADDR. The rest
/// of its stderr is drained by a thread so that the server never blocks on it.
fn address(server: &mut Server) -> String {
    let stderr = server.0.stderr.take().expect("piped stderr");
    let mut lines = BufReader::new(stderr);
    let mut line = String::new();
    loop {
        line.clear();
        let n = lines
            .read_line(&mut line)
            .expect("read the server's stderr");
        assert!(n > 0, "the HTTP server ended before listening");
        if let Some(rest) = line.split("listening on ").nth(1) {
            let addr = rest
                .split_whitespace()
                .next()
                .expect("an address")
                .to_string();
            std::thread::spawn(move || {
                let mut sink = String::new();
                while lines.read_line(&mut sink).is_ok_and(|n| n > 0) {
                    sink.clear();
                }
            });
            return addr;
        }
    }
}

/// A wrk duration such as `302.00us`, `1.02ms` or `1.10s`, in seconds.
fn wrk_time(s: &str) -> Option<f64> {
    let (num, scale) = if let Some(n) = s.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        return None;
    };
    num.parse::<f64>().ok().map(|v| v * scale)
}

/// Requests per second, p50, p99 and any errors from wrk's `--latency` report.
pub fn parse_wrk(out: &str) -> Result<(f64, f64, f64, Option<String>), String> {
    let mut rate = None;
    let (mut p50, mut p99) = (None, None);
    let mut errors = None;
    for line in out.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", v] => rate = v.parse::<f64>().ok(),
            ["50%", v] => p50 = wrk_time(v),
            ["99%", v] => p99 = wrk_time(v),
            ["Non-2xx", ..] | ["Socket", "errors:", ..] => {
                errors = Some(line.trim().to_string());
            }
            _ => {}
        }
    }
    match (rate, p50, p99) {
        (Some(r), Some(a), Some(b)) => Ok((r, a, b, errors)),
        _ => Err(format!("cannot read wrk's report:\n{out}")),
    }
}

/// One run: a fresh server, one wrk load of `secs` seconds.
fn run(rt: Runtime, twins: Twins, secs: u64) -> Measured {
    let mut server = start(rt, twins);
    let addr = address(&mut server);
    let out = Command::new("wrk")
        .args(["-t1", "-c50", &format!("-d{secs}s"), "--latency"])
        .arg(format!("http://{addr}/"))
        .stdin(Stdio::null())
        .output()
        .expect("run wrk");
    drop(server);
    assert!(
        out.status.success(),
        "wrk failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let (rate, p50, p99, errors) = parse_wrk(&text).unwrap_or_else(|e| panic!("{e}"));
    // Give the port and the sockets back before the next run.
    std::thread::sleep(Duration::from_millis(50));
    Measured {
        values: vec![rate, p50, p99],
        note: errors.map(|e| format!("wrk reported {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrks_report() {
        let out = "Running 5s test @ http://127.0.0.1:40000/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   412.35us  120.11us   5.03ms   90.12%
    Req/Sec    60.12k     2.01k   63.40k    80.00%
  Latency Distribution
     50%  398.00us
     75%  450.00us
     90%  520.00us
     99%    1.02ms
  299123 requests in 5.00s, 40.23MB read
Requests/sec:  59824.60
Transfer/sec:      8.05MB
";
        let (rate, p50, p99, errors) = parse_wrk(out).unwrap();
        assert_eq!(rate, 59824.6);
        assert!((p50 - 398e-6).abs() < 1e-12);
        assert!((p99 - 1.02e-3).abs() < 1e-12);
        assert!(errors.is_none());
        assert!(parse_wrk("nothing").is_err());
        assert_eq!(wrk_time("1.10s"), Some(1.1));
    }
}
