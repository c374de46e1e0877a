//! Starting and stopping a run: [`Builder`], [`run`], and the state a run shares
//! between its domains (its settings, its failure, its worker domains).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::domain::DomainId;
use crate::error::Error;
use crate::events::Events;
use crate::scheduler::{DomainLocal, DomainShared};
use crate::task::{self, Handle, Here, Runnable, Task};
use crate::trace::TraceEvent;

type MakeEvents = Arc<dyn Fn(DomainId) -> Box<dyn Events> + Send + Sync>;
type Reporter = Arc<dyn Fn(&TraceEvent) + Send + Sync>;

/// What every domain of one run shares.
pub(crate) struct RuntimeShared {
    pub(crate) quanta: usize,
    pub(crate) seed: u64,
    pub(crate) trace: Option<Reporter>,
    pub(crate) debug: bool,
    failed: AtomicBool,
    failure: Mutex<Option<Error>>,
    stopping: AtomicBool,
    root: Mutex<Option<Arc<dyn Runnable>>>,
    /// Every domain of the run: domain 0 first, then the workers.
    pub(crate) domains: Vec<Arc<DomainShared>>,
}

impl RuntimeShared {
    pub(crate) fn is_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// A rule was broken somewhere: the run fails with `error` (the first one wins),
    /// and every task is cancelled, starting from the root.
    pub(crate) fn fail(&self, error: Error) {
        {
            let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
            if failure.is_none() {
                tracing::debug!(%error, "miou: the run fails");
                *failure = Some(error);
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
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("quanta", &self.quanta)
            .field("domains", &self.domains)
            .field("seed", &self.seed)
            .field("events", &self.events.as_ref().map(|_| "custom"))
            .field("trace", &self.trace.as_ref().map(|_| "reporter"))
            .finish()
    }
}

impl Builder {
    /// A builder with the defaults: quanta from `MIOU_QUANTA` (else 1), worker domains
    /// from `MIOU_DOMAINS` (else the available parallelism minus one, and at least one),
    /// a random seed, and the built-in events backend.
    ///
    /// At least one worker domain by default, even on one CPU (a small VM, a container
    /// limited to one core): an idle worker sleeps and costs a thread, while none would
    /// make every `call` and `parallel` fail with
    /// [`NoDomainAvailable`](crate::Error::NoDomainAvailable). Ask for `domains(0)` to
    /// run everything on the calling thread.
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
    /// everything runs on the calling thread and `call` has nowhere to go.
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
    /// domain's thread, with its id.
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
    /// use std::sync::{Arc, Mutex};
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

    /// Runs `fut` as the root task on the calling thread (domain 0) and returns its
    /// value. Panics when the run fails: with the root's own panic payload if the root
    /// panicked, else with the error's message (a broken rule).
    ///
    /// ```
    /// let v = miou::Builder::new().domains(0).run(async {
    ///     let p = miou::spawn(async { 21 });
    ///     p.await.unwrap() * 2
    /// });
    /// assert_eq!(v, 42);
    /// ```
    pub fn run<F: Future + 'static>(self, fut: F) -> F::Output {
        match self.try_run(fut) {
            Ok(v) => v,
            Err(Error::Panicked(p)) => std::panic::resume_unwind(p.into_payload()),
            Err(e) => panic!("miou: the run failed: {e}"),
        }
    }

    /// Runs `fut` as the root task and returns its value, or the error that ended the
    /// run: the root panicked (`Error::Panicked`) or a rule was broken
    /// (`StillHasChildren`, `ResourceLeaked`).
    ///
    /// ```
    /// let r = miou::Builder::new().domains(0).try_run(async { panic!("no") });
    /// assert!(matches!(r, Err(miou::Error::Panicked(_))));
    /// ```
    pub fn try_run<F: Future + 'static>(self, fut: F) -> Result<F::Output, Error> {
        let quanta = self
            .quanta
            .unwrap_or_else(|| env_usize("MIOU_QUANTA").filter(|&n| n > 0).unwrap_or(1));
        let workers = self.domains.unwrap_or_else(|| {
            env_usize("MIOU_DOMAINS").unwrap_or_else(|| {
                // One domain per core besides domain 0, and one at least: see `new`.
                thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
                    .saturating_sub(1)
                    .max(1)
            })
        });
        let seed = self.seed.unwrap_or_else(random_seed);
        let runtime = Arc::new(RuntimeShared {
            quanta,
            seed,
            trace: self.trace,
            debug: std::env::var_os("MIOU_DEBUG").is_some(),
            failed: AtomicBool::new(false),
            failure: Mutex::new(None),
            stopping: AtomicBool::new(false),
            root: Mutex::new(None),
            domains: (0..=workers)
                .map(|i| DomainShared::new(DomainId(i)))
                .collect(),
        });
        let make: Option<MakeEvents> = self.events;
        let shareds = runtime.domains.clone();

        // Workers start first so that `call` finds them; a call made before a worker
        // entered its loop waits in that worker's inbox.
        let mut stop = Stop {
            runtime: runtime.clone(),
            threads: Vec::new(),
        };
        for shared in &shareds[1..] {
            let (runtime, shared, make) = (runtime.clone(), shared.clone(), make.clone());
            let handle = thread::Builder::new()
                .name(format!("miou-domain-{}", shared.id.index()))
                .spawn(move || worker(runtime, shared, make))
                .expect("miou: cannot start a worker domain thread");
            stop.threads.push(handle);
        }

        let d0 = DomainLocal::new(
            shareds[0].clone(),
            runtime.clone(),
            make.as_ref().map(|m| m(DomainId(0))),
        );
        let installed = DomainLocal::install(&d0);
        let root: Arc<dyn Handle<F::Output>> = Task::new(
            d0.next_id(),
            None,
            Here(d0.shared.clone()),
            Vec::new(),
            move || fut,
        );
        *runtime.root.lock().unwrap_or_else(|e| e.into_inner()) = Some(root.clone());
        d0.queue.borrow_mut().push_back(root.clone());
        if runtime.is_failed() {
            task::schedule(root.clone());
        }
        d0.run(|| root.header().is_complete());
        *runtime.root.lock().unwrap_or_else(|e| e.into_inner()) = None;

        stop.stop_and_join();
        d0.shutdown();
        drop(installed);
        let result = root.take_output().expect("the root is complete");
        let failure = runtime
            .failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        match failure {
            Some(e) => Err(e),
            None => result,
        }
    }
}

