//! Promises: a parent's handle on a child task, and the two ways to be done with one,
//! awaiting it (`.await`) and cancelling it ([`cancel`]).

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use crate::error::Error;
use crate::id::TaskId;
use crate::marker::OnItsDomain;
use crate::point;
use crate::scheduler::{DomainLocal, try_with_domain, with_domain};
use crate::scope;
use crate::task::{self, Child, Header, Place, Task};
use crate::task_ref::TaskRef;
use crate::trace::TraceKind;

/// The parent's handle on a child task. Await it for the child's result, or
/// [`cancel`] it; a task must do one of the two for each of its children before it
/// returns (dropping the promise does not count: the run fails with
/// [`Error::StillHasChildren`]). A promise dropped while its child is neither awaited
/// nor cancelled is reported at once: a `tracing` warning and a
/// [`TraceKind::PromiseDropped`] event name the child and where it was spawned (unless
/// the parent is being torn down, which cancels its children itself).
///
/// A promise belongs to the task that spawned the child, so it is neither `Send` nor
/// `Sync`. The runtime relies on this: the value of a `spawn`ed child need not be
/// `Send`, and it is taken by the promise's holder, who is then on the child's own
/// thread. Sending a promise to another thread does not compile:
///
/// ```compile_fail,E0277
/// fn send_away(p: miou::Promise<u32>) {
///     std::thread::spawn(move || drop(p)); // error: `Promise<u32>` is not `Send`
/// }
/// ```
///
/// The error names the promise (`` `Promise<u32>` cannot be sent to another domain or
/// thread ``), as it does when a promise is moved into [`call`](crate::call).
///
/// ```
/// let v = miou::Builder::new().domains(0).run(async {
///     let p = miou::spawn(async { 1 + 1 });
///     p.await
/// });
/// assert_eq!(v.unwrap(), 2);
/// ```
#[must_use = "a task must await or cancel each of its children: `.await` it or `cancel` it (or create it with `Orphans::spawn` when nobody will); dropping it makes the run fail with StillHasChildren"]
pub struct Promise<T> {
    /// The child, whose output is a `T` ([`Promise::new`] sees to it).
    pub(crate) task: TaskRef<dyn Child>,
    /// Where the child sits in its parent's set of children; [`SETTLED`] once the
    /// promise was awaited or cancelled (its drop then has nothing to check). A
    /// [`Join`] marks it [`PASSED`] too: read it through [`Promise::family_key`].
    pub(crate) key: usize,
    /// `!Send` and `!Sync`, with a compile error that names the promise.
    _here: OnItsDomain<Promise<T>>,
    /// What the child gives: its output, taken from the child's block by
    /// [`Promise::take_output`].
    _output: PhantomData<T>,
}

/// The key of a settled promise: never a family key (those stay below `u32::MAX`).
const SETTLED: usize = usize::MAX;
/// Set in the key by a [`Join`] that passed its scheduling point: the bool would make
/// a `Join` a word bigger (32 bytes instead of 24), and every awaited child has one.
const PASSED: usize = 1 << (usize::BITS - 2);

impl<T> Promise<T> {
    /// The key of the child in the family table, without a [`Join`]'s mark.
    #[inline]
    fn family_key(&self) -> usize {
        self.key & !PASSED
    }
}

impl<T> Drop for Promise<T> {
    #[inline]
    fn drop(&mut self) {
        if self.key != SETTLED {
            dropped_unsettled(self.task.header(), self.family_key());
        }
    }
}

