//! A task: one allocation holding a header shared across threads, the task's
//! runner-only data, and its stage (the closure that builds its future, then the
//! future, then its result).
//!
//! # Who touches what
//!
//! - The [`Header`] is `Send + Sync`: its state word and its waiter slot are read and
//!   written from any thread.
//! - The stage and the [`TaskLocal`] data (its ring of children in the domain's
//!   family table, the stage's tag, its resources, its teardown) belong to the task's
//!   *runner*, the domain it runs on. The runner is the only thread that touches them
//!   until the task is complete. Completion is published with a release store of
//!   [`COMPLETE`]; from then on the runner never touches them again and the parent
//!   (the holder of the [`Promise`](crate::Promise), on its own domain) may take the
//!   result, and the resources the task handed up to it, after an acquire load. That
//!   hand-off is what makes the `unsafe impl Sync` below sound: it is the same
//!   protocol as a one-shot channel.
//! - A spawned task's future and output need not be `Send`: with `spawn` the parent and
//!   the runner are the same domain, so they never leave the thread. With `call` the
//!   closure is `Send` (it travels to the runner and builds the future there) and the
//!   output is `Send` (it travels back).
//!
//! # Life of a task
//!
//! A task is polled by its domain each time it is dequeued. Normally the future runs;
//! when it returns, the termination rules are checked (resources, then children). When
//! the task must stop early (it was cancelled, it panicked, it broke a rule, or the run
//! failed), it enters *teardown*: it asks every remaining child to cancel, waits until
//! all of them are complete, then drops its future where it stood (destructors run),
//! runs its resources' finalisers, and completes with the reason.

use std::cell::{Cell, OnceCell, RefCell, RefMut, UnsafeCell};
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};

use crate::error::{Error, Failure, Panic};
use crate::family::Children;
use crate::id::{DomainId, TaskId};
use crate::ownership::Resource;
use crate::scheduler::{DomainLocal, DomainShared};
use crate::stage::{Holds, Slot, Stage};
use crate::task_ref::{StateFirst, TaskRef};
use crate::task_state::{TaskState, Wakeable};
use crate::trace::TraceKind;

/// A task as failures and logs name it: its id and where it was spawned (for the root,
/// where the run was started). Displays as `task 3@0 (spawned at src/main.rs:7:13)`, or
/// `the root task (1@0, run at src/main.rs:4:5)`.
#[derive(Clone, Copy)]
pub(crate) struct TaskName {
    pub(crate) id: TaskId,
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) root: bool,
}

impl fmt::Display for TaskName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.root {
            write!(f, "the root task ({}, run at {})", self.id, self.spawned_at)
        } else {
            write!(f, "task {} (spawned at {})", self.id, self.spawned_at)
        }
    }
}

/// A child in a list: `3@0 (spawned at src/main.rs:7:13)`.
struct ChildName<'a>(&'a Header);

impl fmt::Display for ChildName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (spawned at {})", self.0.id, self.0.spawned_at)
    }
}

/// How many unsettled children a failure lists by name before "and N more".
const LISTED_CHILDREN: usize = 3;

pub(crate) use crate::task_state::{CANCEL, COMPLETE, COMPLETE_OK};

/// Where a task runs: a spawned task on the domain that created it ([`Here`]), a
/// called one on the domain that starts it ([`Called`]). A type parameter of the task,
/// so that a spawned task pays nothing for what a called one needs.
pub(crate) trait Place: Send + Sync + 'static {
    /// The runner, if the task started.
    fn runner(&self) -> Option<&Arc<DomainShared>>;
    /// The domain that created the task (a `call`ed task never runs there).
    fn created_on(&self) -> DomainId;
    /// The domain that polls the task takes it, the first time.
    fn start_on(&self, domain: &Arc<DomainShared>);
}

/// Spawned: on the domain that created it, from the start.
pub(crate) struct Here(pub(crate) Arc<DomainShared>);

impl Place for Here {
    #[inline]
    fn runner(&self) -> Option<&Arc<DomainShared>> {
        Some(&self.0)
    }

    fn created_on(&self) -> DomainId {
        self.0.id
    }

    #[inline]
    fn start_on(&self, _: &Arc<DomainShared>) {}
}

/// Called: created on `from`, and run by the domain that starts it (its target, or an
/// idle domain that took it before it started); a task never moves once started.
pub(crate) struct Called {
    from: DomainId,
    on: OnceLock<Arc<DomainShared>>,
}

impl Called {
    pub(crate) fn new(from: DomainId) -> Called {
        Called {
            from,
            on: OnceLock::new(),
        }
    }
}

impl Place for Called {
    fn runner(&self) -> Option<&Arc<DomainShared>> {
        self.on.get()
    }

    fn created_on(&self) -> DomainId {
        self.from
    }

    fn start_on(&self, domain: &Arc<DomainShared>) {
        if self.on.get().is_none() {
            let _ = self.on.set(domain.clone());
        }
    }
}

/// The part of a task every thread may see. The state word comes first: a
/// [`TaskRef`] finds it there (see [`StateFirst`]).
#[repr(C)]
pub(crate) struct Header {
    /// Queued / cancel requested / complete, the count of references, and who to wake
    /// at completion: the parent, waiting in `.await`, `cancel`, `await_first`... or in
    /// its own teardown.
    pub(crate) state: TaskState,
    /// The task as a `dyn Child`, from the pointer to its state word: how a one-word
    /// [`TaskRef`] to a trait object finds the object's type (see
    /// [`StateFirst::widen`]).
    widen: Widen,
    pub(crate) id: TaskId,
    pub(crate) parent: Option<TaskId>,
    /// Where the task was created (`#[track_caller]` on `spawn`, `call`...; for the
    /// root, where the run was started), for the failures and logs that name it. One
    /// word: the task's runner-only data gave up its `closed` flag for it (see
    /// [`Children`]), so a task is no bigger for it.
    pub(crate) spawned_at: &'static Location<'static>,
}

