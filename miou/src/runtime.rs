//! Starting and stopping a run: [`Builder`], [`run`], and the state a run shares
//! between its domains (its settings, its failure, its worker domains).

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;

use crate::clock::VirtualClock;
use crate::error::{Error, Failure};
use crate::events::Events;
use crate::id::{DomainId, DomainKey, RunId, TaskId};
use crate::scheduler::{DomainLocal, DomainShared};
use crate::task::{self, Here, RootTask, RootTurn, Runnable};
use crate::task_ref::TaskRef;
use crate::trace::TraceEvent;
use crate::trace_file::{self, Outcome, TraceFile, WriteOnEnd};

type MakeEvents = Arc<dyn Fn(DomainId) -> Box<dyn Events> + Send + Sync>;
type Reporter = Arc<dyn Fn(&TraceEvent) + Send + Sync>;

/// What every domain of one run shares.
pub(crate) struct RuntimeShared {
    pub(crate) quanta: usize,
    pub(crate) seed: u64,
    pub(crate) trace: Option<Reporter>,
    /// The trace file (`MIOU_TRACE`, [`Builder::trace_file`]), if asked for.
    pub(crate) trace_file: Option<Arc<TraceFile>>,
    /// Where the debug log goes (`MIOU_DEBUG`).
    pub(crate) debug: DebugLog,
    failed: AtomicBool,
    failure: Mutex<Option<Failure>>,
    stopping: AtomicBool,
    root: Mutex<Option<TaskRef<dyn Runnable>>>,
    /// Every domain of the run: domain 0 first, then the workers. A worker's shared
    /// part exists from the start (placement and stealing look at it), its thread only
    /// once the workers are started ([`start_workers`](RuntimeShared::start_workers)).
    pub(crate) domains: Vec<Arc<DomainShared>>,
    /// The virtual clock ([`Builder::virtual_clock`]), or `None` for the real one.
    pub(crate) clock: Option<VirtualClock>,
    /// The worker threads have been started (set after the last one is).
    started: AtomicBool,
    /// The worker threads started so far, joined when the run stops.
    threads: Mutex<Vec<thread::JoinHandle<()>>>,
    /// The events backend of each domain (`None`: the built-in one), made on its
    /// thread when it starts.
    make: Option<MakeEvents>,
}

impl RuntimeShared {
    pub(crate) fn is_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// The run is stopping: the workers leave their loops.
    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Starts the worker threads, if they are not yet: a run starts them on the first
    /// `call`, `try_call` or `parallel` that needs one, so that a run that never calls
    /// (most short runs: a test, a `block_on` stand-in) costs what a `domains(0)` run
    /// does.
    ///
    /// Race-free: the threads are spawned under the `threads` lock, each once (a spawn
    /// that fails panics the caller and the next caller starts the rest); `started` is
    /// set with a release after the last one, so that a caller that reads it with an
    /// acquire (the fast path) finds every worker started. A worker may still be on its
    /// way to its loop when a task is handed to it: the task waits in its queue, which
    /// the worker looks at before it first sleeps (under its mailbox lock, the protocol
    /// of [`Mailbox`](crate::mailbox::Mailbox)); and a run that stops right after the
    /// start wakes the workers in that protocol too ([`Stop`]).
    #[inline]
    pub(crate) fn start_workers(self: &Arc<Self>) {
        if !self.started.load(Ordering::Acquire) {
            self.start_workers_slow();
        }
    }

    #[cold]
    #[inline(never)]
    fn start_workers_slow(self: &Arc<Self>) {
        let mut threads = self.threads.lock().unwrap_or_else(|e| e.into_inner());
        if self.started.load(Ordering::Acquire) || self.is_stopping() {
            return;
        }
        let workers = self.workers();
        while threads.len() < workers.len() {
            let shared = workers[threads.len()].clone();
            let runtime = self.clone();
            let handle = thread::Builder::new()
                .name(format!("miou-domain-{}", shared.id.index()))
                .spawn(move || worker(runtime, shared))
                .expect("miou: cannot start a worker domain thread");
            threads.push(handle);
        }
        self.started.store(true, Ordering::Release);
    }

