//! A task's stage: the part of its block that holds, in turn, the closure that builds
//! its future (a `call`'s; a `spawn`'s only hands over the future it was given), the
//! future, and the future's result until the parent takes it.
//!
//! # Why a union and a tag apart
//!
//! As an enum, the stage would carry its tag in a word of its own: its payloads are
//! word-aligned, so the tag's byte is padded to eight. The payloads share a union here
//! ([`Slot`]), and the tag ([`Holds`]) is a byte of the task's runner-only data, beside
//! its children's key, where it takes no room. That word is what brings a small task's
//! block from 96 to 88 bytes, which glibc's allocator serves from a 96-byte chunk
//! instead of a 112-byte one.
//!
//! The slot and its tag are only ever reached together, through a [`Stage`] that
//! borrows both: its methods keep the tag true to what the slot holds, and are the only
//! code that reads a field of the union.
//!
//! # Who may touch it
//!
//! The same as the rest of the task's runner-only data: its runner until the task is
//! complete, then its parent (see [`task`](crate::task)); [`Task`](crate::task::Task)
//! makes a [`Stage`] under that contract.

use std::cell::Cell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;

use crate::error::Error;

/// What a [`Slot`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Holds {
    /// The closure that builds the future: the task has not had its first turn.
    Init,
    /// The future, pinned where it lies.
    Running,
    /// The result: the task's, once it is complete, or before that the value of a
    /// future that returned while the task waits for children to reap.
    Finished,
    /// Nothing: the closure was called, the future dropped, or the result taken.
    Nothing,
}

/// The stage's storage. Which field is live, if any, is said by the [`Holds`] kept in
/// the task's runner-only data.
pub(crate) union Slot<C, Fut: Future> {
    init: ManuallyDrop<C>,
    running: ManuallyDrop<Fut>,
    finished: ManuallyDrop<Result<Fut::Output, Error>>,
}

impl<C, Fut: Future> Slot<C, Fut> {
    /// A slot that holds `make`: its tag starts as [`Holds::Init`].
    pub(crate) fn new(make: C) -> Slot<C, Fut> {
        Slot {
            init: ManuallyDrop::new(make),
        }
    }
}

/// A slot and its tag, borrowed together (see the module doc).
pub(crate) struct Stage<'a, C, Fut: Future> {
    slot: &'a mut Slot<C, Fut>,
    holds: &'a Cell<Holds>,
}

impl<'a, C, Fut: Future> Stage<'a, C, Fut> {
    /// # Safety
    ///
    /// `holds` says what `slot` holds, and no other `Stage` of the same slot is alive
    /// while this one is.
    pub(crate) unsafe fn new(slot: &'a mut Slot<C, Fut>, holds: &'a Cell<Holds>) -> Self {
        Stage { slot, holds }
    }

    pub(crate) fn holds(&self) -> Holds {
        self.holds.get()
    }

    /// Takes the closure out, for the first turn to call it.
    pub(crate) fn take_init(&mut self) -> C {
        assert_eq!(self.holds(), Holds::Init, "a task's closure is called once");
        self.holds.set(Holds::Nothing);
        // SAFETY: the tag said `Init`, so `init` is the live field; the tag now says
        // `Nothing`, so it is read once.
        unsafe { ManuallyDrop::take(&mut self.slot.init) }
    }

    /// Puts the future in, where it stays until it is dropped in place.
    pub(crate) fn set_running(&mut self, fut: Fut) {
        assert_eq!(
            self.holds(),
            Holds::Nothing,
            "the future goes into an empty slot"
        );
        self.slot.running = ManuallyDrop::new(fut);
        self.holds.set(Holds::Running);
    }

    /// The future, if the slot holds one, pinned: it never moves until it is dropped
    /// where it lies ([`Stage::drop_in_place`]).
    pub(crate) fn running(&mut self) -> Option<Pin<&mut Fut>> {
        if self.holds() != Holds::Running {
            return None;
        }
        // SAFETY: the tag says `Running`, so `running` is the live field. The future is
        // never moved out of the slot: it leaves it only by `drop_in_place`, which
        // drops it where it lies, as `Pin` requires (the slot itself lies in the task's
        // block, which never moves).
        Some(unsafe { Pin::new_unchecked(&mut *self.slot.running) })
    }

