//! Creating tasks: [`spawn`] on the current domain, [`call`] on another domain,
//! [`parallel`] over the worker domains, and [`Spawn`] to give resources to the child
//! as it is created.

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use crate::error::Error;
use crate::ownership::{Ownership, Resource};
use crate::promise::Promise;
use crate::scheduler::{DomainLocal, DomainShared, with_domain};
use crate::select::await_all;
use crate::task::{Called, Here, Place, Task};

/// Creates a child of the current task on the current domain, at the back of the run
/// queue. The caller keeps running: spawning is not a scheduling point.
///
/// Panics outside a task. The place of the call is recorded: failures and logs that
/// name the child say where it was spawned (as do those of [`call`], [`try_call`],
/// [`parallel`], [`Spawn`] and [`Orphans`](crate::Orphans)).
///
/// ```
/// let v = miou::Builder::new().domains(0).run(async {
///     let a = miou::spawn(async { 1 });
///     let b = miou::spawn(async { 2 });
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(v, 3);
/// ```
#[track_caller]
pub fn spawn<F>(fut: F) -> Promise<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let at = Location::caller();
    with_domain(|d| create(d, at, Here(d.shared.clone()), None, Vec::new(), move || fut))
}

/// Creates a child of the current task on a worker domain other than the current one
/// (never domain 0). `f` is sent there and builds the future there, so the future need
/// not be `Send`. Idle domains are preferred.
///
/// Panics with [`Error::NoDomainAvailable`]'s message when no domain is eligible; see
/// [`try_call`].
///
/// ```
/// let (here, there) = miou::Builder::new().domains(1).run(async {
///     let p = miou::call(|| async { miou::domain::current() });
///     (miou::domain::current(), p.await.unwrap())
/// });
/// assert_eq!(here.index(), 0);
/// assert_eq!(there.index(), 1);
/// ```
///
/// What stays on its domain cannot go into `f`: a socket of [`net`](crate::net) (it is
/// registered with this domain's reactor; move it with `into_std` and `from_std`), or a
/// [`Promise`] (only the parent awaits its child). The compiler says so, naming the type
/// (`` `miou::net::TcpStream` cannot be sent to another domain or thread ``):
///
/// ```compile_fail,E0277
/// async fn serve(stream: miou::net::TcpStream) {
///     let p = miou::call(move || async move { drop(stream) }); // error: `TcpStream`
///     p.await.unwrap();
/// }
/// ```
///
/// ```compile_fail,E0277
/// miou::Builder::new().domains(1).run(async {
///     let child = miou::spawn(async { 1 });
///     let p = miou::call(move || async move { child.await }); // error: `Promise<i32>`
///     p.await.unwrap();
/// });
/// ```
#[track_caller]
pub fn call<F, Fut>(f: F) -> Promise<Fut::Output>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future + 'static,
    Fut::Output: Send + 'static,
{
    match try_call(f) {
        Ok(p) => p,
        Err(e) => panic!("miou::call: {e}"),
    }
}

/// Like [`call`], but returns [`Error::NoDomainAvailable`] instead of panicking when no
/// domain other than the current one and domain 0 exists.
///
/// ```
/// let r = miou::Builder::new().domains(0).run(async {
///     miou::try_call(|| async {}).map(|_| ()).unwrap_err()
/// });
/// assert!(matches!(r, miou::Error::NoDomainAvailable));
/// ```
#[track_caller]
pub fn try_call<F, Fut>(f: F) -> Result<Promise<Fut::Output>, Error>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future + 'static,
    Fut::Output: Send + 'static,
{
    let at = Location::caller();
    with_domain(|d| {
        let target = pick_domain(d).ok_or(Error::NoDomainAvailable)?;
        Ok(create(
            d,
            at,
            Called::new(d.id()),
            Some((target, false)),
            Vec::new(),
            f,
        ))
    })
}

