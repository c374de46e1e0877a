//! Model checks of miou's cross-thread protocols with `loom`: every interleaving (up to
//! a preemption bound) of the real `TaskState`, `Mailbox`, `VirtualClock` and `sync/`
//! code (the primitives and the wait list they share).
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p miou --lib --release loom_models`
//! (`.ci/run` does, with `LOOM_MAX_PREEMPTIONS=3`).

use std::collections::VecDeque;
use std::ptr::NonNull;
use std::task::{Wake, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

use crate::loom::UnsafeCell;
use crate::mailbox::{Mailbox, Pushed};
use crate::task_ref::{StateFirst, TaskRef};
use crate::task_state::{CANCEL, COMPLETE, Parked, SCHEDULED, TaskState, Wakeable};

/// A waker that counts its wake-ups.
struct Counter(Arc<AtomicUsize>);

impl Wake for Counter {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Waker, Arc<AtomicUsize>) {
    let n = Arc::new(AtomicUsize::new(0));
    (Waker::from(std::sync::Arc::new(Counter(n.clone()))), n)
}

/// Two threads wake a task that is not queued: exactly one of them enqueues it.
#[test]
fn a_task_is_queued_once() {
    loom::model(|| {
        let state = Arc::new(TaskState::new());
        assert_ne!(
            state.parked(),
            Parked::Again,
            "its turn ended with nothing pending: no longer scheduled"
        );
        let enqueued = Arc::new(AtomicUsize::new(0));
        let wakers: Vec<_> = (0..2)
            .map(|_| {
                let (state, enqueued) = (state.clone(), enqueued.clone());
                thread::spawn(move || {
                    if state.schedule() {
                        enqueued.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for w in wakers {
            w.join().unwrap();
        }
        assert_eq!(enqueued.load(Ordering::SeqCst), 1);
    });
}

/// A wake-up that races with the end of the task's turn (it parks) is not lost: either
/// the wake comes first and is recorded (the runner queues the task again), or it comes
/// after and enqueues the task itself. Exactly one of the two, and the task ends queued.
#[test]
fn a_wake_during_a_turn_is_not_lost() {
    loom::model(|| {
        let state = Arc::new(TaskState::new()); // queued, then in its turn
        let s = state.clone();
        let waker = thread::spawn(move || s.schedule());
        let requeued_by_runner = state.parked() == Parked::Again;
        let enqueued_by_waker = waker.join().unwrap();
        assert!(
            requeued_by_runner != enqueued_by_waker,
            "queued exactly once"
        );
        assert!(state.get() & crate::task_state::SCHEDULED != 0);
    });
}

/// A task that yields keeps its place with no atomic update; a wake-up that arrives
/// while it waits in the queue does not queue it twice.
#[test]
fn a_yielding_task_is_not_queued_twice() {
    loom::model(|| {
        let state = Arc::new(TaskState::new());
        let s = state.clone();
        let waker = thread::spawn(move || s.schedule());
        state.yielded(); // back to the queue, still scheduled
        assert!(
            !waker.join().unwrap(),
            "already queued: the waker must not enqueue it"
        );
    });
}

/// Who waits for a child in the models of the waiter slot: a task (its waker is of
/// the kind the slot keeps in one word) or anything else (a waker the slot boxes).
#[derive(Clone, Copy)]
enum Parent {
    Foreign,
    Task,
}

impl Parent {
    /// A waker for such a parent, the count of its wake-ups, and the parent task if it
    /// is one.
    fn waker(self) -> (Waker, Arc<AtomicUsize>, Option<TaskRef<ModelTask>>) {
        match self {
            Parent::Foreign => {
                let (waker, woken) = counting_waker();
                (waker, woken, None)
            }
            Parent::Task => {
                // A parked task: each wake-up that schedules it counts one enqueue.
                let (task, enqueued, waker) = model_task();
                let kept = task.clone();
                assert!(TaskRef::park(task).is_none(), "parked");
                (waker, enqueued, Some(kept))
            }
        }
    }
}

/// Once the child's state word is gone, a parent task is held by exactly what the
/// model holds: `kept` and its own waker. A slot that lost count of the reference it
/// stored (or gave up one it did not) shows here.
fn counts_settled(kept: Option<TaskRef<ModelTask>>, waker: Waker) {
    if let Some(task) = kept {
        assert_eq!(task.state().refs(), 2, "the slot kept its count right");
    }
    drop(waker);
}

/// A child's state word as a task's header uses it: every call names one kind of task
/// waker (`ModelTask`'s, as a header names `dyn Runnable`'s), and its drop takes what
/// a registration that raced with completion left in the slot, as `Task`'s does.
struct ChildState(TaskState);

impl ChildState {
    fn new() -> ChildState {
        ChildState(TaskState::new())
    }

    fn complete(&self, ok: bool) -> Option<Waker> {
        // SAFETY: every call on this word names `ModelTask`.
        unsafe { self.0.complete::<ModelTask>(ok) }
    }

    fn register(&self, waker: &Waker) -> bool {
        // SAFETY: as above.
        unsafe { self.0.register_waiter::<ModelTask>(waker) }
    }
}

impl std::ops::Deref for ChildState {
    type Target = TaskState;

    fn deref(&self) -> &TaskState {
        &self.0
    }
}

impl Drop for ChildState {
    fn drop(&mut self) {
        // SAFETY: as above.
        drop(unsafe { self.0.take_waiter::<ModelTask>() });
    }
}

/// The parent waits while the child completes on another thread: the parent either
/// sees the completion when it registers, or is woken.
#[test]
fn completion_wakes_the_waiting_parent() {
    for kind in [Parent::Foreign, Parent::Task] {
        loom::model(move || {
            let state = Arc::new(ChildState::new());
            let s = state.clone();
            let runner = thread::spawn(move || {
                if let Some(w) = s.complete(true) {
                    w.wake();
                }
            });
            let (waker, woken, kept) = kind.waker();
            let saw_complete = state.register(&waker);
            runner.join().unwrap();
            assert!(
                saw_complete || woken.load(Ordering::SeqCst) == 1,
                "a lost wake-up"
            );
            assert!(woken.load(Ordering::SeqCst) <= 1);
            drop(state);
            counts_settled(kept, waker);
        });
    }
}

/// The parent waits under one waker, then under another (a select polled by a new
/// waker) while the child completes: the completion wakes at most one of them, and if
/// the second registration did not see the task complete, it is the new one.
#[test]
fn a_changed_waker_is_the_one_woken() {
    for (one, two) in [
        (Parent::Foreign, Parent::Foreign),
        (Parent::Task, Parent::Task),
        (Parent::Foreign, Parent::Task),
        (Parent::Task, Parent::Foreign),
    ] {
        loom::model(move || {
            let state = Arc::new(ChildState::new());
            let (first, first_woken, first_kept) = one.waker();
            let (second, second_woken, second_kept) = two.waker();
            assert!(!state.register(&first));
            let s = state.clone();
            let runner = thread::spawn(move || {
                if let Some(w) = s.complete(true) {
                    w.wake();
                }
            });
            let saw_complete = state.register(&second);
            runner.join().unwrap();
            let (a, b) = (
                first_woken.load(Ordering::SeqCst),
                second_woken.load(Ordering::SeqCst),
            );
            assert!(a + b <= 1, "one wake-up at most");
            assert_eq!(saw_complete, b == 0, "a lost wake-up");
            assert!(state.register(&second), "complete for good");
            drop(state);
            counts_settled(first_kept, first);
            counts_settled(second_kept, second);
        });
    }
}

/// A child's state word and the value its runner stores before completing: a
/// `call`ed task's result crosses threads this way (its stage, see `task.rs`).
struct ChildWithValue {
    state: ChildState,
    value: UnsafeCell<u32>,
}

// SAFETY: `value` is written by the runner before `COMPLETE` and read by the parent
// after it saw `COMPLETE`: the protocol the model below checks (loom reports a race).
unsafe impl Sync for ChildWithValue {}

/// A child's value crosses threads: its runner stores it, then publishes `COMPLETE`;
/// the parent reads it once it sees `COMPLETE`, when it registers or when it looks (as
/// `take_output_into` and `drop_output` do). Loom reports a race if the store is not
/// ordered before the read (a completion that does not release, a look that does not
/// acquire).
#[test]
fn a_value_stored_before_completion_is_seen_whole_by_the_parent() {
    for kind in [Parent::Foreign, Parent::Task] {
        loom::model(move || {
            let child = Arc::new(ChildWithValue {
                state: ChildState::new(),
                value: UnsafeCell::new(0),
            });
            let c = child.clone();
            let runner = thread::spawn(move || {
                // SAFETY: the runner, before `COMPLETE`: no one else touches it.
                c.value.with_mut(|v| unsafe { *v = 7 });
                if let Some(w) = c.state.complete(true) {
                    w.wake();
                }
            });
            let (waker, _woken, kept) = kind.waker();
            let saw_complete = child.state.register(&waker);
            if saw_complete || child.state.is_complete() {
                // SAFETY: `COMPLETE` seen with an acquire: the value is the parent's.
                assert_eq!(child.value.with_mut(|v| unsafe { *v }), 7);
            }
            runner.join().unwrap();
            drop(child);
            counts_settled(kept, waker);
        });
    }
}

/// Cross-domain cancellation: the parent asks, then waits; the runner completes,
/// cancelled if it saw the request. The parent is always released, and a cancel that
/// was accepted is always seen by the runner.
#[test]
fn cancel_then_wait_is_released() {
    for kind in [Parent::Foreign, Parent::Task] {
        loom::model(move || {
            let state = Arc::new(ChildState::new());
            state.parked();
            let s = state.clone();
            let runner = thread::spawn(move || {
                let cancelled = s.get() & CANCEL != 0;
                if let Some(w) = s.complete(!cancelled) {
                    w.wake();
                }
                cancelled
            });
            let accepted = state.request_cancel();
            let (waker, woken, kept) = kind.waker();
            let saw_complete = state.register(&waker);
            let runner_saw_cancel = runner.join().unwrap();
            assert!(
                saw_complete || woken.load(Ordering::SeqCst) == 1,
                "the canceller is never woken"
            );
            if accepted {
                // The request came before completion; the runner may have missed it only
                // if it had already looked, in which case the caller's `schedule` brings
                // the task back for a turn that sees it (not modelled: the task completed).
                assert!(runner_saw_cancel || state.get() & COMPLETE != 0);
            }
            drop(state);
            counts_settled(kept, waker);
        });
    }
}

/// A task as its wakers see it: the real state word, counting the real references
/// ([`TaskRef`]), and a run queue that counts what is pushed into it. Its `Waker` is
/// made by the very vtable a real task's is (`task_state::waker`, which goes through
/// `task_state::wake` and `wake_by_ref`), so these models check every path a wake-up
/// takes into the state word, and every path a reference takes out of it: loom reports
/// a block never freed (the counters it holds leak) or freed while in use.
#[repr(C)]
struct ModelTask {
    state: TaskState,
    enqueued: Arc<AtomicUsize>,
    /// What the runner writes in a turn and the task's destructor reads: loom reports
    /// a race if the last reference, wherever it goes, is not ordered after the turn.
    turn: UnsafeCell<usize>,
    /// The same, written by another holder of a reference (a parent writing its waker
    /// slot, say) before it drops it.
    owner: UnsafeCell<usize>,
    /// Where an enqueued reference goes, if the model runs the turn it grants;
    /// otherwise the queue's reference is dropped at once.
    queue: Option<Arc<Mutex<Vec<TaskRef<ModelTask>>>>>,
}

// SAFETY: `repr(C)`, the state word first; `widen` is a cast.
unsafe impl StateFirst for ModelTask {
    unsafe fn widen(state: NonNull<TaskState>) -> NonNull<ModelTask> {
        state.cast()
    }
}
// SAFETY: `turn` and `owner` are each written by one holder of a reference and read
// by the destructor, after the last reference: the protocol these models check (loom
// reports a race).
unsafe impl Sync for ModelTask {}

impl Wakeable for ModelTask {
    fn enqueue(task: TaskRef<Self>) {
        task.enqueued.fetch_add(1, Ordering::SeqCst);
        if let Some(queue) = task.queue.clone() {
            queue.lock().unwrap().push(task);
        }
    }

    fn vtable() -> &'static std::task::RawWakerVTable {
        static MODEL_TASK: std::task::RawWakerVTable = crate::task_state::vtable_of::<ModelTask>();
        &MODEL_TASK
    }
}

impl Drop for ModelTask {
    fn drop(&mut self) {
        // SAFETY: every call on a model task's word names `ModelTask`.
        drop(unsafe { self.state.take_waiter::<ModelTask>() });
        // SAFETY: the last reference is gone: no one else reaches the task (the
        // protocol under test; loom reports a race if it is broken).
        self.turn.with_mut(|t| assert!(unsafe { *t } <= 1));
        // SAFETY: as above.
        self.owner.with_mut(|o| assert!(unsafe { *o } <= 1));
    }
}

/// A new task, queued and about to be in its turn: the queue's reference (which the
/// runner parks with), the count of its enqueues, and a waker for it.
fn model_task() -> (TaskRef<ModelTask>, Arc<AtomicUsize>, Waker) {
    let enqueued = Arc::new(AtomicUsize::new(0));
    let task = TaskRef::new(ModelTask {
        state: TaskState::new(),
        enqueued: enqueued.clone(),
        turn: UnsafeCell::new(0),
        owner: UnsafeCell::new(0),
        queue: None,
    });
    let waker = crate::task_state::waker(task.clone());
    (task, enqueued, waker)
}

/// The runner's turn: it writes the task's data (see [`ModelTask::turn`]), then ends
/// the turn parked. `true` if the task goes back to the queue.
fn turn_then_park(task: TaskRef<ModelTask>) -> bool {
    // SAFETY: the runner, in the task's turn, is the only one to touch its data.
    task.turn.with_mut(|t| unsafe { *t = 1 });
    TaskRef::park(task).is_some()
}

/// The path of a real turn: the runner polls with a waker that borrows the queue's
/// reference (`waker_ref`), the future clones it for another thread, and the turn
/// ends parked. That thread wakes the task (by value); a third, holding a reference of
/// its own (as a promise does), writes the task's data and drops it. Whichever drops
/// the last reference frees the task, once, after every use: an enqueued reference is
/// taken by a second turn, on the runner, which parks it again. Loom reports a race if
/// a free is not ordered after the turn or after the third thread's write (the park's
/// compare-and-swap must acquire), and a leak if no one frees.
#[test]
fn a_borrowed_waker_cloned_away_and_the_last_reference_anywhere_free_once() {
    loom::model(|| {
        let queue = Arc::new(Mutex::new(Vec::new()));
        let task = TaskRef::new(ModelTask {
            state: TaskState::new(),
            enqueued: Arc::new(AtomicUsize::new(0)),
            turn: UnsafeCell::new(0),
            owner: UnsafeCell::new(0),
            queue: Some(queue.clone()),
        });
        let owner = task.clone();
        let holder = thread::spawn(move || {
            // SAFETY: only this holder writes `owner`; the destructor reads it after.
            owner.owner.with_mut(|o| unsafe { *o = 1 });
            drop(owner);
        });
        // The turn: a borrowed waker, cloned for another thread.
        // SAFETY: `task` is the queue's reference, held until the park below.
        let borrowed =
            unsafe { crate::task_state::waker_ref::<ModelTask>(TaskRef::as_non_null(&task)) };
        let cloned = (*borrowed).clone();
        let waker = thread::spawn(move || cloned.wake());
        let mut queued = Some(task);
        while let Some(task) = queued {
            // SAFETY: the runner, in the task's turn, is the only one to touch `turn`.
            task.turn.with_mut(|t| unsafe { *t = 1 });
            queued = TaskRef::park(task);
        }
        waker.join().unwrap();
        holder.join().unwrap();
        // A wake-up that came after the park queued the task: its turn parks it again,
        // with what may now be the last reference.
        let again = queue.lock().unwrap().pop();
        if let Some(task) = again {
            let mut queued = Some(task);
            while let Some(task) = queued {
                // SAFETY: as above.
                task.turn.with_mut(|t| unsafe { *t = 1 });
                queued = TaskRef::park(task);
            }
        }
        assert!(queue.lock().unwrap().is_empty(), "queued twice");
    });
}

/// How a waker is used.
#[derive(Clone, Copy)]
enum WakeBy {
    Ref,
    Value,
}

fn wake_with(waker: &Waker, by: WakeBy) {
    match by {
        WakeBy::Ref => waker.wake_by_ref(),
        WakeBy::Value => waker.clone().wake(),
    }
}

/// A task wakes itself during its own poll (by reference, as futures-lite's
/// `yield_now` does, or by value), then returns `Pending`: the runner must put it back
/// in the queue, and the waker must not have enqueued it a second time.
#[test]
fn a_task_waking_itself_during_its_poll_is_queued_again() {
    for by in [WakeBy::Ref, WakeBy::Value] {
        loom::model(move || {
            let (task, enqueued, waker) = model_task(); // in its turn
            wake_with(&waker, by);
            assert!(turn_then_park(task), "the self-wake-up was lost");
            assert_eq!(enqueued.load(Ordering::SeqCst), 0, "queued twice");
        });
    }
}

/// Another thread wakes the task (by reference or by value) while the runner ends its
/// turn with `Pending`: the task ends queued exactly once, by the runner or the waker.
#[test]
fn a_foreign_wake_racing_the_end_of_a_poll_is_not_lost() {
    for by in [WakeBy::Ref, WakeBy::Value] {
        loom::model(move || {
            let (task, enqueued, waker) = model_task();
            let observer = task.clone();
            let t = thread::spawn(move || wake_with(&waker, by));
            let requeued_by_runner = turn_then_park(task);
            t.join().unwrap();
            let enqueued = enqueued.load(Ordering::SeqCst);
            assert_eq!(
                usize::from(requeued_by_runner) + enqueued,
                1,
                "queued exactly once"
            );
            assert!(observer.state().get() & SCHEDULED != 0);
        });
    }
}

/// The runner parks the task while another thread wakes it by value and so drops the
/// last reference but the queue's: whichever gives up the last reference frees the
/// task, once, after the runner's turn (the model's destructor reads what the turn
/// wrote: loom reports the race if the count's release and acquire are missing).
#[test]
fn the_last_reference_frees_the_task_once_after_its_turn() {
    for by in [WakeBy::Ref, WakeBy::Value] {
        loom::model(move || {
            let (task, enqueued, waker) = model_task();
            let t = thread::spawn(move || {
                wake_with(&waker, by);
                drop(waker);
            });
            // Woken during a turn, the task goes back to the queue with the queue's
            // reference, and its next turn parks it again.
            let mut queued = Some(task);
            while let Some(task) = queued {
                // SAFETY: the runner, in the task's turn, is the only one to touch its data.
                task.turn.with_mut(|t| unsafe { *t = 1 });
                queued = TaskRef::park(task);
            }
            t.join().unwrap();
            assert!(enqueued.load(Ordering::SeqCst) <= 1);
        });
    }
}

/// The task wakes itself by reference during its poll while another thread wakes it
/// too, and the turn ends with `Pending`: one of the wake-ups queues it, once.
#[test]
fn a_self_wake_and_a_foreign_wake_queue_the_task_once() {
    for by in [WakeBy::Ref, WakeBy::Value] {
        loom::model(move || {
            let (task, enqueued, waker) = model_task();
            let foreign = waker.clone();
            let t = thread::spawn(move || wake_with(&foreign, by));
            waker.wake_by_ref();
            let requeued_by_runner = turn_then_park(task);
            t.join().unwrap();
            assert!(requeued_by_runner, "the self-wake-up was lost");
            assert_eq!(enqueued.load(Ordering::SeqCst), 0, "queued twice");
        });
    }
}

/// A wake-up (by reference or by value, from another thread) racing with the task's
/// completion: a complete task is never queued, whichever comes first.
#[test]
fn a_wake_racing_completion_never_queues_a_complete_task() {
    for by in [WakeBy::Ref, WakeBy::Value] {
        loom::model(move || {
            let (task, enqueued, waker) = model_task(); // in its turn, about to return `Ready`
            let late = waker.clone();
            let t = thread::spawn(move || wake_with(&waker, by));
            // SAFETY: the models' state words name `ModelTask`'s kind in every call.
            let waiter = unsafe { task.state().complete::<ModelTask>(true) };
            assert!(waiter.is_none(), "nobody waits");
            // The runner drops the queue's reference of a task that completed.
            drop(task);
            t.join().unwrap();
            assert_eq!(enqueued.load(Ordering::SeqCst), 0);
            // And a late wake-up, after completion, does nothing either.
            wake_with(&late, by);
            assert_eq!(enqueued.load(Ordering::SeqCst), 0);
        });
    }
}

/// A parked task is woken from two threads at once, one by reference and one by value:
/// it is queued exactly once.
#[test]
fn a_parked_task_woken_twice_is_queued_once() {
    loom::model(|| {
        let (task, enqueued, waker) = model_task();
        assert!(!turn_then_park(task));
        let by_value = waker.clone();
        let t = thread::spawn(move || by_value.wake());
        waker.wake_by_ref();
        t.join().unwrap();
        assert_eq!(enqueued.load(Ordering::SeqCst), 1);
    });
}

/// A latch standing for a backend's blocking `select`: an interrupt before the wait is
/// remembered.
struct Latch {
    set: Mutex<bool>,
    cv: Condvar,
}

impl Latch {
    fn new() -> Latch {
        Latch {
            set: Mutex::new(false),
            cv: Condvar::new(),
        }
    }

    fn interrupt(&self) {
        *self.set.lock().unwrap() = true;
        self.cv.notify_one();
    }

    fn wait(&self) {
        let mut set = self.set.lock().unwrap();
        while !*set {
            set = self.cv.wait(set).unwrap();
        }
        *set = false;
    }
}

/// A task handed to a domain that is going to sleep is never stranded: the domain finds
/// it before sleeping, or the sender interrupts the sleep. (A lost wake-up would leave
/// the domain blocked forever, which loom reports as a deadlock.)
#[test]
fn the_mailbox_never_strands_a_task() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::new());
        let latch = Arc::new(Latch::new());
        let (m, l) = (mailbox.clone(), latch.clone());
        let sender = thread::spawn(move || {
            if let Ok(Pushed::Interrupt) = m.push(7u32) {
                l.interrupt();
            }
        });
        let mut queue = VecDeque::new();
        loop {
            mailbox.drain_into(&mut queue);
            if !queue.is_empty() {
                break;
            }
            if mailbox.going_to_sleep(|| true) {
                latch.wait();
            }
            mailbox.awake();
        }
        assert_eq!(queue.pop_front(), Some(7));
        sender.join().unwrap();
    });
}

/// A new `call`ed task goes into the domain's `fresh` queue, outside the mailbox; the
/// sender then calls `claim_wake`. The domain looks at `fresh` inside `going_to_sleep`.
/// The work is never stranded. (`fresh` is a crossbeam `Injector`, which loom cannot
/// see into; a loom counter with the same release/acquire stands for it.)
#[test]
fn fresh_work_is_never_stranded() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::<u32>::new());
        let fresh = Arc::new(AtomicUsize::new(0));
        let latch = Arc::new(Latch::new());
        let (m, f, l) = (mailbox.clone(), fresh.clone(), latch.clone());
        let sender = thread::spawn(move || {
            f.fetch_add(1, Ordering::Release);
            if m.claim_wake() {
                l.interrupt();
            }
        });
        while fresh.load(Ordering::Acquire) == 0 {
            if mailbox.going_to_sleep(|| fresh.load(Ordering::Acquire) == 0) {
                latch.wait();
            }
            mailbox.awake();
        }
        sender.join().unwrap();
    });
}

/// Two `call`s hand fresh tasks to a domain that may be going to sleep, as `push_fresh`
/// does: the first to find it asleep interrupts it; the other finds it waking
/// (`is_asleep_or_waking`) and leaves it be, or finds it awake. The domain may sleep
/// twice, once per task. Either way it takes both tasks (a deadlock here otherwise).
#[test]
fn two_calls_to_a_sleeping_domain_strand_nothing() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::<u32>::new());
        let fresh = Arc::new(AtomicUsize::new(0));
        let latch = Arc::new(Latch::new());
        let senders: Vec<_> = (0..2)
            .map(|_| {
                let (m, f, l) = (mailbox.clone(), fresh.clone(), latch.clone());
                thread::spawn(move || {
                    f.fetch_add(1, Ordering::Release);
                    if m.claim_wake() {
                        l.interrupt();
                    } else {
                        // Waking or awake: either way, it will look at `fresh`.
                        let _ = m.is_asleep_or_waking();
                    }
                })
            })
            .collect();
        let mut taken = 0;
        while taken < 2 {
            if fresh.load(Ordering::Acquire) > 0 {
                fresh.fetch_sub(1, Ordering::AcqRel);
                taken += 1;
                continue;
            }
            if mailbox.going_to_sleep(|| fresh.load(Ordering::Acquire) == 0) {
                latch.wait();
            }
            mailbox.awake();
        }
        for s in senders {
            s.join().unwrap();
        }
    });
}

/// After the domain stopped, a push is refused and the item handed back.
#[test]
fn a_closed_mailbox_refuses() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::new());
        let m = mailbox.clone();
        let sender = thread::spawn(move || m.push(1u32).is_err());
        let left = mailbox.close();
        let refused = sender.join().unwrap();
        assert_eq!(
            refused,
            left.is_empty(),
            "an item is either refused or left for the domain to drop"
        );
    });
}

/// Trigger, after Miou's `test01` of `test/sync/test_sync.ml`: two threads signal while
/// a third attaches a callback. The trigger ends signalled, and the callback runs
/// exactly when attaching succeeded.
#[test]
fn a_trigger_fires_its_callback_once() {
    use crate::sync::Trigger;
    loom::model(|| {
        let t = Trigger::new();
        let signallers: Vec<_> = (0..2)
            .map(|_| {
                let t = t.clone();
                thread::spawn(move || t.signal())
            })
            .collect();
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let attached = t.on_signal(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        for s in signallers {
            s.join().unwrap();
        }
        assert!(t.is_signaled());
        assert_eq!(ran.load(Ordering::SeqCst), usize::from(attached));
    });
}

/// Computation, after Miou's `test02` of `test/sync/test_sync.ml`: a return and a
/// cancel race, and a trigger is attached meanwhile. Exactly one writer wins, `peek`
/// shows it, and an attached trigger fires.
#[test]
fn a_computation_has_one_writer_and_fires_its_triggers() {
    use crate::sync::{Computation, Trigger};
    loom::model(|| {
        let c = Computation::<u32>::new();
        let (c1, c2) = (c.clone(), c.clone());
        let returner = thread::spawn(move || c1.try_return(101));
        let canceller = thread::spawn(move || c2.try_cancel("stop"));
        let trigger = Trigger::new();
        let attached = c.try_attach(&trigger);
        let returned = returner.join().unwrap();
        let cancelled = canceller.join().unwrap();
        assert!(returned ^ cancelled, "exactly one writer wins");
        match c.peek() {
            Some(Ok(v)) => assert!(returned && v == 101),
            Some(Err(_)) => assert!(cancelled),
            None => panic!("the computation is complete"),
        }
        if attached {
            assert!(
                trigger.is_signaled(),
                "an attached trigger fires at completion"
            );
        }
    });
}

/// Mutex hand-off: a task waits for a lock another thread holds; the unlock hands the
/// lock straight to it and wakes it, and it then holds the lock (no lost wake-up, no
/// barging, mutual exclusion).
#[test]
fn the_mutex_hands_the_lock_over() {
    use std::future::Future;
    use std::task::{Context, Poll};
    loom::model(|| {
        let m = Arc::new(crate::sync::Mutex::new(0u32));
        let held = m.try_lock().expect("free at first");
        let m2 = m.clone();
        let waiter = thread::spawn(move || {
            let (waker, woken) = counting_waker();
            let mut cx = Context::from_waker(&waker);
            let mut lock = Box::pin(m2.lock());
            if let Poll::Ready(mut g) = lock.as_mut().poll(&mut cx) {
                *g += 1; // the holder was already gone
                return;
            }
            while woken.load(Ordering::SeqCst) == 0 {
                thread::yield_now();
            }
            match lock.as_mut().poll(&mut cx) {
                Poll::Ready(mut g) => *g += 1,
                Poll::Pending => panic!("woken without being handed the lock"),
            }
        });
        drop(held);
        waiter.join().unwrap();
        assert_eq!(*m.try_lock().expect("free again"), 1);
    });
}

/// The wait list every primitive of `sync/` keeps under its lock (`sync/wait_list.rs`):
/// the oldest of two waiters gives up (its task was cancelled) while another thread
/// wakes the oldest waiter, as an unlock or a signal does. The first waiter is removed
/// if it was still queued, or else woken, never both nor neither; the pop takes the
/// oldest waiter still queued. (A flag under the same lock tells which went first.)
#[test]
fn a_waiter_that_gives_up_is_removed_or_woken_once() {
    use crate::sync::wait_list::WaitList;
    loom::model(|| {
        // The list, and whether the first waiter gave up yet.
        let state = Arc::new(Mutex::new((WaitList::default(), false)));
        let (first, first_woken) = counting_waker();
        let (second, second_woken) = counting_waker();
        let a = crate::loom::lock(&state).0.push(&first, 'a');
        crate::loom::lock(&state).0.push(&second, 'b');
        let s = state.clone();
        let waker = thread::spawn(move || {
            let (w, after_give_up) = {
                let mut s = crate::loom::lock(&s);
                (s.0.pop_front().expect("a waiter is left"), s.1)
            };
            w.waker.wake();
            (w.data, after_give_up)
        });
        let removed = {
            let mut s = crate::loom::lock(&state);
            s.1 = true;
            s.0.remove(a).is_some()
        };
        let (popped, pop_after_give_up) = waker.join().unwrap();
        assert_eq!(
            removed, pop_after_give_up,
            "removed exactly if still queued"
        );
        assert_eq!(popped, if removed { 'b' } else { 'a' }, "not FIFO");
        assert_eq!(
            usize::from(removed) + first_woken.load(Ordering::SeqCst),
            1,
            "the first waiter is removed or woken, never both nor neither"
        );
        assert_eq!(second_woken.load(Ordering::SeqCst), usize::from(removed));
        assert_eq!(crate::loom::lock(&state).0.len(), usize::from(!removed));
    });
}

/// Mutex: the holder unlocks while the oldest waiter is cancelled on another thread.
/// The lock is never lost to the cancelled waiter: the second waiter is woken once and
/// holds it, handed by the unlock or passed on by the cancelled waiter.
#[test]
fn a_cancelled_waiter_passes_the_lock_on() {
    use std::future::Future;
    use std::task::{Context, Poll};
    loom::model(|| {
        let m = Arc::new(crate::sync::Mutex::new(0u32));
        let held = m.try_lock().expect("free at first");
        let m2 = m.clone();
        let cancelled = thread::spawn(move || {
            let (waker, _) = counting_waker();
            let mut lock = Box::pin(m2.lock());
            let polled = lock.as_mut().poll(&mut Context::from_waker(&waker));
            assert!(polled.is_pending(), "held, or handed to the other waiter");
            drop(lock); // its task is cancelled
        });
        let (waker, woken) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let mut lock = Box::pin(m.lock());
        assert!(lock.as_mut().poll(&mut cx).is_pending(), "held");
        drop(held);
        cancelled.join().unwrap();
        assert_eq!(woken.load(Ordering::SeqCst), 1, "the lock was lost");
        let Poll::Ready(mut g) = lock.as_mut().poll(&mut cx) else {
            panic!("woken without being handed the lock");
        };
        *g += 1;
        drop(g);
        assert_eq!(*m.try_lock().expect("free again"), 1);
    });
}

/// A task waiting on a condition, for the models below: its wait, and a waker that
/// counts its wake-ups.
struct Waiter<'c, 'a> {
    wait: std::pin::Pin<Box<crate::sync::ConditionWait<'c, 'a, ()>>>,
    waker: Waker,
    woken: Arc<AtomicUsize>,
}

impl<'c, 'a> Waiter<'c, 'a> {
    fn poll(&mut self) -> std::task::Poll<crate::sync::MutexGuard<'a, ()>> {
        use std::future::Future;
        let mut cx = std::task::Context::from_waker(&self.waker);
        self.wait.as_mut().poll(&mut cx)
    }

    /// Woken once, by a signal or one passed on, it takes the mutex at its next poll.
    fn got_the_signal(mut self) {
        assert_eq!(self.woken.load(Ordering::SeqCst), 1, "the signal was lost");
        assert!(self.poll().is_ready(), "signalled, the mutex free");
    }
}

/// Two tasks waiting on `cond`, oldest first: each takes `m`, waits, and is polled once
/// (queued, the mutex released).
fn two_waiters<'c, 'a>(
    cond: &'c crate::sync::Condition,
    m: &'a crate::sync::Mutex<()>,
) -> (Waiter<'c, 'a>, Waiter<'c, 'a>) {
    let waiter = |what| {
        let (waker, woken) = counting_waker();
        let mut w = Waiter {
            wait: Box::pin(cond.wait(m.try_lock().expect(what))),
            waker,
            woken,
        };
        assert!(w.poll().is_pending());
        w
    };
    let first = waiter("free");
    (first, waiter("released by the first wait"))
}

/// Condition: a signal races with the cancellation of the oldest waiter. The signal is
/// not lost: the second waiter is woken once, by the signal itself or forwarded by the
/// cancelled waiter, and then takes the mutex again.
#[test]
fn a_signal_to_a_cancelled_waiter_is_passed_on() {
    loom::model(|| {
        let m = crate::sync::Mutex::new(());
        let cond = Arc::new(crate::sync::Condition::new());
        let (first, second) = two_waiters(&cond, &m);
        let c = cond.clone();
        let signaller = thread::spawn(move || c.signal());
        let first_woken = first.woken.clone();
        drop(first); // its task is cancelled
        signaller.join().unwrap();
        assert!(first_woken.load(Ordering::SeqCst) <= 1);
        second.got_the_signal();
    });
}

/// Condition: the oldest waiter took its signal and waits to take the mutex again when
/// it is cancelled, while the mutex's holder lets go on another thread. The signal is
/// passed on (it never saw the change): the second waiter is woken once, and takes the
/// mutex, whoever the holder handed it to first.
#[test]
fn a_waiter_cancelled_while_taking_the_mutex_again_passes_its_signal_on() {
    loom::model(|| {
        // 'static, so that a guard can go to another thread (one small leak per run).
        let m: &'static crate::sync::Mutex<()> = Box::leak(Box::new(crate::sync::Mutex::new(())));
        let cond = crate::sync::Condition::new();
        let (mut first, second) = two_waiters(&cond, m);
        let held = m.try_lock().expect("released by both waits");
        cond.signal(); // to the first
        assert!(
            first.poll().is_pending(),
            "signalled, the mutex held: the first waits for it"
        );
        let holder = thread::spawn(move || drop(held));
        drop(first); // its task is cancelled while it waits for the mutex
        holder.join().unwrap();
        second.got_the_signal();
    });
}

/// A task `call`ed onto a busy domain is taken by an idle worker: the sender pushes it,
/// then wakes the worker if it is asleep (under the worker's lock); the worker announces
/// its sleep under that lock, then takes one last look before blocking. The task is
/// never left behind while the worker sleeps (a deadlock here otherwise).
#[test]
fn an_idle_worker_never_misses_work_behind_a_busy_domain() {
    loom::model(|| {
        let worker = Arc::new(Mailbox::<u32>::new());
        // The busy domain's fresh queue, as the idle worker sees it.
        let busy_fresh = Arc::new(AtomicUsize::new(0));
        let latch = Arc::new(Latch::new());
        let (w, f, l) = (worker.clone(), busy_fresh.clone(), latch.clone());
        let sender = thread::spawn(move || {
            f.fetch_add(1, Ordering::Release);
            if w.claim_wake() {
                l.interrupt();
            }
        });
        let steal = || busy_fresh.load(Ordering::Acquire) > 0;
        loop {
            if steal() {
                break;
            }
            let block = worker.going_to_sleep(|| true);
            if block && steal() {
                worker.awake();
                break;
            }
            if block {
                latch.wait();
            }
            worker.awake();
        }
        sender.join().unwrap();
    });
}

/// Two senders hand tasks to a sleeping domain; only the first interrupts it (one
/// wake-up per sleep). The domain still gets both tasks, whatever the interleaving.
#[test]
fn one_wake_per_sleep_loses_nothing() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::new());
        let latch = Arc::new(Latch::new());
        let senders: Vec<_> = (0..2u32)
            .map(|i| {
                let (m, l) = (mailbox.clone(), latch.clone());
                thread::spawn(move || {
                    if let Ok(Pushed::Interrupt) = m.push(i) {
                        l.interrupt();
                    }
                })
            })
            .collect();
        let mut queue = VecDeque::new();
        while queue.len() < 2 {
            mailbox.drain_into(&mut queue);
            if queue.len() == 2 {
                break;
            }
            if mailbox.going_to_sleep(|| true) {
                latch.wait();
            }
            mailbox.awake();
        }
        for s in senders {
            s.join().unwrap();
        }
    });
}

/// The virtual clock never jumps past work handed to an idle domain (`clock.rs`, module
/// doc). Domain 1 has a sleeper due at 10 s and goes idle; domain 0 runs a task that
/// hands domain 1 work (a flag, then an interrupt: what a wake-up through the mailbox
/// or data on a socket amounts to), then goes idle too, until domain 1 is done. Each
/// domain loops as `DomainLocal::idle` does: announce its activity, read the
/// generation, look for work, say it is idle, block unless told otherwise. (The work
/// is a flag under a mutex, as a domain's inbox is. With an atomic flag, loom 0.7
/// reported the flag's store as lost although it happened before the `swap` that
/// missed it, through the clock's mutex: an artefact of its approximate modelling of
/// `SeqCst` that we did not pursue.) Whatever the
/// interleaving, domain 1 takes the work at time zero, and time does reach the sleeper
/// in the end (a domain left blocked would be a deadlock, which loom reports).
#[test]
fn the_virtual_clock_never_jumps_past_handed_work() {
    use std::time::Duration;

    use loom::sync::atomic::AtomicBool;

    use crate::clock::VirtualClock;

    loom::model(|| {
        let clock = Arc::new(VirtualClock::new(2));
        let latches = Arc::new([Latch::new(), Latch::new()]);
        // Under a mutex, as a domain's inbox is.
        let work = Arc::new(Mutex::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let start = clock.now();
        let deadline = start + Duration::from_secs(10);
        let (c, l, w, stop) = (clock.clone(), latches.clone(), work.clone(), done.clone());
        let domain0 = thread::spawn(move || {
            // Its task's turn: hand work to domain 1.
            *w.lock().unwrap() = true;
            l[1].interrupt();
            let mut ran = true;
            loop {
                if std::mem::take(&mut ran) {
                    c.activity();
                }
                let seen = c.generation();
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let e = c.enter_idle(0, seen, None, false);
                for d in e.interrupt {
                    l[d].interrupt();
                }
                assert!(!e.due, "domain 0 has no sleeper");
                if !e.again {
                    l[0].wait();
                }
                c.leave_idle(0);
            }
        });
        let mut ran = false;
        let mut took_at = None;
        loop {
            if std::mem::take(&mut ran) {
                clock.activity();
            }
            let seen = clock.generation();
            if std::mem::take(&mut *work.lock().unwrap()) {
                took_at = Some(clock.now());
                ran = true;
                continue;
            }
            if clock.now() >= deadline {
                break; // its sleeper is due: the jump reached it
            }
            let e = clock.enter_idle(1, seen, Some(deadline), false);
            for d in e.interrupt {
                latches[d].interrupt();
            }
            if e.due {
                break;
            }
            if !e.again {
                latches[1].wait();
            }
            clock.leave_idle(1);
        }
        assert_eq!(
            took_at,
            Some(start),
            "time jumped before the work was taken"
        );
        assert_eq!(clock.now(), deadline);
        done.store(true, Ordering::SeqCst);
        latches[0].interrupt();
        domain0.join().unwrap();
    });
}

/// A worker domain as `runtime::worker` runs it, for the models of a lazily started
/// worker: it installs its interrupter (`installed` stands for the `OnceLock` that holds
/// it), then loops as `DomainLocal::run` and `idle` do: leave when the run stops, take
/// a task from `fresh`, or announce its sleep under the mailbox lock (looking at
/// `fresh` and at the stop there) and block until interrupted.
fn model_worker(
    mailbox: Arc<Mailbox<u32>>,
    fresh: Arc<AtomicUsize>,
    stopping: Arc<loom::sync::atomic::AtomicBool>,
    installed: Arc<loom::sync::atomic::AtomicBool>,
    latch: Arc<Latch>,
    ran: Arc<Latch>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        installed.store(true, Ordering::Release);
        loop {
            if stopping.load(Ordering::SeqCst) {
                break;
            }
            if fresh.load(Ordering::Acquire) > 0 {
                fresh.fetch_sub(1, Ordering::AcqRel);
                ran.interrupt(); // the task ran: its parent, on domain 0, is woken
                continue;
            }
            let nothing = || fresh.load(Ordering::Acquire) == 0 && !stopping.load(Ordering::SeqCst);
            if mailbox.going_to_sleep(nothing) {
                latch.wait();
            }
            mailbox.awake();
        }
    })
}

/// What domain 0 does to reach a worker: `interrupt` finds the interrupter only once the
/// worker installed it (`DomainShared::interrupt`).
fn interrupt_if_installed(installed: &loom::sync::atomic::AtomicBool, latch: &Latch) {
    if installed.load(Ordering::Acquire) {
        latch.interrupt();
    }
}

/// Workers start lazily, with the first `call`; a run may then stop at once (the call
/// went to another worker, or the root returned): the stop comes while the worker is
/// still starting, before its interrupter is installed. `Stop` sets the flag, then
/// wakes the worker under its mailbox lock (`DomainShared::wake_to_stop`), where the
/// worker looks at the flag before it sleeps: it either sees the stop or is
/// interrupted, and the join returns (a deadlock here otherwise).
#[test]
fn a_worker_started_late_still_stops() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::<u32>::new());
        let fresh = Arc::new(AtomicUsize::new(0));
        let stopping = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let installed = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let (latch, ran) = (Arc::new(Latch::new()), Arc::new(Latch::new()));
        let worker = model_worker(
            mailbox.clone(),
            fresh,
            stopping.clone(),
            installed.clone(),
            latch.clone(),
            ran,
        );
        // `Stop`'s drop: the flag, then `wake_to_stop`.
        stopping.store(true, Ordering::SeqCst);
        if mailbox.claim_wake() {
            interrupt_if_installed(&installed, &latch);
        }
        worker.join().unwrap();
    });
}

/// The first `call` starts the worker and hands it the task at once, before the worker
/// reached its loop (`push_fresh`: the task into `fresh`, then `claim_wake` and an
/// interrupt that finds no interrupter yet). The worker finds the task before it first
/// sleeps; domain 0 waits for it, then stops the run, and the worker leaves.
#[test]
fn a_lazily_started_worker_finds_its_first_task() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::<u32>::new());
        let fresh = Arc::new(AtomicUsize::new(0));
        let stopping = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let installed = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let (latch, ran) = (Arc::new(Latch::new()), Arc::new(Latch::new()));
        let worker = model_worker(
            mailbox.clone(),
            fresh.clone(),
            stopping.clone(),
            installed.clone(),
            latch.clone(),
            ran.clone(),
        );
        fresh.fetch_add(1, Ordering::Release);
        if mailbox.claim_wake() {
            interrupt_if_installed(&installed, &latch);
        }
        ran.wait(); // the root awaits the called task
        stopping.store(true, Ordering::SeqCst);
        if mailbox.claim_wake() {
            interrupt_if_installed(&installed, &latch);
        }
        worker.join().unwrap();
    });
}