// `StateFirst` for `Task` rests on this (and on `Task` being `repr(C)`, header first).
const _: () = assert!(std::mem::offset_of!(Header, state) == 0);

/// A task's own [`widen_task`], kept in its header.
type Widen = fn(NonNull<TaskState>) -> NonNull<dyn Child>;

/// The block whose state word `state` points at, as the `Task<C, Fut, P>` it is, seen
/// as a `dyn Child`: a cast, then an unsizing coercion, so the pointer keeps `state`'s
/// provenance (the whole block's: `TaskRef::new` made it from the `Box`).
///
/// Making a pointer is safe; the pointer is only right if the block holds a
/// `Task<C, Fut, P>`, which is why only that task's header keeps this function.
fn widen_task<C, Fut, P>(state: NonNull<TaskState>) -> NonNull<dyn Child>
where
    P: Place,
    C: FnOnce() -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: 'static,
{
    state.cast::<Task<C, Fut, P>>() as NonNull<dyn Child>
}

/// The header of the block `state` points at, which holds a [`Task`].
///
/// # Safety
///
/// `state` is the pointer of a live reference to a task (a `TaskRef` of a `Task`, a
/// `dyn Runnable` or a `dyn Child`).
unsafe fn header_of<'a>(state: NonNull<TaskState>) -> &'a Header {
    // SAFETY: a `Task` is `repr(C)` with its `Header` first, so the block's state word
    // is also its header's start; the caller keeps the block alive.
    unsafe { state.cast::<Header>().as_ref() }
}

// SAFETY: every `dyn Child` is a `Task` (the trait's only implementation), whose header
// keeps the `widen_task` of its own type. For any lifetime of the object, not only
// `'static`: the compiler asks for it when it proves an `async` block `Send` (its
// lifetimes erased), as a timeout's is.
unsafe impl<'a> StateFirst for dyn Child + 'a {
    #[inline]
    unsafe fn widen(state: NonNull<TaskState>) -> NonNull<dyn Child + 'a> {
        // SAFETY: the caller's contract: `state` is a live task's.
        let widen = unsafe { header_of(state) }.widen;
        // The block's own (see above): the pointer is to the `Task` it holds.
        widen(state)
    }
}

// SAFETY: every `dyn Runnable` is a `Task`, which is a `dyn Child` too: the same
// object, upcast. Any lifetime, as above.
unsafe impl<'a> StateFirst for dyn Runnable + 'a {
    #[inline]
    unsafe fn widen(state: NonNull<TaskState>) -> NonNull<dyn Runnable + 'a> {
        // SAFETY: the caller's contract.
        unsafe { <dyn Child as StateFirst>::widen(state) as NonNull<dyn Runnable> }
    }
}

impl<D: ?Sized + StateFirst + Runnable> TaskRef<D> {
    /// The task's header, read where it lies instead of through a dynamic call.
    #[inline]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: every `Runnable` is a `Task` (the trait's only implementation), and
        // `self` keeps it alive.
        unsafe { header_of(TaskRef::as_non_null(self)) }
    }
}

impl Header {
    /// The header of a `Task<C, Fut, P>`: the only way to make one, so that its `widen`
    /// is always its own task type's.
    fn new<C, Fut, P>(
        id: TaskId,
        parent: Option<TaskId>,
        spawned_at: &'static Location<'static>,
    ) -> Header
    where
        P: Place,
        C: FnOnce() -> Fut + 'static,
        Fut: Future + 'static,
        Fut::Output: 'static,
    {
        Header {
            state: TaskState::new(),
            widen: widen_task::<C, Fut, P>,
            id,
            parent,
            spawned_at,
        }
    }

    pub(crate) fn state(&self) -> u32 {
        self.state.get()
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.state.is_complete()
    }

    /// Registers `waker` to be woken when the task completes. Returns `true` if the task
    /// is already complete (then nothing is registered and the caller goes on).
    pub(crate) fn register_waiter(&self, waker: &Waker) -> bool {
        // SAFETY: a task's state word always names `dyn Runnable`, the kind of every
        // task's wakers (here, in `complete`, and in `Task`'s `Drop`).
        unsafe { self.state.register_waiter::<dyn Runnable>(waker) }
    }

    /// The task's id and where it was spawned, for messages.
    pub(crate) fn name(&self) -> TaskName {
        TaskName {
            id: self.id,
            spawned_at: self.spawned_at,
            root: self.parent.is_none(),
        }
    }
}

/// What the runner does with a task: poll it, and reach its runner-only data.
///
/// No `'static` bound here: `TaskRef<dyn Runnable>` (and `dyn Child`) are `'static`
/// objects by default anyway.
pub(crate) trait Runnable: Send + Sync {
    fn header(&self) -> &Header;
    /// Polls the task once on its runner. `Ready` when it completed.
    fn poll_once(&self, domain: &DomainLocal) -> Poll<()>;
    /// The task's children and resources, as seen by the task itself (runner only).
    fn local(&self) -> &TaskLocal;
    /// Where the task runs.
    fn place(&self) -> &dyn Place;

    /// The domain running the task. Only a started task has one; every caller is past
    /// the task's first dequeue (a task is created queued, so no wake-up or cancel
    /// request enqueues it before that). Not a provided method over [`place`]: every
    /// wake-up asks, and one dynamic call is cheaper than two.
    ///
    /// [`place`]: Runnable::place
    fn runner(&self) -> &Arc<DomainShared>;
}

/// The views of a task reference the runtime keeps: the queues hold a task as
/// [`Runnable`], the family table and its promise as [`Child`]. Each is the same
/// reference, retyped (see [`TaskRef::retype`]).
impl<D: Child + StateFirst + 'static> TaskRef<D> {
    pub(crate) fn into_child(self) -> TaskRef<dyn Child> {
        // SAFETY: `D` is a `Child` (a `Task`, or `dyn Child` itself).
        unsafe { TaskRef::retype(self) }
    }

    pub(crate) fn into_runnable(self) -> TaskRef<dyn Runnable> {
        // SAFETY: `D` is a `Child`, so a `Runnable`.
        unsafe { TaskRef::retype(self) }
    }
}

