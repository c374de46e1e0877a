//! Hooks: functions a domain runs before each of its scheduling steps (for example to
//! feed a watchdog, or to sample metrics).

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::id::DomainKey;
use crate::scheduler::{DomainLocal, with_domain};

pub(crate) struct HookEntry {
    id: u64,
    f: Box<dyn FnMut()>,
}

static NEXT_HOOK: AtomicU64 = AtomicU64::new(1);

/// A function the current domain runs before each of its scheduling steps (most
/// recently added first), until it is removed. A hook that panics is removed (the panic
/// is logged). Hooks run outside any task: they must not use miou operations.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// let steps = Rc::new(Cell::new(0));
/// let s = steps.clone();
/// miou::Builder::new().domains(0).run(async move {
///     let h = miou::Hook::add(move || s.set(s.get() + 1));
///     miou::yield_now().await;
///     h.remove();
/// });
/// assert!(steps.get() >= 1);
/// ```
pub struct Hook {
    id: u64,
    /// The domain, of which run, it was added on.
    domain: DomainKey,
}

impl fmt::Debug for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hook")
            .field("id", &self.id)
            .field("domain", &self.domain.domain)
            .finish()
    }
}

impl Hook {
    /// Registers `f` on the current domain. Panics outside a run.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// let order = Rc::new(RefCell::new(Vec::new()));
    /// let (a, b) = (order.clone(), order.clone());
    /// miou::Builder::new().domains(0).run(async move {
    ///     let first = miou::Hook::add(move || a.borrow_mut().push("first"));
    ///     let second = miou::Hook::add(move || b.borrow_mut().push("second"));
    ///     miou::yield_now().await; // the domain takes a step: its hooks run
    ///     first.remove();
    ///     second.remove();
    /// });
    /// assert_eq!(order.borrow()[..2], ["second", "first"]); // the latest first
    /// ```
    pub fn add(f: impl FnMut() + 'static) -> Hook {
        with_domain(|d| {
            let id = NEXT_HOOK.fetch_add(1, Ordering::Relaxed);
            d.hooks.borrow_mut().push(HookEntry { id, f: Box::new(f) });
            Hook {
                id,
                domain: d.shared.key(),
            }
        })
    }

    /// Unregisters the hook (a no-op if it was already removed because it panicked).
    /// Panics when called from another domain than the one it was added on.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let steps = Rc::new(Cell::new(0));
    /// let s = steps.clone();
    /// miou::Builder::new().domains(0).run(async {
    ///     let h = miou::Hook::add(move || s.set(s.get() + 1));
    ///     miou::yield_now().await;
    ///     h.remove();
    ///     let seen = steps.get();
    ///     assert!(seen >= 1);
    ///     miou::yield_now().await; // another step, without the hook
    ///     assert_eq!(steps.get(), seen);
    /// });
    /// ```
    pub fn remove(self) {
        with_domain(|d| {
            assert!(
                self.domain == d.shared.key(),
                "miou::Hook::remove: this hook belongs to {}, not to the current domain {} \
                 (rule: a hook is removed from the domain it was added on)",
                self.domain.seen_from(d.shared.key()),
                d.id()
            );
            d.hooks.borrow_mut().retain(|h| h.id != self.id);
        })
    }
}

/// Runs the domain's hooks, most recently added first.
#[inline]
pub(crate) fn run_hooks(d: &DomainLocal) {
    if !d.hooks.borrow().is_empty() {
        run_all(d);
    }
}

#[cold]
fn run_all(d: &DomainLocal) {
    // Take them out while they run, so that a hook may add or remove hooks.
    let mut hooks = std::mem::take(&mut *d.hooks.borrow_mut());
    let mut i = hooks.len();
    while i > 0 {
        i -= 1;
        let h = &mut hooks[i];
        if let Err(p) = catch_unwind(AssertUnwindSafe(&mut h.f)) {
            tracing::error!(domain = %d.id(), panic = ?crate::Panic::new(p), "a hook panicked; it is removed");
            hooks.remove(i);
        }
    }
    let mut slot = d.hooks.borrow_mut();
    let added = std::mem::replace(&mut *slot, hooks);
    slot.extend(added);
}
