//! The state word of a task and who waits for its completion: the protocol between the
//! task's runner, the threads that wake it, and its parent.
//!
//! - `SCHEDULED` means the task is in a run queue, or in its turn. Whoever sets it (a
//!   waker, a cancel request) enqueues the task. The runner leaves it set for the turn:
//!   a task that yields goes back to the queue with no atomic operation at all, and
//!   one that parks clears it with one compare-and-swap.
//! - `NOTIFIED` records a wake-up that arrived while `SCHEDULED` was set (the task is
//!   queued or in its turn): a task that parks after such a wake-up is queued again.
//! - `CANCEL` asks the task to tear down at its next turn.
//! - `COMPLETE` (with `COMPLETE_OK`) publishes the result: it is stored before, with a
//!   release, and read after, with an acquire.
//! - `WAITER` says the parent stored its waker; `REGISTERING` that it is storing one.
//!   The slot has no lock of its own: the parent (the only one that waits for a task,
//!   from one thread) takes `REGISTERING` with a compare-and-swap that fails if
//!   `COMPLETE` is set, writes the slot, and clears `REGISTERING` while setting
//!   `WAITER`, learning at that moment whether `COMPLETE` arrived meanwhile. The runner
//!   sets `COMPLETE` and takes the waker only if it saw `WAITER` without
//!   `REGISTERING`; if the parent was registering, it leaves the slot alone and the
//!   parent, seeing `COMPLETE` as it finishes, goes on without a wake-up. Either way a
//!   wake-up is never lost and the slot is never touched by both at once; a task
//!   nobody waits for completes with one atomic operation. The slot is one word (see
//!   [`Waiter`]): the parent's own task waker, what it almost always stores, as its
//!   data pointer; any other waker boxed.
//! - Above the flags, the word counts the task's references (see
//!   [`TaskRef`]): the queue slot, the promise, the family
//!   entry, each waker. Counting them here rather than in an `Arc` beside the word lets
//!   a task that parks give up its queue's reference in the same compare-and-swap that
//!   clears `SCHEDULED`: one atomic operation per park instead of two, and the block
//!   is two words smaller.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::loom::{AtomicUsize, Ordering, UnsafeCell};
use crate::task_ref::{StateFirst, TaskRef};

/// What a waker wakes: a task whose state word its [`TaskRef`] counts in, and which
/// its runner's queue can take. Every method of a task's `Waker` goes through the
/// vtable below ([`WakerOf`]), and from there through [`wake`] and [`wake_by_ref`], so
/// the loom models, which wake a model task through the same vtable, check the very
/// path every wake-up takes.
pub(crate) trait Wakeable: StateFirst + Send + Sync + 'static {
    /// Puts the task at the back of its runner's queue (called once per enqueue the
    /// state word grants), handing the queue the reference.
    fn enqueue(task: TaskRef<Self>);

    /// The vtable of this kind of task's wakers: [`vtable_of`], kept in one `static`
    /// so that it has one address. A waker whose vtable is at that address is known to
    /// be a task's, and a waiter slot keeps it in one word (see
    /// [`TaskState::register_waiter`]).
    fn vtable() -> &'static RawWakerVTable;
}

/// The vtable of the wakers of the tasks of kind `T`, for the `static` its
/// [`Wakeable::vtable`] returns.
pub(crate) const fn vtable_of<T: Wakeable + ?Sized>() -> RawWakerVTable {
    WakerOf::<T>::VTABLE
}

/// `Waker::wake`: records the wake-up in the state word and enqueues the task if the
/// word says nobody else will (it was neither queued, in its turn, nor complete).
pub(crate) fn wake<T: Wakeable + ?Sized>(task: TaskRef<T>) {
    if task.state().schedule() {
        T::enqueue(task);
    }
}

/// `Waker::wake_by_ref`: exactly [`wake`], without consuming the reference. A wake-up
/// that arrives while the task is queued or in its turn (its own poll waking itself,
/// or another thread at that moment) must be *recorded* (`NOTIFIED`), never filtered
/// out before the state word sees it: a task that then parks would sleep for ever.
pub(crate) fn wake_by_ref<T: Wakeable + ?Sized>(task: &TaskRef<T>) {
    if task.state().schedule() {
        T::enqueue(task.clone());
    }
}

