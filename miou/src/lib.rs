//! # miou
//!
//! A round-robin async runtime with structured concurrency enforced at run time, after
//! the OCaml library [Miou](https://github.com/robur-coop/miou).
//!
//! ```
//! let v = miou::Builder::new().domains(0).run(async {
//!     let hello = miou::spawn(async { "Hello" });
//!     let world = miou::spawn(async { "World" });
//!     format!("{} {}", hello.await.unwrap(), world.await.unwrap())
//! });
//! assert_eq!(v, "Hello World");
//! ```
//!
//! ## Attributes
//!
//! With the default feature `macros`, [`macro@main`] and [`macro@test`] turn an
//! `async fn` into a plain `fn` that runs its body as the root task, with the
//! [`Builder`] options they are given:
//!
//! ```
//! #[miou::main(domains = 1)]
//! async fn main() {
//!     let p = miou::call(|| async { miou::domain::current() });
//!     assert_eq!(p.await.unwrap().index(), 1);
//! }
//! ```
//!
//! ```
//! #[miou::test(domains = 0, seed = 42)]
//! async fn children_run_in_order() {
//!     let a = miou::spawn(async { 1 });
//!     assert_eq!(a.await.unwrap(), 1);
//! }
//! # fn main() {} // a doctest is not built with `--test`: the test compiles, unrun
//! ```
//!
//! ## The scheduling policy
//!
//! *Every effect yields, and events trigger tasks.* Each domain (a thread running one
//! scheduler loop) has a FIFO run queue. A **scheduling point** is every `.await` on a
//! miou operation that acts or waits ([`Promise`]s, [`cancel`], [`yield_now`], sleeps,
//! socket reads and writes, [`Mutex::lock`](sync::Mutex::lock),
//! [`Condition::wait`](sync::Condition::wait), [`suspend`]...), even one whose result
//! is ready. An await that only looks at something already settled is not one: an
//! already signalled [`Trigger`](sync::Trigger), a complete
//! [`Computation`](sync::Computation), a forced [`Lazy`](sync::Lazy), and a [`Scope`]
//! or [`time::timeout`] whose future finishes at once (each item's documentation says
//! which of its awaits are points). A turn of a task
//! passes at most `quanta` scheduling points (default 1, see [`Builder::quanta`]); at the
//! next one the task goes to the back of its domain's queue, and the operation is done
//! when it comes back ("yield, then do"). Between turns, while some task waits for the
//! system, the domain polls its events backend without blocking (the built-in backend on
//! the real clock looks at the kernel at most once per 20 µs while tasks run: a
//! non-blocking `epoll_wait` costs more than a short turn); it blocks only when nothing
//! can run. So a computation that goes through the runtime can never starve a server of
//! its events: with quanta 1, every other ready task gets a turn between two of its
//! scheduling points, and an event is seen at the end of the first turn that ends 20 µs
//! or more after the domain last looked (with a backend of the program's own, or on the
//! virtual clock, at the end of the turn in progress).
//!
//! A task whose future returns `Pending` for a reason of its own (a channel from another
//! crate, a timer) sleeps until its `Waker` is called, from any thread, and then joins
//! the back of its domain's queue.
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! let log = Rc::new(RefCell::new(Vec::new()));
//! let l = log.clone();
//! miou::Builder::new().domains(0).run(async move {
//!     let l2 = l.clone();
//!     let p = miou::spawn(async move { l2.borrow_mut().push("Hello") });
//!     l.borrow_mut().push("World"); // spawning is not a scheduling point: we go on
//!     p.await.unwrap();              // a scheduling point: the child runs
//! });
//! assert_eq!(*log.borrow(), ["World", "Hello"]);
//! ```
//!
//! ## The rules
//!
//! - **A task awaits or cancels every child.** Returning with a child that was neither
//!   awaited nor cancelled (dropping its [`Promise`] does not count) makes the whole run
//!   fail with [`Error::StillHasChildren`], after the remaining children were cancelled.
//!   A cancel scope ([`time::timeout`], [`Scope`]) that ends early settles the children
//!   started inside it (see below).
//! - **Only the parent awaits or cancels a child** ([`Error::NotAChild`]).
//! - **Resources belong to tasks** ([`Ownership`]): a task that returns still owning one
//!   makes the run fail with [`Error::ResourceLeaked`] after its finaliser ran.
//! - **A panic stays in its task**: it becomes the task's `Err(Error::Panicked(_))`, its
//!   children are cancelled and its resources finalised; the domain goes on.
//! - **Cancellation reaches the whole tree and waits for it**: [`cancel`] returns once
//!   the child and all its descendants, on every domain, are gone, their destructors and
//!   finalisers run.
//!
//! ```
//! let r = miou::Builder::new().domains(0).try_run(async {
//!     let _lost = miou::spawn(async { 1 });
//! });
//! assert!(matches!(r, Err(miou::Error::StillHasChildren)));
//! ```
//!
//! ## Cancel scopes: timeouts that clean up
//!
//! A combinator that abandons a future drops it, and with it the promises it held:
//! their children are forgotten, and the run fails. [`time::timeout`] and [`Scope`]
//! are **cancel scopes** instead (after Trio's): they run a future and know which tasks
//! it started. When the scope ends early (the deadline passes, [`Scope::cancel`]), the
//! future is dropped, then every task it created that is neither awaited nor cancelled
//! is cancelled, with its whole subtree, on every domain, and the scope returns only
//! once they are gone, their destructors and finalisers run. A promise given to the
//! scope, or moved into its future, is settled the same way (Miou's
//! `await_first [p; sleeper]`). When the future finishes, nothing changes: what it
//! started and did not settle is the task's, as without a scope.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::time::Duration;
//! use miou::time::{sleep, timeout};
//!
//! struct Cleanup(Arc<AtomicUsize>);
//! impl Drop for Cleanup {
//!     fn drop(&mut self) { self.0.fetch_add(1, Ordering::SeqCst); }
//! }
//!
//! let cleaned = Arc::new(AtomicUsize::new(0));
//! let c = cleaned.clone();
//! miou::Builder::new().domains(1).virtual_clock().run(async move {
//!     let c2 = c.clone();
//!     let r = timeout(Duration::from_secs(1), async move {
//!         // A helper on another domain, with a child of its own.
//!         let fetch = miou::call(move || async move {
//!             let _cleanup = Cleanup(c2.clone());
//!             let retry = miou::spawn(async move {
//!                 let _cleanup = Cleanup(c2);
//!                 sleep(Duration::from_secs(60)).await
//!             });
//!             retry.await
//!         });
//!         fetch.await
//!     })
//!     .await;
//!     assert!(r.is_err());
//!     // Both destructors ran before `timeout` returned.
//!     assert_eq!(c.load(Ordering::SeqCst), 2);
//! }); // and the run succeeds: no child was forgotten
//! ```
//!
//! A scope dropped before it ended (by a `select!` of another crate) cannot wait: its
//! tasks are asked to cancel and the task that owns the scope *reaps* them, waiting for
//! them when it returns instead of failing. A [`Promise`] dropped outside any scope is
//! still a forgotten child; to race children, use [`await_first`], which cancels the
//! losers and waits for them. [`Scope`] states the rules.
//!
//! ## Time in tests
//!
//! [`Builder::virtual_clock`] runs [`time`] on a virtual clock: it starts at zero and
//! jumps to the next deadline whenever nothing can run, on any domain, so an hour of
//! sleeps and timeouts takes milliseconds, deterministically, while sockets keep
//! working. Read the time with [`time::Instant::now`] to see the same clock.
//!
//! ## Which task broke a rule
//!
//! Every task has an id, [`TaskId`], displayed as `n@d` (its number `n` on domain `d`;
//! the root is `1@0`), and miou records where each task was spawned (the place of the
//! [`spawn`](fn@spawn), [`call`], [`parallel`], [`Spawn`] or [`Orphans`] call; for the
//! root, of the [`run`]). A failure names the task that broke the rule and where it was
//! spawned, and for [`Error::StillHasChildren`] the children it left, with their spawn
//! sites (three by name, then "and N more"):
//!
//! ```text
//! miou: the run failed: a task returned while some of its children were neither awaited
//! nor cancelled (rule: [...]): task 2@0 (spawned at src/main.rs:4:17) returned while 1
//! child was neither awaited nor cancelled: 3@0 (spawned at src/main.rs:5:21)
//! ```
//!
//! That is [`run`]'s panic; [`Builder::try_run_detailed`] returns the same as a
//! [`Failure`], and [`Builder::try_run`] the bare [`Error`], to match on. A panic's
//! [`Error::Panicked`] names its task ([`Panic::task`], [`Panic::spawned_at`]); a
//! [`cancel`] of another task's child panics with both tasks' names. Some mistakes are
//! reported as they happen, with a `tracing` warning: a [`Promise`] dropped while its
//! child is neither awaited nor cancelled (the run will fail when the parent returns),
//! and an `.await` that gets [`Error::NotAChild`].
//!
//! ## Debugging: `MIOU_DEBUG`
//!
//! Run a program with `MIOU_DEBUG=1` to see what the scheduler does: every scheduling
//! event of [`TraceKind`] (a spawn with its spawn site, each turn's start and end, a
//! cancel, a broken rule with the names above...), one line each on stderr,
//! `miou: <domain> <task> <event>`:
//!
//! ```text
//! miou: 0 1@0 Resume
//! miou: 0 2@0 Spawn by 1@0, runs on 0: spawned at src/main.rs:3:13
//! miou: 0 1@0 Yield
//! miou: 0 2@0 Resume
//! miou: 0 2@0 Finish ok
//! ```
//!
//! If the program installed a `tracing` subscriber, the same events go to it instead,
//! as `tracing` debug events. [`Builder::trace`] gives them to a function of the
//! program, with or without `MIOU_DEBUG`.
//!
//! ## A timeline in Perfetto: `MIOU_TRACE`
//!
//! Run a program with `MIOU_TRACE=trace.json` (or set [`Builder::trace_file`]) and the
//! run writes its schedule, when it ends, as a Chrome trace-event file: open it at
//! <https://ui.perfetto.dev> (or in `chrome://tracing`). One track per domain, a slice
//! per turn named after the task (`3@1 src/main.rs:12:9`: its id and where it was
//! spawned), instants for spawns (with an arrow to the child's first turn), cancels,
//! parks, panics and broken rules. Each domain keeps its first million events
//! ([`Builder::trace_file_limit`]) and the file says how many it dropped.
//!
//! ```text
//! MIOU_DOMAINS=1 MIOU_TRACE=trace.json cargo run --release -p miou --example merkle -- miou/src
//! ```
//!
//! The environment variables, read once per run when it starts (a [`Builder`] setting
//! overrides its variable): `MIOU_DOMAINS` (worker domains), `MIOU_QUANTA` (scheduling
//! points per turn), `MIOU_DEBUG` (the debug log), `MIOU_TRACE` (the trace file).
//!
//! ## Domains
//!
//! Domain 0 is the thread that called [`run`]; [`Builder::domains`] adds worker domains.
//! [`spawn`](fn@spawn) creates a child on the current domain; [`call`] creates one on
//! another domain (never domain 0, never the caller's); [`parallel`] spreads work over
//! the workers. A task never migrates. Idle domains sleep in their backend's `select`.
//! The worker threads start with the first [`call`] or [`parallel`] of a run: a run that
//! never calls stays on its thread, which makes [`run`] a cheap `block_on` (its future
//! may borrow from the caller, see [`Builder::run`]). With [`Builder::virtual_clock`]
//! or a backend of your own ([`Builder::events`]) every domain starts with the run.