    /// A rule was broken somewhere (by `task`, on `domain`): the run fails with
    /// `failure` (the first one wins), and every task is cancelled, starting from the
    /// root.
    pub(crate) fn fail(&self, domain: &DomainLocal, task: TaskId, failure: Failure) {
        {
            let mut first = self.failure.lock().unwrap_or_else(|e| e.into_inner());
            if first.is_none() {
                self.debug_event(domain.id(), task, &format_args!("the run fails: {failure}"));
                *first = Some(failure);
            }
        }
        self.failed.store(true, Ordering::Release);
        let root = self.root.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(root) = root {
            task::schedule(root);
        }
    }

    /// The worker domains (every domain but domain 0).
    pub(crate) fn workers(&self) -> &[Arc<DomainShared>] {
        &self.domains[1..]
    }

    /// One line of the debug log (`MIOU_DEBUG`), if it is on: what happened (`event`)
    /// to `task` on `domain`.
    pub(crate) fn debug_event(&self, domain: DomainId, task: TaskId, event: &dyn fmt::Display) {
        match self.debug {
            DebugLog::Off => {}
            DebugLog::Tracing => {
                tracing::debug!(domain = %domain, task = %task, event = %event, "miou");
            }
            DebugLog::Stderr => eprintln!("miou: {domain} {task} {event}"),
        }
    }
}

/// Where the debug log of a run goes: nowhere without `MIOU_DEBUG`; with it, to the
/// `tracing` subscriber as debug events when the program installed one, else one line
/// per event on stderr, so that `MIOU_DEBUG=1` alone shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DebugLog {
    Off,
    Tracing,
    Stderr,
}

impl DebugLog {
    /// Decided once per run, when it starts, on the thread that starts it: whether
    /// `MIOU_DEBUG` is set (to anything), and whether a `tracing` subscriber is installed
    /// (globally, or for this thread).
    fn from_env() -> DebugLog {
        let set = std::env::var_os("MIOU_DEBUG").is_some();
        DebugLog::choose(set, set && subscriber_installed())
    }

    fn choose(set: bool, subscriber: bool) -> DebugLog {
        match (set, subscriber) {
            (false, _) => DebugLog::Off,
            (true, true) => DebugLog::Tracing,
            (true, false) => DebugLog::Stderr,
        }
    }

    pub(crate) fn is_on(self) -> bool {
        self != DebugLog::Off
    }
}

/// Whether a `tracing` subscriber would see the debug events: a global default, or one
/// set for the current thread (`tracing::subscriber::with_default`).
pub(crate) fn subscriber_installed() -> bool {
    tracing::dispatcher::has_been_set()
        || tracing::dispatcher::get_default(|d| !d.is::<tracing::subscriber::NoSubscriber>())
}

/// Configures and starts a run.
///
/// ```
/// let v = miou::Builder::new()
///     .quanta(2)
///     .domains(0)
///     .seed(42)
///     .run(async { 6 * 7 });
/// assert_eq!(v, 42);
/// ```
#[derive(Clone, Default)]
pub struct Builder {
    quanta: Option<usize>,
    domains: Option<usize>,
    seed: Option<u64>,
    events: Option<MakeEvents>,
    trace: Option<Reporter>,
    trace_file: Option<PathBuf>,
    trace_file_limit: Option<usize>,
    virtual_clock: bool,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("quanta", &self.quanta)
            .field("domains", &self.domains)
            .field("seed", &self.seed)
            .field("events", &self.events.as_ref().map(|_| "custom"))
            .field("trace", &self.trace.as_ref().map(|_| "reporter"))
            .field("trace_file", &self.trace_file)
            .field("trace_file_limit", &self.trace_file_limit)
            .field("virtual_clock", &self.virtual_clock)
            .finish()
    }
}