/// A waker for `task`, which takes over the reference. The runtime makes its wakers by
/// borrowing ([`waker_ref`]) and lets `clone` count; the models and tests start here.
#[cfg(test)]
pub(crate) fn waker<T: Wakeable + ?Sized>(task: TaskRef<T>) -> Waker {
    // SAFETY: the pointer stands for the reference `into_raw` gave up, which the waker
    // now holds: it lives as long as the waker, and the waker's `drop` or `wake` gives
    // it up.
    ManuallyDrop::into_inner(unsafe { waker_ref::<T>(TaskRef::into_raw(task)) })
}

/// A waker for `task` that borrows the caller's reference instead of counting one:
/// the caller keeps `task` alive for as long as it uses the waker (a turn polls with
/// it), and cloning it counts a reference of its own as usual.
///
/// # Safety
///
/// `task` is the pointer of a live `TaskRef<T>` ([`TaskRef::as_non_null`]: a pointer
/// that may free the block, which a clone of this waker may do once it is the last
/// reference), held while the waker is used.
pub(crate) unsafe fn waker_ref<T: Wakeable + ?Sized>(
    task: NonNull<TaskState>,
) -> ManuallyDrop<Waker> {
    let raw = RawWaker::new(task.as_ptr().cast_const().cast(), T::vtable());
    // SAFETY: the vtable's functions below treat the data pointer as what it is, the
    // pointer of a `TaskRef<T>`, and each keeps the count right: `clone` counts a
    // reference, `wake` and `drop` give one up, `wake_by_ref` neither. The caller's
    // contract keeps the block alive; the `ManuallyDrop` keeps this waker from giving
    // up a reference it never counted.
    ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
}

/// The waker vtable of the tasks of type `T`.
struct WakerOf<T: ?Sized>(PhantomData<T>);

impl<T: Wakeable + ?Sized> WakerOf<T> {
    const VTABLE: RawWakerVTable =
        RawWakerVTable::new(Self::clone, Self::wake, Self::wake_by_ref, Self::drop);

    /// The reference a waker's data pointer stands for.
    ///
    /// # Safety
    ///
    /// `data` is the pointer of a live `TaskRef<T>`, made by `waker`, `waker_ref` or
    /// `clone`, and the reference is the waker's to give up.
    unsafe fn owned(data: *const ()) -> TaskRef<T> {
        // SAFETY: the caller's contract; a waker's pointer is never null.
        unsafe { TaskRef::from_raw(NonNull::new_unchecked(data.cast_mut().cast())) }
    }

    /// The same, borrowed: the count is left alone.
    ///
    /// # Safety
    ///
    /// As for [`owned`](Self::owned), but the reference may be borrowed.
    unsafe fn borrowed(data: *const ()) -> ManuallyDrop<TaskRef<T>> {
        // SAFETY: the caller's contract; `ManuallyDrop` never gives the reference up.
        ManuallyDrop::new(unsafe { Self::owned(data) })
    }

    unsafe fn clone(data: *const ()) -> RawWaker {
        // SAFETY: `data` is a waker's, which holds (or borrows) a live reference.
        let task = unsafe { Self::borrowed(data) };
        RawWaker::new(
            TaskRef::into_raw((*task).clone()).as_ptr().cast(),
            T::vtable(),
        )
    }

    unsafe fn wake(data: *const ()) {
        // SAFETY: `data` is a waker's, which owns a reference: `wake` consumes it.
        wake(unsafe { Self::owned(data) });
    }

    unsafe fn wake_by_ref(data: *const ()) {
        // SAFETY: `data` is a waker's, which holds (or borrows) a live reference.
        wake_by_ref(&*unsafe { Self::borrowed(data) });
    }

    unsafe fn drop(data: *const ()) {
        // SAFETY: `data` is a waker's, which owns a reference: it is given up here.
        drop(unsafe { Self::owned(data) });
    }
}

