//! A counted reference to a task, like `Arc<dyn Runnable>`, whose count lives in the
//! task's state word instead of two words of its own.
//!
//! # Why not `Arc`
//!
//! Every reference to a task (its run-queue slot, its promise, its entry in the family
//! table, each of its wakers) keeps it alive, and `Arc` would count them in a word of
//! its own beside the state word. A task that ends its turn parked then takes two
//! atomic operations: one to clear `SCHEDULED` in the state word, one to give up the
//! queue's reference. With the count in the state word ([`TaskState`]), the two are one
//! compare-and-swap ([`TaskRef::park`]), as tokio's tasks do it; and the task's block
//! loses `Arc`'s two counts (16 bytes: B1's task falls from a 128-byte to a 112-byte
//! allocation).
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

/// A type whose first field, at offset 0, is its [`TaskState`] (directly, or as the
/// first field of a first field), in a `#[repr(C)]` layout. Trait objects of a trait
/// with this supertrait are `StateFirst` too: each of their types is.
///
/// # Safety
///
/// Implement it only for a `#[repr(C)]` type whose first field is a `TaskState`, or a
/// `#[repr(C)]` type whose first field is such a type.
pub(crate) unsafe trait StateFirst {}

/// An owning, counted reference to a task (see the module doc).
pub(crate) struct TaskRef<D: ?Sized + StateFirst> {
    ptr: NonNull<D>,
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
        let ptr = unsafe { NonNull::new_unchecked(Box::into_raw(Box::new(task))) };
        let this = TaskRef {
            ptr,
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
        // SAFETY: `D: StateFirst` puts a `TaskState` at offset 0 of the block, which is
        // alive while this reference is.
        unsafe { self.ptr.cast::<TaskState>().as_ref() }
    }

    /// The reference as a raw pointer, without giving it up (see [`TaskRef::from_raw`]).
    pub(crate) fn into_raw(this: TaskRef<D>) -> NonNull<D> {
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
    pub(crate) unsafe fn from_raw(ptr: NonNull<D>) -> TaskRef<D> {
        TaskRef {
            ptr,
            _owns: PhantomData,
        }
    }

    /// The same reference as another type of pointer to the same block: an unsizing or
    /// upcasting coercion (`|p| p as NonNull<dyn Trait>`).
    ///
    /// # Safety
    ///
    /// `f` is such a coercion: it returns the pointer it is given, as a pointer to the
    /// same value (a `cast` to another type would give the block's last reference the
    /// wrong size and destructor to free it with). The address is checked; the type is
    /// the caller's promise.
    #[inline]
    pub(crate) unsafe fn coerce<E: ?Sized + StateFirst>(
        this: TaskRef<D>,
        f: impl FnOnce(NonNull<D>) -> NonNull<E>,
    ) -> TaskRef<E> {
        let ptr = TaskRef::into_raw(this);
        let coerced = f(ptr);
        assert_eq!(
            coerced.cast::<u8>(),
            ptr.cast::<u8>(),
            "a coercion keeps the address"
        );
        TaskRef {
            ptr: coerced,
            _owns: PhantomData,
        }
    }

    /// The pointer of the block, without giving the reference up: a waker may borrow
    /// it ([`crate::task_state::waker_ref`]).
    pub(crate) fn as_non_null(this: &TaskRef<D>) -> NonNull<D> {
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
                unsafe { TaskRef::free(TaskRef::into_raw(this)) };
                None
            }
        }
    }

    /// Frees the block `ptr` points at.
    ///
    /// # Safety
    ///
    /// The count reached zero with the release of the last reference (with the acquire
    /// that orders every other reference's use before): no one else can reach the block.
    unsafe fn free(ptr: NonNull<D>) {
        // SAFETY: the block was made by `Box::new` in `TaskRef::new` (a coercion keeps
        // the address and gives the layout of the same value), and no reference is left.
        drop(unsafe { Box::from_raw(ptr.as_ptr()) });
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
            unsafe { TaskRef::free(self.ptr) };
        }
    }
}

impl<D: ?Sized + StateFirst> Deref for TaskRef<D> {
    type Target = D;

    #[inline]
    fn deref(&self) -> &D {
        // SAFETY: the block is alive while this reference is, and is only ever shared.
        unsafe { self.ptr.as_ref() }
    }
}

impl<D: ?Sized + StateFirst> fmt::Debug for TaskRef<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskRef({:p})", self.ptr.cast::<u8>())
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

    // SAFETY: `repr(C)`, the state word first.
    unsafe impl StateFirst for Counted {}

    impl Wakeable for Counted {
        fn enqueue(task: TaskRef<Self>) {
            task.enqueued.fetch_add(1, Ordering::SeqCst);
            // The queue drops its reference at once: a turn that parks would.
            assert_eq!(TaskRef::park(task).map(|_| ()), None);
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

    #[test]
    fn a_coercion_keeps_the_reference() {
        trait Named: StateFirst {
            fn name(&self) -> &'static str;
        }
        impl Named for Counted {
            fn name(&self) -> &'static str {
                "counted"
            }
        }
        let (task, freed, _) = counted();
        // SAFETY: an unsizing coercion.
        let named: TaskRef<dyn Named> =
            unsafe { TaskRef::coerce(task, |p| p as NonNull<dyn Named>) };
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
