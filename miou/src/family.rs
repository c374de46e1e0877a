//! The family table of a domain: the children of every task that runs there.
//!
//! A task's children are only ever touched by the task itself, on its runner (it
//! spawns them, awaits or cancels them, and tears them down). So instead of each task
//! carrying a growable set of its own, which costs an allocation for every task that
//! spawns, the domain keeps one table for all of its tasks. Each entry is one child;
//! the children of one parent are linked in creation order, and the parent keeps the
//! ends of its list ([`Children`]). Inserting and removing are O(1) and the table
//! reuses freed entries, so once it has grown to the domain's peak number of children
//! no spawn allocates here.
//!
//! The key of an entry is what a [`Promise`](crate::Promise) carries to find its child
//! again.
//!
//! Each entry also carries the child's *tag*: which cancel scope it belongs to and
//! whether its promise is gone (see [`scope`](crate::scope) for what the tags mean).
//! Only the parent reads and writes it, like the rest of the entry.

use std::cell::Cell;

use crate::task::Child;
use crate::task_ref::TaskRef;

/// No entry: the end of a list, or of the free list.
const NONE: u32 = u32::MAX;

/// In [`Children::last`] of an empty list: closed, no child may be added any more. Never
/// a key (keys stop below it).
const CLOSED: u32 = u32::MAX - 1;

/// The ends of one parent's list of children, kept in the parent (runner-only).
///
/// Also whether the list is closed (the task drained its children for good): `last` is
/// then [`CLOSED`] and `first` is [`NONE`]. Kept here rather than in a flag of its own,
/// so that a task's runner-only data stays three words.
pub(crate) struct Children {
    first: Cell<u32>,
    last: Cell<u32>,
}

impl Children {
    pub(crate) const fn new() -> Children {
        Children {
            first: Cell::new(NONE),
            last: Cell::new(NONE),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.first.get() == NONE
    }

    /// Closes the list, which must be empty: no child may be added from now on (a
    /// destructor that runs while its task ends must not spawn).
    pub(crate) fn close(&self) {
        debug_assert!(self.is_empty(), "only an empty list is closed");
        self.last.set(CLOSED);
    }

    /// Whether [`close`](Children::close) was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.last.get() == CLOSED
    }

    /// The key of the first child, if any.
    pub(crate) fn first(&self) -> Option<usize> {
        some(self.first.get())
    }
}

struct Entry {
    /// `None` in a free entry.
    child: Option<TaskRef<dyn Child>>,
    prev: u32,
    /// The next sibling, or in a free entry the next free one.
    next: u32,
    /// The child's cancel scope and promise state ([`crate::scope`]'s tags).
    tag: u64,
}

/// Every child of every task of one domain.
pub(crate) struct Family {
    entries: Vec<Entry>,
    free: u32,
}

impl Family {
    pub(crate) const fn new() -> Family {
        Family {
            entries: Vec::new(),
            free: NONE,
        }
    }

    /// Adds `child` at the end of `parent`'s list, with its tag; returns its key.
    pub(crate) fn insert(
        &mut self,
        parent: &Children,
        child: TaskRef<dyn Child>,
        tag: u64,
    ) -> usize {
        debug_assert!(!parent.is_closed(), "no child is added to a closed list");
        let last = parent.last.get();
        let entry = Entry {
            child: Some(child),
            prev: last,
            next: NONE,
            tag,
        };
        let key = if self.free != NONE {
            let key = self.free;
            self.free = self.entries[key as usize].next;
            self.entries[key as usize] = entry;
            key
        } else {
            let key = u32::try_from(self.entries.len())
                .ok()
                .filter(|&k| k < CLOSED)
                .expect("miou: more than 2^32 - 2 children alive on one domain");
            self.entries.push(entry);
            key
        };
        match last {
            NONE => parent.first.set(key),
            last => self.entries[last as usize].next = key,
        }
        parent.last.set(key);
        key as usize
    }

    /// The child under `key`.
    pub(crate) fn get(&self, key: usize) -> Option<&TaskRef<dyn Child>> {
        self.entries.get(key)?.child.as_ref()
    }

    /// The tag of the child under `key` (a listed child).
    pub(crate) fn tag(&self, key: usize) -> u64 {
        self.entries[key].tag
    }

    /// Changes the tag of the child under `key` (a listed child).
    pub(crate) fn set_tag(&mut self, key: usize, tag: u64) {
        debug_assert!(
            self.entries[key].child.is_some(),
            "only a listed child is tagged"
        );
        self.entries[key].tag = tag;
    }

    /// The sibling after `key`, if any.
    pub(crate) fn next(&self, key: usize) -> Option<usize> {
        some(self.entries[key].next)
    }

