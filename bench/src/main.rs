//! The side-by-side benchmarks: each workload on miou and on each peer, interleaved,
//! with medians, ratios, and (for B1 and B8) peak memory. `bench/WORKLOADS.md` defines
//! the workloads, their parameters and their targets.
//!
//! ```text
//! cargo run -p bench --release -- [NAME...] [--quick] [--json] [--runs N] [--quanta N]
//!                                 [--target-ms MS] [--runtime NAME]... [--no-rss]
//! cargo run -p bench --release -- --tuning PATH [--quick] [--runs N]
//! ```
//!
//! - `NAME`: a workload (`B1`, `spawn_many`) or one case (`B1/25000`, `B3/quanta=61`);
//!   all of them by default.
//! - `--quick`: 3 runs of one iteration at small sizes, for a smoke run (CI, debug).
//! - `--json`: one JSON object per case, metric and runtime on stdout, nothing else (its
//!   `workload` field holds the case's id: `B1/1000`, `B7/paced-k=1`, `HTTP/hyper`).
//! - `--runs N`: runs per runtime (default 7; at least 5 unless `--quick`).
//! - `--quanta N`: miou's quanta (default 1, miou's default); B3 adds a row with 61.
//! - `--target-ms MS`: how long one run of the fastest runtime should last (default 30).
//! - `--runtime NAME` (repeatable): run only these runtimes (`miou`, `miou-d0`, `tokio-ct`,
//!   `tokio-mt`, `async-executor`, `async-executor-mt`, `floor`, `sequential`), e.g. to
//!   profile one of them; ratios need miou and a peer.
//! - `--no-rss`: skip the peak-memory children of B1 and B8 (they run only in a full,
//!   non-JSON run without `--runtime` that selects B1 or B8).
//! - `--tuning PATH`: instead of the workloads, B7 on miou alone for quanta 1, 4, 16
//!   and 61 and K = 1 and 10 ([`tuning`]): prints the figures as a markdown table and
//!   writes their plot, an SVG, to `PATH` (the book's is `book/plots/tuning.svg`).
//!
//! Internal: `bench --rss B1|B2|B3|B5|B8 RUNTIME N` runs the workload once and prints its
//! peak RSS in bytes (the memory figures use B1 and B8; a profiler runs any of them: see
//! [`rss`]);
//! `bench --http-tokio ADDR` is the tokio HTTP server of the HTTP comparison, and
//! `bench --hyper-tokio ADDR` the tokio hyper server of HTTP/hyper.

mod harness;
mod http_tokio;
mod hyper_tokio;
mod plot;
mod report;
mod rss;
mod runtimes;
mod tuning;
mod workloads;

use std::process::ExitCode;
use std::time::Duration;

use harness::Settings;
use workloads::{Case, Config};

const USAGE: &str = "usage: bench [NAME...] [--quick] [--json] [--runs N] [--quanta N] [--target-ms MS] [--runtime NAME]... [--no-rss]\n       bench --tuning PATH [--quick] [--runs N]\n       bench --rss B1|B2|B3|B5|B8 RUNTIME N [--quanta N]\n       bench --http-tokio ADDR\n       bench --hyper-tokio ADDR";

