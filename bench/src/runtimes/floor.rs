//! The floor: the least a single-threaded FIFO executor over `std` has to do, so that
//! the other figures have a physical limit to be read against.
//!
//! - A task is one `Rc` allocation holding its future, then its output, and the waker of
//!   whoever awaits it. No atomics, no locks, no cancellation, no panic catching, no
//!   I/O, no timers, no budget.
//! - The run queue is a `VecDeque` of slot numbers; a slab of slots holds the tasks, with
//!   a generation so that a stale waker cannot wake the slot's next occupant.
//! - A waker is the task's slot number and generation packed in the waker's data word:
//!   cloning and dropping it cost nothing (no reference count), waking it pushes the slot
//!   on the queue. `std::task::Wake` would need an `Arc` task (atomic counts, a
//!   `Send + Sync` task) that a single thread has no use for. It stays sound: the waker
//!   holds no pointer, and waking it on a thread with no floor running panics.
//!
//! Everything runs on the thread that called [`block_on`]; nested `block_on` calls and
//! wakes from other threads are refused with a panic.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// One entry of the slab.
struct Slot {
    task: Option<Rc<dyn Run>>,
    /// Bumped each time the slot is freed: wakers of a former occupant do not match.
    generation: u32,
    live: bool,
    /// In the run queue already.
    scheduled: bool,
    next_free: usize,
}

struct Executor {
    running: Cell<bool>,
    queue: RefCell<VecDeque<usize>>,
    slots: RefCell<Vec<Slot>>,
    free: Cell<usize>,
}

const NONE: usize = usize::MAX;

thread_local! {
    static EXEC: Executor = const {
        Executor {
            running: Cell::new(false),
            queue: RefCell::new(VecDeque::new()),
            slots: RefCell::new(Vec::new()),
            free: Cell::new(NONE),
        }
    };
}

/// A task as the executor sees it.
trait Run {
    /// Polls the future; `Ready` once it completed (its output is stored).
    fn run(&self, cx: &mut Context<'_>) -> Poll<()>;
}

/// A task as its join handle sees it.
trait Join<T> {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<T>;
}

enum Stage<F: Future> {
    Running(F),
    Done(F::Output),
    Taken,
}

struct TaskCell<F: Future> {
    stage: RefCell<Stage<F>>,
    waiter: Cell<Option<Waker>>,
}

impl<F: Future> Run for TaskCell<F> {
    fn run(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut stage = self.stage.borrow_mut();
        let Stage::Running(fut) = &mut *stage else {
            return Poll::Ready(());
        };
        // SAFETY: the future lives inside the task's `Rc` allocation, which is never moved
        // out of; it leaves `Running` only by being dropped in place (the assignment below).
        let fut = unsafe { Pin::new_unchecked(fut) };
        match fut.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(out) => {
                *stage = Stage::Done(out);
                drop(stage);
                if let Some(w) = self.waiter.take() {
                    w.wake();
                }
                Poll::Ready(())
            }
        }
    }
}

impl<F: Future> Join<F::Output> for TaskCell<F> {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut stage = self.stage.borrow_mut();
        if let Stage::Done(_) = &*stage {
            let Stage::Done(out) = std::mem::replace(&mut *stage, Stage::Taken) else {
                unreachable!()
            };
            return Poll::Ready(out);
        }
        assert!(
            matches!(*stage, Stage::Running(_)),
            "floor: a join handle polled after completion"
        );
        self.waiter.set(Some(cx.waker().clone()));
        Poll::Pending
    }
}

/// The handle on a spawned task: await it for the task's output.
pub struct JoinHandle<T> {
    task: Rc<dyn Join<T>>,
}

impl<T> Future for JoinHandle<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.task.poll_join(cx)
    }
}

/// Queues a new task at the back of the run queue. Panics outside [`block_on`].
pub fn spawn<F: Future + 'static>(fut: F) -> JoinHandle<F::Output> {
    let task = Rc::new(TaskCell {
        stage: RefCell::new(Stage::Running(fut)),
        waiter: Cell::new(None),
    });
    let handle = JoinHandle { task: task.clone() };
    EXEC.with(|ex| {
        assert!(
            ex.running.get(),
            "floor::spawn: called outside floor::block_on"
        );
        let mut slots = ex.slots.borrow_mut();
        let free = ex.free.get();
        let index = if free != NONE {
            let s = &mut slots[free];
            ex.free.set(s.next_free);
            s.task = Some(task);
            s.live = true;
            s.scheduled = true;
            free
        } else {
            slots.push(Slot {
                task: Some(task),
                generation: 0,
                live: true,
                scheduled: true,
                next_free: NONE,
            });
            slots.len() - 1
        };
        ex.queue.borrow_mut().push_back(index);
    });
    handle
}