/// A promise whose child was neither awaited nor cancelled is dropped. If a cancel
/// scope of the parent unwinds (it drops its future), the child joins it: the scope
/// cancels it and settles it. If the child is being cancelled (a `cancel` or
/// `await_first` that was dropped while it waited), the parent reaps it: its return
/// waits for the child. Otherwise warn, naming the child and where it was spawned, and
/// mark it orphaned (a scope it belongs to will settle it if it ends early). Nothing to
/// do if the child is being settled anyway (its parent, or the run, is tearing down; a
/// panic unwinds).
#[cold]
#[inline(never)]
fn dropped_unsettled(child: &Header, key: usize) {
    if std::thread::panicking() {
        return;
    }
    try_with_domain(|d| {
        let Some(d) = d else { return };
        if d.runtime.is_failed() {
            return;
        }
        // The parent's teardown cancels and drains every child it still has.
        let parent_tears_down = d.current.try_borrow().is_ok_and(|c| {
            c.as_ref()
                .is_some_and(|c| Some(c.header().id) == child.parent && c.local().in_teardown())
        });
        // Still listed among its parent's children (a drained or reaped child is not).
        let listed = d
            .family
            .try_borrow()
            .is_ok_and(|f| f.get(key).is_some_and(|c| c.header().id == child.id));
        if parent_tears_down || !listed {
            return;
        }
        let cancelling = child.state() & task::CANCEL != 0;
        // Dropped by its parent (not by a task it was moved into): the parent's scopes
        // may take it.
        if child.parent.is_some()
            && d.current_id() == child.parent
            && let Ok(mut family) = d.family.try_borrow_mut()
        {
            let tag = family.tag(key);
            let unwinding = d.unwinding.get();
            if unwinding != 0 {
                family.set_tag(key, unwinding | scope::ORPHANED);
                return;
            }
            if cancelling {
                family.set_tag(key, scope::REAP);
                return;
            }
            family.set_tag(key, tag | scope::ORPHANED);
        }
        if cancelling {
            return;
        }
        let parent = child.parent.expect("a child has a parent");
        tracing::warn!(
            task = %child.id,
            spawned_at = %child.spawned_at,
            parent = %parent,
            "miou: the promise of task {} (spawned at {}) was dropped while the task was \
             neither awaited nor cancelled; the run will fail with StillHasChildren when \
             its parent {parent} returns (a task must await or cancel each of its \
             children: `.await` it or `cancel` it, or create it with `Orphans::spawn` when \
             nobody will; a combinator of another crate, such as a `select!` or a timeout, \
             that drops the branch awaiting it does neither: race children with \
             `miou::await_first`, and bound a computation with `miou::time::timeout` or a \
             `miou::Scope`, which cancel the tasks it started when they end it)",
            child.id,
            child.spawned_at,
        );
        d.trace(
            child.id,
            TraceKind::PromiseDropped {
                parent,
                spawned_at: child.spawned_at,
            },
        );
    });
}

/// The current task is not the parent of `child`, which `what` (e.g. "await") wanted:
/// report it (a `RuleBroken` trace event, with the detail in the debug log) and return
/// the sentence that names both tasks and where they were spawned.
#[cold]
#[inline(never)]
pub(crate) fn not_a_child(d: &DomainLocal, child: &Header, what: &str) -> String {
    let me = d
        .current
        .try_borrow()
        .ok()
        .and_then(|c| c.as_ref().map(|c| c.header().name()));
    let whose = match child.parent {
        Some(p) => format!("a child of task {p}"),
        None => "the root task".to_string(),
    };
    let detail = match me {
        Some(me) => format!(
            "{me} tried to {what} task {} (spawned at {}), {whose}",
            child.id, child.spawned_at
        ),
        None => format!(
            "code outside any task tried to {what} task {} (spawned at {}), {whose}",
            child.id, child.spawned_at
        ),
    };
    if let Some(me) = me {
        d.trace_detail(me.id, TraceKind::RuleBroken { error: "NotAChild" }, &detail);
    }
    detail
}

/// [`not_a_child`], for an operation that returns `Err(NotAChild)`: the detail cannot
/// travel in the error, so it goes to a `tracing` warning too.
#[cold]
#[inline(never)]
pub(crate) fn warn_not_a_child(d: &DomainLocal, child: &Header, what: &str) {
    let detail = not_a_child(d, child, what);
    tracing::warn!("miou: {}: {detail}", Error::NotAChild);
}