    /// Removes the child under `key` from `parent`'s list. The caller drops the child
    /// after releasing the table: dropping a task may run code that spawns.
    pub(crate) fn remove(&mut self, parent: &Children, key: usize) -> Option<TaskRef<dyn Child>> {
        let entry = self.entries.get_mut(key)?;
        let child = entry.child.take()?;
        let (prev, next) = (entry.prev, entry.next);
        entry.next = self.free;
        self.free = key as u32;
        match prev {
            NONE => parent.first.set(next),
            prev => self.entries[prev as usize].next = next,
        }
        match next {
            NONE => parent.last.set(prev),
            next => self.entries[next as usize].prev = prev,
        }
        Some(child)
    }

    /// Removes every child of `parent`, in creation order.
    pub(crate) fn drain(&mut self, parent: &Children) -> Vec<TaskRef<dyn Child>> {
        let mut out = Vec::new();
        while let Some(key) = parent.first() {
            out.extend(self.remove(parent, key));
        }
        out
    }
}

fn some(key: u32) -> Option<usize> {
    (key != NONE).then_some(key as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{DomainId, DomainKey, RunId, TaskId};
    use crate::scheduler::DomainShared;
    use crate::task::{Here, Task};

    fn child(n: u64) -> TaskRef<dyn Child> {
        Task::new(
            TaskId::new(0, n),
            None,
            std::panic::Location::caller(),
            Here(DomainShared::new(DomainKey {
                run: RunId::next(),
                domain: DomainId(0),
            })),
            Vec::new(),
            || async {},
        )
        .into_child()
    }

    fn ids(f: &Family, p: &Children) -> Vec<u64> {
        let mut out = Vec::new();
        let mut k = p.first();
        while let Some(key) = k {
            out.push(f.get(key).unwrap().header().id.as_u64() >> 16);
            k = f.next(key);
        }
        out
    }

    #[test]
    fn lists_keep_creation_order_and_reuse_entries() {
        let mut f = Family::new();
        let (p, q) = (Children::new(), Children::new());
        let a = f.insert(&p, child(1), 0);
        let b = f.insert(&q, child(2), 0);
        let c = f.insert(&p, child(3), 0);
        let d = f.insert(&p, child(4), 7);
        assert_eq!(ids(&f, &p), [1, 3, 4]);
        assert_eq!(ids(&f, &q), [2]);
        assert_eq!((f.tag(a), f.tag(d)), (0, 7), "each entry keeps its tag");
        f.set_tag(a, 9);
        assert_eq!((f.tag(a), f.tag(c)), (9, 0));
        // Middle, then first, then last.
        assert_eq!(f.remove(&p, c).unwrap().header().id.as_u64() >> 16, 3);
        assert!(f.remove(&p, c).is_none(), "a key is removed once");
        assert_eq!(ids(&f, &p), [1, 4]);
        f.remove(&p, a).unwrap();
        assert_eq!(ids(&f, &p), [4]);
        let e = f.insert(&p, child(5), 0);
        assert!(e == a || e == c, "a freed entry is reused");
        assert_eq!(f.tag(e), 0, "a reused entry takes the new child's tag");
        assert_eq!(ids(&f, &p), [4, 5]);
        f.remove(&p, e).unwrap();
        f.remove(&p, d).unwrap();
        assert!(p.is_empty());
        let g = f.insert(&p, child(6), 0);
        assert_eq!(ids(&f, &p), [6]);
        let drained = f.drain(&q);
        assert_eq!(drained.len(), 1);
        assert!(q.is_empty());
        assert_eq!(ids(&f, &p), [6], "draining one parent leaves the others");
        f.remove(&p, g).unwrap();
        assert_eq!(
            f.entries.len(),
            4,
            "no entry was added while free ones existed"
        );
        let _ = b;
    }

    /// A child's entry is three words (its one-word `TaskRef<dyn Child>`, two links, its
    /// tag): what a child costs its domain here, as bench/RESULTS.md's memory account
    /// counts it.
    #[test]
    fn an_entry_is_three_words() {
        assert_eq!(std::mem::size_of::<Entry>(), 24);
        assert_eq!(std::mem::size_of::<TaskRef<dyn Child>>(), 8);
    }

    #[test]
    fn an_empty_list_closes() {
        let mut f = Family::new();
        let p = Children::new();
        let a = f.insert(&p, child(1), 0);
        assert!(!p.is_closed());
        f.drain(&p);
        p.close();
        assert!(p.is_closed() && p.is_empty() && p.first().is_none());
        assert!(f.remove(&p, a).is_none());
        assert!(
            p.is_closed(),
            "a removal from an empty list leaves it closed"
        );
    }
}
