//! A counted reference to a task, like `Arc<dyn Runnable>`, whose count lives in the
//! task's state word instead of two words of its own, and which is one word wide
//! whatever it points at.
//!
//! # Why not `Arc`
//!
//! Every reference to a task (its run-queue slot, its promise, its entry in the family
//! table, each of its wakers) keeps it alive, and `Arc` would count them in a word of
//! its own beside the state word. A task that ends its turn parked then takes two
//! atomic operations: one to clear `SCHEDULED` in the state word, one to give up the
//! queue's reference. With the count in the state word ([`TaskState`]), the two are one
//! compare-and-swap ([`TaskRef::park`]), as tokio's tasks do it; and the task's block
//! loses `Arc`'s two counts (16 bytes).
//!
//! # Why one word
//!
//! An `Arc<dyn Runnable>` is two words: the pointer and the trait object's vtable. Three
//! of them stand for each child (its queue slot, its family entry, its promise), so the
//! vtable would be repeated three times per task. A `TaskRef` is the block's pointer
//! alone; a reference to a trait object finds the object's type through the block
//! itself (a task's header keeps a function that rebuilds the wide pointer, see
//! [`StateFirst::widen`]), the way async-task's and tokio's task pointers keep their
//! vtable in the task's header. Each child is 24 bytes smaller for it, and the block 8
//! bytes bigger.
//!
//! # What may be pointed at
//!
//! A `TaskRef<D>` points at a `D` in a block of its own (a `Box`), whose first field is
//! its [`TaskState`]: that is what [`StateFirst`] promises, and what lets a reference
//! reach the word with no dynamic call, whatever `D` is (`dyn Runnable`, `dyn Child`, a
//! concrete task, a loom model's task). The last reference frees the block, through
//! `Box`'s destructor, so `D`'s `Drop` runs as it would in an `Arc`.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;

use crate::task_state::{Parked, TaskState};

/// A type a [`TaskRef`] may point at: its first field, at offset 0, is its
/// [`TaskState`] (directly, or as the first field of a first field), in a `#[repr(C)]`
/// layout, and the whole value can be found again from the pointer to that word.
///
/// # Safety
///
/// Implement it only for a `#[repr(C)]` type whose first field is a `TaskState`, or a
/// `#[repr(C)]` type whose first field is such a type, or for a trait object every one
/// of whose types is such a type; and [`widen`](StateFirst::widen) must return a
/// pointer to the value whose state word it is given.
pub(crate) unsafe trait StateFirst {
    /// The value whose state word `state` points at, as a pointer that keeps
    /// `state`'s provenance (a cast, or an unsizing coercion of a cast).
    ///
    /// # Safety
    ///
    /// `state` points at the state word of a live `Self`, in a block made by
    /// [`TaskRef::new`].
    unsafe fn widen(state: NonNull<TaskState>) -> NonNull<Self>;
}

/// An owning, counted reference to a task (see the module doc).
pub(crate) struct TaskRef<D: ?Sized + StateFirst> {
    /// The block, at its state word.
    ptr: NonNull<TaskState>,
    /// It owns a `D` (for the drop check), as `Arc` does.
    _owns: PhantomData<D>,
}

// SAFETY: as `Arc<D>`: a reference may be sent or shared when `D` may be shared between
// threads (every reference gives out `&D`) and sent (the last one, anywhere, drops it).
unsafe impl<D: ?Sized + StateFirst + Send + Sync> Send for TaskRef<D> {}
// SAFETY: as above.
unsafe impl<D: ?Sized + StateFirst + Send + Sync> Sync for TaskRef<D> {}

impl<D: StateFirst> TaskRef<D> {
    /// Moves `task` into a block of its own; its state word counts this reference (a
    /// new [`TaskState`] counts one).
    pub(crate) fn new(task: D) -> TaskRef<D> {
        // SAFETY: `Box::into_raw` never returns null.
        let block = unsafe { NonNull::new_unchecked(Box::into_raw(Box::new(task))) };
        let this = TaskRef::<D> {
            // `D: StateFirst`: the state word is at offset 0.
            ptr: block.cast::<TaskState>(),
            _owns: PhantomData,
        };
        debug_assert_eq!(this.state().refs(), 1, "a new task counts one reference");
        this
    }
}