impl Builder {
    /// A builder with the defaults: quanta from `MIOU_QUANTA` (else 1), worker domains
    /// from `MIOU_DOMAINS` (else the available parallelism minus one, and at least one),
    /// a random seed, and the built-in events backend.
    ///
    /// With `MIOU_DEBUG` set (to anything, e.g. `MIOU_DEBUG=1`), the run logs every
    /// scheduling event ([`TraceKind`](crate::TraceKind)), and names the task and the
    /// spawn sites when a rule is broken: as `tracing` debug events if the program
    /// installed a `tracing` subscriber, else one line per event on stderr,
    /// `miou: <domain> <task> <event>` (e.g. `miou: 0 2@0 Resume`). Which of the two is
    /// decided once, when the run starts.
    ///
    /// With `MIOU_TRACE` set to a path (e.g. `MIOU_TRACE=trace.json`), the run writes a
    /// trace file there when it ends, for Perfetto: see [`trace_file`](Builder::trace_file),
    /// which takes precedence over the variable. An empty value is the same as none.
    ///
    /// At least one worker domain by default, even on one CPU (a small VM, a container
    /// limited to one core): an idle worker sleeps and costs a thread, while none would
    /// make every `call` and `parallel` fail with
    /// [`NoDomainAvailable`](crate::Error::NoDomainAvailable). Ask for `domains(0)` to
    /// run everything on the calling thread.
    ///
    /// The worker threads start with the run's first [`call`](crate::call),
    /// [`try_call`](crate::try_call) or [`parallel`](crate::parallel), not before: a run
    /// that never calls (a test, a `block_on` in a command-line tool) costs what a
    /// `domains(0)` run does. (With [`Builder::virtual_clock`] or [`Builder::events`]
    /// they start with the run: a clock that jumps when every domain is idle, or a
    /// backend that coordinates its domains, needs all of them from the start.) The
    /// available parallelism is read once per process.
    ///
    /// ```
    /// let workers = miou::Builder::new().run(async { miou::domain::available() });
    /// if std::env::var_os("MIOU_DOMAINS").is_none() {
    ///     assert!(workers >= 1, "at least one worker domain by default");
    /// }
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// How many scheduling points a task may pass in one turn before it goes to the
    /// back of its domain's queue. Panics on 0.
    ///
    /// ```
    /// miou::Builder::new().quanta(3).domains(0).run(async {});
    /// ```
    pub fn quanta(mut self, n: usize) -> Builder {
        assert!(
            n >= 1,
            "miou::Builder::quanta: the quanta must be at least 1"
        );
        self.quanta = Some(n);
        self
    }

    /// How many worker domains (threads) run besides domain 0. 0 is allowed: then
    /// everything runs on the calling thread and `call` has nowhere to go. The threads
    /// start with the first `call` or `parallel` of the run, or with the run on a
    /// virtual clock or a backend of your own (see [`Builder::new`]).
    ///
    /// ```
    /// let n = miou::Builder::new().domains(2).run(async { miou::domain::available() });
    /// assert_eq!(n, 2);
    /// ```
    pub fn domains(mut self, n: usize) -> Builder {
        self.domains = Some(n);
        self
    }

    /// Seeds every random choice of the run (which finished promise `await_first`
    /// picks among several, tie-breaks in `call` placement).
    ///
    /// ```
    /// miou::Builder::new().seed(7).domains(0).run(async {});
    /// ```
    pub fn seed(mut self, seed: u64) -> Builder {
        self.seed = Some(seed);
        self
    }

    /// Replaces the built-in events backend: `make` is called once per domain, on that
    /// domain's thread, with its id. With a backend of the program's, the worker domains
    /// start with the run instead of with its first `call`: such a backend may
    /// coordinate the domains (a virtual clock that advances when every domain is idle),
    /// so it gets every one of them.
    ///
    /// ```
    /// use miou::{Events, Interrupter, Signal, SyscallId};
    ///
    /// /// A backend that never has events; it sleeps on a channel until interrupted.
    /// struct Quiet(std::sync::mpsc::Receiver<()>, std::sync::mpsc::SyncSender<()>);
    /// impl Events for Quiet {
    ///     fn select(&mut self, block: bool, _: &[SyscallId]) -> Vec<Signal> {
    ///         if block { let _ = self.0.recv(); }
    ///         Vec::new()
    ///     }
    ///     fn interrupter(&self) -> Interrupter {
    ///         let tx = self.1.clone();
    ///         Interrupter::new(move || { let _ = tx.try_send(()); })
    ///     }
    /// }
    /// let v = miou::Builder::new()
    ///     .domains(0)
    ///     .events(|_| { let (tx, rx) = std::sync::mpsc::sync_channel(1); Quiet(rx, tx) })
    ///     .run(async { 1 });
    /// assert_eq!(v, 1);
    /// ```
    pub fn events<E, M>(mut self, make: M) -> Builder
    where
        E: Events,
        M: Fn(DomainId) -> E + Send + Sync + 'static,
    {
        self.events = Some(Arc::new(move |id| Box::new(make(id)) as Box<dyn Events>));
        self
    }