impl<T: 'static> Promise<T> {
    /// The promise of `task`, whose key in the family table is `key`. The task's type
    /// says that its output is a `T`, which [`Promise::take_output`] relies on.
    pub(crate) fn new<C, Fut, P>(task: TaskRef<Task<C, Fut, P>>, key: usize) -> Promise<T>
    where
        P: Place,
        C: FnOnce() -> Fut + 'static,
        Fut: Future<Output = T> + 'static,
    {
        debug_assert!(key < u32::MAX as usize, "a family key");
        Promise {
            task: task.into_child(),
            key,
            _here: OnItsDomain::new(),
            _output: PhantomData,
        }
    }

    /// The child's id.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let p = miou::spawn(async {});
    ///     println!("spawned {}", p.id());
    ///     p.await.unwrap();
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        self.task.header().id
    }

    /// Whether the child is complete (returned, failed or cancelled). Not a scheduling
    /// point; the child must still be awaited or cancelled.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let p = miou::spawn(async {});
    ///     assert!(!p.is_finished());
    ///     miou::yield_now().await;
    ///     assert!(p.is_finished());
    ///     p.await.unwrap();
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.header().is_complete()
    }

    pub(crate) fn is_ok(&self) -> bool {
        self.task.header().state() & task::COMPLETE_OK != 0
    }

    pub(crate) fn child(&self) -> TaskRef<dyn Child> {
        self.task.clone()
    }

    /// The child's result, if it is complete and the result was not taken yet.
    fn take_output(&self) -> Option<Result<T, Error>> {
        let mut out: Option<Result<T, Error>> = None;
        // SAFETY: `out` is an `Option<Result<T, Error>>`, borrowed mutably, and the
        // child's output is a `T`: `Promise::new` is the only way to make a promise,
        // and its types say so.
        unsafe { self.task.take_output_into(NonNull::from(&mut out).cast()) };
        out
    }

    /// Is the current task this promise's parent?
    #[inline]
    pub(crate) fn is_mine(&self, d: &DomainLocal) -> bool {
        let parent = self.task.header().parent;
        parent.is_some() && d.current_id() == parent
    }

    /// The child is complete: take its result and forget it as a child.
    pub(crate) fn finish(mut self, d: &DomainLocal) -> Result<T, Error> {
        self.finish_in_place(d)
    }

    /// [`finish`](Promise::finish), leaving the promise settled where it is (a
    /// [`Join`] keeps it until it is dropped).
    fn finish_in_place(&mut self, d: &DomainLocal) -> Result<T, Error> {
        self.settle(d);
        self.take_output().expect("a complete child has a result")
    }

    /// The child is complete: drop its result and forget it as a child.
    pub(crate) fn discard(mut self, d: &DomainLocal) {
        self.settle(d);
        self.task.drop_output();
    }

    /// Marks the promise settled and forgets its complete child ([`forget_child`]).
    fn settle(&mut self, d: &DomainLocal) {
        let key = self.family_key();
        self.key = SETTLED;
        forget_child(d, key, &self.task);
    }
}

/// The current task settled its complete child `child`: remove it from the family
/// table, and adopt the resources it handed up.
///
/// Panics, naming the rule and both tasks, if the current task is not the child's
/// parent. Every operation that settles a child checks that first, but an `async`
/// operation polled once by the parent may be moved into another task before it
/// settles: removing the child from that task's ring of children would corrupt both
/// rings, so the rule is checked again here, where it would.
pub(crate) fn forget_child(d: &DomainLocal, key: usize, child: &TaskRef<dyn Child>) {
    let current = d.current.borrow();
    let me = current
        .as_ref()
        .expect("a promise is used inside its parent");
    let mine = child.header().parent == Some(me.header().id);
    let removed = {
        let mut family = d.family.borrow_mut();
        let listed = family
            .get(key)
            .is_some_and(|c| TaskRef::addr(c) == TaskRef::addr(child));
        if mine && listed {
            family.remove(&me.local().children, key)
        } else {
            None
        }
    };
    let Some(removed) = removed else {
        drop(current);
        let detail = not_a_child(d, child.header(), "settle (await or cancel)");
        panic!("miou: {}: {detail}", Error::NotAChild);
    };
    crate::ownership::adopt_handed_up(me.header().id, me.local(), &**child);
    drop(current);
    // The table's reference, dropped with no table borrowed (the promise holds another).
    drop(removed);
}

impl<T: 'static> fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = self.task.header();
        f.debug_struct("Promise")
            .field("id", &h.id)
            .field("runner", &self.task.place().runner().map(|d| d.id))
            .field("finished", &h.is_complete())
            .finish()
    }
}