impl TaskRef<dyn Child> {
    /// An upcast.
    pub(crate) fn into_runnable(self) -> TaskRef<dyn Runnable> {
        // SAFETY: a `dyn Child` is a `Runnable`.
        unsafe { TaskRef::retype(self) }
    }
}

/// A child as its parent sees it, with the type of its result erased.
pub(crate) trait Child: Runnable {
    /// Drops the result of a complete task (parent's side; after `COMPLETE`).
    fn drop_output(&self);
    /// The resources the task transferred to its parent (parent's side; after
    /// `COMPLETE`).
    fn take_handed_up(&self) -> Vec<Arc<Resource>>;
    /// Moves the result of a complete task into `out`, or leaves `out` alone if there
    /// is none (the task is not complete, or its result was taken): parent's side,
    /// after `COMPLETE`. The output's type is erased so that a promise, which knows it,
    /// can hold its child as a one-word `TaskRef<dyn Child>` (see [`TaskRef`]).
    ///
    /// # Safety
    ///
    /// `out` points at an initialised `Option<Result<O, Error>>` (it is overwritten,
    /// and its old value dropped), where `O` is the output type of the task's future.
    unsafe fn take_output_into(&self, out: NonNull<()>);
}

/// Runner-only data of a task (and, once the task is complete, its parent's: see the
/// module doc).
pub(crate) struct TaskLocal {
    /// The task's ring of children in its domain's [`Family`] table. Closed once the
    /// task drained its children for good: spawning from a destructor that runs during
    /// the teardown would create a task nobody can await.
    ///
    /// [`Family`]: crate::family::Family
    pub(crate) children: Children,
    /// What the task's stage holds: the tag of its [`Slot`], kept here, beside the
    /// children's key, where it takes no room (see [`crate::stage`]).
    holds: Cell<Holds>,
    /// Boxed: most tasks never own a resource nor tear down.
    rare: OnceCell<Box<RefCell<Rare>>>,
}

#[derive(Default)]
struct Rare {
    /// The resources the task owns, and once it ended those it transferred to its
    /// parent (which adopts them when it awaits or cancels the task). An entry whose
    /// resource has another owner by now is stale and skipped.
    resources: Vec<Arc<Resource>>,
    teardown: Option<Teardown>,
}

impl TaskLocal {
    fn new(resources: Vec<Arc<Resource>>) -> TaskLocal {
        let rare = OnceCell::new();
        if !resources.is_empty() {
            let _ = rare.set(Box::new(RefCell::new(Rare {
                resources,
                teardown: None,
            })));
        }
        TaskLocal {
            children: Children::new(),
            holds: Cell::new(Holds::Init),
            rare,
        }
    }

    /// Runs `f` on the task's resource list (never while running user code: `f` must
    /// not call back into the runtime).
    pub(crate) fn with_resources<R>(&self, f: impl FnOnce(&mut Vec<Arc<Resource>>) -> R) -> R {
        f(&mut self.rare.get_or_init(Box::default).borrow_mut().resources)
    }

    /// Whether the task ever owned a resource (or tore down): most never do.
    #[inline]
    pub(crate) fn may_own(&self) -> bool {
        self.rare.get().is_some()
    }

    /// Takes the resource list, leaving it empty.
    pub(crate) fn take_resources(&self) -> Vec<Arc<Resource>> {
        match self.rare.get() {
            Some(rare) => std::mem::take(&mut rare.borrow_mut().resources),
            None => Vec::new(),
        }
    }

    /// The teardown in progress.
    fn teardown(&self) -> RefMut<'_, Teardown> {
        RefMut::map(self.rare.get().expect("in teardown").borrow_mut(), |r| {
            r.teardown.as_mut().expect("in teardown")
        })
    }

    /// Whether the task is tearing down (it will cancel every child it still has).
    pub(crate) fn in_teardown(&self) -> bool {
        self.rare
            .get()
            .is_some_and(|r| r.try_borrow().is_ok_and(|r| r.teardown.is_some()))
    }
}

struct Teardown {
    reason: Error,
    requested: bool,
    /// The first child not known complete: each poll resumes there, so a teardown
    /// waiting for n children looks at each of them until complete, not n times each.
    next: Option<usize>,
}

/// `repr(C)`, header first: see [`StateFirst`].
#[repr(C)]
pub(crate) struct Task<C, Fut: Future, P: Place> {
    header: Header,
    place: P,
    local: TaskLocal,
    /// Runner-only until `COMPLETE`, then the parent's (see the module doc): reached
    /// through [`Task::stage`], whose callers say which side they are on. What it
    /// holds is said by `local.holds`.
    stage: UnsafeCell<Slot<C, Fut>>,
}

// SAFETY: `stage` and `local` are only touched by the task's runner thread until the
// task is complete, and by the promise holder after it observed COMPLETE with an acquire
// load that pairs with the runner's release store (see the module doc). What crosses
// threads is therefore: the closure `C` (required `Send` by `call`, and for `spawn` the
// runner is the creating thread), the output (required `Send` by `call`; for `spawn` the
// promise holder is on the runner's thread, since `Promise` is `!Send`, which a
// `compile_fail` doctest on `Promise` pins), and the resources (`Arc<Resource>`, which
// is `Send + Sync`). The future `Fut` itself is built and dropped on the runner and
// never leaves it.
unsafe impl<C, Fut: Future, P: Place> Send for Task<C, Fut, P> {}
// SAFETY: see the `Send` impl above; shared references from other threads only touch
// the header, which is `Sync`.
unsafe impl<C, Fut: Future, P: Place> Sync for Task<C, Fut, P> {}
// SAFETY: `Task` is `repr(C)` with its `Header` first, and `Header` is `repr(C)` with
// its `TaskState` first.
unsafe impl<C, Fut: Future, P: Place> StateFirst for Task<C, Fut, P> {
    #[inline]
    unsafe fn widen(state: NonNull<TaskState>) -> NonNull<Self> {
        state.cast()
    }
}