    /// Reports every scheduling event (spawn, resume, yield, park, cancel, finish...) of
    /// the run to `reporter`, from the thread of the domain where it happens.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex, OnceLock};
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// miou::Builder::new()
    ///     .domains(0)
    ///     .trace(move |e| log.lock().unwrap().push(format!("{:?}", e.kind)))
    ///     .run(async { miou::spawn(async {}).await.unwrap() });
    /// assert!(seen.lock().unwrap().iter().any(|k| k.starts_with("Spawn")));
    /// ```
    pub fn trace(mut self, reporter: impl Fn(&TraceEvent) + Send + Sync + 'static) -> Builder {
        self.trace = Some(Arc::new(reporter));
        self
    }

    /// Writes the run's scheduling events to the file at `path` when the run ends, in
    /// the Chrome trace-event JSON format: open it in Perfetto
    /// (<https://ui.perfetto.dev>, "Open trace file") or `chrome://tracing`. The same as
    /// setting `MIOU_TRACE=path`, which this overrides.
    ///
    /// What the file shows: one track per domain (`domain 0`, `domain 1`...), a slice
    /// for each turn of a task, named after the task's id and where it was spawned
    /// (its `args` give its parent and how the turn ended: `yield`, `park`, `finish`);
    /// instants for each spawn (with an arrow to the child's first turn, on whichever
    /// domain it runs), steal, cancel, park, panic and broken rule. Timestamps are
    /// microseconds of real time since the run started. The `otherData` object holds
    /// the seed, the limit, how many events were dropped and the outcome (`ok`, `failed`
    /// with the failure's message, or `unwound`).
    ///
    /// When it is written: once the run is over, every domain stopped, whether the run
    /// succeeded or failed (a broken rule, a panic of the root task: [`run`](Builder::run)
    /// writes the file before it panics in turn), and also when a panic goes through
    /// the runtime itself (outcome `unwound`). Not when the process exits or aborts in
    /// the middle of the run. The file is written under a temporary name and renamed,
    /// so it is always whole; with several runs writing the same path, the last to end
    /// wins. A file that cannot be written is reported (a `tracing` error, or a line on
    /// stderr without a subscriber); the run's result is unaffected.
    ///
    /// Each domain records into its own buffer (no lock per event), and keeps at most
    /// [`trace_file_limit`](Builder::trace_file_limit) events: the first ones. Without
    /// `trace_file` or `MIOU_TRACE`, nothing is recorded and nothing is allocated.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("miou-doc-{}.json", std::process::id()));
    /// miou::Builder::new()
    ///     .domains(1)
    ///     .trace_file(&path)
    ///     .run(async {
    ///         let here = miou::spawn(async { 1 });
    ///         let there = miou::call(|| async { 2 });
    ///         here.await.unwrap() + there.await.unwrap()
    ///     });
    /// let json = std::fs::read_to_string(&path).unwrap();
    /// assert!(json.starts_with("{\"traceEvents\":["));
    /// assert!(json.contains("\"name\":\"thread_name\",\"args\":{\"name\":\"domain 1\"}"));
    /// assert!(json.contains("\"outcome\":\"ok\""));
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn trace_file(mut self, path: impl Into<PathBuf>) -> Builder {
        self.trace_file = Some(path.into());
        self
    }