    /// Stores a result, dropping first whatever the slot still held (it normally
    /// holds nothing by then).
    pub(crate) fn put(&mut self, result: Result<Fut::Output, Error>) {
        if self.holds() != Holds::Nothing {
            let _ = self.drop_in_place();
        }
        self.slot.finished = ManuallyDrop::new(result);
        self.holds.set(Holds::Finished);
    }

    /// Takes the result out, if the slot holds one.
    pub(crate) fn take_finished(&mut self) -> Option<Result<Fut::Output, Error>> {
        if self.holds() != Holds::Finished {
            return None;
        }
        self.holds.set(Holds::Nothing);
        // SAFETY: the tag said `Finished`, so `finished` is the live field; the tag now
        // says `Nothing`, so it is read once.
        Some(unsafe { ManuallyDrop::take(&mut self.slot.finished) })
    }

    /// Drops what the slot holds where it lies, leaving it empty even if a destructor
    /// panics (the panic is returned: unwinding has still dropped the value's other
    /// parts, so the value counts as dropped either way).
    pub(crate) fn drop_in_place(&mut self) -> std::thread::Result<()> {
        let held = self.holds.replace(Holds::Nothing);
        let slot = &mut *self.slot;
        catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: `held` says which field was live; the tag now says `Nothing`, so
            // it is dropped once. `ManuallyDrop::drop` drops it where it lies, as `Pin`
            // requires of the future.
            unsafe {
                match held {
                    Holds::Init => ManuallyDrop::drop(&mut slot.init),
                    Holds::Running => ManuallyDrop::drop(&mut slot.running),
                    Holds::Finished => ManuallyDrop::drop(&mut slot.finished),
                    Holds::Nothing => {}
                }
            }
        }))
    }

    /// Forgets what the slot holds, without dropping it: for a value that must not be
    /// dropped on this thread (see `Task`'s `Drop`).
    pub(crate) fn leak(&mut self) {
        self.holds.set(Holds::Nothing);
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;

    /// Counts its drops.
    struct Counted(Rc<Cell<u32>>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    type TestSlot = Slot<Counted, std::future::Ready<Counted>>;

    #[test]
    fn a_stage_goes_from_closure_to_future_to_result_and_drops_each_once() {
        let drops = Rc::new(Cell::new(0));
        let mut slot: TestSlot = Slot::new(Counted(drops.clone()));
        let holds = Cell::new(Holds::Init);
        // SAFETY: the tag says what the slot holds; one stage at a time.
        let mut stage = unsafe { Stage::new(&mut slot, &holds) };
        let make = stage.take_init();
        assert_eq!(stage.holds(), Holds::Nothing);
        drop(make);
        assert_eq!(drops.get(), 1);
        stage.set_running(std::future::ready(Counted(drops.clone())));
        assert!(stage.running().is_some());
        assert!(stage.take_finished().is_none(), "no result while it runs");
        stage.drop_in_place().unwrap();
        assert_eq!((drops.get(), stage.holds()), (2, Holds::Nothing));
        assert!(stage.running().is_none());
        stage.put(Err(Error::Cancelled));
        assert!(matches!(stage.take_finished(), Some(Err(Error::Cancelled))));
        assert!(stage.take_finished().is_none(), "a result is taken once");
        assert_eq!(drops.get(), 2);
    }

    #[test]
    fn a_panicking_destructor_leaves_the_stage_empty() {
        struct Bomb;
        impl Drop for Bomb {
            fn drop(&mut self) {
                panic!("boom");
            }
        }
        let mut slot: Slot<Bomb, std::future::Pending<()>> = Slot::new(Bomb);
        let holds = Cell::new(Holds::Init);
        // SAFETY: as above.
        let mut stage = unsafe { Stage::new(&mut slot, &holds) };
        assert!(stage.drop_in_place().is_err());
        assert_eq!(stage.holds(), Holds::Nothing);
        assert!(stage.drop_in_place().is_ok(), "dropped once");
    }

    #[test]
    fn putting_a_result_drops_what_was_still_there() {
        let drops = Rc::new(Cell::new(0));
        let mut slot: TestSlot = Slot::new(Counted(drops.clone()));
        let holds = Cell::new(Holds::Init);
        // SAFETY: as above.
        let mut stage = unsafe { Stage::new(&mut slot, &holds) };
        stage.put(Ok(Counted(drops.clone())));
        assert_eq!(drops.get(), 1, "the closure, dropped");
        let mut kept = stage.take_finished();
        assert_eq!(drops.get(), 1);
        kept.take();
        assert_eq!(drops.get(), 2);
    }
}