impl<C, Fut: Future, P: Place> Task<C, Fut, P> {
    /// The stage, to read or write.
    ///
    /// # Safety
    ///
    /// The caller is on the side that owns the stage (the runner before `COMPLETE`,
    /// the parent after it observed `COMPLETE`), and no other reference to it is alive:
    /// each caller uses it and lets it go before calling out, except the turn, which
    /// polls the future through it (and nothing the future can call reaches its own
    /// task's stage: a task's value is only taken or dropped once it is complete,
    /// which it is not while it runs).
    #[inline]
    unsafe fn stage(&self) -> Stage<'_, C, Fut> {
        // SAFETY: the caller's contract gives the slot to this `Stage` alone, and
        // `local.holds` is its tag (set to `Init` with the slot's closure, and only
        // changed by a `Stage` since).
        unsafe { Stage::new(&mut *self.stage.get(), &self.local.holds) }
    }
}

impl<C, Fut, P> Task<C, Fut, P>
where
    P: Place,
    C: FnOnce() -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: 'static,
{
    /// A new task, queued, child of `parent`.
    pub(crate) fn new(
        id: TaskId,
        parent: Option<TaskId>,
        spawned_at: &'static Location<'static>,
        place: P,
        resources: Vec<Arc<Resource>>,
        make: C,
    ) -> TaskRef<Self> {
        crate::ownership::adopt(id, &resources);
        TaskRef::new(Task {
            header: Header::new::<C, Fut, P>(id, parent, spawned_at),
            place,
            local: TaskLocal::new(resources),
            stage: UnsafeCell::new(Slot::new(make)),
        })
    }
}

/// The root task as other threads and the run see it: a [`Task`] whose stage stays
/// empty, because its future and its value live in a [`RootTurn`] on the stack of the
/// `run` that polls it. Its types are `'static` whatever the root future borrows: a
/// waker of the root kept after the run, or the run's record of its root
/// (`RuntimeShared::fail` schedules it), holds nothing of the future.
pub(crate) type RootTask = Task<fn() -> std::future::Ready<()>, std::future::Ready<()>, Here>;

impl RootTask {
    /// The root of a run on `domain` (domain 0), queued, run at `run_at`.
    pub(crate) fn root(
        id: TaskId,
        run_at: &'static Location<'static>,
        domain: Here,
    ) -> TaskRef<Self> {
        let never_built: fn() -> std::future::Ready<()> = || std::future::ready(());
        let task = RootTask::new(id, None, run_at, domain, Vec::new(), never_built);
        // Nothing in the stage: the root's body is its `RootTurn`. An empty stage is also
        // what `Drop` expects of a task whose last reference goes away on another thread.
        // SAFETY: a new task, which no one else can reach yet.
        let _ = unsafe { task.stage() }.take_init();
        task
    }
}

/// What a turn polls and where the result goes: the part of a task that differs between
/// a spawned or called [`Task`] (its future and value in its own allocation, `'static`)
/// and the root ([`RootTurn`]: on the stack of `run`, so that the root future may borrow
/// from `run`'s caller). The turn itself, the rules checked at return, the teardown and
/// the completion are written once, as the provided methods, and monomorphised for each.
pub(crate) trait Body {
    /// The task's value.
    type Output;
    /// The task as the queues, its waker and its children see it.
    type Task: Runnable;