    /// How many events each domain keeps for the trace file
    /// ([`trace_file`](Builder::trace_file), `MIOU_TRACE`); 1,000,000 by default. An
    /// event is a turn or an instant (a spawn, a cancel...), about 64 bytes in memory
    /// until the run ends. A domain keeps its first `n` events and counts the rest: the
    /// file then has an `events dropped` instant at the end of that domain's track, and
    /// its `otherData.dropped_events` says how many in all. What the file derives from
    /// the kept events (metadata, arrows from spawns, `park` marks) is not counted.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("miou-doc-limit-{}.json", std::process::id()));
    /// miou::Builder::new()
    ///     .domains(0)
    ///     .trace_file(&path)
    ///     .trace_file_limit(10)
    ///     .run(async {
    ///         for _ in 0..100 {
    ///             miou::yield_now().await;
    ///         }
    ///     });
    /// let json = std::fs::read_to_string(&path).unwrap();
    /// assert!(json.contains("\"name\":\"events dropped\""));
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn trace_file_limit(mut self, n: usize) -> Builder {
        self.trace_file_limit = Some(n);
        self
    }

    /// Runs on virtual time, for tests: [`time::sleep`](crate::time::sleep),
    /// [`sleep_until`](crate::time::sleep_until), [`timeout`](crate::time::timeout) and
    /// [`time::Instant::now`](crate::time::Instant::now) see a clock that starts at zero
    /// and jumps to the next deadline whenever nothing can run: no task is ready on any
    /// domain, none is being handed over, and no domain has an event ready (a socket's
    /// data, a signal). An hour of sleeps takes a few milliseconds, and sleepers wake in
    /// deadline order, deterministically, on every domain: the tasks woken by one jump
    /// all run before time moves again.
    ///
    /// Everything else works as usual: sockets, signals, [`call`](crate::call) and the
    /// worker domains, a backend of your own ([`Builder::events`]; with the real clock
    /// `time` needs the built-in one, with the virtual clock any backend does).
    ///
    /// While tasks wait for sockets (or signals), time jumps only once the run has also
    /// been quiet for a few milliseconds of real time (20 ms): the kernel may deliver
    /// data written by one task of the run to another a little after the write
    /// returned, and a timeout around the reader must not fire meanwhile. Jumps with
    /// only sleepers waiting are immediate.
    ///
    /// Every worker domain starts with the run (not with the first `call`, as on the
    /// real clock): time jumps only when every domain is idle, and a domain that never
    /// started could not say so.
    ///
    /// What the run cannot see is not waited for beyond that: time may jump while a
    /// task waits for a peer outside the run (another process, a thread that is not a
    /// task), so a timeout around such a wait fires as soon as the run is otherwise
    /// idle. Keep both ends of a conversation inside the run, or use the real clock for
    /// such tests. And a task that never waits (a busy loop of `yield_now`) keeps time
    /// still.
    ///
    /// ```
    /// use std::time::Duration;
    /// use miou::time::{Instant, sleep, timeout};
    ///
    /// let real = std::time::Instant::now();
    /// let order = miou::Builder::new().domains(1).virtual_clock().run(async {
    ///     let start = Instant::now();
    ///     let late = miou::call(|| async {
    ///         sleep(Duration::from_secs(3600)).await;
    ///         "an hour"
    ///     });
    ///     let soon = miou::spawn(async {
    ///         sleep(Duration::from_secs(60)).await;
    ///         "a minute"
    ///     });
    ///     let first = soon.await.unwrap();
    ///     assert_eq!(start.elapsed(), Duration::from_secs(60));
    ///     let slow = timeout(Duration::from_secs(10), sleep(Duration::from_secs(20)));
    ///     assert!(slow.await.is_err());
    ///     assert_eq!(start.elapsed(), Duration::from_secs(70));
    ///     let second = late.await.unwrap();
    ///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
    ///     [first, second]
    /// });
    /// assert_eq!(order, ["a minute", "an hour"]);
    /// assert!(real.elapsed() < Duration::from_secs(10));
    /// ```
    pub fn virtual_clock(mut self) -> Builder {
        self.virtual_clock = true;
        self
    }