/// Runs `f(item)` for each item on the worker domains (never the current one), spread
/// evenly in turn, and returns the results in input order.
///
/// Panics with [`Error::NoDomainAvailable`]'s message when no domain is eligible. The
/// tasks are created when the returned future is first polled; each is named as
/// spawned where `parallel` was called.
///
/// ```
/// let squares = miou::Builder::new().domains(2).run(async {
///     miou::parallel(|x: u64| async move { x * x }, vec![1, 2, 3, 4]).await
/// });
/// let squares: Vec<u64> = squares.into_iter().map(Result::unwrap).collect();
/// assert_eq!(squares, vec![1, 4, 9, 16]);
/// ```
// Not an `async fn`: `#[track_caller]` has no effect on one, so the caller's place is
// read here and the body is the returned future.
#[track_caller]
pub fn parallel<A, B, F, Fut>(f: F, items: Vec<A>) -> impl Future<Output = Vec<Result<B, Error>>>
where
    A: Send + 'static,
    B: Send + 'static,
    F: Fn(A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = B> + 'static,
{
    let at = Location::caller();
    parallel_at(at, f, items)
}

async fn parallel_at<A, B, F, Fut>(
    at: &'static Location<'static>,
    f: F,
    items: Vec<A>,
) -> Vec<Result<B, Error>>
where
    A: Send + 'static,
    B: Send + 'static,
    F: Fn(A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = B> + 'static,
{
    let f = Arc::new(f);
    let promises = with_domain(|d| {
        let me = d.shared.clone();
        let targets: Vec<Arc<DomainShared>> = d
            .runtime
            .workers()
            .iter()
            .filter(|w| !Arc::ptr_eq(w, &me))
            .cloned()
            .collect();
        if targets.is_empty() {
            panic!("miou::parallel: {}", Error::NoDomainAvailable);
        }
        d.runtime.start_workers();
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let f = f.clone();
                // Pinned: no idle domain takes it, so the items stay spread evenly.
                create(
                    d,
                    at,
                    Called::new(d.id()),
                    Some((&*targets[i % targets.len()], true)),
                    Vec::new(),
                    move || f(item),
                )
            })
            .collect::<Vec<_>>()
    });
    await_all(promises).await
}

/// Creates a child with options: resources given to it as it is created (Miou's
/// `~give`). The resources move from the current task to the child, which must then
/// release, disown or transfer them.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// let closed = Arc::new(AtomicBool::new(false));
/// let c = closed.clone();
/// miou::Builder::new().domains(0).run(async move {
///     let socket = miou::Ownership::create((), move |()| c.store(true, Ordering::SeqCst));
///     socket.own().unwrap();
///     let r = socket.clone();
///     let p = miou::Spawn::new().give(&socket).spawn(async move {
///         r.check().unwrap(); // the child owns it now
///         r.release().unwrap();
///     });
///     assert!(socket.check().is_err(), "the parent gave it away");
///     p.await.unwrap();
/// });
/// assert!(closed.load(Ordering::SeqCst));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Spawn {
    give: Vec<Ownership>,
}

impl Spawn {
    /// No options yet.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let p = miou::Spawn::new().spawn(async { 1 }); // a plain `spawn`
    ///     assert_eq!(p.await.unwrap(), 1);
    /// });
    /// ```
    pub fn new() -> Spawn {
        Spawn::default()
    }

    /// Gives `resource` (owned by the current task) to the child.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let r = miou::Ownership::create((), |()| {});
    ///     r.own().unwrap();
    ///     let theirs = r.clone();
    ///     let p = miou::Spawn::new().give(&r).spawn(async move { theirs.release() });
    ///     assert!(matches!(r.check(), Err(miou::Error::NotOwner)), "given away");
    ///     p.await.unwrap().unwrap(); // the child owned it: it could release it
    /// });
    /// ```
    pub fn give(mut self, resource: &Ownership) -> Spawn {
        self.give.push(resource.clone());
        self
    }

    /// [`spawn`](fn@crate::spawn) with these options. Panics with [`Error::NotOwner`]'s
    /// message if the current task does not own a given resource.
    ///
    /// ```
    /// let r = miou::Builder::new().domains(0).run(async {
    ///     miou::spawn(async {
    ///         let r = miou::Ownership::create((), |()| {}); // owned by nobody
    ///         let _ = miou::Spawn::new().give(&r).spawn(async {});
    ///     })
    ///     .await
    /// });
    /// let Err(miou::Error::Panicked(p)) = r else { panic!("the task panicked") };
    /// assert!(p.message().unwrap().contains("does not own"), "{p:?}");
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, fut: F) -> Promise<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let at = Location::caller();
        with_domain(|d| {
            let given = take_given(d, &self.give);
            create(d, at, Here(d.shared.clone()), None, given, move || fut)
        })
    }

    /// [`call`] with these options. Panics as [`call`] does when no domain is eligible,
    /// and with [`Error::NotOwner`]'s message if the current task does not own a given
    /// resource, as [`spawn`](Spawn::spawn) does.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// let closed = Arc::new(AtomicBool::new(false));
    /// let c = closed.clone();
    /// miou::Builder::new().domains(1).run(async {
    ///     let log = miou::Ownership::create((), move |()| c.store(true, Ordering::SeqCst));
    ///     log.own().unwrap();
    ///     let theirs = log.clone();
    ///     let p = miou::Spawn::new().give(&log).call(move || async move {
    ///         theirs.release().unwrap(); // owned here, on domain 1
    ///         miou::domain::current().index()
    ///     });
    ///     assert_eq!(p.await.unwrap(), 1);
    /// });
    /// assert!(closed.load(Ordering::SeqCst));
    /// ```
    #[track_caller]
    pub fn call<F, Fut>(self, f: F) -> Promise<Fut::Output>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        let at = Location::caller();
        with_domain(|d| {
            let target = pick_domain(d)
                .unwrap_or_else(|| panic!("miou::call: {}", Error::NoDomainAvailable));
            let given = take_given(d, &self.give);
            create(d, at, Called::new(d.id()), Some((target, false)), given, f)
        })
    }
}

