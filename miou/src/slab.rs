//! A tiny slab: the set of a task's children.
//!
//! A parent inserts a child when it spawns it and removes it, by the key the promise
//! carries, when it awaits or cancels it; both are O(1). When the parent must cancel
//! what is left (it panicked, was cancelled, or broke a rule) it walks the remaining
//! entries. The slab never shrinks while the task lives; a task with many children
//! reuses freed slots.

pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: usize,
    len: usize,
}

enum Slot<T> {
    Full(T),
    /// A free slot, pointing at the next free one (`usize::MAX` ends the list).
    Free(usize),
}

impl<T> Slab<T> {
    pub(crate) const fn new() -> Slab<T> {
        Slab {
            slots: Vec::new(),
            free: usize::MAX,
            len: 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn insert(&mut self, value: T) -> usize {
        self.len += 1;
        if self.free != usize::MAX {
            let key = self.free;
            match std::mem::replace(&mut self.slots[key], Slot::Full(value)) {
                Slot::Free(next) => self.free = next,
                Slot::Full(_) => unreachable!("the free list points at a full slot"),
            }
            key
        } else {
            self.slots.push(Slot::Full(value));
            self.slots.len() - 1
        }
    }

    /// The number of slots, full or free: keys are below it.
    pub(crate) fn slots(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn get(&self, key: usize) -> Option<&T> {
        match self.slots.get(key)? {
            Slot::Full(v) => Some(v),
            Slot::Free(_) => None,
        }
    }

    pub(crate) fn get_mut(&mut self, key: usize) -> Option<&mut T> {
        match self.slots.get_mut(key)? {
            Slot::Full(v) => Some(v),
            Slot::Free(_) => None,
        }
    }

    pub(crate) fn remove(&mut self, key: usize) -> Option<T> {
        let slot = self.slots.get_mut(key)?;
        if matches!(slot, Slot::Free(_)) {
            return None;
        }
        let Slot::Full(value) = std::mem::replace(slot, Slot::Free(self.free)) else {
            unreachable!()
        };
        self.free = key;
        self.len -= 1;
        Some(value)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(|s| match s {
            Slot::Full(v) => Some(v),
            Slot::Free(_) => None,
        })
    }

    /// Removes and returns every entry.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let slots = std::mem::take(&mut self.slots);
        self.free = usize::MAX;
        self.len = 0;
        slots
            .into_iter()
            .filter_map(|s| match s {
                Slot::Full(v) => Some(v),
                Slot::Free(_) => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Slab;

    #[test]
    fn insert_remove_reuses_slots() {
        let mut s = Slab::new();
        let a = s.insert("a");
        let b = s.insert("b");
        assert_eq!(s.len(), 2);
        assert_eq!(s.remove(a), Some("a"));
        assert_eq!(s.remove(a), None, "a key is removed once");
        let c = s.insert("c");
        assert_eq!(c, a, "a freed slot is reused");
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), vec!["c", "b"]);
        assert_eq!(s.remove(b), Some("b"));
        assert_eq!(s.drain(), vec!["c"]);
        assert!(s.is_empty());
    }
}