    /// Runs `fut` as the root task on the calling thread (domain 0) and returns its
    /// value. Panics when the run fails: with the root's own panic payload if the root
    /// panicked, else with the failure's message (a broken rule: the error's sentence,
    /// the task that broke it and where it was spawned, see [`Failure`]).
    ///
    /// ```
    /// let v = miou::Builder::new().domains(0).run(async {
    ///     let p = miou::spawn(async { 21 });
    ///     p.await.unwrap() * 2
    /// });
    /// assert_eq!(v, 42);
    /// ```
    ///
    /// The root future need not be `'static` nor `Send`: it stays on the calling
    /// thread, in `run`'s frame, and is dropped before `run` returns, so it may borrow
    /// from the caller, as a `block_on` does:
    ///
    /// ```
    /// let mut log = Vec::new();
    /// let words = ["Hello", "World"];
    /// let first = miou::Builder::new().domains(0).run(async {
    ///     log.push(words.len());
    ///     &words[0] // a borrow, returned
    /// });
    /// assert_eq!((*first, log), ("Hello", vec![2]));
    /// ```
    ///
    /// Its children may not borrow: [`spawn`](fn@crate::spawn) and [`call`](crate::call)
    /// still take `'static` futures, since a child of the root runs as a task of its own.
    /// This does not compile:
    ///
    /// ```compile_fail,E0373
    /// let name = String::from("miou");
    /// miou::Builder::new().domains(0).run(async {
    ///     let p = miou::spawn(async { name.len() }); // error: may outlive `name`
    ///     p.await.unwrap()
    /// });
    /// ```
    #[track_caller]
    pub fn run<F: Future>(self, fut: F) -> F::Output {
        match self.try_run_detailed(fut) {
            Ok(v) => v,
            Err(f) => {
                if matches!(f.error(), Error::Panicked(_)) {
                    let Error::Panicked(p) = f.into_error() else {
                        unreachable!("matched above")
                    };
                    std::panic::resume_unwind(p.into_payload())
                }
                panic!("miou: the run failed: {f}")
            }
        }
    }

    /// Runs `fut` as the root task and returns its value, or the error that ended the
    /// run: the root panicked (`Error::Panicked`) or a rule was broken
    /// (`StillHasChildren`, `ResourceLeaked`). Which task broke the rule, and where it
    /// was spawned, is in the [`Failure`] that
    /// [`try_run_detailed`](Builder::try_run_detailed) returns instead.
    ///
    /// ```
    /// let r = miou::Builder::new().domains(0).try_run(async { panic!("no") });
    /// assert!(matches!(r, Err(miou::Error::Panicked(_))));
    /// ```
    #[track_caller]
    pub fn try_run<F: Future>(self, fut: F) -> Result<F::Output, Error> {
        self.try_run_detailed(fut).map_err(Failure::into_error)
    }