#[derive(Debug, Default)]
struct Options {
    names: Vec<String>,
    quick: bool,
    json: bool,
    runs: Option<usize>,
    quanta: Option<usize>,
    target_ms: Option<u64>,
    no_rss: bool,
    only: Vec<runtimes::Runtime>,
    rss: Option<Vec<String>>,
    http_tokio: Option<String>,
    hyper_tokio: Option<String>,
    tuning: Option<std::path::PathBuf>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter();
    fn number<T: std::str::FromStr>(flag: &str, v: Option<&String>) -> Result<T, String> {
        v.and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{flag} needs a number"))
    }
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--json" => o.json = true,
            "--no-rss" => o.no_rss = true,
            "--runs" => o.runs = Some(number("--runs", it.next())?),
            "--quanta" => o.quanta = Some(number("--quanta", it.next())?),
            "--target-ms" => o.target_ms = Some(number("--target-ms", it.next())?),
            "--runtime" => {
                let name = it.next().ok_or("--runtime needs a name")?;
                let rt = runtimes::Runtime::from_name(name)
                    .ok_or_else(|| format!("unknown runtime {name}"))?;
                o.only.push(rt);
            }
            "--tuning" => o.tuning = Some(it.next().ok_or("--tuning needs a path")?.into()),
            "--rss" => o.rss = Some(it.by_ref().take(3).cloned().collect()),
            "--http-tokio" => {
                o.http_tokio = Some(it.next().ok_or("--http-tokio needs an address")?.clone())
            }
            "--hyper-tokio" => {
                o.hyper_tokio = Some(it.next().ok_or("--hyper-tokio needs an address")?.clone())
            }
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            name => o.names.push(name.to_string()),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("bench: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(addr) = &o.http_tokio {
        return match http_tokio::main(addr) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("http-tokio: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(addr) = &o.hyper_tokio {
        return match hyper_tokio::main(addr) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("hyper-tokio: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let quanta = o.quanta.unwrap_or(1);
    if quanta == 0 {
        eprintln!("bench: --quanta must be at least 1");
        return ExitCode::from(2);
    }
    if let Some(rss_args) = &o.rss {
        return match rss::child(rss_args, quanta) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench: {e}");
                ExitCode::FAILURE
            }
        };
    }

    let runs = o.runs.unwrap_or(if o.quick { 3 } else { 7 });
    if runs < 5 && !o.quick {
        eprintln!(
            "bench: a figure is the median of at least 5 runs (bench/WORKLOADS.md); use --quick for a smoke run"
        );
        return ExitCode::from(2);
    }
    if let Some(path) = &o.tuning {
        return match tuning::main(path, o.quick, runs) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench: cannot write the plot: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let cfg = Config {
        quick: o.quick,
        quanta,
    };
    let all = workloads::all(&cfg);
    for name in &o.names {
        if !all.iter().any(|c| c.matches(name)) {
            let known: Vec<_> = all.iter().map(|c| c.id.as_str()).collect();
            eprintln!("bench: no workload {name} (known: {})", known.join(", "));
            return ExitCode::from(2);
        }
    }
    let mut skipped = Vec::new();
    let selected: Vec<&Case> = all
        .iter()
        .filter(|c| o.names.is_empty() || o.names.iter().any(|n| c.matches(n)))
        .filter(|c| o.only.is_empty() || c.runtimes.iter().any(|r| o.only.contains(r)))
        .filter(|c| match &c.check {
            Some(check) => match check() {
                Ok(()) => true,
                Err(why) => {
                    eprintln!("bench: {} skipped: {why}", c.id);
                    skipped.push(format!("{} skipped: {why}", c.title));
                    false
                }
            },
            None => true,
        })
        .collect();
    if selected.is_empty() {
        eprintln!("bench: none of the selected workloads runs on the selected runtimes");
        return ExitCode::from(2);
    }
    let settings = Settings {
        only: o.only.clone(),
        runs,
        target: Duration::from_millis(o.target_ms.unwrap_or(30)),
        quick: o.quick,
    };
    let rows: Vec<_> = selected
        .iter()
        .flat_map(|c| harness::measure(c, &settings))
        .collect();

    if o.json {
        print!("{}", report::json(&rows));
        return ExitCode::SUCCESS;
    }
    println!(
        "Medians over runs, runtimes interleaved run by run. Times are per iteration: each \
         run is a fresh runtime (async-executor's is kept per thread) executing the workload \
         `iters` times, timed inside its root task. Rates and latencies: one run is one \
         measurement. miou: quanta {quanta}; one domain, except B6 and B10 (worker domains); \
         B11 and HTTP: miou's defaults (B11's `miou::run`, the HTTP example with \
         MIOU_DOMAINS=0).\n"
    );
    print!("{}", report::table(&rows));
    for s in &skipped {
        println!("\n{s}");
    }
    let rss_wanted = !o.quick && !o.no_rss && o.only.is_empty();
    let b1 = selected.iter().find(|c| c.workload == "B1");
    if let Some(b1) = b1
        && rss_wanted
    {
        match rss::measure(b1.runtimes, quanta) {
            Ok(rows) => {
                println!(
                    "\nPeak RSS of B1 with {} tasks (one child process each):\n",
                    workloads::thousands(rss::N)
                );
                print!("{}", report::rss_table(&rows));
            }
            Err(e) => eprintln!("bench: peak RSS not measured: {e}"),
        }
    }
    let b8 = selected.iter().find(|c| c.workload == "B8");
    if let Some(b8) = b8
        && rss_wanted
    {
        match rss::measure_b8(b8.runtimes, quanta) {
            Ok(rows) => {
                println!(
                    "\nPeak RSS of B8's tree of {} blocked tasks (one child process each):\n",
                    workloads::thousands(rss::b8_tasks())
                );
                print!("{}", report::rss_table_b8(&rows));
            }
            Err(e) => eprintln!("bench: peak RSS not measured: {e}"),
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_names_and_flags() {
        let o = parse(&args("B1 B3 --quick --json --runs 5 --quanta 2")).unwrap();
        assert_eq!(o.names, ["B1", "B3"]);
        assert!(o.quick && o.json);
        assert_eq!((o.runs, o.quanta), (Some(5), Some(2)));
        let o = parse(&args("--runtime miou --runtime floor")).unwrap();
        assert_eq!(o.only, [runtimes::Runtime::Miou, runtimes::Runtime::Floor]);
        assert!(parse(&args("--runtime nope")).is_err());
        let o = parse(&args("--http-tokio 127.0.0.1:0")).unwrap();
        assert_eq!(o.http_tokio.as_deref(), Some("127.0.0.1:0"));
        let o = parse(&args("--hyper-tokio 127.0.0.1:0")).unwrap();
        assert_eq!(o.hyper_tokio.as_deref(), Some("127.0.0.1:0"));
        let o = parse(&args("--rss B1 miou 25000 --quanta 1")).unwrap();
        assert_eq!(o.rss.unwrap(), ["B1", "miou", "25000"]);
        assert_eq!(o.quanta, Some(1));
        let o = parse(&args("--tuning book/plots/tuning.svg --quick")).unwrap();
        assert_eq!(o.tuning.unwrap(), Path::new("book/plots/tuning.svg"));
        assert!(o.quick);
        assert!(parse(&args("--tuning")).is_err());
        assert!(parse(&args("--bogus")).is_err());
        assert!(parse(&args("--runs x")).is_err());
    }
}
