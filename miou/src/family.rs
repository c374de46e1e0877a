//! The family table of a domain: the children of every task that runs there.
//!
//! A task's children are only ever touched by the task itself, on its runner (it
//! spawns them, awaits or cancels them, and tears them down). So instead of each task
//! carrying a growable set of its own, which costs an allocation for every task that
//! spawns, the domain keeps one table for all of its tasks. Each entry is one child;
//! the children of one parent are linked in a ring, in creation order, and the parent
//! keeps the key of the last one ([`Children`]), whose next is the first. Inserting and
//! removing are O(1) and the table reuses freed entries, so once it has grown to the
//! domain's peak number of children no spawn allocates here.
//!
//! A ring rather than a list with two ends: the parent keeps one key instead of two,
//! four bytes that every task carries, and which hold the state of its stage instead
//! (see `TaskLocal` in [`task`](crate::task)).
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

/// No entry: an empty ring, or the end of the free list.
const NONE: u32 = u32::MAX;

/// In [`Children::last`] of an empty ring: closed, no child may be added any more.
/// Never a key (keys stop below it).
const CLOSED: u32 = u32::MAX - 1;

/// One parent's ring of children, by the key of its last child (the first is that
/// one's next), kept in the parent (runner-only).
///
/// Also whether the ring is closed (the task drained its children for good): `last` is
/// then [`CLOSED`]. Kept here rather than in a flag of its own, so that a task's
/// runner-only data stays two words.
pub(crate) struct Children {
    last: Cell<u32>,
}

impl Children {
    pub(crate) const fn new() -> Children {
        Children {
            last: Cell::new(NONE),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        matches!(self.last.get(), NONE | CLOSED)
    }

    /// Closes the ring, which must be empty: no child may be added from now on (a
    /// destructor that runs while its task ends must not spawn).
    pub(crate) fn close(&self) {
        debug_assert!(self.is_empty(), "only an empty ring is closed");
        self.last.set(CLOSED);
    }

    /// Whether [`close`](Children::close) was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.last.get() == CLOSED
    }

    /// The key of the last child, if any.
    fn last(&self) -> Option<u32> {
        (!self.is_empty()).then(|| self.last.get())
    }
}

struct Entry {
    /// `None` in a free entry.
    child: Option<TaskRef<dyn Child>>,
    /// The previous sibling (the last one, for the first).
    prev: u32,
    /// The next sibling (the first one, for the last), or in a free entry the next free
    /// one.
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

    /// Adds `child` at the end of `parent`'s ring, with its tag; returns its key.
    pub(crate) fn insert(
        &mut self,
        parent: &Children,
        child: TaskRef<dyn Child>,
        tag: u64,
    ) -> usize {
        debug_assert!(!parent.is_closed(), "no child is added to a closed ring");
        let key = if self.free != NONE {
            self.free
        } else {
            u32::try_from(self.entries.len())
                .ok()
                .filter(|&k| k < CLOSED)
                .expect("miou: more than 2^32 - 2 children alive on one domain")
        };
        // Between the last child and the first, or alone in its ring.
        let (prev, next) = match parent.last() {
            Some(last) => (last, self.entries[last as usize].next),
            None => (key, key),
        };
        let entry = Entry {
            child: Some(child),
            prev,
            next,
            tag,
        };
        if key == self.free {
            self.free = self.entries[key as usize].next;
            self.entries[key as usize] = entry;
        } else {
            self.entries.push(entry);
        }
        if prev != key {
            self.entries[prev as usize].next = key;
            self.entries[next as usize].prev = key;
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

    /// The key of `parent`'s first child, if any.
    pub(crate) fn first(&self, parent: &Children) -> Option<usize> {
        let last = parent.last()?;
        Some(self.entries[last as usize].next as usize)
    }

    /// The sibling after `key` in `parent`'s ring, if `key` is not the last.
    pub(crate) fn next(&self, parent: &Children, key: usize) -> Option<usize> {
        if parent.last() == Some(key as u32) {
            return None;
        }
        Some(self.entries[key].next as usize)
    }

    /// Removes the child under `key` from `parent`'s ring. The caller drops the child
    /// after releasing the table: dropping a task may run code that spawns.
    pub(crate) fn remove(&mut self, parent: &Children, key: usize) -> Option<TaskRef<dyn Child>> {
        let entry = self.entries.get_mut(key)?;
        let child = entry.child.take()?;
        let (prev, next) = (entry.prev, entry.next);
        entry.next = self.free;
        self.free = key as u32;
        let key = key as u32;
        if prev == key {
            // It was alone in its ring.
            parent.last.set(NONE);
        } else {
            self.entries[prev as usize].next = next;
            self.entries[next as usize].prev = prev;
            if parent.last.get() == key {
                parent.last.set(prev);
            }
        }
        Some(child)
    }

    /// Removes every child of `parent`, in creation order.
    pub(crate) fn drain(&mut self, parent: &Children) -> Vec<TaskRef<dyn Child>> {
        let mut out = Vec::new();
        while let Some(key) = self.first(parent) {
            out.extend(self.remove(parent, key));
        }
        out
    }
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
        let mut k = f.first(p);
        while let Some(key) = k {
            out.push(f.get(key).unwrap().header().id.as_u64() >> 16);
            k = f.next(p, key);
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

    /// Many parents' rings in one table, against a model (a vector per parent): any mix
    /// of inserts and removals, anywhere in a ring, keeps every ring in creation order
    /// and leaves the others alone.
    #[test]
    fn rings_follow_a_model_through_any_mix_of_inserts_and_removals() {
        let mut f = Family::new();
        let parents = [Children::new(), Children::new(), Children::new()];
        let mut model: [Vec<(usize, u64)>; 3] = Default::default();
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for n in 1..=2_000u64 {
            let r = next();
            let p = (r % 3) as usize;
            if r % 5 < 3 || model[p].is_empty() {
                let key = f.insert(&parents[p], child(n), n);
                model[p].push((key, n));
            } else {
                let (key, id) = model[p].remove((r >> 8) as usize % model[p].len());
                let removed = f.remove(&parents[p], key).expect("listed");
                assert_eq!(removed.header().id.as_u64() >> 16, id);
            }
            for (parent, expected) in parents.iter().zip(&model) {
                let expected_ids: Vec<u64> = expected.iter().map(|&(_, id)| id).collect();
                assert_eq!(ids(&f, parent), expected_ids);
                assert_eq!(parent.is_empty(), expected.is_empty());
            }
        }
    }

    /// A child's entry is three words (its one-word `TaskRef<dyn Child>`, two links, its
    /// tag): what a child costs its domain here, as bench/RESULTS.md's memory account
    /// counts it. A parent keeps four bytes for all of its children.
    #[test]
    fn an_entry_is_three_words() {
        assert_eq!(std::mem::size_of::<Entry>(), 24);
        assert_eq!(std::mem::size_of::<TaskRef<dyn Child>>(), 8);
        assert_eq!(std::mem::size_of::<Children>(), 4);
    }

    #[test]
    fn an_empty_list_closes() {
        let mut f = Family::new();
        let p = Children::new();
        let a = f.insert(&p, child(1), 0);
        assert!(!p.is_closed());
        f.drain(&p);
        p.close();
        assert!(p.is_closed() && p.is_empty() && f.first(&p).is_none());
        assert!(f.remove(&p, a).is_none());
        assert!(
            p.is_closed(),
            "a removal from an empty list leaves it closed"
        );
    }
}
