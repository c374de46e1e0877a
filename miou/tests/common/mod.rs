//! Helpers shared by the integration tests: a watchdog so that a deadlock fails a test
//! instead of hanging CI, the examples' binaries, an output buffer, destructor counters,
//! and a virtual-clock events backend ([`clock`]).
//!
//! Each test binary uses a subset of these.
#![allow(dead_code)]

pub mod clock;

use std::any::Any;
use std::fmt::Debug;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::pin::Pin;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Runs `f` on a fresh thread and returns its value; panics if it does not finish within
/// `secs` seconds. A panic of `f` is resumed here with its own payload, so assertions
/// on the payload keep working.
pub fn watchdog<R: Send + 'static>(secs: u64, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("watchdog-body".into())
        .spawn(move || {
            let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
        })
        .expect("cannot start the test thread");
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(Ok(r)) => r,
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(_) => panic!("watchdog: the test did not finish within {secs} s (it hangs)"),
    }
}

/// The text of a panic payload (`panic!("...")` gives a `&str` or a `String`).
pub fn payload_text(p: &(dyn Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&'static str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string payload>".to_string()
    }
}

/// Runs `f`, which must panic, and returns the panic's message.
pub fn panic_text<R>(f: impl FnOnce() -> R) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic, but it returned"),
        Err(p) => payload_text(&*p),
    }
}

/// The message of an `Err(Error::Panicked(_))`; panics on anything else.
pub fn panicked<T: Debug>(r: Result<T, miou::Error>) -> String {
    match r {
        Err(miou::Error::Panicked(p)) => p.message().unwrap_or("<non-string payload>").to_string(),
        other => panic!("expected Err(Panicked(_)), got {other:?}"),
    }
}

/// Miou's `await_exn`: the value, or the child's failure re-raised in the caller (a
/// child's panic is resumed with its own payload).
pub fn exn<T>(r: Result<T, miou::Error>) -> T {
    match r {
        Ok(v) => v,
        Err(miou::Error::Panicked(p)) => std::panic::resume_unwind(p.into_payload()),
        Err(e) => panic!("{e}"),
    }
}

/// A line-oriented output buffer, shareable across tasks and domains (Miou's tests
/// write to a `Buffer.t` and compare its contents).
#[derive(Clone, Default)]
pub struct Out(Arc<Mutex<Vec<String>>>);

impl Out {
    pub fn new() -> Out {
        Out::default()
    }

    pub fn push(&self, line: impl Into<String>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line.into());
    }

    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Every line followed by `\n`, like Miou's buffer.
    pub fn text(&self) -> String {
        self.lines().iter().map(|l| format!("{l}\n")).collect()
    }

    /// The lines joined without separator (handy for one-letter logs).
    pub fn joined(&self) -> String {
        self.lines().concat()
    }
}

/// Counts live values: each [`Guard`] counts one while it exists. A task that holds a
/// guard in its future shows whether its future was dropped (its destructors ran).
#[derive(Clone, Default)]
pub struct Alive {
    live: Arc<AtomicUsize>,
    created: Arc<AtomicUsize>,
}

impl Alive {
    pub fn new() -> Alive {
        Alive::default()
    }

    pub fn guard(&self) -> Guard {
        self.live.fetch_add(1, Ordering::SeqCst);
        self.created.fetch_add(1, Ordering::SeqCst);
        Guard(self.clone())
    }

    /// How many guards exist right now.
    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// How many guards were ever made.
    pub fn created(&self) -> usize {
        self.created.load(Ordering::SeqCst)
    }

    /// How many guards were dropped.
    pub fn dropped(&self) -> usize {
        self.created() - self.live()
    }
}

/// See [`Alive`].
pub struct Guard(Alive);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A shared counter (finalisers run, tasks started...).
#[derive(Clone, Default)]
pub struct Count(Arc<AtomicUsize>);

impl Count {
    pub fn new() -> Count {
        Count::default()
    }

    pub fn incr(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A resource owned by the current task whose finaliser counts in `c`.
pub fn owned_resource(c: &Count) -> miou::Ownership {
    let c = c.clone();
    let r = miou::Ownership::create((), move |()| c.incr());
    r.own().expect("a fresh resource can be owned");
    r
}

/// Yields until `cond` holds (a busy wait through the scheduler; the watchdog bounds it).
pub async fn yield_until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        miou::yield_now().await;
    }
}

/// A task body that never returns: it loops on `yield_now`.
pub async fn forever() {
    loop {
        miou::yield_now().await;
    }
}

/// [`forever`], holding `g` (dropped when the task is cancelled).
pub async fn forever_holding(g: Guard) {
    let _g = g;
    forever().await
}

/// A hand-written one-shot channel that knows nothing of miou: its receiver is a
/// future that stores the `Waker` it is polled with, and the sender calls it from
/// whatever thread it runs on.
pub fn oneshot<T>() -> (OneshotSender<T>, OneshotReceiver<T>) {
    let shared = Arc::new(Mutex::new((None, None)));
    (OneshotSender(shared.clone()), OneshotReceiver(shared))
}

type OneshotSlot<T> = Arc<Mutex<(Option<T>, Option<Waker>)>>;

pub struct OneshotSender<T>(OneshotSlot<T>);

impl<T> OneshotSender<T> {
    pub fn send(self, v: T) {
        let waker = {
            let mut slot = self.0.lock().unwrap();
            slot.0 = Some(v);
            slot.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

pub struct OneshotReceiver<T>(OneshotSlot<T>);

impl<T> Future for OneshotReceiver<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.0.lock().unwrap();
        match slot.0.take() {
            Some(v) => Poll::Ready(v),
            None => {
                slot.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// SplitMix64, for the tests' own seeded choices.
#[derive(Clone, Copy, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `true` with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}

/// The binary of the example `name`, built for this test run: the first call for a
/// name runs `cargo build --example NAME` (a no-op when it is up to date) into this
/// test's own target directory and profile, so that the test runs what it was built
/// with.
pub fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    // .../target/<profile>/deps/<test>-<hash>
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let mut built = BUILT.get_or_init(Mutex::default).lock().unwrap();
    if !built.iter().any(|b| b == name) {
        let target_dir = profile_dir.parent().unwrap();
        let profile = match profile_dir.file_name().unwrap().to_str().unwrap() {
            "debug" => "dev",
            other => other,
        };
        let status = Command::new(env!("CARGO"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--quiet", "-p", "miou", "--example", name])
            .args(["--profile", profile, "--target-dir"])
            .arg(target_dir)
            .status()
            .expect("cannot run cargo");
        assert!(status.success(), "cannot build the example {name}");
        built.push(name.to_string());
    }
    profile_dir.join("examples").join(name)
}