impl<T: 'static> IntoFuture for Promise<T> {
    type Output = Result<T, Error>;
    type IntoFuture = Join<T>;

    /// Awaits the child: `Ok(value)`, `Err(Error::Cancelled)`, `Err(Error::Panicked(_))`,
    /// or `Err(Error::NotAChild)` at once if the current task is not its parent (checked
    /// on every poll: a `Join` moved into another task answers it there).
    fn into_future(self) -> Join<T> {
        Join { promise: self }
    }
}

/// The future of awaiting a [`Promise`].
///
/// Once it returned, it still holds the child's allocation (its result taken) until
/// it is dropped; polling it again panics.
///
/// ```
/// use std::future::IntoFuture;
/// miou::Builder::new().domains(0).run(async {
///     let p = miou::spawn(async { 2 });
///     let join: miou::Join<i32> = p.into_future(); // what `p.await` polls
///     assert_eq!(join.await.unwrap(), 2);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Join<T> {
    /// Its key says where the await stands: [`PASSED`] once past its scheduling
    /// point, [`SETTLED`] once it returned.
    promise: Promise<T>,
}

impl<T: 'static> fmt::Debug for Join<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("promise", &self.promise)
            .finish()
    }
}

impl<T> Unpin for Join<T> {}

impl<T: 'static> Future for Join<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        // One look at the domain per poll: this is the hottest operation of all.
        with_domain(|d| {
            let promise = &mut this.promise;
            assert!(promise.key != SETTLED, "Join polled after completion");
            // On every poll, not only the first: a `Join` polled once by its parent
            // may be moved into another task before it is polled again.
            if !promise.is_mine(d) {
                warn_not_a_child(d, promise.task.header(), "await");
                // What dropping the promise would do, now.
                let key = std::mem::replace(&mut promise.key, SETTLED) & !PASSED;
                dropped_unsettled(promise.task.header(), key);
                return Poll::Ready(Err(Error::NotAChild));
            }
            if promise.key & PASSED == 0 {
                if point::poll_point_on(d, cx).is_pending() {
                    return Poll::Pending;
                }
                promise.key |= PASSED;
                if !promise.task.header().register_waiter(cx.waker()) {
                    return Poll::Pending;
                }
            } else if promise.task.header().register_waiter(cx.waker()) {
                d.turn.waited();
            } else {
                return Poll::Pending;
            }
            Poll::Ready(promise.finish_in_place(d))
        })
    }
}

/// Cancels a child and all its descendants, on whatever domain they run, and returns
/// once all of them are gone: their futures were dropped (destructors ran) and their
/// resources finalised. A child that had already returned is cancelled too: its value
/// is dropped.
///
/// A scheduling point. Panics if the current task is not the child's parent (rule:
/// only the parent may cancel a task), also when the child is gone if the future was
/// moved into another task after a first poll.
///
/// ```
/// miou::Builder::new().domains(0).run(async {
///     let p = miou::spawn(async {
///         loop {
///             miou::yield_now().await;
///         }
///     });
///     miou::cancel(p).await; // the loop is dropped at its yield
/// });
/// ```
pub async fn cancel<T: 'static>(p: Promise<T>) {
    cancelled_by_its_parent(&p);
    point::point().await;
    with_domain(|d| task::request_cancel(d, p.child()));
    wait_complete(std::slice::from_ref(&p)).await;
    // Again after the wait: this future may have been moved into another task.
    cancelled_by_its_parent(&p);
    with_domain(|d| p.discard(d));
}

/// Panics, naming the rule and both tasks, unless the current task is `p`'s parent.
fn cancelled_by_its_parent<T: 'static>(p: &Promise<T>) {
    if let Some(detail) =
        with_domain(|d| (!p.is_mine(d)).then(|| not_a_child(d, p.task.header(), "cancel")))
    {
        panic!("miou::cancel: {}: {detail}", Error::NotAChild);
    }
}

/// Waits until every promise in `ps` is complete (parks; no scheduling point of its
/// own unless it had to wait).
pub(crate) async fn wait_complete<T: 'static>(ps: &[Promise<T>]) {
    point::parked(|cx| {
        if ps
            .iter()
            .all(|p| p.task.header().register_waiter(cx.waker()))
        {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await
}
