//! Resources that belong to tasks.
//!
//! A resource (a socket, a file, a lock on something outside the program) is a value
//! with a finaliser. The task that [`own`](Ownership::own)s it must
//! [`release`](Ownership::release) (finalise now), [`disown`](Ownership::disown)
//! (forget, the caller takes care of it) or [`transfer`](Ownership::transfer) (to its
//! parent) it before returning. If it returns still owning it, the finaliser runs and
//! the run fails with [`Error::ResourceLeaked`]. If it panics or is cancelled, the
//! finaliser runs and nothing fails: that is the point, cleanup that happens whatever
//! way the task ends. A finaliser runs at most once, ever.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Panic};
use crate::id::TaskId;
use crate::scheduler::with_domain;
use crate::task::{Child, Runnable, TaskLocal};

type Finaliser = Box<dyn FnOnce() + Send>;

pub(crate) struct Resource {
    id: u64,
    state: Mutex<ResourceState>,
}

struct ResourceState {
    owner: Option<TaskId>,
    /// `None` once the finaliser ran (or the resource was disowned for good).
    finaliser: Option<Finaliser>,
}

impl Resource {
    fn lock(&self) -> std::sync::MutexGuard<'_, ResourceState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A resource: a value and its finaliser, owned by at most one task at a time.
/// Clones are the same resource.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// let closed = Arc::new(AtomicUsize::new(0));
/// let c = closed.clone();
/// let r = miou::Builder::new().domains(0).try_run(async move {
///     let p = miou::spawn(async move {
///         let file = miou::Ownership::create("fd 3", move |_| { c.fetch_add(1, Ordering::SeqCst); });
///         file.own().unwrap();
///         panic!("the task fails while it owns the file");
///     });
///     assert!(p.await.is_err());
/// });
/// assert!(r.is_ok(), "a failing task's resources are finalised, no error");
/// assert_eq!(closed.load(Ordering::SeqCst), 1);
/// ```
#[derive(Clone)]
pub struct Ownership {
    res: Arc<Resource>,
}

static NEXT_RESOURCE: AtomicU64 = AtomicU64::new(1);

impl fmt::Debug for Ownership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.res.lock();
        f.debug_struct("Ownership")
            .field("id", &self.res.id)
            .field("owner", &st.owner)
            .field("finalised", &st.finaliser.is_none())
            .finish()
    }
}

/// Runs `f` with the current task.
fn current_task<R>(f: impl FnOnce(&dyn Runnable) -> R) -> R {
    with_domain(|d| {
        let current = d.current.borrow();
        let me = current
            .as_ref()
            .expect("miou::Ownership: resources are used from inside a task");
        f(&**me)
    })
}