impl<D: ?Sized + StateFirst> TaskRef<D> {
    /// The state word, at the start of the block.
    #[inline]
    pub(crate) fn state(&self) -> &TaskState {
        // SAFETY: the block is alive while this reference is, and its state word is
        // where `ptr` points.
        unsafe { self.ptr.as_ref() }
    }

    /// The reference as a raw pointer, without giving it up (see [`TaskRef::from_raw`]).
    pub(crate) fn into_raw(this: TaskRef<D>) -> NonNull<TaskState> {
        let ptr = this.ptr;
        std::mem::forget(this);
        ptr
    }

    /// Takes back a reference given up by [`TaskRef::into_raw`].
    ///
    /// # Safety
    ///
    /// `ptr` comes from `into_raw` on a `TaskRef<D>`, and the reference it stands for is
    /// taken back once.
    pub(crate) unsafe fn from_raw(ptr: NonNull<TaskState>) -> TaskRef<D> {
        TaskRef {
            ptr,
            _owns: PhantomData,
        }
    }

    /// The same reference, as a reference to another type of the same block: a
    /// concrete task as one of its trait objects, or a trait object as its supertrait's.
    ///
    /// # Safety
    ///
    /// The block holds an `E` exactly when it holds a `D` (`E` is a trait object `D`
    /// implements, or a supertrait object of `D`): `E::widen` then finds the same value.
    #[inline]
    pub(crate) unsafe fn retype<E: ?Sized + StateFirst>(this: TaskRef<D>) -> TaskRef<E> {
        TaskRef {
            ptr: TaskRef::into_raw(this),
            _owns: PhantomData,
        }
    }

    /// The pointer of the block, without giving the reference up: a waker may borrow
    /// it ([`crate::task_state::waker_ref`]).
    pub(crate) fn as_non_null(this: &TaskRef<D>) -> NonNull<TaskState> {
        this.ptr
    }

    /// The address of the block, for comparing with a waker's data pointer.
    pub(crate) fn addr(this: &TaskRef<D>) -> *const () {
        this.ptr.as_ptr().cast::<()>().cast_const()
    }

    /// The runner ends a turn in which the task parked, giving up the queue's
    /// reference, `this`, in the compare-and-swap that clears `SCHEDULED` (see
    /// [`TaskState::parked`]). `Some(this)` if the task was woken during its turn: it
    /// goes back to the queue with its reference.
    pub(crate) fn park(this: TaskRef<D>) -> Option<TaskRef<D>> {
        match this.state().parked() {
            Parked::Again => Some(this),
            Parked::Idle => {
                std::mem::forget(this);
                None
            }
            Parked::Freed => {
                // SAFETY: the word counted no reference but this one, now given up.
                unsafe { TaskRef::<D>::free(TaskRef::into_raw(this)) };
                None
            }
        }
    }

    /// Frees the block `ptr` points at.
    ///
    /// # Safety
    ///
    /// `ptr` is the pointer of a `TaskRef<D>`, and the count reached zero with the
    /// release of its last reference (with the acquire that orders every other
    /// reference's use before): no one else can reach the block.
    unsafe fn free(ptr: NonNull<TaskState>) {
        // SAFETY: the block holds a `D` (the caller's contract) and is alive until the
        // line below; it was made by `Box::new` in `TaskRef::new`, and `widen` gives the
        // pointer of the same value, with its size and destructor.
        drop(unsafe { Box::from_raw(D::widen(ptr).as_ptr()) });
    }
}