#![warn(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks, missing_debug_implementations)]

// The README's Rust blocks run as doctests (`cargo test -p miou --doc`), so the README a
// user reads on crates.io compiles against this version of the crate. Only compiled for
// doctests: the crate's documentation is the text above.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}

mod clock;
pub mod domain;
mod error;
mod events;
mod family;
mod hook;
mod id;
mod loom;
#[cfg(all(test, loom))]
mod loom_models;
mod mailbox;
mod marker;
pub mod net;
mod orphans;
mod ownership;
mod point;
mod promise;
mod rng;
mod runtime;
mod scheduler;
mod scope;
mod select;
pub mod signal;
mod slab;
mod spawn;
mod stage;
pub mod sync;
mod task;
mod task_ref;
mod task_state;
pub mod time;
mod timers;
pub mod trace;
mod trace_file;
mod turn;

pub use error::{Error, Failure, Panic};
pub use events::{Events, Interrupter, Signal, Suspend, Syscall, SyscallId, suspend, syscall};
pub use hook::Hook;
pub use id::TaskId;
pub use orphans::Orphans;
pub use ownership::Ownership;
pub use point::{YieldNow, yield_now};
pub use promise::{Join, Promise, cancel};
pub use runtime::{Builder, run};
pub use scope::Scope;
pub use select::{await_all, await_first, await_one};
pub use spawn::{Spawn, call, parallel, spawn, try_call};
pub use trace::{TraceEvent, TraceKind};

/// `#[miou::main]` and `#[miou::test]`: an `async fn` run as the root task of a miou
/// run (with the default feature `macros`). See the [crate's front page](crate#attributes).
#[cfg(feature = "macros")]
#[doc(inline)]
pub use miou_macros::{main, test};