    fn task(&self) -> &Self::Task;
    /// A waker for the task that borrows the reference `domain` polls it through
    /// instead of counting one (see [`crate::task_state::waker_ref`]).
    fn waker(&self, domain: &DomainLocal) -> ManuallyDrop<Waker>;
    /// The domain polling the task takes it, if it had no runner yet.
    fn start_on(&self, domain: &Arc<DomainShared>);
    /// Polls the future once, in a turn it begins (see [`crate::turn`]); on the first
    /// turn, builds the future first.
    fn poll_future(&self, domain: &DomainLocal, cx: &mut Context<'_>) -> Polled<Self::Output>;
    /// Drops the future where it stands, if it is still there, catching a panicking
    /// destructor (it is logged: the task is already ending, and other destructors must
    /// still run).
    ///
    /// The future is pinned: it must be dropped where it is, never moved out first (an
    /// async block may hold references into itself, which its destructors follow).
    fn drop_future(&self);
    /// Stores the result, for whoever takes it once `COMPLETE` is published.
    fn store(&self, result: Result<Self::Output, Error>);
    /// Keeps the value of a future that returned while the task waits for children
    /// to reap (see [`Body::returned`]); [`Body::poll_future`] then answers
    /// [`Polled::Reaping`] instead of polling.
    fn keep(&self, value: Self::Output);
    /// Takes the kept value back.
    fn take_kept(&self) -> Option<Self::Output>;

    /// One turn: polls the task once on its runner. `Ready` when it completed.
    #[inline]
    fn turn(&self, domain: &DomainLocal) -> Poll<()> {
        let header = self.task().header();
        let state = header.state();
        if state & COMPLETE != 0 {
            return Poll::Ready(());
        }
        // A called task belongs to the first domain that polls it (a no-op for a spawned
        // one). No one reads the runner before: a task is created queued, so nothing
        // enqueues it before its first turn ends.
        self.start_on(&domain.shared);
        if state & CANCEL != 0 || domain.runtime.is_failed() {
            self.start_teardown(Error::Cancelled);
        }
        if self.task().local().in_teardown() {
            return self.poll_teardown(domain);
        }
        let waker = self.waker(domain);
        let mut cx = Context::from_waker(&waker);
        match self.poll_future(domain, &mut cx) {
            Polled::Pending => Poll::Pending,
            Polled::Reaping => self.poll_reap(domain),
            Polled::Ready(value) => {
                self.drop_future();
                self.returned(domain, value)
            }
            Polled::BuildPanicked(p) => self.tear_down(domain, self.panicked(p)),
            Polled::Panicked(p) => {
                domain.trace(header.id, TraceKind::Panic);
                self.tear_down(domain, self.panicked(p))
            }
        }
    }

    /// Publishes the result and wakes whoever waits for it.
    fn complete(&self, domain: &DomainLocal, result: Result<Self::Output, Error>) {
        let header = self.task().header();
        let ok = result.is_ok();
        domain.trace(header.id, TraceKind::Finish { ok });
        self.store(result);
        // SAFETY: as in `Header::register_waiter`.
        if let Some(w) = unsafe { header.state.complete::<dyn Runnable>(ok) } {
            w.wake();
        }
    }

    /// Finalises what the task still owns (see [`crate::ownership::finalise_all`]).
    fn finalise(&self) -> usize {
        let header = self.task().header();
        crate::ownership::finalise_all(header.id, header.parent, self.task().local())
    }

    fn start_teardown(&self, reason: Error) {
        let mut rare = self
            .task()
            .local()
            .rare
            .get_or_init(Box::default)
            .borrow_mut();
        if rare.teardown.is_none() {
            rare.teardown = Some(Teardown {
                reason,
                requested: false,
                next: None,
            });
        }
    }

    /// Starts the teardown for `reason` now that the future cannot go on (it
    /// panicked, or returned breaking a rule), drops the future if it is still
    /// there, and polls the teardown. The teardown is recorded before the future is
    /// dropped: a promise dropped with it is not reported as forgotten, the teardown
    /// cancels its child.
    fn tear_down(&self, domain: &DomainLocal, reason: Error) -> Poll<()> {
        self.start_teardown(reason);
        self.drop_future();
        self.poll_teardown(domain)
    }

    /// Cancel every child, wait for all of them, then drop the future, finalise the
    /// resources and complete with the reason.
    fn poll_teardown(&self, domain: &DomainLocal) -> Poll<()> {
        let local = self.task().local();
        let children = &local.children;
        let first_poll = {
            let mut td = local.teardown();
            let first = !std::mem::replace(&mut td.requested, true);
            if first {
                td.next = domain.family.borrow().first(children);
            }
            first
        };
        if first_poll {
            // One child at a time, with no table borrowed: a cancel request reports a
            // trace event, and the reporter is user code.
            let mut key = domain.family.borrow().first(children);
            while let Some(k) = key {
                let (child, next) = {
                    let family = domain.family.borrow();
                    (family.get(k).cloned(), family.next(children, k))
                };
                if let Some(c) = child {
                    request_cancel(domain, c);
                }
                key = next;
            }
        }
        {
            let waker = self.waker(domain);
            let family = domain.family.borrow();
            let mut td = local.teardown();
            while let Some(k) = td.next {
                let child = family.get(k).expect("a child stays listed until drained");
                if !child.header().register_waiter(&waker) {
                    return Poll::Pending;
                }
                td.next = family.next(children, k);
            }
        }
        // Every child is complete: drain them, and from here on nothing may be added
        // (what follows runs destructors and finalisers).
        let drained = domain.family.borrow_mut().drain(children);
        children.close();
        let reason = {
            let mut rare = local.rare.get().expect("in teardown").borrow_mut();
            rare.teardown.take().expect("in teardown").reason
        };
        let id = self.task().header().id;
        for c in drained {
            crate::ownership::adopt_handed_up(id, local, &*c);
            c.drop_output();
        }
        self.drop_future();
        self.finalise();
        self.complete(domain, Err(reason));
        Poll::Ready(())
    }

    /// The future returned: check the rules (resources first, then children), then
    /// complete, or fail the run.
    fn returned(&self, domain: &DomainLocal, value: Self::Output) -> Poll<()> {
        // Children left to be reaped (a cancel scope that was dropped asked them to
        // cancel, and their promises are gone) are waited for first, so that what they
        // hand up is adopted before the finalisers run and the rules are checked. The
        // value is kept meanwhile.
        if !self.task().local().children.is_empty() && self.only_reaped(domain) {
            self.keep(value);
            return self.poll_reap(domain);
        }
        // Finalisers run first: a leaked resource is finalised, then the run fails.
        let leaked = self.finalise();
        let children = &self.task().local().children;
        let broken: Option<BrokenRule> = if leaked > 0 {
            Some((|| Error::ResourceLeaked, "ResourceLeaked"))
        } else if !children.is_empty() {
            Some((|| Error::StillHasChildren, "StillHasChildren"))
        } else {
            None
        };
        let Some(broken) = broken else {
            children.close();
            self.complete(domain, Ok(value));
            return Poll::Ready(());
        };
        let rule = broken.0;
        self.broke_rule(domain, broken, leaked);
        // Dropped after the failure is recorded: a promise in the value is then one of
        // the children the failure names.
        drop(value);
        // This task completes with its own error once its children are cancelled.
        self.tear_down(domain, rule())
    }

    /// Whether every child left is one to be reaped (see [`crate::scope`]).
    fn only_reaped(&self, domain: &DomainLocal) -> bool {
        let family = domain.family.borrow();
        let children = &self.task().local().children;
        let mut key = family.first(children);
        while let Some(k) = key {
            if family.tag(k) != crate::scope::REAP {
                return false;
            }
            key = family.next(children, k);
        }
        true
    }

    /// The future returned with children left to be reaped: wait until they are
    /// complete, settle them, then return as usual with the value kept meanwhile.
    fn poll_reap(&self, domain: &DomainLocal) -> Poll<()> {
        let local = self.task().local();
        {
            let waker = self.waker(domain);
            let family = domain.family.borrow();
            let mut key = family.first(&local.children);
            while let Some(k) = key {
                let child = family.get(k).expect("a listed child");
                if !child.header().register_waiter(&waker) {
                    return Poll::Pending;
                }
                key = family.next(&local.children, k);
            }
        }
        let drained = domain.family.borrow_mut().drain(&local.children);
        let id = self.task().header().id;
        for c in drained {
            crate::ownership::adopt_handed_up(id, local, &*c);
            c.drop_output();
        }
        let value = self.take_kept().expect("a task that reaps keeps its value");
        self.returned(domain, value)
    }

    /// The task returned breaking a rule: name it, and the children it left, in the
    /// trace event, the debug log and the run's failure (the first broken rule wins).
    #[cold]
    #[inline(never)]
    fn broke_rule(&self, domain: &DomainLocal, (rule, error): BrokenRule, leaked: usize) {
        let header = self.task().header();
        let me = header.name();
        let detail = if leaked > 0 {
            let s = if leaked == 1 { "" } else { "s" };
            format!("{me} returned still owning {leaked} resource{s}")
        } else {
            let family = domain.family.borrow();
            let mut names = Vec::new();
            let mut count = 0;
            let children = &self.task().local().children;
            let mut key = family.first(children);
            while let Some(k) = key {
                // Those left to be reaped are not forgotten: they are not named.
                if family.tag(k) != crate::scope::REAP {
                    if let Some(c) = family.get(k)
                        && names.len() < LISTED_CHILDREN
                    {
                        names.push(ChildName(c.header()).to_string());
                    }
                    count += 1;
                }
                key = family.next(children, k);
            }
            let more = match count - names.len() {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            let (n, s) = if count == 1 {
                ("1 child".to_string(), "was")
            } else {
                (format!("{count} children"), "were")
            };
            format!(
                "{me} returned while {n} {s} neither awaited nor cancelled: {}{more}",
                names.join(", ")
            )
        };
        domain.trace_detail(header.id, TraceKind::RuleBroken { error }, &detail);
        domain
            .runtime
            .fail(domain, header.id, Failure::new(rule(), detail));
    }

    /// The error of this task's panic: the payload, the task's id and where it was
    /// spawned.
    fn panicked(&self, payload: Box<dyn std::any::Any + Send>) -> Error {
        Error::Panicked(Panic::in_task(payload, self.task().header().name()))
    }
}

/// What one poll of a task's future gave.
pub(crate) enum Polled<T> {
    Pending,
    Ready(T),
    /// The future returned before, and the task waits for children to reap (its
    /// value is kept, see [`Body::keep`]): nothing was polled.
    Reaping,
    /// Building the future (a task's closure, on its first turn) panicked.
    BuildPanicked(Box<dyn std::any::Any + Send>),
    /// Polling it panicked.
    Panicked(Box<dyn std::any::Any + Send>),
}

impl<C, Fut, P> Body for Task<C, Fut, P>
where
    P: Place,
    C: FnOnce() -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: 'static,
{
    type Output = Fut::Output;
    type Task = Self;

    #[inline]
    fn task(&self) -> &Self {
        self
    }

    #[inline]
    fn waker(&self, domain: &DomainLocal) -> ManuallyDrop<Waker> {
        // The waker's pointer comes from the queue's reference, not from `&self`: a
        // clone of the waker may be the last reference, and free the block through it.
        let block = domain
            .current_block()
            .expect("a task is polled as its domain's current task");
        debug_assert!(std::ptr::eq(
            block.as_ptr(),
            (self as *const Self).cast_mut().cast()
        ));
        // SAFETY: `block` is the pointer of the reference `run_task` holds in `current`
        // for the whole turn, a `TaskRef<dyn Runnable>` to this very task (same
        // address), and the waker is used only during the turn.
        unsafe { crate::task_state::waker_ref::<dyn Runnable>(block) }
    }

    #[inline]
    fn start_on(&self, domain: &Arc<DomainShared>) {
        self.place.start_on(domain);
    }

    #[inline]
    fn poll_future(&self, domain: &DomainLocal, cx: &mut Context<'_>) -> Polled<Fut::Output> {
        // SAFETY: the runner, in the task's turn (not complete: `turn` looked).
        let mut stage = unsafe { self.stage() };
        let first = stage.holds() == Holds::Init;
        domain.turn.begin(first);
        if first {
            let make = stage.take_init();
            match catch_unwind(AssertUnwindSafe(make)) {
                Ok(fut) => stage.set_running(fut),
                Err(p) => return Polled::BuildPanicked(p),
            }
        }
        let fut = match stage.holds() {
            // The future, pinned where it lies in the task's block.
            Holds::Running => stage.running().expect("running"),
            // Before completion, a finished stage is a kept value.
            Holds::Finished => return Polled::Reaping,
            _ => unreachable!("a task that is not complete holds its future or its value"),
        };
        match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Polled::Pending,
            Ok(Poll::Ready(value)) => Polled::Ready(value),
            Err(p) => Polled::Panicked(p),
        }
    }

    fn drop_future(&self) {
        // SAFETY: the runner, in the task's turn.
        if let Err(p) = unsafe { self.stage() }.drop_in_place() {
            tracing::error!(task = %self.header.id, panic = ?Panic::new(p), "a destructor panicked while a task was torn down");
        }
    }

    #[inline]
    fn store(&self, result: Result<Fut::Output, Error>) {
        // SAFETY: the runner, in the turn that completes the task, before `COMPLETE`.
        unsafe { self.stage() }.put(result);
    }

    fn keep(&self, value: Fut::Output) {
        // SAFETY: the runner, in the task's turn.
        unsafe { self.stage() }.put(Ok(value));
    }

    fn take_kept(&self) -> Option<Fut::Output> {
        // SAFETY: the runner, in the task's turn.
        match unsafe { self.stage() }.take_finished() {
            Some(Ok(value)) => Some(value),
            _ => None,
        }
    }
}

impl<C, Fut, P> Runnable for Task<C, Fut, P>
where
    P: Place,
    C: FnOnce() -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: 'static,
{
    fn header(&self) -> &Header {
        &self.header
    }

    fn local(&self) -> &TaskLocal {
        &self.local
    }

    fn place(&self) -> &dyn Place {
        &self.place
    }

    #[inline]
    fn runner(&self) -> &Arc<DomainShared> {
        self.place
            .runner()
            .expect("a called task gets its runner when it starts")
    }

    #[inline]
    fn poll_once(&self, domain: &DomainLocal) -> Poll<()> {
        // The root's body is its `RootTurn`, which domain 0's loop polls instead
        // (`DomainLocal::run_task`): a root never gets here (its empty stage would).
        debug_assert!(
            self.header.parent.is_some(),
            "the root is polled through its RootTurn"
        );
        self.turn(domain)
    }
}

/// The root task's body, on the stack of the `run` that polls it: its future (which may
/// borrow from `run`'s caller: neither it nor its value is `'static`) and its value.
/// Domain 0's loop polls the root through it (`DomainLocal::run_task`), so the future
/// never leaves `run`'s frame and no type of the runtime needs to name its lifetime;
/// the [`RootTask`] the queues and wakers hold carries only the header and the task's
/// runner-only data.
pub(crate) struct RootTurn<'a, F: Future> {
    task: &'a TaskRef<RootTask>,
    /// `Some` until the future is dropped (when it returns, or in the teardown).
    fut: RefCell<Pin<&'a mut Option<F>>>,
    out: RefCell<Option<Result<F::Output, Error>>>,
    /// The value of a future that returned while the root waits for children to
    /// reap (see [`Body::keep`]).
    kept: RefCell<Option<F::Output>>,
    started: Cell<bool>,
}