impl<D: ?Sized + StateFirst> Clone for TaskRef<D> {
    #[inline]
    fn clone(&self) -> TaskRef<D> {
        self.state().ref_inc();
        TaskRef {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<D: ?Sized + StateFirst> Drop for TaskRef<D> {
    #[inline]
    fn drop(&mut self) {
        if self.state().ref_dec() {
            // SAFETY: this was the last reference (`ref_dec` said so, after its acquire).
            unsafe { TaskRef::<D>::free(self.ptr) };
        }
    }
}

impl<D: ?Sized + StateFirst> Deref for TaskRef<D> {
    type Target = D;

    #[inline]
    fn deref(&self) -> &D {
        // SAFETY: the block holds a `D` and is alive while this reference is; it is only
        // ever shared.
        unsafe { D::widen(self.ptr).as_ref() }
    }
}

impl<D: ?Sized + StateFirst> fmt::Debug for TaskRef<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskRef({:p})", self.ptr)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::task_state::{self, Wakeable};

    /// A task reduced to its state word, which counts its frees and its enqueues.
    #[repr(C)]
    struct Counted {
        state: TaskState,
        freed: Arc<AtomicUsize>,
        enqueued: Arc<AtomicUsize>,
    }

    // SAFETY: `repr(C)`, the state word first; `widen` is a cast.
    unsafe impl StateFirst for Counted {
        unsafe fn widen(state: NonNull<TaskState>) -> NonNull<Counted> {
            state.cast()
        }
    }

    impl Wakeable for Counted {
        fn enqueue(task: TaskRef<Self>) {
            task.enqueued.fetch_add(1, Ordering::SeqCst);
            // The queue drops its reference at once: a turn that parks would.
            assert_eq!(TaskRef::park(task).map(|_| ()), None);
        }

        fn vtable() -> &'static std::task::RawWakerVTable {
            static COUNTED: std::task::RawWakerVTable = task_state::vtable_of::<Counted>();
            &COUNTED
        }
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            self.freed.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counted() -> (TaskRef<Counted>, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let (freed, enqueued) = (Arc::default(), Arc::default());
        let task = TaskRef::new(Counted {
            state: TaskState::new(),
            freed: Arc::clone(&freed),
            enqueued: Arc::clone(&enqueued),
        });
        (task, freed, enqueued)
    }

    #[test]
    fn the_last_reference_frees_the_task_once() {
        let (task, freed, _) = counted();
        let other = task.clone();
        assert_eq!(task.state().refs(), 2);
        drop(task);
        assert_eq!(freed.load(Ordering::SeqCst), 0, "a reference is left");
        drop(other);
        assert_eq!(freed.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn wakers_count_their_references() {
        let (task, freed, enqueued) = counted();
        let waker = task_state::waker(task.clone());
        let copy = waker.clone();
        assert_eq!(task.state().refs(), 3);
        // The task is in its turn (created queued): the wake-up is recorded, not
        // enqueued, and the waker's reference goes with it.
        copy.wake();
        assert_eq!(task.state().refs(), 2);
        assert_eq!(enqueued.load(Ordering::SeqCst), 0);
        // The turn ends: woken meanwhile, it stays queued with the queue's reference.
        let task = TaskRef::park(task).expect("woken during its turn");
        // The next turn parks it for good: the queue's reference is given up, the
        // waker's is left.
        let keep = task.clone();
        assert!(TaskRef::park(task).is_none());
        assert_eq!(keep.state().refs(), 2);
        // A wake-up now enqueues it, with a reference of its own.
        waker.wake_by_ref();
        assert_eq!(enqueued.load(Ordering::SeqCst), 1);
        drop(waker);
        assert_eq!(freed.load(Ordering::SeqCst), 0);
        drop(keep);
        assert_eq!(freed.load(Ordering::SeqCst), 1, "freed once, by the last");
    }

    #[test]
    fn parking_with_the_last_reference_frees_the_task() {
        let (task, freed, _) = counted();
        assert!(TaskRef::park(task).is_none());
        assert_eq!(freed.load(Ordering::SeqCst), 1);
    }

    trait Named {
        fn name(&self) -> &'static str;
    }

    impl Named for Counted {
        fn name(&self) -> &'static str {
            "counted"
        }
    }

    // SAFETY: `Counted` is the only type of `dyn Named` in these tests, and a
    // `Counted` has its state word first.
    unsafe impl StateFirst for dyn Named {
        unsafe fn widen(state: NonNull<TaskState>) -> NonNull<dyn Named> {
            state.cast::<Counted>() as NonNull<dyn Named>
        }
    }

    #[test]
    fn a_reference_is_one_word_whatever_it_points_at() {
        assert_eq!(std::mem::size_of::<TaskRef<Counted>>(), 8);
        assert_eq!(std::mem::size_of::<TaskRef<dyn Named>>(), 8);
        assert_eq!(std::mem::size_of::<Option<TaskRef<dyn Named>>>(), 8);
    }

    #[test]
    fn a_retyped_reference_keeps_its_count_and_frees_through_the_trait_object() {
        let (task, freed, _) = counted();
        // SAFETY: a `Counted` is a `dyn Named`.
        let named: TaskRef<dyn Named> = unsafe { TaskRef::retype(task) };
        assert_eq!(named.name(), "counted");
        assert_eq!(named.state().refs(), 1);
        drop(named);
        assert_eq!(
            freed.load(Ordering::SeqCst),
            1,
            "freed through the trait object"
        );
    }
}
