//! Scheduling points: "every effect yields".
//!
//! Every `.await` on a miou operation passes one scheduling point: the operations call
//! the functions here, which ask the domain's [`Turn`](crate::turn::Turn) whether the
//! turn has a point left (the quanta rule is stated and kept there) and, when the turn
//! ends, make sure the task is put back: by the loop, which holds it, or through a
//! foreign waker the task is also polled under.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::scheduler::{DomainLocal, with_domain};
use crate::task::Runnable;
use crate::task_ref::TaskRef;
use crate::task_state::Wakeable;

/// Passes a scheduling point: `Ready` if the turn has points left (one is used),
/// otherwise ends the turn (`Pending`; the task is queued at the back).
pub(crate) fn poll_point(cx: &mut Context<'_>) -> Poll<()> {
    with_domain(|d| poll_point_on(d, cx))
}

/// [`poll_point`] for a caller that holds the domain already.
#[inline]
pub(crate) fn poll_point_on(d: &DomainLocal, cx: &mut Context<'_>) -> Poll<()> {
    if d.turn.pass() {
        Poll::Ready(())
    } else {
        wake_if_foreign(d, cx);
        Poll::Pending
    }
}

/// The turn ended at a point: the loop puts the task it holds at the back of the queue
/// (no waker clone, no atomic), but a task polled under another waker must be woken
/// through it too.
fn wake_if_foreign(d: &DomainLocal, cx: &mut Context<'_>) {
    // The task's own waker: its block's pointer, and the one vtable of task wakers (a
    // combinator's waker could carry the same pointer with a vtable of its own).
    let waker = cx.waker();
    let ours = d.current.borrow().as_ref().is_some_and(|t| {
        std::ptr::eq(TaskRef::addr(t), waker.data())
            && std::ptr::eq(waker.vtable(), <dyn Runnable as Wakeable>::vtable())
    });
    if !ours {
        // Polled under some other waker too (a future combinator with its own wakers,
        // or another executor inside the task): wake that one as well.
        cx.waker().wake_by_ref();
    }
}

/// An operation that waited completes: it uses one point of this turn.
pub(crate) fn consume_after_park() {
    with_domain(|d| d.turn.waited());
}

/// Puts the current task at the back of its domain's run queue and ends its turn,
/// whatever the quanta.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// let out = Rc::new(RefCell::new(Vec::new()));
/// let o = out.clone();
/// miou::Builder::new().domains(0).run(async move {
///     let o2 = o.clone();
///     let p = miou::spawn(async move { o2.borrow_mut().push("Hello") });
///     miou::yield_now().await; // the child runs first
///     o.borrow_mut().push("World");
///     p.await.unwrap();
/// });
/// assert_eq!(*out.borrow(), ["Hello", "World"]);
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
///
/// ```
/// miou::Builder::new().domains(0).run(async {
///     let p = miou::spawn(async { 1 });
///     let y: miou::YieldNow = miou::yield_now(); // nothing happens until awaited
///     assert!(!p.is_finished());
///     y.await; // the child runs meanwhile
///     assert!(p.is_finished());
///     assert_eq!(p.await.unwrap(), 1);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl fmt::Debug for YieldNow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("YieldNow")
            .field("yielded", &self.yielded)
            .finish()
    }
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            consume_after_park();
            Poll::Ready(())
        } else {
            self.yielded = true;
            with_domain(|d| {
                d.turn.end_here();
                wake_if_foreign(d, cx);
            });
            Poll::Pending
        }
    }
}

/// Waits until `poll` is ready. If it had to wait (returned `Pending` at least once),
/// the completion uses one point of the turn in which it happens (see the module doc).
/// Passes no scheduling point of its own: callers pass theirs first.
pub(crate) async fn parked<R>(mut poll: impl FnMut(&mut Context<'_>) -> Poll<R>) -> R {
    let mut waited = false;
    std::future::poll_fn(|cx| match poll(cx) {
        Poll::Ready(r) => {
            if waited {
                consume_after_park();
            }
            Poll::Ready(r)
        }
        Poll::Pending => {
            waited = true;
            Poll::Pending
        }
    })
    .await
}

/// A scheduling point with nothing else to do, for miou's own operations.
pub(crate) async fn point() {
    std::future::poll_fn(poll_point).await
}
