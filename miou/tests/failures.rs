//! Failures that name the task: a broken rule's failure, a panic, a `NotAChild` and a
//! dropped promise say which task it was (`n@d`) and where it and its children were
//! spawned; and `MIOU_DEBUG=1` alone shows the debug log on stderr.
//!
//! Every expected line number is computed with `line!()` at the spawn call, never
//! copied from an output.

mod common;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use common::{Count, forever, owned_resource, panic_text, watchdog};
use miou::{Builder, Error, TraceKind, cancel, spawn};

/// `file:line:` of a spawn call in this file, as failures print it.
fn site(line: u32) -> String {
    format!("{}:{line}:", file!())
}

/// Lines of spawn calls, recorded by the program (`let (p, at) = (spawn(..), line!())`:
/// the same line) and read by the test once the run is over.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u32>>>);

impl Lines {
    fn push(&self, line: u32) {
        self.0.lock().unwrap().push(line);
    }

    fn get(&self) -> Vec<u32> {
        self.0.lock().unwrap().clone()
    }
}

// ---------------------------------------------------------------------------------
// StillHasChildren.

/// A child `a` that forgets its own child: the run fails and names `a` and the child.
async fn forgets(lines: Lines) {
    let l = lines.clone();
    lines.push(line!() + 1);
    let a = spawn(async move {
        l.push(line!() + 1);
        let _lost = spawn(async {});
    });
    let _ = a.await;
}

/// A task that forgets a child: the failure names the task (its id and spawn site) and
/// the child (its id and spawn site), in `try_run_detailed`'s `Failure` and in `run`'s
/// panic; `try_run` still returns the plain variant.
/// Runs `f` with `log` receiving this thread's `tracing` events.
///
/// tracing decides per call site, for the whole process, whether anyone listens, and
/// caches the answer; a scoped subscriber (`with_default`) coming and going while other
/// tests' threads hit the same call sites races that cache, and an event can be missed.
/// So the tests install one global subscriber, once, which hands each event to the
/// `Log` of the thread it happens on, if any: nothing is ever registered or removed
/// while tests run.
fn with_subscriber<T>(log: Log, f: impl FnOnce() -> T) -> T {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        tracing::subscriber::set_global_default(Router).expect("no other global subscriber");
    });
    ROUTE.with_borrow_mut(|r| *r = Some(log));
    let result = f();
    ROUTE.with_borrow_mut(|r| *r = None);
    result
}

thread_local! {
    /// The `Log` of this thread's test, while it runs `with_subscriber`.
    static ROUTE: std::cell::RefCell<Option<Log>> = const { std::cell::RefCell::new(None) };
}

/// The global subscriber: every event goes to the current thread's `Log`, if any, as
/// `field=value ...` text.
struct Router;