/// Runs `fut` as the root task on this thread, with every task it spawns, until it
/// completes. Panics if the root waits while nothing can run (the floor has no I/O).
pub fn block_on<F: Future + 'static>(fut: F) -> F::Output {
    EXEC.with(|ex| {
        assert!(!ex.running.replace(true), "floor::block_on: nested call");
        debug_assert!(ex.slots.borrow().is_empty() && ex.queue.borrow().is_empty());
    });
    let _reset = Reset;
    let root = spawn(fut);
    EXEC.with(|ex| {
        let root_index = 0; // the slab is empty on entry: the root takes slot 0
        loop {
            let Some(index) = ex.queue.borrow_mut().pop_front() else {
                panic!("floor: the root waits and nothing can run (the floor has no I/O)");
            };
            let (task, generation) = {
                let mut slots = ex.slots.borrow_mut();
                let s = &mut slots[index];
                s.scheduled = false;
                (s.task.take(), s.generation)
            };
            let Some(task) = task else {
                continue; // a stale queue entry of a completed task
            };
            let waker = waker(index, generation);
            let mut cx = Context::from_waker(&waker);
            let polled = task.run(&mut cx);
            let mut slots = ex.slots.borrow_mut();
            let s = &mut slots[index];
            match polled {
                Poll::Pending => s.task = Some(task),
                Poll::Ready(()) => {
                    s.generation = s.generation.wrapping_add(1);
                    s.live = false;
                    s.next_free = ex.free.replace(index);
                    drop(slots);
                    drop(task);
                    if index == root_index {
                        break;
                    }
                }
            }
        }
    });
    match root.task.poll_join(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => unreachable!("the root completed"),
    }
}

/// Empties the executor when `block_on` returns or unwinds.
struct Reset;

impl Drop for Reset {
    fn drop(&mut self) {
        EXEC.with(|ex| {
            let slots = std::mem::take(&mut *ex.slots.borrow_mut());
            ex.queue.borrow_mut().clear();
            ex.free.set(NONE);
            drop(slots); // detached tasks: their futures drop here
            ex.running.set(false);
        });
    }
}

fn wake_key(key: usize) {
    let index = key & 0xffff_ffff;
    let generation = (key >> 32) as u32;
    EXEC.with(|ex| {
        assert!(
            ex.running.get(),
            "floor: a waker was woken on a thread that runs no floor executor"
        );
        let mut slots = ex.slots.borrow_mut();
        if let Some(s) = slots.get_mut(index)
            && s.live
            && s.generation == generation
            && !s.scheduled
        {
            s.scheduled = true;
            ex.queue.borrow_mut().push_back(index);
        }
    });
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_raw, wake_raw, wake_raw, drop_raw);

fn raw(key: usize) -> RawWaker {
    RawWaker::new(std::ptr::without_provenance(key), &VTABLE)
}

unsafe fn clone_raw(data: *const ()) -> RawWaker {
    raw(data.addr())
}

unsafe fn wake_raw(data: *const ()) {
    wake_key(data.addr());
}

unsafe fn drop_raw(_: *const ()) {}

fn waker(index: usize, generation: u32) -> Waker {
    assert!(index <= 0xffff_ffff, "floor: too many live tasks");
    let key = ((generation as usize) << 32) | index;
    // SAFETY: the vtable functions only read the data word as an integer (no pointer is
    // dereferenced, nothing is counted), so any thread may call them; a wake on a thread
    // that runs no floor panics instead of touching another thread's state.
    unsafe { Waker::from_raw(raw(key)) }
}

/// Goes to the back of the run queue once.
pub fn yield_now() -> YieldNow {
    YieldNow(false)
}

/// The future of [`yield_now`].
pub struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawn_join_yield_and_fifo_order() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        let v = block_on(async move {
            let mut hs = Vec::new();
            for i in 0..3u32 {
                let l = l.clone();
                hs.push(spawn(async move {
                    l.borrow_mut().push(i);
                    yield_now().await;
                    l.borrow_mut().push(10 + i);
                    i
                }));
            }
            let mut sum = 0;
            for h in hs {
                sum += h.await;
            }
            sum
        });
        assert_eq!(v, 3);
        assert_eq!(*log.borrow(), [0, 1, 2, 10, 11, 12]);
        // Runs again on the same thread, from a clean slate.
        assert_eq!(block_on(async { spawn(async { 7 }).await }), 7);
    }
}