    /// [`try_run`](Builder::try_run), with the story of a failure: the [`Failure`]
    /// holds the error and, for a broken rule, which task broke it, where it was
    /// spawned and (for `StillHasChildren`) the children it left and their spawn sites.
    ///
    /// ```
    /// let line = line!() + 3;
    /// let f = miou::Builder::new().domains(0).try_run_detailed(async {
    ///     let a = miou::spawn(async {
    ///         let _lost = miou::spawn(async {}); // never awaited
    ///     });
    ///     let _ = a.await; // the run fails meanwhile, and the root is cancelled here
    /// });
    /// let f = f.unwrap_err();
    /// assert!(matches!(f.error(), miou::Error::StillHasChildren));
    /// let detail = f.detail().unwrap();
    /// assert!(detail.starts_with(&format!("task 2@0 (spawned at {}:{}:", file!(), line - 1)));
    /// assert!(detail.ends_with(&format!("3@0 (spawned at {}:{line}:21)", file!())));
    /// ```
    #[track_caller]
    pub fn try_run_detailed<F: Future>(self, fut: F) -> Result<F::Output, Failure> {
        let run_at = Location::caller();
        let quanta = self
            .quanta
            .unwrap_or_else(|| env_usize("MIOU_QUANTA").filter(|&n| n > 0).unwrap_or(1));
        let workers = self
            .domains
            .unwrap_or_else(|| env_usize("MIOU_DOMAINS").unwrap_or_else(default_workers));
        let seed = self.seed.unwrap_or_else(random_seed);
        let trace_file = self
            .trace_file
            .or_else(|| {
                std::env::var_os("MIOU_TRACE")
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
            })
            .map(|path| {
                let limit = self.trace_file_limit.unwrap_or(trace_file::DEFAULT_LIMIT);
                TraceFile::new(path, limit, run_at, seed, workers + 1)
            });
        // Before the workers start, so that on every way out (a return, or an unwind
        // that `Stop` below joins the workers for first) it is dropped after them.
        let write_trace = WriteOnEnd(trace_file.clone());
        let runtime = Arc::new(RuntimeShared {
            quanta,
            seed,
            trace: self.trace,
            trace_file,
            debug: DebugLog::from_env(),
            failed: AtomicBool::new(false),
            failure: Mutex::new(None),
            stopping: AtomicBool::new(false),
            root: Mutex::new(None),
            domains: {
                let run = RunId::next();
                (0..=workers)
                    .map(|i| {
                        DomainShared::new(DomainKey {
                            run,
                            domain: DomainId(i),
                        })
                    })
                    .collect()
            },
            clock: self.virtual_clock.then(|| VirtualClock::new(workers + 1)),
            started: AtomicBool::new(false),
            threads: Mutex::new(Vec::new()),
            make: self.events,
        });

        // The workers start with the first call (`RuntimeShared::start_workers`); from
        // here on, whatever happens, they are stopped and joined when the run ends.
        let stop = Stop {
            runtime: runtime.clone(),
        };
        if runtime.make.is_some() || runtime.clock.is_some() {
            // A backend of the program's may coordinate its domains (a virtual clock
            // that advances when every domain is idle, as in miou's tests): it gets
            // every domain from the start, as `Builder::events` promises. So does
            // miou's own virtual clock, which jumps only when every domain of the run
            // is idle: a worker that never started would never say so.
            runtime.start_workers();
        }
        let d0 = DomainLocal::new(
            runtime.domains[0].clone(),
            runtime.clone(),
            runtime.make.as_ref().map(|m| m(DomainId(0))),
        );
        let installed = DomainLocal::install(&d0);
        let root = RootTask::root(d0.next_id(), run_at, Here(d0.shared.clone()));
        // The root's future stays in this frame, pinned, for the whole run: domain 0's
        // loop polls it through `turn`. It is dropped in place when it returns (or is
        // torn down), and at the latest when this frame unwinds; nothing else holds it,
        // so it may borrow from the caller.
        let fut = pin!(Some(fut));
        let turn = RootTurn::new(&root, fut);
        *runtime.root.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(root.clone().into_runnable());
        d0.queue
            .borrow_mut()
            .push_back(root.clone().into_runnable());
        if runtime.is_failed() {
            task::schedule(root.clone().into_runnable());
        }
        d0.run(Some(&turn), || root.header().is_complete());
        *runtime.root.lock().unwrap_or_else(|e| e.into_inner()) = None;

        // The workers stop here; a worker's panic goes on from here.
        drop(stop);
        d0.shutdown();
        drop(installed);
        // Domain 0's trace recorder hands its events over when the domain is dropped.
        drop(d0);
        let result = turn.take_output().expect("the root is complete");
        let failure = runtime
            .failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let result = match failure {
            Some(f) => Err(f),
            None => result.map_err(Failure::from),
        };
        write_trace.finish(|| match &result {
            Ok(_) => Outcome::Ok,
            Err(f) => Outcome::Failed(f.to_string()),
        });
        result
    }
}

/// Stops and joins the worker domains that were started, when dropped: at the end of
/// the run, or when domain 0 unwinds.
struct Stop {
    runtime: Arc<RuntimeShared>,
}

impl Drop for Stop {
    /// Sets the stop flag, wakes every worker that sleeps, and joins the started
    /// threads. A worker that is still starting sees the flag before it first sleeps:
    /// it looks at it under its mailbox lock, where [`DomainShared::wake_to_stop`]
    /// looks for its sleep (the loom model `a_worker_started_late_still_stops`). Once
    /// every thread is joined, the first worker's panic goes on in domain 0, unless
    /// domain 0 is unwinding already.
    fn drop(&mut self) {
        let runtime = &self.runtime;
        // Under the lock that starts them: no worker starts after this.
        let threads = {
            let mut threads = runtime.threads.lock().unwrap_or_else(|e| e.into_inner());
            runtime.stopping.store(true, Ordering::SeqCst);
            std::mem::take(&mut *threads)
        };
        for d in &runtime.workers()[..threads.len()] {
            d.wake_to_stop();
        }
        let joined: Vec<_> = threads.into_iter().map(|t| t.join()).collect();
        if let Some(p) = joined.into_iter().find_map(Result::err)
            && !thread::panicking()
        {
            std::panic::resume_unwind(p);
        }
    }
}