/// Stops and joins the worker domains, also when domain 0 unwinds.
struct Stop {
    runtime: Arc<RuntimeShared>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Stop {
    fn stop_and_join(&mut self) {
        self.runtime.stopping.store(true, Ordering::SeqCst);
        for d in self.runtime.workers() {
            d.interrupt();
        }
        let mut panicked = None;
        for t in self.threads.drain(..) {
            if let Err(p) = t.join() {
                panicked.get_or_insert(p);
            }
        }
        if let Some(p) = panicked {
            std::panic::resume_unwind(p);
        }
    }
}

impl Drop for Stop {
    fn drop(&mut self) {
        if !self.threads.is_empty() {
            self.runtime.stopping.store(true, Ordering::SeqCst);
            for d in self.runtime.workers() {
                d.interrupt();
            }
            for t in self.threads.drain(..) {
                let _ = t.join();
            }
        }
    }
}

fn worker(runtime: Arc<RuntimeShared>, shared: Arc<DomainShared>, make: Option<MakeEvents>) {
    let id = shared.id;
    let local = DomainLocal::new(shared, runtime.clone(), make.map(|m| m(id)));
    let _installed = DomainLocal::install(&local);
    local.run(|| runtime.stopping.load(Ordering::SeqCst));
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
pub fn run<F: Future + 'static>(fut: F) -> F::Output {
    Builder::new().run(fut)
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok()?.trim().parse().ok()
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