impl<'a, F: Future> RootTurn<'a, F> {
    pub(crate) fn new(task: &'a TaskRef<RootTask>, fut: Pin<&'a mut Option<F>>) -> Self {
        RootTurn {
            task,
            fut: RefCell::new(fut),
            out: RefCell::new(None),
            kept: RefCell::new(None),
            started: Cell::new(false),
        }
    }

    /// The root's result, once it is complete.
    pub(crate) fn take_output(&self) -> Option<Result<F::Output, Error>> {
        self.out.borrow_mut().take()
    }
}

/// How domain 0's loop polls its root (the type of the future erased).
pub(crate) trait PollRoot {
    fn turn(&self, domain: &DomainLocal) -> Poll<()>;
}

impl<F: Future> PollRoot for RootTurn<'_, F> {
    fn turn(&self, domain: &DomainLocal) -> Poll<()> {
        Body::turn(self, domain)
    }
}

impl<F: Future> Body for RootTurn<'_, F> {
    type Output = F::Output;
    type Task = RootTask;

    fn task(&self) -> &RootTask {
        self.task
    }

    fn waker(&self, _: &DomainLocal) -> ManuallyDrop<Waker> {
        // SAFETY: `run` holds the root's reference, `self.task`, for the whole run.
        unsafe { crate::task_state::waker_ref::<dyn Runnable>(TaskRef::as_non_null(self.task)) }
    }

    fn start_on(&self, _: &Arc<DomainShared>) {}

    fn poll_future(&self, domain: &DomainLocal, cx: &mut Context<'_>) -> Polled<F::Output> {
        domain.turn.begin(!self.started.replace(true));
        let mut slot = self.fut.borrow_mut();
        let Some(fut) = slot.as_mut().as_pin_mut() else {
            // The future returned and was dropped, and the root is not complete
            // (nor tearing down: `turn` looked): it waits for children to reap,
            // its value kept.
            return Polled::Reaping;
        };
        match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Polled::Pending,
            Ok(Poll::Ready(value)) => Polled::Ready(value),
            Err(p) => Polled::Panicked(p),
        }
    }

    fn drop_future(&self) {
        let mut slot = self.fut.borrow_mut();
        // `Pin::set` drops the future in place; if its destructor panics, the slot is
        // still overwritten with `None` (an assignment writes its value on unwinding).
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| slot.set(None))) {
            tracing::error!(task = %self.task.header.id, panic = ?Panic::new(p), "a destructor panicked while a task was torn down");
        }
    }

    fn store(&self, result: Result<F::Output, Error>) {
        *self.out.borrow_mut() = Some(result);
    }

    fn keep(&self, value: F::Output) {
        *self.kept.borrow_mut() = Some(value);
    }

    fn take_kept(&self) -> Option<F::Output> {
        self.kept.borrow_mut().take()
    }
}