impl tracing::Subscriber for Router {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let Some(log) = ROUTE.with_borrow(|r| r.clone()) else {
            return;
        };
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        log.0
            .lock()
            .unwrap()
            .push((*event.metadata().level(), fields.0));
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn still_has_children_names_the_task_and_the_forgotten_child() {
    let lines = Lines::default();
    let l = lines.clone();
    let f = watchdog(10, || {
        Builder::new().domains(0).try_run_detailed(forgets(l))
    })
    .unwrap_err();
    let [a_line, lost_line] = lines.get()[..] else {
        panic!("two lines: {:?}", lines.get())
    };
    assert!(matches!(f.error(), Error::StillHasChildren), "{f:?}");
    let detail = f.detail().expect("a broken rule has a detail").to_string();
    assert!(
        detail.starts_with(&format!("task 2@0 (spawned at {}", site(a_line))),
        "{detail}"
    );
    assert!(
        detail.contains(&format!(
            ") returned while 1 child was neither awaited nor cancelled: 3@0 (spawned at {}",
            site(lost_line)
        )),
        "{detail}"
    );
    let text = f.to_string();
    assert!(
        text.starts_with(&Error::StillHasChildren.to_string()),
        "{text}"
    );
    assert!(text.ends_with(detail.as_str()), "{text}");

    let l = Lines::default();
    let msg = watchdog(10, || {
        panic_text(|| Builder::new().domains(0).run(forgets(l)))
    });
    assert!(msg.starts_with("miou: the run failed: "), "{msg}");
    assert!(msg.contains(&Error::StillHasChildren.to_string()), "{msg}");
    assert!(msg.contains(&detail), "{msg}");

    let r = watchdog(10, || {
        Builder::new().domains(0).try_run(forgets(Lines::default()))
    });
    assert!(matches!(r, Err(Error::StillHasChildren)), "{r:?}");
}

/// The root forgets children: it is named "the root task", with where the run started;
/// three children are listed by name and spawn site, then "and N more".
#[test]
fn the_root_and_many_children_are_named_a_few_at_a_time() {
    let lines = Lines::default();
    let l = lines.clone();
    let (f, run_line) = watchdog(10, move || {
        let at = line!() + 1;
        let f = Builder::new().domains(0).try_run_detailed(async move {
            for _ in 0..5 {
                let (_lost, at) = (spawn(forever()), line!());
                l.push(at);
            }
        });
        (f, at)
    });
    let f = f.unwrap_err();
    let spawn_line = lines.get()[0];
    let detail = f.detail().unwrap();
    assert!(
        detail.starts_with(&format!("the root task (1@0, run at {}", site(run_line))),
        "{detail}"
    );
    assert!(
        detail.contains("returned while 5 children were neither awaited nor cancelled: "),
        "{detail}"
    );
    for n in 2..=4 {
        assert!(
            detail.contains(&format!("{n}@0 (spawned at {}", site(spawn_line))),
            "{detail}"
        );
    }
    assert!(!detail.contains("5@0"), "{detail}");
    assert!(detail.ends_with(" and 2 more"), "{detail}");
}

/// A child created with `call` on a worker is named with its spawn site too.
#[test]
fn a_called_child_is_named_with_its_spawn_site() {
    let lines = Lines::default();
    let l = lines.clone();
    let f = watchdog(10, move || {
        Builder::new().domains(1).try_run_detailed(async move {
            let (_lost, at) = (miou::call(forever), line!());
            l.push(at);
        })
    })
    .unwrap_err();
    let detail = f.detail().unwrap();
    assert!(
        detail.contains(&format!("(spawned at {}", site(lines.get()[0]))),
        "{detail}"
    );
}

/// `Spawn`, `parallel` and `Orphans` record their caller's place too.
#[test]
fn every_way_to_create_a_task_records_its_caller() {
    let lines = Lines::default();
    let l = lines.clone();
    let f = watchdog(10, move || {
        Builder::new().domains(1).try_run_detailed(async move {
            fn site_of<T: std::fmt::Debug>(r: Result<T, Error>) -> u32 {
                match r {
                    Err(Error::Panicked(p)) => p.spawned_at().unwrap().line(),
                    other => panic!("expected a panic, got {other:?}"),
                }
            }
            let (p, at) = (miou::Spawn::new().spawn(async { panic!() }), line!());
            l.push(at);
            l.push(site_of(p.await));
            let (p, at) = (miou::Spawn::new().call(|| async { panic!() }), line!());
            l.push(at);
            l.push(site_of(p.await));
            let (all, at) = (miou::parallel(|()| async { panic!() }, vec![()]), line!());
            l.push(at);
            l.push(site_of(all.await.pop().unwrap()));
            let orphans = miou::Orphans::new();
            let at = line!() + 1;
            orphans.spawn(forever());
            l.push(at);
            // The collector is dropped with its child neither awaited nor cancelled.
        })
    })
    .unwrap_err();
    let lines = lines.get();
    let [spawn, spawned, call, called, par, in_par, orphan] = lines[..] else {
        panic!("seven lines: {lines:?}")
    };
    assert_eq!((spawned, called, in_par), (spawn, call, par));
    let detail = f.detail().unwrap();
    assert!(
        detail.contains(&format!("(spawned at {}", site(orphan))),
        "{detail}"
    );
}

// ---------------------------------------------------------------------------------
// ResourceLeaked.

#[test]
fn resource_leaked_names_the_task() {
    let lines = Lines::default();
    let l = lines.clone();
    let f = watchdog(10, move || {
        Builder::new().domains(0).try_run_detailed(async move {
            let finalised = Count::new();
            let leaks = async move {
                let _r = owned_resource(&finalised); // never released
            };
            let (p, at) = (spawn(leaks), line!());
            l.push(at);
            let _ = p.await;
        })
    })
    .unwrap_err();
    assert!(matches!(f.error(), Error::ResourceLeaked), "{f:?}");
    let detail = f.detail().unwrap();
    assert!(
        detail.starts_with(&format!("task 2@0 (spawned at {}", site(lines.get()[0]))),
        "{detail}"
    );
    assert!(
        detail.ends_with("returned still owning 1 resource"),
        "{detail}"
    );
    let (msg, run_line) = watchdog(10, move || {
        let at = line!() + 2;
        let msg = panic_text(|| {
            Builder::new().domains(0).run(async {
                let r = miou::Ownership::create((), |()| {});
                r.own().unwrap();
            })
        });
        (msg, at)
    });
    assert!(msg.contains(&Error::ResourceLeaked.to_string()), "{msg}");
    assert!(
        msg.contains(&format!(": the root task (1@0, run at {}", site(run_line))),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------
// Panics.

#[test]
fn a_panic_names_the_task_and_its_spawn_site() {
    let (e, id, line) = watchdog(10, move || {
        Builder::new().domains(1).run(async {
            let (p, at) = (spawn(async { panic!("boom") }), line!());
            let id = p.id();
            (p.await.unwrap_err(), id, at)
        })
    });
    let text = e.to_string();
    assert_eq!(
        text.split(" (spawned at ").next(),
        Some(format!("task {id}").as_str()),
        "{text}"
    );
    assert!(text.contains(&site(line)), "{text}");
    assert!(text.ends_with(") panicked: boom"), "{text}");
    let Error::Panicked(p) = e else {
        panic!("expected Panicked")
    };
    assert_eq!(p.task(), Some(id));
    assert_eq!(
        p.spawned_at().map(|l| (l.file(), l.line())),
        Some((file!(), line))
    );
    assert_eq!(p.message(), Some("boom"));

    // On a worker, with `call`.
    let (e, line) = watchdog(10, move || {
        Builder::new().domains(1).run(async {
            let (p, at) = (miou::call(|| async { panic!("far") }), line!());
            (p.await.unwrap_err(), at)
        })
    });
    let text = e.to_string();
    assert!(
        text.contains(&site(line)) && text.ends_with("panicked: far"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------
// NotAChild.

/// `cancel` of another task's child panics with a message naming the task that tried
/// and the child, with their spawn sites. (The child, lost in the failed `cancel`,
/// makes the run fail.)
#[test]
fn not_a_child_on_cancel_names_both_tasks() {
    let lines = Lines::default();
    let l = lines.clone();
    let message = Arc::new(Mutex::new(String::new()));
    let m = message.clone();
    let r = watchdog(10, move || {
        Builder::new().domains(0).try_run(async move {
            let (child, at) = (spawn(forever()), line!());
            l.push(at);
            let (other, at) = (spawn(async move { cancel(child).await }), line!());
            l.push(at);
            let Err(Error::Panicked(p)) = other.await else {
                panic!("the cancel panicked")
            };
            *m.lock().unwrap() = p.message().unwrap().to_string();
        })
    });
    assert!(matches!(r, Err(Error::StillHasChildren)), "{r:?}");
    let [child_line, other_line] = lines.get()[..] else {
        panic!("two lines")
    };
    let msg = message.lock().unwrap().clone();
    assert!(msg.starts_with("miou::cancel: "), "{msg}");
    assert!(msg.contains(&Error::NotAChild.to_string()), "{msg}");
    assert!(
        msg.contains(&format!(": task 3@0 (spawned at {}", site(other_line))),
        "{msg}"
    );
    assert!(
        msg.contains(&format!(
            "tried to cancel task 2@0 (spawned at {}",
            site(child_line)
        )),
        "{msg}"
    );
    assert!(msg.ends_with("a child of task 1@0"), "{msg}");
}

/// Awaiting another task's child returns the plain `Err(NotAChild)`; the names go to a
/// `tracing` warning and to the trace.
#[test]
fn not_a_child_on_await_is_logged_with_both_tasks() {
    let lines = Lines::default();
    let l = lines.clone();
    let (log, traced) = watchdog(10, move || {
        let log = Log::default();
        let traced = Arc::new(Mutex::new(Vec::new()));
        let t = traced.clone();
        with_subscriber(log.clone(), || {
            let r = Builder::new()
                .domains(0)
                .trace(move |e| t.lock().unwrap().push(e.clone()))
                .try_run(async move {
                    let (child, at) = (spawn(async {}), line!());
                    l.push(at);
                    let steals = async move { matches!(child.await, Err(Error::NotAChild)) };
                    let (other, at) = (spawn(steals), line!());
                    l.push(at);
                    assert!(other.await.unwrap(), "the await returned NotAChild");
                });
            assert!(matches!(r, Err(Error::StillHasChildren)), "{r:?}");
        });
        (log, traced)
    });
    let [child_line, other_line] = lines.get()[..] else {
        panic!("two lines")
    };
    let warnings = log.at(tracing::Level::WARN);
    let w = warnings
        .iter()
        .find(|w| w.contains("tried to await"))
        .unwrap_or_else(|| panic!("no NotAChild warning in {warnings:?}"));
    assert!(w.contains(&Error::NotAChild.to_string()), "{w}");
    assert!(
        w.contains(&format!("task 3@0 (spawned at {}", site(other_line))),
        "{w}"
    );
    assert!(
        w.contains(&format!(
            "tried to await task 2@0 (spawned at {}",
            site(child_line)
        )),
        "{w}"
    );
    let traced = traced.lock().unwrap();
    assert!(
        traced.iter().any(|e| e.task.to_string() == "3@0"
            && e.kind == TraceKind::RuleBroken { error: "NotAChild" }),
        "{traced:?}"
    );
}

// ---------------------------------------------------------------------------------
// A promise dropped unsettled.

/// Dropping a promise whose child is neither awaited nor cancelled warns at once, with
/// the child's id and spawn site, and reports a `PromiseDropped` trace event; the run
/// still fails later with `StillHasChildren`.
#[test]
fn a_dropped_promise_warns_at_once() {
    let lines = Lines::default();
    let l = lines.clone();
    let (log, traced, seen_before_return) = watchdog(10, move || {
        let log = Log::default();
        let traced = Arc::new(Mutex::new(Vec::new()));
        let t = traced.clone();
        let seen = Arc::new(Mutex::new(0));
        let s = seen.clone();
        let lg = log.clone();
        with_subscriber(log.clone(), || {
            let r = Builder::new()
                .domains(0)
                .trace(move |e| t.lock().unwrap().push(e.clone()))
                .try_run(async move {
                    let (p, at) = (spawn(forever()), line!());
                    l.push(at);
                    drop(p);
                    // The warning is out before the task returns.
                    *s.lock().unwrap() = lg.at(tracing::Level::WARN).len();
                });
            assert!(matches!(r, Err(Error::StillHasChildren)), "{r:?}");
        });
        let seen = *seen.lock().unwrap();
        (log, traced, seen)
    });
    let line = lines.get()[0];
    assert_eq!(seen_before_return, 1, "{:?}", log.all());
    let warnings = log.at(tracing::Level::WARN);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = &warnings[0];
    assert!(
        w.contains(&format!(
            "the promise of task 2@0 (spawned at {}",
            site(line)
        )),
        "{w}"
    );
    assert!(w.contains("StillHasChildren"), "{w}");
    let traced = traced.lock().unwrap();
    let dropped: Vec<_> = traced
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::PromiseDropped { parent, spawned_at } => Some((
                e.task.to_string(),
                parent.to_string(),
                spawned_at.file(),
                spawned_at.line(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        dropped,
        [("2@0".to_string(), "1@0".to_string(), file!(), line)]
    );
}

/// No warning when nothing is wrong: promises awaited, cancelled, reaped by an
/// `Orphans`, or dropped by a parent that panics or is cancelled (its teardown cancels
/// the children), or while the run already fails.
#[test]
fn settled_promises_and_teardowns_do_not_warn() {
    let log = watchdog(10, || {
        let log = Log::default();
        with_subscriber(log.clone(), || {
            Builder::new().domains(1).run(async {
                spawn(async {}).await.unwrap();
                cancel(spawn(forever())).await;
                miou::call(|| async {}).await.unwrap();
                let orphans = miou::Orphans::new();
                orphans.spawn(async {});
                while let Some(r) = orphans.get().await {
                    r.unwrap();
                }
                // A parent that panics while holding a promise.
                let panics = spawn(async {
                    let _held = spawn(forever());
                    miou::yield_now().await;
                    panic!("with a child");
                });
                assert!(panics.await.is_err());
                // A parent cancelled while holding promises (and a child holding its
                // sibling's promise).
                let cancelled = spawn(async {
                    let a = spawn(forever());
                    let _b = spawn(async move {
                        let _a = a;
                        forever().await
                    });
                    forever().await
                });
                miou::yield_now().await;
                cancel(cancelled).await;
                miou::await_first(vec![spawn(forever()), spawn(async {})])
                    .await
                    .unwrap();
            });
            // A run that fails: its teardowns drop promises too.
            let r = Builder::new().domains(0).try_run(async {
                let holder = spawn(async {
                    let _held = spawn(forever());
                    forever().await
                });
                let _lost = spawn(async {});
                miou::yield_now().await;
                cancel(holder).await;
            });
            assert!(matches!(r, Err(Error::StillHasChildren)), "{r:?}");
        });
        log
    });
    let warnings = log.at(tracing::Level::WARN);
    // The one warning: `_lost`, dropped unsettled when the root returned.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("the promise of task "), "{warnings:?}");
}

// ---------------------------------------------------------------------------------
// MIOU_DEBUG.

/// `MIOU_DEBUG=1` alone, with no `tracing` subscriber: the debug log is on stderr, one
/// line per event, and the broken rule's line names the task and the spawn sites. With
/// a subscriber, the same events go to it instead. The program runs in a child process
/// (this test binary, running [`debug_log_child`]), so that the variable is set for it
/// alone.
#[test]
fn miou_debug_alone_logs_on_stderr() {
    let out = watchdog(60, || {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "debug_log_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("MIOU_DEBUG", "1")
            .env("MIOU_FAILURES_CHILD", "1")
            .env_remove("RUST_LOG")
            .output()
            .expect("cannot run the test binary")
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let (without, with) = stderr
        .split_once("--- with a subscriber ---")
        .unwrap_or_else(|| panic!("no marker in:\n{stderr}"));
    let lines: Vec<&str> = without
        .lines()
        .filter(|l| l.starts_with("miou: "))
        .collect();
    assert!(lines.contains(&"miou: 0 1@0 Resume"), "{without}");
    let line: u32 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("lost at line "))
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no line in:\n{stdout}"));
    let broken = lines
        .iter()
        .find(|l| l.contains("RuleBroken"))
        .unwrap_or_else(|| panic!("no RuleBroken line in:\n{without}"));
    assert!(broken.starts_with("miou: 0 1@0 RuleBroken"), "{broken}");
    assert!(broken.contains("the root task (1@0, run at "), "{broken}");
    assert!(
        broken.contains(&format!("2@0 (spawned at {}", site(line))),
        "{broken}"
    );
    assert!(
        lines.iter().any(|l| l.contains("the run fails: ")),
        "{without}"
    );
    assert!(
        lines.iter().any(|l| l.contains("PromiseDropped")),
        "{without}"
    );
    assert!(
        !with.lines().any(|l| l.starts_with("miou: ")),
        "with a subscriber, nothing on stderr:\n{with}"
    );
    assert!(
        stdout.contains("the subscriber saw the rule broken"),
        "{stdout}"
    );
}

/// The child process of [`miou_debug_alone_logs_on_stderr`] (does nothing otherwise).
#[test]
fn debug_log_child() {
    if std::env::var_os("MIOU_FAILURES_CHILD").is_none() {
        return;
    }
    async fn program() {
        let (_lost, at) = (spawn(async {}), line!());
        println!("lost at line {at}");
    }
    let r = Builder::new().domains(0).try_run(program());
    assert!(matches!(r, Err(Error::StillHasChildren)), "{r:?}");
    eprintln!("--- with a subscriber ---");
    let log = Log::default();
    let r = with_subscriber(log.clone(), || Builder::new().domains(0).try_run(program()));
    assert!(matches!(r, Err(Error::StillHasChildren)), "{r:?}");
    let debug = log.at(tracing::Level::DEBUG);
    assert!(
        debug.iter().any(|e| e.contains("event=Resume")),
        "{debug:?}"
    );
    if debug
        .iter()
        .any(|e| e.contains("RuleBroken") && e.contains("(spawned at "))
    {
        println!("the subscriber saw the rule broken");
    }
}

// ---------------------------------------------------------------------------------
// A minimal `tracing` subscriber that keeps every event as text.

/// Every event it sees, as `LEVEL field=value ...` (the message as `message=...`).
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<(tracing::Level, String)>>>);

impl Log {
    fn at(&self, level: tracing::Level) -> Vec<String> {
        let events = self.0.lock().unwrap();
        events
            .iter()
            .filter(|(l, _)| *l == level)
            .map(|(_, t)| t.clone())
            .collect()
    }

    fn all(&self) -> Vec<String> {
        let events = self.0.lock().unwrap();
        events.iter().map(|(l, t)| format!("{l} {t}")).collect()
    }
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={value:?} ", field.name());
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, "{}={value} ", field.name());
    }
}

// ---------------------------------------------------------------------------------
// Things bound to a domain of one run, used in another run.

/// A hook added on domain 0 of one run cannot be removed from domain 0 of a run nested
/// in it: same index, other run. The message says so, rather than "domain 0, not domain
/// 0". (Runs are told apart by a number never reused, not by an address.)
#[test]
fn a_hook_of_another_run_is_refused_and_named() {
    let msg = watchdog(10, || {
        Builder::new().domains(0).run(async {
            let h = miou::Hook::add(|| {});
            let inner = Builder::new().domains(0).try_run(async move { h.remove() });
            match inner {
                Err(Error::Panicked(p)) => p.message().unwrap_or_default().to_string(),
                other => panic!("expected the inner run to fail with a panic, got {other:?}"),
            }
        })
    });
    assert!(msg.contains("Hook::remove"), "{msg}");
    assert!(msg.contains("belongs to domain 0 of another run"), "{msg}");
}

/// The same for a syscall: made by a task of the outer run, suspended on in a nested
/// run (whose root is, like the outer root, task 1@0 on domain 0).
#[test]
fn a_syscall_of_another_run_is_refused_and_named() {
    let msg = watchdog(10, || {
        Builder::new().domains(0).run(async {
            let s = miou::syscall();
            let inner = Builder::new()
                .domains(0)
                .try_run(async move { miou::suspend(s).await });
            match inner {
                Err(Error::Panicked(p)) => p.message().unwrap_or_default().to_string(),
                other => panic!("expected the inner run to fail with a panic, got {other:?}"),
            }
        })
    });
    assert!(msg.contains("miou::suspend"), "{msg}");
    assert!(msg.contains("belongs to domain 0 of another run"), "{msg}");
}

/// A task handed its own promise cannot await it: the await answers `NotAChild` at once
/// (the task is not its own parent), and never reaches the task's own value, which is
/// not there while it runs.
#[test]
fn a_task_awaiting_its_own_promise_gets_not_a_child() {
    let (r, answer) = watchdog(10, || {
        let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
        let answer = std::rc::Rc::new(std::cell::Cell::new(None));
        let (s, a) = (slot.clone(), answer.clone());
        let r = Builder::new().domains(0).try_run(async move {
            let me = spawn(async move {
                miou::yield_now().await;
                let me: miou::Promise<u32> = s.borrow_mut().take().expect("handed its promise");
                a.set(Some(matches!(me.await, Err(Error::NotAChild))));
                7
            });
            *slot.borrow_mut() = Some(me);
            miou::yield_now().await;
            miou::yield_now().await;
        });
        (r, answer.get())
    });
    assert_eq!(answer, Some(true), "its own await returned NotAChild");
    // Its parent gave its promise away, so it neither awaited nor cancelled it.
    assert!(matches!(r, Err(Error::StillHasChildren)), "{r:?}");
}

/// Polls `fut` once from the current task: `true` if it is pending.
async fn pending_after_one_poll<F: std::future::Future + Unpin>(fut: &mut F) -> bool {
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(std::pin::Pin::new(&mut *fut).poll(cx).is_pending())
    })
    .await
}

/// A child that takes a few turns.
async fn a_few_turns(v: u32) -> u32 {
    for _ in 0..3 {
        miou::yield_now().await;
    }
    v
}

/// The scenario of the tests below, on one domain at quanta 50: after a first turn
/// (which has no points; the next ones have points to spare), `start` spawns children
/// and returns an operation on them, which the parent polls once (it must still be
/// pending: past its point, waiting) and then moves into another task. Returns the
/// run's result and what awaiting that other task gave.
fn moved_after_a_poll<Op>(start: fn() -> Op) -> (Result<(), Error>, Result<Op::Output, Error>)
where
    Op: std::future::Future + 'static,
    Op::Output: Send + 'static,
{
    watchdog(10, move || {
        let outcome = std::rc::Rc::new(std::cell::RefCell::new(None));
        let o = outcome.clone();
        let r = Builder::new().domains(0).quanta(50).try_run(async move {
            miou::yield_now().await;
            let mut op = Box::pin(start());
            assert!(
                pending_after_one_poll(&mut op).await,
                "no child is complete yet"
            );
            let other = spawn(op);
            *o.borrow_mut() = Some(other.await);
        });
        let outcome = outcome
            .borrow_mut()
            .take()
            .expect("the other task was awaited");
        (r, outcome)
    })
}

/// The message of a task's panic, from what awaiting it gave.
fn panic_message<T: std::fmt::Debug>(awaited: Result<T, Error>) -> String {
    match awaited {
        Err(Error::Panicked(p)) => p.message().unwrap_or_default().to_string(),
        r => panic!("expected a panic, got {r:?}"),
    }
}

/// A `Join` that passed its scheduling point in its parent, then was moved into
/// another task, is still not that task's to await: every poll checks the parent, not
/// only the first, and the await returns `Err(NotAChild)` instead of settling the
/// child in the wrong task's list of children.
#[test]
fn a_join_moved_after_its_point_still_answers_not_a_child() {
    let (r, awaited) =
        moved_after_a_poll(|| std::future::IntoFuture::into_future(spawn(a_few_turns(1))));
    assert!(
        matches!(awaited, Ok(Err(Error::NotAChild))),
        "the await in another task returned NotAChild: {awaited:?}"
    );
    assert!(matches!(r, Err(Error::StillHasChildren)), "{r:?}");
}

/// A `cancel` polled once by the parent (the child is asked to cancel, the parent
/// waits), then moved into another task: when the child is gone, that task is not its
/// parent, and the cancel panics naming the rule, as it does when it starts in the
/// wrong task. The child stays the parent's (the run fails with `StillHasChildren`),
/// and no other task's children are touched.
#[test]
fn a_cancel_moved_into_another_task_after_a_poll_panics_naming_the_rule() {
    let (r, awaited) = moved_after_a_poll(|| cancel(spawn(a_few_turns(1))));
    let msg = panic_message(awaited);
    assert!(msg.contains(&Error::NotAChild.to_string()), "{msg}");
    assert!(msg.contains("tried to cancel task 2@0"), "{msg}");
    assert!(matches!(r, Err(Error::StillHasChildren)), "{r:?}");
}

/// The same with `await_first`: moved after a poll, it answers `Err(NotAChild)` when a
/// child completes, instead of settling the children in the wrong task.
#[test]
fn an_await_first_moved_into_another_task_after_a_poll_answers_not_a_child() {
    let (r, awaited) = moved_after_a_poll(|| {
        miou::await_first(vec![spawn(a_few_turns(1)), spawn(a_few_turns(2))])
    });
    assert!(
        matches!(awaited, Ok(Err(Error::NotAChild))),
        "the moved await_first answered NotAChild: {awaited:?}"
    );
    assert!(matches!(r, Err(Error::StillHasChildren)), "{r:?}");
}

/// Where no operation checks again (a collector's `get`, moved after a poll), settling
/// the child in a task that is not its parent panics, naming the rule and both tasks,
/// instead of removing the child from that task's ring of children.
#[test]
fn settling_a_child_in_a_task_that_is_not_its_parent_panics_naming_the_rule() {
    let (r, awaited) = moved_after_a_poll(|| {
        let orphans: &'static miou::Orphans<u32> = Box::leak(Box::new(miou::Orphans::new()));
        orphans.spawn(a_few_turns(7));
        orphans.get()
    });
    let msg = panic_message(awaited);
    assert!(msg.contains(&Error::NotAChild.to_string()), "{msg}");
    assert!(
        msg.contains("tried to settle (await or cancel) task 2@0"),
        "{msg}"
    );
    assert!(matches!(r, Err(Error::StillHasChildren)), "{r:?}");
}
