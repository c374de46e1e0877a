//! Worker domains: placement, stealing of tasks that have not started, and idle
//! domains that sleep instead of spinning.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs `f` on a thread and fails if it does not finish in time: a deadlock must fail
/// the test, not hang CI.
fn watchdog<R: Send + 'static>(secs: u64, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(Ok(r)) => r,
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(_) => panic!("watchdog: the test did not finish within {secs} s (deadlock?)"),
    }
}

/// An idle worker takes the not-yet-started tasks of a busy one. The "hog" holds its
/// domain in one long turn until the small tasks are done; if nobody took them from the
/// hog's queue, this deadlocks (and the watchdog fails the test). Placement is seeded,
/// so each seed puts the small tasks on either domain.
#[test]
fn an_idle_worker_takes_unstarted_tasks_from_a_busy_one() {
    for seed in 0..8 {
        watchdog(20, move || {
            miou::Builder::new().domains(2).seed(seed).run(async {
                let (hog_started, started) = mpsc::channel();
                let (release_hog, hog_waits) = mpsc::channel::<()>();
                let hog = miou::call(move || async move {
                    hog_started.send(miou::domain::current()).unwrap();
                    hog_waits.recv().unwrap(); // no scheduling point: the domain is stuck
                    miou::domain::current()
                });
                let hog_domain = started.recv().unwrap();

                // Keep the other worker busy too while the small tasks are placed, so
                // placement cannot simply pick a sleeping domain.
                let (b_started, b_running) = mpsc::channel();
                let (release_b, b_waits) = mpsc::channel::<()>();
                let b = miou::call(move || async move {
                    b_started.send(miou::domain::current()).unwrap();
                    b_waits.recv().unwrap();
                });
                let other = b_running.recv().unwrap();
                assert_ne!(hog_domain, other);

                let ran_on = Arc::new(Mutex::new(Vec::new()));
                let small: Vec<_> = (0..6)
                    .map(|_| {
                        let ran_on = ran_on.clone();
                        miou::call(move || async move {
                            ran_on.lock().unwrap().push(miou::domain::current());
                        })
                    })
                    .collect();
                release_b.send(()).unwrap();
                b.await.unwrap();
                for r in miou::await_all(small).await {
                    r.unwrap();
                }
                release_hog.send(()).unwrap();
                assert_eq!(hog.await.unwrap(), hog_domain);
                let ran_on = ran_on.lock().unwrap();
                assert!(
                    ran_on.iter().all(|&d| d == other),
                    "all ran on the free domain: {ran_on:?}"
                );
            });
        });
    }
}

/// Small `call`s never wait behind a busy domain: placement prefers the sleeping one,
/// and if it reads the other worker before that worker went to sleep (a tie) and picks
/// the busy domain, the idle worker takes the task before it starts. Either way they
/// run on the free worker, never on domain 0, and the busy one stays stuck until the
/// end (if a small task waited for it, the run would deadlock and the watchdog fail).
#[test]
fn calls_avoid_a_busy_domain() {
    watchdog(20, || {
        miou::Builder::new().domains(2).seed(3).run(async {
            let (started, hog_running) = mpsc::channel();
            let (release, waits) = mpsc::channel::<()>();
            let hog = miou::call(move || async move {
                started.send(miou::domain::current()).unwrap();
                waits.recv().unwrap();
            });
            let busy = hog_running.recv().unwrap();
            for _ in 0..5 {
                let d = miou::call(|| async { miou::domain::current() })
                    .await
                    .unwrap();
                assert_ne!(d, busy);
                assert_ne!(d.index(), 0, "call never runs on domain 0");
            }
            release.send(()).unwrap();
            hog.await.unwrap();
        });
    });
}

/// CPU time used by this process so far (user + system), from /proc.
#[cfg(target_os = "linux")]
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after ')'.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // The kernel reports in USER_HZ, which is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// No domain spins: while the root awaits a one-second task on a worker, domain 0 and
/// the idle worker sleep in their backends. The whole run uses far less than a second
/// of CPU (a spinning domain would use about one second per spinning domain).
#[cfg(target_os = "linux")]
#[test]
fn idle_domains_do_not_spin() {
    watchdog(30, || {
        let before = cpu_time();
        miou::Builder::new().domains(2).run(async {
            let p = miou::call(|| async {
                miou::time::sleep(Duration::from_secs(1)).await;
            });
            p.await.unwrap();
        });
        let used = cpu_time() - before;
        assert!(
            used < Duration::from_millis(300),
            "the run used {used:?} of CPU while idle"
        );
    });
}

/// Several runs at once, from several threads, each an independent runtime.
#[test]
fn runs_on_several_threads_at_once() {
    watchdog(30, || {
        let threads: Vec<_> = (0..4u64)
            .map(|i| {
                std::thread::spawn(move || {
                    miou::Builder::new().domains(1).run(async move {
                        let ps: Vec<_> = (0..50u64)
                            .map(|j| miou::call(move || async move { i * 1000 + j }))
                            .collect();
                        miou::await_all(ps)
                            .await
                            .into_iter()
                            .map(Result::unwrap)
                            .sum::<u64>()
                    })
                })
            })
            .collect();
        for (i, t) in threads.into_iter().enumerate() {
            let i = i as u64;
            assert_eq!(t.join().unwrap(), 50 * i * 1000 + (0..50).sum::<u64>());
        }
    });
}

/// On one CPU (here, a thread whose affinity mask holds one core, which is what
/// `available_parallelism` reads), the default settings still give `call` a worker
/// domain: the README's first example must not fail on a small VM.
#[test]
fn call_works_with_default_settings_on_one_cpu() {
    let total = watchdog(20, || {
        // SAFETY: `set` is a plain bit mask on the stack, zeroed then given one CPU;
        // `sched_setaffinity(0, ..)` changes the calling thread (this test's own) only.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(0, &mut set);
            let size = std::mem::size_of::<libc::cpu_set_t>();
            assert_eq!(libc::sched_setaffinity(0, size, &set), 0, "set the mask");
        }
        let cpus = std::thread::available_parallelism().unwrap().get();
        assert_eq!(cpus, 1, "the thread sees one CPU");
        // MIOU_DOMAINS would override the default; this test is about the default.
        assert!(std::env::var_os("MIOU_DOMAINS").is_none());
        miou::run(async {
            let a = miou::spawn(async { 1 });
            let b = miou::call(|| async { 2 });
            a.await.unwrap() + b.await.unwrap()
        })
    });
    assert_eq!(total, 3);
}