impl<C, Fut, P> Child for Task<C, Fut, P>
where
    P: Place,
    C: FnOnce() -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: 'static,
{
    fn drop_output(&self) {
        assert!(
            self.header.is_complete(),
            "only a complete task's value is dropped"
        );
        // SAFETY: complete (just above, with an acquire): the stage is the parent's.
        if let Err(p) = unsafe { self.stage() }.drop_in_place() {
            tracing::error!(task = %self.header.id, panic = ?Panic::new(p), "dropping a task's value panicked");
        }
    }

    fn take_handed_up(&self) -> Vec<Arc<Resource>> {
        // The runner-only data becomes the parent's at completion, not before.
        assert!(
            self.header.is_complete(),
            "only a complete task hands resources up"
        );
        self.local.take_resources()
    }

    unsafe fn take_output_into(&self, out: NonNull<()>) {
        if !self.header.is_complete() {
            return;
        }
        // SAFETY: the parent observed `COMPLETE` (just above, with an acquire): the
        // runner is done with the stage, and only the parent's thread touches it now.
        if let Some(r) = unsafe { self.stage() }.take_finished() {
            // SAFETY: the caller's contract: `out` is an `Option` of this very result
            // type, borrowed mutably.
            unsafe { *out.cast::<Option<Result<Fut::Output, Error>>>().as_ptr() = Some(r) };
        }
    }
}

/// Every task's wakers are of one kind, `dyn Runnable`'s: one vtable for all, so that a
/// waiter slot recognises a task's waker by it and keeps it in one word (see
/// [`TaskState::register_waiter`]). Waking goes through the header as any reference
/// to a `dyn Runnable` does, and costs what a waker of the task's own type did: the
/// enqueue asks the task for its runner through the same dynamic call.
impl Wakeable for dyn Runnable {
    fn enqueue(task: TaskRef<Self>) {
        crate::scheduler::enqueue(task);
    }

