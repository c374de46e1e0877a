//! Worker domains start with the first `call` or `parallel`, not with the run: a run
//! that never calls costs what a `domains(0)` run does. Linux only (it counts the
//! process's threads in `/proc/self/task`); one test in the binary, so that no other
//! test's workers are counted.

mod common;

use common::watchdog;

/// How many of this process's threads are worker domains (by their names).
#[cfg(target_os = "linux")]
fn worker_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("miou-domain-"))
        .count()
}

/// Worker domains start with the first `call`: a run that never calls has no worker
/// thread, whatever `domains` says; after the first call, all of them run. (The only
/// test of this binary, so that the threads it counts are its own.)
#[cfg(target_os = "linux")]
#[test]
fn workers_start_with_the_first_call() {
    watchdog(20, || {
        let before = worker_threads();
        let counts = miou::Builder::new().domains(3).run(async {
            let idle = worker_threads();
            assert_eq!(miou::domain::available(), 3, "configured, if not started");
            miou::call(|| async {}).await.unwrap();
            // Every worker was started; each names its thread itself, as it starts.
            let mut started = worker_threads();
            for _ in 0..500 {
                if started == before + 3 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
                started = worker_threads();
            }
            (idle, started)
        });
        assert_eq!(counts, (before, before + 3));
        // A run that never calls stays on its thread.
        let n = miou::run(async { worker_threads() });
        assert_eq!(n, before);
    });
}
