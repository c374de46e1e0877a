//! Resources that belong to tasks.
//!
//! A [`Resource`] is something outside the program's memory that must be
//! closed (a file, a socket, a lock on a row of a database), with the
//! *finaliser* that closes it. A task that [`own`](Resource::own)s it must,
//! before it returns, [`release`](Resource::release) it (close it now),
//! [`disown`](Resource::disown) it (it closed it by other means), or
//! [`transfer`](Resource::transfer) it to its parent. A parent can also give
//! resources to a child as it creates it ([`spawn_with`](crate::spawn_with),
//! [`call_with`](crate::call_with)).
//!
//! When a task ends, the scheduler finalises what it still owns: after a
//! panic or a cancellation, that is the point of owning (the cleanup happens
//! whichever way the task ends); after a normal return, it is a leak, and the
//! run fails with [`Error::ResourceLeaked`] once the finaliser has run. A
//! finaliser runs at most once, ever.

use std::sync::{Arc, Mutex};

use crate::{Error, Member, SHARED, world};

/// A resource: a name, a finaliser, and the task that owns it, if any.
/// Clones are the same resource.
#[derive(Clone)]
pub struct Resource(Arc<Inner>);

struct Inner {
    name: String,
    /// The owner, by task number. Changed only under the tree's lock, with
    /// the owner's list of resources, so that the two always agree.
    owner: Mutex<Option<usize>>,
    /// Taken by whoever runs it: it runs once.
    finally: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Resource {
    /// A resource named `name`, owned by no task yet, which `finally`
    /// closes.
    pub fn new(name: &str, finally: impl FnOnce() + Send + 'static) -> Self {
        Resource(Arc::new(Inner {
            name: name.to_string(),
            owner: Mutex::new(None),
            finally: Mutex::new(Some(Box::new(finally))),
        }))
    }

    /// The resource's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    fn owner(&self) -> Option<usize> {
        *self.0.owner.lock().unwrap()
    }

    fn set_owner(&self, owner: Option<usize>) {
        *self.0.owner.lock().unwrap() = owner;
    }

    fn is(&self, other: &Resource) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Runs the finaliser, if nobody has.
    pub(crate) fn finalise(&self) {
        let finally = self.0.finally.lock().unwrap().take();
        if let Some(finally) = finally {
            finally();
        }
    }
}

impl Resource {
    /// The current task becomes the owner. Refused if another task owns it.
    pub fn own(&self) -> Result<(), Error> {
        let (world, me) = (world(), current());
        let mut family = world.family();
        match self.owner() {
            Some(owner) if owner != me => return Err(Error::NotOwner),
            Some(_) => return Ok(()),
            None => {}
        }
        self.set_owner(Some(me));
        family[me].resources.push(self.clone());
        drop(family);
        log(format!("own {}", self.name()));
        Ok(())
    }

    /// Whether the current task owns it: `Err(NotOwner)` if not.
    pub fn check(&self) -> Result<(), Error> {
        let world = world();
        let _family = world.family();
        if self.owner() == Some(current()) {
            Ok(())
        } else {
            Err(Error::NotOwner)
        }
    }

    /// Closes it now, with its finaliser, and forgets it.
    pub fn release(&self) -> Result<(), Error> {
        self.let_go("release")?;
        self.finalise();
        Ok(())
    }

    /// Forgets it without its finaliser: the task closed it by other means.
    pub fn disown(&self) -> Result<(), Error> {
        self.let_go("disown")
    }

    /// The current task stops owning it, if it did.
    fn let_go(&self, how: &str) -> Result<(), Error> {
        let (world, me) = (world(), current());
        let mut family = world.family();
        if self.owner() != Some(me) {
            return Err(Error::NotOwner);
        }
        self.set_owner(None);
        family[me].resources.retain(|r| !r.is(self));
        drop(family);
        log(format!("{how} {}", self.name()));
        Ok(())
    }
}

impl Resource {
    /// Hands it to the current task's parent, which owns it from now on.
    /// Refused if the current task does not own it, or is a root.
    pub fn transfer(&self) -> Result<(), Error> {
        let (world, me) = (world(), current());
        let mut family = world.family();
        let parent = family[me].parent;
        let (Some(parent), Some(true)) =
            (parent, self.owner().map(|o| o == me))
        else {
            return Err(Error::NotOwner);
        };
        family[me].resources.retain(|r| !r.is(self));
        family[parent].resources.push(self.clone());
        self.set_owner(Some(parent));
        let to = family[parent].name.clone();
        drop(family);
        log(format!("transfer {} to {to}", self.name()));
        Ok(())
    }
}

/// Whether `parent` owns every resource of `given`: if not, the name of
/// one it does not own. Called under the tree's lock, before [`give`].
pub(crate) fn owns_all(
    parent: usize,
    given: &[&Resource],
) -> Result<(), String> {
    match given.iter().find(|r| r.owner() != Some(parent)) {
        Some(resource) => Err(resource.name().to_string()),
        None => Ok(()),
    }
}

/// Moves `given`, which `parent` owns, to its new child `child`, under the
/// tree's lock, and returns what it did, for the report.
pub(crate) fn give(
    family: &mut [Member],
    parent: usize,
    child: usize,
    given: &[&Resource],
) -> Vec<String> {
    let mut log = Vec::new();
    for resource in given {
        family[parent].resources.retain(|r| !r.is(resource));
        family[child].resources.push((*resource).clone());
        resource.set_owner(Some(child));
        let name = &family[child].name;
        log.push(format!("give {} to {name}", resource.name()));
    }
    log
}

/// Task `id` has ended: runs the finalisers of what it still owns, newest
/// first, each outside the tree's lock and each in spite of the others
/// panicking, and returns how many there were.
pub(crate) fn finalise_all(id: usize) -> usize {
    let owned = {
        let world = world();
        let mut family = world.family();
        let owned = std::mem::take(&mut family[id].resources);
        for resource in &owned {
            resource.set_owner(None);
        }
        owned
    };
    // The newest first, as Rust drops a function's locals and Miou runs its
    // finalisers: what was opened last may depend on what was opened first.
    for resource in owned.iter().rev() {
        let finalise = || resource.finalise();
        let _ =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(finalise));
        log(format!("finalise {}", resource.name()));
    }
    owned.len()
}

/// The number of the current task.
fn current() -> usize {
    SHARED.with_borrow(|s| s.current_id)
}

/// Adds an operation on a resource to the current turn's report.
fn log(operation: String) {
    SHARED.with_borrow_mut(|s| s.did.push(operation));
}