// ANCHOR: state_word
/// The task is in its domain's run queue (or inbox), or in its turn.
pub(crate) const SCHEDULED: u32 = 1;
/// Cancellation was requested.
pub(crate) const CANCEL: u32 = 1 << 1;
/// The task is complete: its result is in the stage, for the promise holder.
pub(crate) const COMPLETE: u32 = 1 << 2;
/// Set with `COMPLETE` when the result is `Ok`.
pub(crate) const COMPLETE_OK: u32 = 1 << 3;
/// A waker is stored in the waiter slot.
const WAITER: u32 = 1 << 4;
/// Woken while scheduled.
const NOTIFIED: u32 = 1 << 5;
/// The parent is writing the waiter slot.
const REGISTERING: u32 = 1 << 6;
/// One reference, counted above the flags (see [`TaskRef`]).
const REF_ONE: usize = 1 << 8;
// ANCHOR_END: state_word

/// The flags of the word, below its count of references.
const FLAGS: usize = REF_ONE - 1;

/// Whether a task that parked gave up its queue's reference (see [`TaskState::parked`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parked {
    /// It was woken during its turn: it stays `SCHEDULED`, and the queue's reference
    /// goes back to the queue with it.
    Again,
    /// It is no longer scheduled, and the queue's reference is given up.
    Idle,
    /// As `Idle`, and that reference was the last: the caller frees the task.
    Freed,
}

pub(crate) struct TaskState {
    /// The flags (the low byte) and the count of references (above).
    word: AtomicUsize,
    /// The parent's waker: written under `REGISTERING`, taken by `complete` (see the
    /// module doc). One word (see [`Waiter`]).
    waiter: UnsafeCell<Waiter>,
}

/// A waiter slot's word: no waker (null); a waker of the kind of task the slot's
/// callers name (`W`, see [`TaskState::register_waiter`]), as its data pointer alone,
/// the vtable being `W::vtable()`; or any other waker, boxed, the box's pointer marked
/// by its low bit ([`BOXED`]).
///
/// Why: a `Waker` is two words, and every task has a slot. What is stored is almost
/// always the parent's own task waker (it awaits its child), whose vtable is the one
/// `static` of its kind, so one word is enough for it; a waker of another kind (a
/// combinator's, which wakes one branch) costs an allocation, once per change of
/// waker, instead of a word in every task.
struct Waiter(*mut ());

/// The low bit of a [`Waiter`] that holds a box. Clear in a task's data pointer (the
/// pointer of a block, aligned to its state word's 8 bytes); [`Waiter::new`] looks, and
/// would box a task waker whose pointer had it set.
const BOXED: usize = 1;

impl Waiter {
    const EMPTY: Waiter = Waiter(std::ptr::null_mut());

    /// A counted copy of `waker`, as a slot's word.
    fn new<W: Wakeable + ?Sized>(waker: &Waker) -> Waiter {
        let waker = waker.clone();
        let data = waker.data().cast_mut();
        if std::ptr::eq(waker.vtable(), W::vtable()) && data.addr() & BOXED == 0 {
            // The slot keeps the reference the clone counted.
            std::mem::forget(waker);
            Waiter(data)
        } else {
            Waiter(
                Box::into_raw(Box::new(waker))
                    .cast::<()>()
                    .map_addr(|a| a | BOXED),
            )
        }
    }

    /// Whether the slot holds a waker that wakes what `waker` wakes.
    ///
    /// # Safety
    ///
    /// The word was made by [`Waiter::new`] with the same `W`, and is still held.
    unsafe fn will_wake<W: Wakeable + ?Sized>(&self, waker: &Waker) -> bool {
        if self.0.is_null() {
            false
        } else if self.0.addr() & BOXED != 0 {
            // SAFETY: a boxed waker, still held (the caller's contract).
            unsafe { (*unboxed(self.0)).will_wake(waker) }
        } else {
            std::ptr::eq(self.0.cast_const(), waker.data())
                && std::ptr::eq(W::vtable(), waker.vtable())
        }
    }

    /// Takes the waker out, leaving the slot empty.
    ///
    /// # Safety
    ///
    /// The word was made by [`Waiter::new`] with the same `W`.
    unsafe fn take<W: Wakeable + ?Sized>(&mut self) -> Option<Waker> {
        let word = std::mem::replace(self, Waiter::EMPTY).0;
        if word.is_null() {
            None
        } else if word.addr() & BOXED != 0 {
            // SAFETY: made by `Box::into_raw` in `new`, and taken once (the slot is now
            // empty).
            Some(*unsafe { Box::from_raw(unboxed(word)) })
        } else {
            // SAFETY: the data pointer of a waker whose vtable is `W::vtable()`, whose
            // reference the slot held: the waker is rebuilt whole, and owns it again.
            Some(unsafe { Waker::from_raw(RawWaker::new(word, W::vtable())) })
        }
    }
}