impl Ownership {
    /// A new resource holding `value`; `finally(value)` is its finaliser. Owned by
    /// nobody until a task calls [`own`](Ownership::own).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// let closed = Arc::new(AtomicBool::new(false));
    /// let c = closed.clone();
    /// miou::Builder::new().domains(0).run(async {
    ///     let p = miou::spawn(async move {
    ///         // The value is handed to the finaliser.
    ///         let file = miou::Ownership::create(c, |c| c.store(true, Ordering::SeqCst));
    ///         file.own().unwrap();
    ///         loop { miou::yield_now().await } // until cancelled
    ///     });
    ///     miou::yield_now().await; // the child runs: it owns the file
    ///     miou::cancel(p).await; // and ends: the file is finalised
    ///     assert!(closed.load(Ordering::SeqCst));
    /// });
    /// ```
    pub fn create<T: Send + 'static>(
        value: T,
        finally: impl FnOnce(T) + Send + 'static,
    ) -> Ownership {
        Ownership {
            res: Arc::new(Resource {
                id: NEXT_RESOURCE.fetch_add(1, Ordering::Relaxed),
                state: Mutex::new(ResourceState {
                    owner: None,
                    finaliser: Some(Box::new(move || finally(value))),
                }),
            }),
        }
    }

    /// The current task now owns the resource. Owning it again is a no-op;
    /// `Err(NotOwner)` if another task owns it, or it was already finalised or disowned
    /// (either way it has no finaliser left to run).
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let r = miou::Ownership::create((), |()| {});
    ///     r.own().unwrap();
    ///     r.check().unwrap();
    ///     r.release().unwrap();
    /// });
    /// ```
    pub fn own(&self) -> Result<(), Error> {
        current_task(|me| {
            {
                let mut st = self.res.lock();
                if st.finaliser.is_none() {
                    return Err(Error::NotOwner);
                }
                match st.owner {
                    Some(o) if o == me.header().id => return Ok(()),
                    Some(_) => return Err(Error::NotOwner),
                    None => st.owner = Some(me.header().id),
                }
            }
            me.local()
                .with_resources(|owned| owned.push(self.res.clone()));
            Ok(())
        })
    }

    /// `Ok` if the current task owns the resource, else `Err(NotOwner)`.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let r = miou::Ownership::create((), |()| {});
    ///     assert!(matches!(r.check(), Err(miou::Error::NotOwner)));
    /// });
    /// ```
    pub fn check(&self) -> Result<(), Error> {
        current_task(|me| {
            if self.res.lock().owner == Some(me.header().id) {
                Ok(())
            } else {
                Err(Error::NotOwner)
            }
        })
    }

    /// The current task stops owning the resource **without** finalising it (it is now
    /// the caller's business). `Err(NotOwner)` unless the current task owns it.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let r = miou::Ownership::create((), |()| unreachable!("never finalised"));
    ///     r.own().unwrap();
    ///     r.disown().unwrap();
    /// });
    /// ```
    pub fn disown(&self) -> Result<(), Error> {
        current_task(|me| {
            self.take_from(me)?;
            self.res.lock().finaliser = None;
            Ok(())
        })
    }

    /// Runs the finaliser now, in the current task. `Err(NotOwner)` unless the current
    /// task owns the resource.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// let done = Arc::new(AtomicBool::new(false));
    /// let d = done.clone();
    /// miou::Builder::new().domains(0).run(async move {
    ///     let r = miou::Ownership::create((), move |()| d.store(true, Ordering::SeqCst));
    ///     r.own().unwrap();
    ///     r.release().unwrap();
    ///     assert!(r.release().is_err(), "released once");
    /// });
    /// assert!(done.load(Ordering::SeqCst));
    /// ```
    pub fn release(&self) -> Result<(), Error> {
        let finaliser = current_task(|me| {
            self.take_from(me)?;
            Ok::<_, Error>(self.res.lock().finaliser.take())
        })?;
        if let Some(f) = finaliser {
            f();
        }
        Ok(())
    }

    /// Hands the resource to the parent of the current task (which must then release,
    /// disown or transfer it in turn). `Err(NotOwner)` unless the current task owns it.
    /// Panics in the root task, which has no parent.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let r = miou::Ownership::create((), |()| {});
    ///     let r2 = r.clone();
    ///     let p = miou::spawn(async move {
    ///         r2.own().unwrap();
    ///         r2.transfer().unwrap();
    ///     });
    ///     p.await.unwrap();
    ///     r.check().unwrap(); // the root owns it now
    ///     r.release().unwrap();
    /// });
    /// ```
    pub fn transfer(&self) -> Result<(), Error> {
        current_task(|me| {
            let parent = me.header().parent.unwrap_or_else(|| {
                panic!("miou::Ownership::transfer: the root task has no parent to transfer a resource to")
            });
            {
                // One lock: nobody can take the resource between the two owners.
                let mut st = self.res.lock();
                if st.owner != Some(me.header().id) {
                    return Err(Error::NotOwner);
                }
                st.owner = Some(parent);
            }
            // The entry stays in this task's list: when this task ends, the parent
            // adopts the entries it now owns (`adopt_handed_up`). The parent may be
            // running on another domain; it owns the resource from now on all the same
            // (`check` says so at once).
            me.local().with_resources(|owned| {
                if !owned.iter().any(|r| Arc::ptr_eq(r, &self.res)) {
                    owned.push(self.res.clone());
                }
            });
            Ok(())
        })
    }

    /// Removes the resource from `me`'s set (ownership check included), leaving its
    /// finaliser in place.
    pub(crate) fn take_from(&self, me: &dyn Runnable) -> Result<Arc<Resource>, Error> {
        {
            let mut st = self.res.lock();
            if st.owner != Some(me.header().id) {
                return Err(Error::NotOwner);
            }
            st.owner = None;
        }
        me.local().with_resources(|owned| {
            if let Some(i) = owned.iter().position(|r| Arc::ptr_eq(r, &self.res)) {
                owned.swap_remove(i);
            }
        });
        Ok(self.res.clone())
    }
}

/// Runs the finalisers of every resource task `me` still owns, and returns how many ran.
/// Called when the task ends, on its runner. A panicking finaliser is logged: the
/// others must still run.
///
/// What the task transferred to its parent stays in its list, for the parent to adopt
/// when it awaits or cancels the task; everything else is forgotten.
#[inline]
pub(crate) fn finalise_all(me: TaskId, parent: Option<TaskId>, local: &TaskLocal) -> usize {
    if !local.may_own() {
        return 0;
    }
    let owned = local.take_resources();
    if owned.is_empty() {
        return 0;
    }
    let mut handed_up = Vec::new();
    let mut ran = 0;
    for res in owned {
        let finaliser = {
            let mut st = res.lock();
            if st.owner != Some(me) {
                if st.owner.is_some() && st.owner == parent {
                    drop(st);
                    handed_up.push(res);
                }
                continue;
            }
            st.owner = None;
            st.finaliser.take()
        };
        if let Some(f) = finaliser {
            ran += 1;
            if let Err(p) = catch_unwind(AssertUnwindSafe(f)) {
                tracing::error!(task = %me, panic = ?Panic::new(p), "a resource's finaliser panicked");
            }
        }
    }
    if !handed_up.is_empty() {
        local.with_resources(|owned| owned.extend(handed_up));
    }
    ran
}

/// The parent `me` settles a complete `child`: it adopts what the child transferred
/// to it (and still belongs to it), so that it finalises them if it ends owning them.
pub(crate) fn adopt_handed_up(me: TaskId, local: &TaskLocal, child: &dyn Child) {
    let handed_up = child.take_handed_up();
    if handed_up.is_empty() {
        return;
    }
    local.with_resources(|owned| {
        for res in handed_up {
            let mine = res.lock().owner == Some(me);
            if mine && !owned.iter().any(|r| Arc::ptr_eq(r, &res)) {
                owned.push(res);
            }
        }
    });
}

/// Prepares a resource list for a new task: the child owns what it is given.
pub(crate) fn adopt(child: TaskId, resources: &[Arc<Resource>]) {
    for r in resources {
        r.lock().owner = Some(child);
    }
}