fn take_given(d: &DomainLocal, give: &[Ownership]) -> Vec<Arc<Resource>> {
    let current = d.current.borrow();
    let me = current
        .as_ref()
        .expect("miou::Spawn: called outside a task");
    give.iter()
        .map(|r| match r.take_from(&**me) {
            Ok(res) => res,
            Err(e) => panic!("miou::Spawn::give: {e}"),
        })
        .collect()
}

/// Creates a task, child of the current one, spawned at `at`: at the back of this
/// domain's queue (`place` is [`Here`]), or handed to `target` (`place` is [`Called`];
/// `pinned`: no other domain may take it).
pub(crate) fn create<C, Fut, P: Place>(
    d: &DomainLocal,
    at: &'static Location<'static>,
    place: P,
    target: Option<(&DomainShared, bool)>,
    resources: Vec<Arc<Resource>>,
    make: C,
) -> Promise<Fut::Output>
where
    C: FnOnce() -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: 'static,
{
    let current = d.current.borrow();
    let parent = current.as_ref().unwrap_or_else(|| {
        panic!("miou: tasks can only be created from inside a task (not from a hook or a destructor run by the runtime)")
    });
    assert!(
        !parent.local().children.is_closed(),
        "miou: a task that is being torn down cannot create children (a destructor \
         running during cancellation must not spawn)"
    );
    let parent_id = parent.header().id;
    let task = Task::new(d.next_id(), Some(parent_id), at, place, resources, make);
    // Tagged with the cancel scope being polled, if any: the child belongs to it.
    let key = d.family.borrow_mut().insert(
        &parent.local().children,
        task.clone().into_child(),
        d.scope.get(),
    );
    if d.tracing() {
        let runner_id = target.as_ref().map_or(d.id(), |(r, _)| r.id);
        d.trace_spawn(task.header().id, parent_id, runner_id, at);
    }
    match target {
        None => d.queue.borrow_mut().push_back(task.clone().into_runnable()),
        Some((target, pinned)) => {
            target.push_fresh(task.clone().into_runnable(), d.runtime.workers(), pinned)
        }
    }
    Promise::new(task, key)
}

/// Chooses the domain for a `call`: never this one, never domain 0; a sleeping domain
/// first, then the one with the shortest queue; ties broken by the seeded generator.
///
/// Allocates nothing (a `call` is frequent): each domain's score is written once into a
/// buffer the domain keeps for this.
fn pick_domain(d: &DomainLocal) -> Option<&DomainShared> {
    let me = &d.shared;
    let workers = d.runtime.workers();
    let others = || {
        workers
            .iter()
            .enumerate()
            .filter(|(_, w)| !Arc::ptr_eq(w, me))
    };
    let mut first_two = others();
    let (first, second) = (first_two.next()?, first_two.next());
    // The first call of a run starts the worker threads (a no-op afterwards).
    d.runtime.start_workers();
    let chosen = if second.is_none() {
        // One candidate: nothing to compare, so its state is not read (other threads
        // write it: reading it at every call would pull its cache line here). The draw
        // is made all the same, so that the seeded sequence does not depend on this.
        let _ = d.random_below(1);
        first.0
    } else {
        let mut scores = d.call_scores.borrow_mut();
        scores.clear();
        // Each domain's state is read once: it changes under our feet (other threads),
        // and reading it twice could leave no domain matching the best score.
        scores.extend(others().map(|(i, w)| {
            // What it has queued and what it was handed but has not started: a burst of
            // calls spreads over the domains instead of piling onto the first idle one.
            let queued = w.queued.load(std::sync::atomic::Ordering::Relaxed) + w.waiting_to_start();
            ((!w.is_sleeping(), queued), i)
        }));
        let best = scores.iter().map(|(score, _)| *score).min()?;
        let ties = scores.iter().filter(|(score, _)| *score == best).count();
        let nth = d.random_below(ties);
        let (_, chosen) = scores
            .iter()
            .filter(|(score, _)| *score == best)
            .nth(nth)
            .expect("nth is below the number of ties");
        *chosen
    };
    Some(&workers[chosen])
}