/// The box a [`Waiter`] word marked [`BOXED`] holds: the word without its mark.
fn unboxed(word: *mut ()) -> *mut Waker {
    word.map_addr(|a| a & !BOXED).cast::<Waker>()
}

/// Clears `REGISTERING` if a registration unwinds while it holds it (see
/// [`TaskState::register_waiter`]); forgotten once the slot is written.
struct GiveBackOnUnwind<'a>(&'a AtomicUsize);

impl Drop for GiveBackOnUnwind<'_> {
    fn drop(&mut self) {
        self.0.fetch_and(!bit(REGISTERING), Ordering::Release);
    }
}

impl Drop for TaskState {
    fn drop(&mut self) {
        // A boxed waker left in the slot is dropped here. A task waker cannot be: its
        // kind is the embedder's to name, which `TaskState::take_waiter` does in the
        // embedder's own `Drop`; if one is left anyway, it is leaked (its task is never
        // freed), never misread.
        // SAFETY: `&mut self`: no one else touches the slot.
        let word = self.waiter.with_mut(|slot| unsafe { (*slot).0 });
        if word.addr() & BOXED != 0 {
            // SAFETY: a boxed waker (the bit says so), held by the slot, which is going.
            drop(unsafe { Box::from_raw(unboxed(word)) });
        } else {
            debug_assert!(word.is_null(), "a task waker left in a dropped waiter slot");
        }
    }
}

// SAFETY: the waiter slot is only touched by the thread that holds `REGISTERING` (the
// parent, which takes it with a compare-and-swap that fails once `COMPLETE` is set), or
// by the runner in `complete` after it set `COMPLETE` and saw `WAITER` without
// `REGISTERING` (so the parent is not in its critical section and will never enter it
// again). The release/acquire pairs on the word order the two accesses. What the slot
// holds is a `Waker` (boxed, or as its data pointer), which is `Send + Sync`.
unsafe impl Sync for TaskState {}
// SAFETY: as above; the slot's raw pointer stands for a `Waker`, which is `Send`.
unsafe impl Send for TaskState {}

/// A flag, as it sits in the word.
const fn bit(flag: u32) -> usize {
    flag as usize
}

impl TaskState {
    /// A new task is created straight into a run queue, with one reference: the one
    /// its [`TaskRef`] constructor returns.
    pub(crate) fn new() -> TaskState {
        TaskState {
            word: AtomicUsize::new(bit(SCHEDULED) | REF_ONE),
            waiter: UnsafeCell::new(Waiter::EMPTY),
        }
    }

    /// The flags.
    pub(crate) fn get(&self) -> u32 {
        (self.word.load(Ordering::Acquire) & FLAGS) as u32
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.get() & COMPLETE != 0
    }

    /// How many references the word counts (for checks, tests and models).
    pub(crate) fn refs(&self) -> usize {
        self.word.load(Ordering::Acquire) / REF_ONE
    }

    /// Counts one more reference. Relaxed, as `Arc::clone`: a new reference is made
    /// from an existing one, which keeps the task alive meanwhile.
    pub(crate) fn ref_inc(&self) {
        let before = self.word.fetch_add(REF_ONE, Ordering::Relaxed);
        // A count that reaches the top of the word would wrap round to zero and free a
        // task still in use: stop first, as `Arc` does (at 2^55 references on a 64-bit
        // target, 2^23 on a 32-bit one).
        if before > usize::MAX / 2 {
            std::process::abort();
        }
    }

    /// Gives up one reference. `true` if it was the last: the caller frees the task.
    /// Release, then acquire for the last one, as `Arc`'s drop: every use of the task
    /// through another reference happens before it is freed.
    pub(crate) fn ref_dec(&self) -> bool {
        let before = self.word.fetch_sub(REF_ONE, Ordering::Release);
        if before & !FLAGS != REF_ONE {
            return false;
        }
        crate::loom::fence(Ordering::Acquire);
        true
    }