fn worker(runtime: Arc<RuntimeShared>, shared: Arc<DomainShared>) {
    let id = shared.id;
    let events = runtime.make.as_ref().map(|m| m(id));
    let local = DomainLocal::new(shared, runtime.clone(), events);
    let _installed = DomainLocal::install(&local);
    local.run(None, || runtime.is_stopping());
    local.shutdown();
}

/// Runs `fut` as the root task of a new run with the default settings, and returns its
/// value. See [`Builder`] for the settings and [`Builder::run`] for when it panics.
///
/// ```
/// let hello = miou::run(async {
///     let p = miou::spawn(async { "Hello" });
///     p.await.unwrap()
/// });
/// assert_eq!(hello, "Hello");
/// ```
///
/// It stands in for a `block_on`: the future may borrow from the caller, and a run that
/// never calls starts no worker thread (they start with the first [`call`](crate::call)
/// or [`parallel`](crate::parallel)), so it costs a few microseconds.
///
/// ```
/// use std::sync::mpsc;
/// use std::task::Poll;
///
/// /// A receiver whose `recv` borrows it, as async channels' do.
/// struct Receiver(mpsc::Receiver<u32>);
/// impl Receiver {
///     fn recv(&self) -> impl Future<Output = u32> + '_ {
///         std::future::poll_fn(|cx| match self.0.try_recv() {
///             Ok(v) => Poll::Ready(v),
///             Err(_) => {
///                 cx.waker().wake_by_ref(); // poll again at the next turn
///                 Poll::Pending
///             }
///         })
///     }
/// }
///
/// let (tx, rx) = mpsc::channel();
/// let rx = Receiver(rx);
/// tx.send(7).unwrap();
/// assert_eq!(miou::run(rx.recv()), 7);
/// tx.send(8).unwrap();
/// assert_eq!(miou::run(rx.recv()), 8); // the caller still has `rx`
/// ```
#[track_caller]
pub fn run<F: Future>(fut: F) -> F::Output {
    Builder::new().run(fut)
}

/// One worker domain per core besides domain 0, and one at least (see
/// [`Builder::new`]). Computed once per process: `available_parallelism` reads the
/// cgroup's CPU quota on Linux (a dozen system calls, four times what the rest of a
/// short run costs), and neither the cores nor the quota are expected to change while a
/// program runs.
fn default_workers() -> usize {
    static WORKERS: OnceLock<usize> = OnceLock::new();
    *WORKERS.get_or_init(|| {
        thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .saturating_sub(1)
            .max(1)
    })
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok()?.trim().parse().ok()
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::DebugLog;

    #[test]
    fn the_debug_log_goes_to_stderr_without_a_subscriber() {
        assert_eq!(DebugLog::choose(false, false), DebugLog::Off);
        assert_eq!(DebugLog::choose(false, true), DebugLog::Off);
        assert_eq!(DebugLog::choose(true, true), DebugLog::Tracing);
        assert_eq!(DebugLog::choose(true, false), DebugLog::Stderr);
        // No subscriber in this test binary (unless one is set for this thread).
        assert!(!super::subscriber_installed());
        struct Quiet;
        impl tracing::Subscriber for Quiet {
            fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
                false
            }
            fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
                tracing::span::Id::from_u64(1)
            }
            fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
            fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
            fn event(&self, _: &tracing::Event<'_>) {}
            fn enter(&self, _: &tracing::span::Id) {}
            fn exit(&self, _: &tracing::span::Id) {}
        }
        tracing::subscriber::with_default(Quiet, || assert!(super::subscriber_installed()));
    }
}
