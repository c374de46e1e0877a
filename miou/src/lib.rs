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
//! ## The scheduling policy
//!
//! *Every effect yields, and events trigger tasks.* Each domain (a thread running one
//! scheduler loop) has a FIFO run queue. A **scheduling point** is every `.await` on a
//! future that miou provides ([`Promise`]s, [`cancel`], [`yield_now`], the
//! [`sync`] primitives, [`suspend`]...), even one whose result is ready. A turn of a task
//! passes at most `quanta` scheduling points (default 1, see [`Builder::quanta`]); at the
//! next one the task goes to the back of its domain's queue, and the operation is done
//! when it comes back ("yield, then do"). Between turns, while some task waits for the
//! system, the domain polls its events backend without blocking; it blocks only when
//! nothing can run. So a computation that goes through the runtime can never starve a
//! server of its events: with quanta 1, every other ready task and every event gets a
//! turn between two of its scheduling points.
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
//! ## Domains
//!
//! Domain 0 is the thread that called [`run`]; [`Builder::domains`] adds worker domains.
//! [`spawn`](fn@spawn) creates a child on the current domain; [`call`] creates one on
//! another domain (never domain 0, never the caller's); [`parallel`] spreads work over
//! the workers. A task never migrates. Idle domains sleep in their backend's `select`.

#![warn(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks, missing_debug_implementations)]

// The README's Rust blocks run as doctests (`cargo test -p miou --doc`), so the README a
// user reads on crates.io compiles against this version of the crate. Only compiled for
// doctests: the crate's documentation is the text above.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}

pub mod domain;
mod error;
mod events;
mod family;
mod hook;
mod loom;
#[cfg(all(test, loom))]
mod loom_models;
mod mailbox;
pub mod net;
mod orphans;
mod ownership;
mod point;
mod promise;
mod rng;
mod runtime;
mod scheduler;
mod select;
pub mod signal;
mod slab;
mod spawn;
pub mod sync;
mod task;
mod task_state;
pub mod time;
pub mod trace;

pub use error::{Error, Panic};
pub use events::{Events, Interrupter, Signal, Suspend, Syscall, SyscallId, suspend, syscall};
pub use hook::Hook;
pub use orphans::Orphans;
pub use ownership::Ownership;
pub use point::{YieldNow, yield_now};
pub use promise::{Join, Promise, cancel};
pub use runtime::{Builder, run};
pub use select::{await_all, await_first, await_one};
pub use spawn::{Spawn, call, parallel, spawn, try_call};
pub use task::TaskId;
pub use trace::{TraceEvent, TraceKind};