    /// A wake-up. `true` if the caller must now enqueue the task (it was neither
    /// scheduled nor complete); otherwise it is queued or in its turn already, and the
    /// wake-up is recorded for the end of that turn.
    pub(crate) fn schedule(&self) -> bool {
        let (scheduled, notified) = (bit(SCHEDULED), bit(NOTIFIED));
        let mut s = self.word.load(Ordering::Acquire);
        loop {
            if s & bit(COMPLETE) != 0 || s & (scheduled | notified) == scheduled | notified {
                return false;
            }
            let (next, enqueue) = if s & scheduled != 0 {
                (s | notified, false)
            } else {
                (s | scheduled, true)
            };
            match self
                .word
                .compare_exchange_weak(s, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return enqueue,
                Err(actual) => s = actual,
            }
        }
    }

    /// The runner ends a turn in which the task yielded: it goes back to the queue as
    /// it is (still `SCHEDULED`); a wake-up recorded meanwhile is now moot.
    pub(crate) fn yielded(&self) {
        if self.word.load(Ordering::Relaxed) & bit(NOTIFIED) != 0 {
            self.word.fetch_and(!bit(NOTIFIED), Ordering::AcqRel);
        }
    }

    /// The runner ends a turn in which the task parked. If it was woken during the
    /// turn it must go back to the queue now ([`Parked::Again`]: it stays `SCHEDULED`);
    /// otherwise it is no longer scheduled, the next wake-up enqueues it, and the
    /// queue's reference is given up in the same compare-and-swap.
    pub(crate) fn parked(&self) -> Parked {
        let mut s = self.word.load(Ordering::Acquire);
        loop {
            let next = if s & bit(NOTIFIED) != 0 {
                s & !bit(NOTIFIED)
            } else {
                (s & !bit(SCHEDULED)) - REF_ONE
            };
            match self
                .word
                .compare_exchange_weak(s, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) if s & bit(NOTIFIED) != 0 => return Parked::Again,
                // AcqRel: as `ref_dec`, every use through another reference happened
                // before, if this was the last one.
                Ok(_) if next & !FLAGS == 0 => return Parked::Freed,
                Ok(_) => return Parked::Idle,
                Err(actual) => s = actual,
            }
        }
    }

    /// Asks for cancellation; `true` if this call asked first and the task is not
    /// complete (the caller must then schedule it).
    pub(crate) fn request_cancel(&self) -> bool {
        self.word.fetch_or(bit(CANCEL), Ordering::AcqRel) & bit(CANCEL | COMPLETE) == 0
    }

    /// Publishes completion (the result is already stored) and returns the waker to
    /// wake, if the parent stored one.
    ///
    /// # Safety
    ///
    /// Every waker stored in this slot was stored by [`register_waiter`] with this same
    /// `W` (the embedder of the state word names one kind for all its calls).
    ///
    /// [`register_waiter`]: TaskState::register_waiter
    pub(crate) unsafe fn complete<W: Wakeable + ?Sized>(&self, ok: bool) -> Option<Waker> {
        let flags = if ok { COMPLETE | COMPLETE_OK } else { COMPLETE };
        let before = self.word.fetch_or(bit(flags), Ordering::AcqRel);
        if before & bit(WAITER | REGISTERING) == bit(WAITER) {
            // SAFETY: `WAITER` without `REGISTERING`: the parent stored its waker and left
            // (its release pairs with our acquire), and `COMPLETE`, now set, keeps it
            // from coming back (see the `Sync` impl). The caller's contract names the kind.
            self.waiter.with_mut(|slot| unsafe { (*slot).take::<W>() })
        } else {
            None
        }
    }

    /// Registers `waker` to be woken at completion. `true` if the task is already
    /// complete (then the caller goes on; the waker may stay stored, harmlessly, until
    /// [`take_waiter`](TaskState::take_waiter)).
    ///
    /// Only the task's parent calls this, from its own thread: one registration at a
    /// time. A waker of the tasks of kind `W` is stored as one word (see [`Waiter`]).
    ///
    /// # Safety
    ///
    /// Every call on this state word, and of [`complete`](TaskState::complete) and
    /// [`take_waiter`](TaskState::take_waiter), names the same `W`: a stored task
    /// waker is rebuilt with `W`'s vtable.
    pub(crate) unsafe fn register_waiter<W: Wakeable + ?Sized>(&self, waker: &Waker) -> bool {
        let mut s = self.word.load(Ordering::Acquire);
        loop {
            if s & bit(COMPLETE) != 0 {
                return true;
            }
            assert!(
                s & bit(REGISTERING) == 0,
                "miou: a task's completion is awaited from one place at a time"
            );
            match self.word.compare_exchange_weak(
                s,
                s | bit(REGISTERING),
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        // Cloning a waker that is not a task's runs foreign code, which may panic: then
        // `REGISTERING` is given back and the slot left as it was (the registration did
        // not happen), or the runner would never take a waker again and the next
        // registration would fail its assertion, inside the runtime.
        let unwinding = GiveBackOnUnwind(&self.word);
        // SAFETY: we hold `REGISTERING`, taken while `COMPLETE` was clear: `complete`
        // will not touch the slot until we clear it (see the `Sync` impl). The word
        // was made with this `W` (the caller's contract).
        let replaced = self.waiter.with_mut(|slot| unsafe {
            if (*slot).will_wake::<W>(waker) {
                None
            } else {
                Some(std::mem::replace(&mut *slot, Waiter::new::<W>(waker)))
            }
        });
        std::mem::forget(unwinding);
        let mut s = s | bit(REGISTERING);
        let complete = loop {
            match self.word.compare_exchange_weak(
                s,
                (s & !bit(REGISTERING)) | bit(WAITER),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break s & bit(COMPLETE) != 0,
                Err(actual) => s = actual,
            }
        };
        // Dropped outside the critical section: a waker's destructor is foreign code.
        // SAFETY: the word this registration replaced, made with this `W`.
        drop(replaced.and_then(|mut w| unsafe { w.take::<W>() }));
        complete
    }

    /// Takes the waker left in the slot, if any: the state word's embedder calls it in
    /// its `Drop` (a registration that raced with completion leaves its waker there,
    /// and only the embedder can name its kind, `W`).
    ///
    /// # Safety
    ///
    /// As for [`register_waiter`](TaskState::register_waiter): the same `W`.
    pub(crate) unsafe fn take_waiter<W: Wakeable + ?Sized>(&mut self) -> Option<Waker> {
        // SAFETY: `&mut self`: no one else touches the slot; the caller names its kind.
        self.waiter.with_mut(|slot| unsafe { (*slot).take::<W>() })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize as StdAtomic;
    use std::task::Wake;

    use super::*;
    use crate::task::Runnable;

    /// A waker whose `clone` panics: foreign code a registration runs.
    fn waker_that_panics_when_cloned() -> Waker {
        const VTABLE: RawWakerVTable = RawWakerVTable::new(
            |_| panic!("this waker cannot be cloned"),
            |_| {},
            |_| {},
            |_| {},
        );
        // SAFETY: the vtable's functions touch no data (the pointer is never read).
        unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
    }

    struct Counter(StdAtomic);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// A registration whose waker's `clone` panics leaves the slot as it was and gives
    /// `REGISTERING` back: the next registration works, and completion wakes it.
    #[test]
    fn a_registration_that_unwinds_registers_nothing_and_blocks_nothing() {
        let state = TaskState::new();
        let bad = waker_that_panics_when_cloned();
        // SAFETY: every call on this word names `dyn Runnable` (none stores a task's
        // waker: both wakers here are foreign).
        let unwound = catch_unwind(AssertUnwindSafe(|| unsafe {
            state.register_waiter::<dyn Runnable>(&bad)
        }));
        assert!(unwound.is_err(), "the clone panicked");
        assert_eq!(
            state.get() & (REGISTERING | WAITER),
            0,
            "nothing held, nothing stored"
        );
        let counter = Arc::new(Counter(StdAtomic::new(0)));
        let good = Waker::from(counter.clone());
        // SAFETY: as above.
        assert!(!unsafe { state.register_waiter::<dyn Runnable>(&good) });
        // SAFETY: as above.
        let waiter = unsafe { state.complete::<dyn Runnable>(true) };
        waiter.expect("the second registration was stored").wake();
        assert_eq!(counter.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