    fn vtable() -> &'static std::task::RawWakerVTable {
        static TASK_WAKER: std::task::RawWakerVTable =
            crate::task_state::vtable_of::<dyn Runnable>();
        &TASK_WAKER
    }
}

impl<C, Fut: Future, P: Place> Drop for Task<C, Fut, P> {
    fn drop(&mut self) {
        // A parent's waker left by a registration that raced with completion.
        // SAFETY: as in `Header::register_waiter`.
        drop(unsafe { self.header.state.take_waiter::<dyn Runnable>() });
        // The runner drops the future and the parent takes or drops the result; a task
        // whose last reference goes away elsewhere (a waker kept by another thread) must
        // find its stage empty. If it does not (a bug, or a run torn down abnormally), leak
        // the stage rather than drop a `!Send` value on the wrong thread.
        // SAFETY: `&mut self`: this is the only `Stage` of the slot.
        let mut stage = unsafe { Stage::new(self.stage.get_mut(), &self.local.holds) };
        if stage.holds() == Holds::Nothing {
            return;
        }
        let foreign = match self.place.runner() {
            Some(d) => !crate::scheduler::on_domain(d),
            // Never started: the stage holds the closure of a `call`, which is `Send`.
            None => false,
        };
        if foreign {
            tracing::error!(task = %self.header.id, "a task's last reference went away on another thread before its future or value was dropped; leaking them");
            // Forgotten without dropping: the value is leaked, never dropped here.
            stage.leak();
        } else {
            let _ = stage.drop_in_place();
        }
    }
}

/// A rule a returning task broke: how to make its error (`Error` is not `Clone`, and the
/// run and the task each need one), and its name for traces.
type BrokenRule = (fn() -> Error, &'static str);

/// Puts a task at the back of its runner's queue, unless it is queued or complete.
pub(crate) fn schedule(task: TaskRef<dyn Runnable>) {
    if task.header().state.schedule() {
        crate::scheduler::enqueue(task);
    }
}

/// Asks a task to cancel: it will tear down the next time its runner polls it.
pub(crate) fn request_cancel(domain: &DomainLocal, task: TaskRef<dyn Child>) {
    if task.header().state.request_cancel() {
        domain.trace(task.header().id, TraceKind::Cancel);
        schedule(task.into_runnable());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What one task of B1 (`spawn(async move { i as u64 })`) costs: its whole block,
    /// counts of references included (they live in the state word, see `TaskRef`).
    /// The spawn site did not make it bigger (it took the place of a flag), nor did the
    /// header's `widen` (the stage's borrow flag went when it became an `UnsafeCell`).
    /// The waiter slot is one word, and the stage's tag lives in the runner-only data:
    /// 88 bytes, which glibc's allocator serves from a 96-byte chunk.
    #[test]
    fn a_small_task_stays_small() {
        fn size<C: FnOnce() -> Fut, Fut: Future>(_: &C) -> usize {
            std::mem::size_of::<Task<C, Fut, Here>>()
        }
        let i = 0usize;
        let fut = async move { i as u64 };
        assert_eq!(std::mem::size_of_val(&fut), 16);
        let make = move || fut;
        assert_eq!(size(&make), 88);
        assert_eq!(
            std::mem::size_of::<TaskLocal>(),
            16,
            "the stage's tag takes no room"
        );
        assert_eq!(std::mem::size_of::<Header>(), 48);
        assert_eq!(
            std::mem::size_of::<TaskState>(),
            16,
            "the word and the waiter slot"
        );
        assert_eq!(std::mem::size_of::<TaskLocal>(), 16);
        // A promise is a one-word reference and its key; the settled mark of a `Join`
        // lives in the key.
        assert_eq!(std::mem::size_of::<crate::Promise<u64>>(), 16);
        assert_eq!(std::mem::size_of::<crate::Join<u64>>(), 16);
        // A queue slot is one word.
        assert_eq!(std::mem::size_of::<TaskRef<dyn Runnable>>(), 8);
    }

    /// A one-word reference to a trait object reaches the task through its header's
    /// `widen`: its dynamic calls land on the task's own type, and the last reference,
    /// whichever view it is, frees the block with the task's own destructor.
    #[test]
    fn a_task_is_reached_and_freed_through_any_of_its_views() {
        struct Guard(std::rc::Rc<Cell<u32>>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.set(self.0.get() + 1);
            }
        }
        let drops = std::rc::Rc::new(Cell::new(0));
        let guard = Guard(drops.clone());
        let id = TaskId::new(0, 7);
        // Not started (a `call`'s task with no runner yet): its closure is dropped
        // wherever its last reference goes.
        let task = Task::new(
            id,
            Some(TaskId::new(0, 1)),
            Location::caller(),
            Called::new(crate::id::DomainId(0)),
            Vec::new(),
            move || {
                let _guard = guard;
                async { 5u8 }
            },
        );
        let child = task.clone().into_child();
        let runnable = child.clone().into_runnable();
        assert_eq!(task.state().refs(), 3);
        assert_eq!(TaskRef::addr(&runnable), TaskRef::addr(&task));
        assert_eq!(runnable.header().id, id);
        assert_eq!(
            (*runnable).header().id,
            id,
            "the dynamic call finds the same"
        );
        assert!(runnable.place().runner().is_none());
        assert!(child.local().children.is_empty());
        let mut out: Option<Result<u8, Error>> = None;
        // SAFETY: the task's output is a `u8`.
        unsafe { child.take_output_into(NonNull::from(&mut out).cast()) };
        assert!(out.is_none(), "no value before completion");
        drop(task);
        drop(child);
        assert_eq!(drops.get(), 0, "a reference is left");
        drop(runnable);
        assert_eq!(drops.get(), 1, "freed once, through `dyn Runnable`");
    }
}
