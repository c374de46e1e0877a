//! Step 8: ownership.
//!
//! A task can own *resources*: things outside the program's memory, a file
//! or a socket, each with a finaliser that closes it. The rules are Miou's:
//!
//! - a task releases, disowns or transfers (to its parent) every resource it
//!   owns before it returns; a task that returns still owning one has leaked
//!   it: the finaliser runs, and the run fails with
//!   [`Error::ResourceLeaked`];
//! - a task that panics or is cancelled has its resources finalised, after
//!   its children and after its future is dropped, and nothing fails;
//! - a parent can give resources to a child as it creates it
//!   ([`spawn_with`], [`call_with`]; giving one it does not own panics), and
//!   only the owner may release, disown or transfer a resource
//!   ([`Error::NotOwner`]);
//! - a finaliser runs at most once.
//!
//! The resources are in [`ownership`]; this file changes where a task ends.
//! Everything else is step 7's: domains, `call` and `parallel`, the tree and
//! its rules across domains ([`mod@domain`], [`parker`]).
//!
//! This file is the scheduler; the system's side is in [`events`], [`clock`],
//! [`reactor`] and [`net`]; the example programs are in [`examples`], and
//! what a run reports in [`report`]. The program that `cargo run -p step-08`
//! runs lives apart, in `demo/`, with the traces of the chapter's pictures,
//! since it changes little from one step to the next.

pub mod clock;
pub mod domain;
pub mod events;
pub mod examples;
pub mod net;
pub mod ownership;
pub mod parker;
pub mod reactor;
pub mod report;

use std::any::Any;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::future::{Future, IntoFuture};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use domain::{Job, World};
use events::{Events, SyscallId};
use ownership::{Resource, finalise_all, give};
use parker::Parker;
use report::Report;

/// What the running task and the scheduler of its domain share.
#[derive(Default)]
struct Shared {
    /// The domain this thread runs, and what it shares with the others.
    domain: usize,
    world: Option<Arc<World>>,
    /// The scheduling points left in the current turn.
    budget: usize,
    /// The current task ran out of budget: it goes to the back of the list.
    yielded: bool,
    /// The name and number of the current task.
    current: String,
    current_id: usize,
    /// Where the current task stopped, for the report.
    stopped_at: Option<String>,
    /// The operations the current task did in this turn, for the report.
    did: Vec<String>,
    /// The tasks spawned during the current turn, with their numbers.
    spawned: Vec<(usize, Task)>,
    /// How many tasks wait for the system (suspended on a syscall).
    suspended: usize,
    /// The syscalls whose tasks gave up waiting since the last `select`.
    cancelled: Vec<SyscallId>,
    /// The number of the next syscall.
    next_syscall: u64,
}

thread_local! {
    /// The scheduler running on this thread and its current task share this.
    static SHARED: RefCell<Shared> = RefCell::new(Shared::default());
}

/// What the domains of the current run share.
fn world() -> Arc<World> {
    SHARED.with_borrow(|s| Arc::clone(s.world.as_ref().expect("in a run")))
}

/// The number of the domain the current task runs on: 0 for the thread
/// that called [`run`], 1 and up for the workers.
pub fn domain() -> usize {
    SHARED.with_borrow(|s| s.domain)
}

/// Passes a scheduling point on the way to `operation` if the turn's budget
/// allows it (`Ready`, one point used); otherwise ends the turn (`Pending`),
/// and the operation waits for the task's next turn.
fn pass_point(operation: &str) -> Poll<()> {
    SHARED.with_borrow_mut(|s| {
        if s.budget > 0 {
            s.budget -= 1;
            s.did.push(operation.to_string());
            Poll::Ready(())
        } else {
            s.yielded = true;
            s.stopped_at = Some(operation.to_string());
            Poll::Pending
        }
    })
}

/// The future of [`point`].
struct Point {
    operation: String,
}

impl Future for Point {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        pass_point(&self.operation)
    }
}

/// Passes a scheduling point on the way to `operation`: uses one point of the
/// turn's budget, or ends the turn if none is left. Every operation of the
/// scheduler starts with one.
pub async fn point(operation: String) {
    Point { operation }.await
}

/// An operation that had to wait completes: it uses a point of this turn.
fn use_a_point(operation: String) {
    SHARED.with_borrow_mut(|s| {
        s.budget = s.budget.saturating_sub(1);
        s.did.push(operation);
    });
}

/// Prints `line` through the scheduler.
pub async fn print(line: impl Into<String>) {
    let line = line.into();
    point(format!("print {line:?}")).await;
    world().output.lock().unwrap().push(line);
}

/// Goes to the back of the to-do list: the turn ends at the next point.
pub async fn yield_now() {
    point("yield".to_string()).await;
    SHARED.with_borrow_mut(|s| s.budget = 0);
}

/// Writes `line` to the output at once, without a scheduling point: for
/// destructors, which cannot `.await`, to show when they run.
pub fn note(line: impl Into<String>) {
    world().output.lock().unwrap().push(line.into());
}

// ANCHOR: error
/// What went wrong: why a task did not return a value, or why an operation
/// on a promise was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// It was cancelled, by its parent or because the run failed.
    Cancelled,
    /// It panicked, with this message.
    Panicked(String),
    /// It returned while one of its children was neither awaited nor
    /// cancelled. Fatal to the run.
    StillHasChildren,
    /// Its promise was awaited or cancelled by a task that is not its parent.
    NotAChild,
    /// It returned while it still owned a resource, which was finalised.
    /// Fatal to the run.
    ResourceLeaked,
    /// An operation on a resource was refused: the current task does not own
    /// it (or, for a transfer, has no parent).
    NotOwner,
}
// ANCHOR_END: error

/// A task's place in the tree.
pub(crate) struct Member {
    name: String,
    parent: Option<usize>,
    /// The domain it runs on, once it has one: a called task gets its domain
    /// when a worker takes it.
    domain: Option<usize>,
    /// Its children that it has neither awaited nor cancelled yet.
    children: Vec<usize>,
    /// Why it must stop, once that is decided: it tears down in its turns.
    stopping: Option<Error>,
    finished: bool,
    /// The resources it owns, finalised when it ends.
    resources: Vec<Resource>,
}

impl Member {
    fn new(name: &str, parent: Option<usize>, domain: Option<usize>) -> Member {
        Member {
            name: name.to_string(),
            parent,
            domain,
            children: Vec::new(),
            stopping: None,
            finished: false,
            resources: Vec::new(),
        }
    }
}

/// Asks task `id` to stop for `why`, unless it is stopping or finished
/// already: it tears down at its next turn. `true` if this call asked: the
/// caller then wakes the task (`World::wake`), once it has let go of the
/// tree, wherever the task runs.
fn ask_to_stop(family: &mut [Member], id: usize, why: Error) -> bool {
    let member = &mut family[id];
    let asked = member.stopping.is_none() && !member.finished;
    if asked {
        member.stopping = Some(why);
    }
    asked
}

/// A child's result once it has finished, and the waker of the parent
/// waiting for it. Behind a lock: a called child finishes on another thread.
struct Slot<T> {
    /// What the child's future returned, until the child is finished.
    output: Option<T>,
    result: Option<Result<T, Error>>,
    waiter: Option<Waker>,
}

/// The parent's handle on a child: its number, its parent's, and its result.
pub struct Promise<T> {
    task: String,
    id: usize,
    parent: usize,
    slot: Arc<Mutex<Slot<T>>>,
}

/// The task that runs `future` and fills `slot`, and, once it has finished,
/// however it ends, gives the result to the parent and wakes it.
fn child<T: 'static>(
    name: &str,
    future: impl Future<Output = T> + 'static,
    slot: Arc<Mutex<Slot<T>>>,
) -> Task {
    let for_future = Arc::clone(&slot);
    let future = async move {
        let value = future.await;
        for_future.lock().unwrap().output = Some(value);
    };
    let finish = move |error: Option<Error>| {
        let mut slot = slot.lock().unwrap();
        let output = slot.output.take();
        slot.result = Some(match error {
            None => Ok(output.expect("a task that returned has an output")),
            Some(error) => Err(error),
        });
        let waiter = slot.waiter.take();
        drop(slot);
        if let Some(waker) = waiter {
            waker.wake();
        }
    };
    Task::new(name, future).finished_by(finish)
}

/// An empty slot.
fn slot<T>() -> Arc<Mutex<Slot<T>>> {
    Arc::new(Mutex::new(Slot {
        output: None,
        result: None,
        waiter: None,
    }))
}

// ANCHOR: add_child
/// Adds a child named `name` of task `parent` to the tree, on `domain` if
/// it is known, gives it the resources `given`, and returns its number.
/// Panics, failing the parent, if the parent does not own them all.
fn add_child(
    name: &str,
    parent: usize,
    domain: Option<usize>,
    given: &[&Resource],
) -> usize {
    let world = world();
    let mut family = world.family();
    if let Err(resource) = ownership::owns_all(parent, given) {
        drop(family);
        panic!("a task can only give what it owns, not {resource}");
    }
    let id = family.len();
    family.push(Member::new(name, Some(parent), domain));
    family[parent].children.push(id);
    let gave = give(&mut family, parent, id, given);
    drop(family);
    SHARED.with_borrow_mut(|s| s.did.extend(gave));
    id
}
// ANCHOR_END: add_child

/// Starts `future` as a new task named `name`, a child of the current task,
/// on the current domain, and returns its promise.
pub async fn spawn<T: 'static>(
    name: &str,
    future: impl Future<Output = T> + 'static,
) -> Promise<T> {
    spawn_with(name, &[], future).await
}

// ANCHOR: spawn_with
/// [`spawn`], giving the child the resources `give`, which the current task
/// owns: the child owns them from its creation.
pub async fn spawn_with<T: 'static>(
    name: &str,
    give: &[&Resource],
    future: impl Future<Output = T> + 'static,
) -> Promise<T> {
    point(format!("spawn {name}")).await;
    let slot = slot();
    let task = child(name, future, Arc::clone(&slot));
    let (domain, parent) = SHARED.with_borrow(|s| (s.domain, s.current_id));
    let id = add_child(name, parent, Some(domain), give);
    SHARED.with_borrow_mut(|s| s.spawned.push((id, task)));
    Promise {
        task: name.to_string(),
        id,
        parent,
        slot,
    }
}
// ANCHOR_END: spawn_with

/// Starts a new task named `name`, a child of the current task, on another
/// worker domain, and returns its promise. The worker that takes the task
/// calls `make` to build its future: `make` crosses threads, the future
/// never does. Panics if there is no other worker domain.
pub async fn call<T, F, Fut>(name: &str, make: F) -> Promise<T>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T> + 'static,
    T: Send + 'static,
{
    call_with(name, &[], make).await
}

/// [`call`], giving the child the resources `give`, which the current task
/// owns: the child owns them from its creation, on its worker.
pub async fn call_with<T, F, Fut>(
    name: &str,
    give: &[&Resource],
    make: F,
) -> Promise<T>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T> + 'static,
    T: Send + 'static,
{
    point(format!("call {name}")).await;
    let world = world();
    let (caller, parent) = SHARED.with_borrow(|s| (s.domain, s.current_id));
    let Some(target) = world.pick(caller) else {
        panic!("no domain is available for `call {name}`");
    };
    let slot = slot();
    let for_worker = Arc::clone(&slot);
    let task_name = name.to_string();
    // The future is made in the task's first turn, on the worker.
    let build = move || child(&task_name, async { make().await }, for_worker);
    let id = add_child(name, parent, None, give);
    let build = Box::new(build);
    world.place(target, Job { id, caller, build });
    Promise {
        task: name.to_string(),
        id,
        parent,
        slot,
    }
}

/// Calls one task per input, each running `f` on its input on a worker
/// domain, and returns their results in the order of the inputs.
pub async fn parallel<A, T, F, Fut>(
    name: &str,
    inputs: Vec<A>,
    f: F,
) -> Vec<Result<T, Error>>
where
    A: Send + 'static,
    F: Fn(A) -> Fut + Send + Clone + 'static,
    Fut: Future<Output = T> + 'static,
    T: Send + 'static,
{
    let mut promises = Vec::new();
    for (k, input) in inputs.into_iter().enumerate() {
        let f = f.clone();
        promises.push(call(&format!("{name} {k}"), move || f(input)).await);
    }
    let mut results = Vec::new();
    for promise in promises {
        results.push(promise.await);
    }
    results
}

/// `promise.await`: a scheduling point, then, for the parent only, the
/// child's result, after a park if the child has not finished.
impl<T: 'static> IntoFuture for Promise<T> {
    type Output = Result<T, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T, Error>>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            point(format!("await {}", self.task)).await;
            self.check_parent()?;
            let result = self.wait("await").await;
            self.forget();
            result
        })
    }
}

impl<T> Promise<T> {
    /// Only the parent may await or cancel its child, on any domain.
    fn check_parent(&self) -> Result<(), Error> {
        let current = SHARED.with_borrow(|s| s.current_id);
        if current == self.parent {
            Ok(())
        } else {
            Err(Error::NotAChild)
        }
    }

    /// Parks until the child has finished, and takes its result; `operation`
    /// names the wait in the report.
    fn wait(&self, operation: &'static str) -> Wait<'_, T> {
        Wait {
            promise: self,
            operation,
            parked: false,
        }
    }

    /// The parent is done with this child: it leaves the parent's children.
    fn forget(&self) {
        let world = world();
        world.family()[self.parent]
            .children
            .retain(|c| *c != self.id);
    }
}

impl<T> Promise<T> {
    /// Cancels the child and, first, all of its descendants, and returns once
    /// every one of them has finished. Only the parent may cancel; the child
    /// is then no longer its child, and the promise may be dropped.
    pub async fn cancel(&self) -> Result<(), Error> {
        point(format!("cancel {}", self.task)).await;
        self.check_parent()?;
        let world = world();
        let asked = ask_to_stop(&mut world.family(), self.id, Error::Cancelled);
        if asked {
            world.wake(self.id);
        }
        let _ = self.wait("cancel").await;
        self.slot.lock().unwrap().result = Some(Err(Error::Cancelled));
        self.forget();
        Ok(())
    }
}

/// Waits for a promise's result, parked on the task's waker.
struct Wait<'a, T> {
    promise: &'a Promise<T>,
    operation: &'static str,
    parked: bool,
}

impl<T> Future for Wait<'_, T> {
    type Output = Result<T, Error>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Self::Output> {
        // The look and the leaving of the waker are one step, under the lock:
        // a child finishing on another thread between the two would find no
        // waker, and the parent would sleep for ever.
        let mut slot = self.promise.slot.lock().unwrap();
        if let Some(result) = slot.result.take() {
            drop(slot);
            if self.parked {
                let operation = self.operation;
                use_a_point(format!("{operation} {}", self.promise.task));
            }
            return Poll::Ready(result);
        }
        // Not finished: leave the waker where the child will find it, and
        // return Pending without having yielded, which parks the task.
        slot.waiter = Some(cx.waker().clone());
        drop(slot);
        self.parked = true;
        let at = format!("{} {}", self.operation, self.promise.task);
        SHARED.with_borrow_mut(|s| s.stopped_at = Some(at));
        Poll::Pending
    }
}

/// Children spawned into the background: their parent reaps those that have
/// finished when it likes, with [`Orphans::care`], and awaits the rest before
/// it returns. They are ordinary children: forgetting them is the same error.
pub struct Orphans<T> {
    promises: RefCell<Vec<Promise<T>>>,
}

impl<T: 'static> Orphans<T> {
    /// An empty collection.
    pub fn new() -> Orphans<T> {
        Orphans {
            promises: RefCell::new(Vec::new()),
        }
    }

    /// Spawns `future` as a child of the current task, into the collection.
    pub async fn spawn(
        &self,
        name: &str,
        future: impl Future<Output = T> + 'static,
    ) {
        let promise = spawn(name, future).await;
        self.promises.borrow_mut().push(promise);
    }

    /// A child that has finished, oldest first, to await (it does not wait).
    pub fn care(&self) -> Option<Promise<T>> {
        let mut promises = self.promises.borrow_mut();
        let done = |p: &Promise<T>| p.slot.lock().unwrap().result.is_some();
        let index = promises.iter().position(done)?;
        Some(promises.remove(index))
    }

    /// Every child left, to await.
    pub fn take_all(&self) -> Vec<Promise<T>> {
        std::mem::take(&mut *self.promises.borrow_mut())
    }
}

impl<T: 'static> Default for Orphans<T> {
    fn default() -> Self {
        Orphans::new()
    }
}

/// A future, boxed and pinned so that it can be stored and polled again.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// A task: a name for the report, its future, and what to do when it has
/// finished.
pub struct Task {
    name: String,
    future: Option<BoxFuture<()>>,
    /// Whether it has had its first run.
    started: bool,
    finish: Box<dyn FnOnce(Option<Error>)>,
}

impl Task {
    /// A new task, not run yet.
    pub fn new(name: &str, future: impl Future<Output = ()> + 'static) -> Task {
        Task {
            name: name.to_string(),
            future: Some(Box::pin(future)),
            started: false,
            finish: Box::new(|_| {}),
        }
    }

    /// What to do when it has finished: `None` if it returned, else why not.
    fn finished_by(
        mut self,
        finish: impl FnOnce(Option<Error>) + 'static,
    ) -> Task {
        self.finish = Box::new(finish);
        self
    }
}

/// The waker of task `id`: waking it hands `id` to its domain's door, from
/// whatever thread, which interrupts the domain if it sleeps.
struct TaskWaker {
    id: usize,
    domain: usize,
    world: Arc<World>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.world.door(self.domain).wake(self.id);
    }
}

/// Where a task is when it is not running.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// In the to-do list.
    Queued,
    /// Out of the list, until its waker is called.
    Parked,
    /// Done.
    Finished,
}

/// The scheduler of one domain: its tasks, its to-do list, and its events.
struct Scheduler<E> {
    domain: usize,
    world: Arc<World>,
    /// The domain's tasks, by number, with their wakers and where they are.
    tasks: HashMap<usize, (Option<Task>, Waker, Place)>,
    todo: VecDeque<usize>,
    quanta: usize,
    events: E,
    report: Report,
}

impl<E: Events> Scheduler<E> {
    /// The scheduler of domain `domain`, on the calling thread.
    fn new(domain: usize, quanta: usize, events: E, world: Arc<World>) -> Self {
        SHARED.with_borrow_mut(|s| {
            *s = Shared::default();
            s.domain = domain;
            s.world = Some(Arc::clone(&world));
        });
        Scheduler {
            domain,
            world,
            tasks: HashMap::new(),
            todo: VecDeque::new(),
            quanta,
            events,
            report: Report::default(),
        }
    }

    /// Adds task `id` at the back of the to-do list: it runs here.
    fn add(&mut self, id: usize, task: Task) {
        self.world.family()[id].domain = Some(self.domain);
        let waker = Waker::from(Arc::new(TaskWaker {
            id,
            domain: self.domain,
            world: Arc::clone(&self.world),
        }));
        self.tasks.insert(id, (Some(task), waker, Place::Queued));
        self.todo.push_back(id);
    }

    /// Puts task `id` back in the to-do list if it is parked.
    fn unpark(&mut self, id: usize) {
        let entry = self.tasks.get_mut(&id).expect("a task of this domain");
        if entry.2 == Place::Parked {
            entry.2 = Place::Queued;
            self.todo.push_back(id);
        }
    }

    /// Gives task `id` one turn: a teardown step if it must stop, otherwise
    /// one poll with a budget of `quanta` points (none for its first run).
    /// A panic in the poll fails the task; a task that returns with children
    /// left breaks the rule, and fails the run.
    fn turn(&mut self, id: usize) {
        let entry = self.tasks.get_mut(&id).expect("a task of this domain");
        let mut task = entry.0.take().expect("a queued task is here");
        let stopping = self.world.family()[id].stopping.clone();
        let budget = if task.started { self.quanta } else { 0 };
        SHARED.with_borrow_mut(|s| {
            s.current.clone_from(&task.name);
            s.current_id = id;
        });
        let (first, outcome) = match stopping {
            Some(why) => (false, self.tear_down(id, &mut task, why)),
            None => (!task.started, self.poll(id, &mut task, budget)),
        };
        task.started = true;
        let (did, stopped_at, spawned) = SHARED.with_borrow_mut(|s| {
            let taken = (std::mem::take(&mut s.did), s.stopped_at.take());
            (taken.0, taken.1, std::mem::take(&mut s.spawned))
        });
        for (child, spawned) in spawned {
            self.add(child, spawned);
        }
        let at = stopped_at.unwrap_or_default();
        let (place, end) = match outcome {
            Outcome::Yielded => (Place::Queued, format!("queued at {at}")),
            Outcome::Parked => (Place::Parked, format!("parked at {at}")),
            Outcome::Finished(error) => {
                let end = match &error {
                    None => "finished".to_string(),
                    Some(Error::Cancelled) => "cancelled".to_string(),
                    Some(Error::Panicked(_)) => "panicked".to_string(),
                    Some(error) => format!("failed: {error:?}"),
                };
                self.finish(id, error, &mut task);
                (Place::Finished, end)
            }
        };
        self.report.turn(&task.name, first, did, end);
        let entry = self.tasks.get_mut(&id).expect("a task of this domain");
        entry.2 = place;
        if place != Place::Finished {
            entry.0 = Some(task);
        }
        if place == Place::Queued {
            self.todo.push_back(id);
        }
    }

    // ANCHOR: poll
    /// Polls the task's future once, catching a panic.
    fn poll(&mut self, id: usize, task: &mut Task, budget: usize) -> Outcome {
        SHARED.with_borrow_mut(|s| {
            s.budget = budget;
            s.yielded = false;
            s.stopped_at = None;
        });
        let future = task.future.as_mut().expect("a running task's future");
        let mut cx = Context::from_waker(&self.tasks[&id].1);
        let poll =
            catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)));
        let yielded = SHARED.with_borrow(|s| s.yielded);
        let why = match poll {
            Ok(Poll::Pending) if yielded => return Outcome::Yielded,
            Ok(Poll::Pending) => return Outcome::Parked,
            Ok(Poll::Ready(())) => {
                // The rules, resources first, as Miou checks them: what the
                // task still owns is finalised now (a leak), then its
                // children must all have been settled.
                let leaked = finalise_all(id) > 0;
                let left = self.world.family()[id].children.len();
                let broken = if leaked {
                    Error::ResourceLeaked
                } else if left > 0 {
                    Error::StillHasChildren
                } else {
                    return Outcome::Finished(None);
                };
                self.fail_the_run(broken.clone());
                broken
            }
            Err(payload) => Error::Panicked(panic_message(&*payload)),
        };
        // The task stops: its children first, then the task itself.
        self.world.family()[id].stopping = Some(why.clone());
        SHARED.with_borrow_mut(|s| s.stopped_at = Some("teardown".to_string()));
        self.tear_down(id, task, why)
    }
    // ANCHOR_END: poll

    /// A task broke a rule: the run fails with `error`, and every task stops
    /// (each root is cancelled, with its tree).
    fn fail_the_run(&mut self, error: Error) {
        self.world.failure.lock().unwrap().get_or_insert(error);
        let mut roots = Vec::new();
        {
            let mut family = self.world.family();
            for root in 0..family.len() {
                if family[root].parent.is_none()
                    && ask_to_stop(&mut family, root, Error::Cancelled)
                {
                    roots.push(root);
                }
            }
        }
        for root in roots {
            self.world.wake(root);
        }
    }

    // ANCHOR: tear_down
    /// A step of stopping task `id` for `why`: its children still running,
    /// on whatever domain, are asked to stop, and the task waits for them,
    /// parked; once they are all finished, its future is dropped where it
    /// stands (its destructors run), and it is finished with the error.
    fn tear_down(&mut self, id: usize, task: &mut Task, why: Error) -> Outcome {
        let (running, asked) = {
            let mut family = self.world.family();
            let children = family[id].children.clone();
            let running: Vec<usize> = children
                .into_iter()
                .filter(|c| !family[*c].finished)
                .collect();
            let mut asked = Vec::new();
            for child in &running {
                if ask_to_stop(&mut family, *child, Error::Cancelled) {
                    asked.push((*child, family[*child].name.clone()));
                }
            }
            (running, asked)
        };
        SHARED.with_borrow_mut(|s| {
            s.stopped_at = Some("teardown".to_string());
            for (_, name) in &asked {
                s.did.push(format!("stop {name}"));
            }
        });
        for (child, _) in asked {
            self.world.wake(child);
        }
        if !running.is_empty() {
            return Outcome::Parked;
        }
        let future = task.future.take();
        // Outside any borrow of the shared state: destructors may use it. A
        // destructor that panics must not take the scheduler down either.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(future)));
        SHARED.with_borrow_mut(|s| s.did.push("drop".to_string()));
        // Then what it owned: whatever it held is closed, once.
        finalise_all(id);
        Outcome::Finished(Some(why))
    }
    // ANCHOR_END: tear_down

    /// Task `id` is finished: its promise gets its result, its parent is told
    /// if it waits for its children to stop, wherever it runs.
    fn finish(&mut self, id: usize, error: Option<Error>, task: &mut Task) {
        let finish = std::mem::replace(&mut task.finish, Box::new(|_| {}));
        finish(error);
        let parent = {
            let mut family = self.world.family();
            family[id].finished = true;
            let parent = family[id].parent;
            parent.filter(|parent| family[*parent].stopping.is_some())
        };
        if let Some(parent) = parent {
            self.world.wake(parent);
        }
    }

    /// Puts the parked tasks woken since the last look back in the to-do
    /// list, in the order they were woken, whichever thread woke them. A task
    /// woken twice, or woken while it was queued, is queued once.
    fn wake_up(&mut self) {
        for id in self.world.door(self.domain).take_woken() {
            self.unpark(id);
        }
    }

    /// The loop of a domain: round-robin over its to-do list, starting one
    /// new task a turn, and between turns the system's events; with nothing
    /// at all to do, it sleeps in its backend until an event or another
    /// thread's interrupt. Domain 0 stops once all its tasks have finished,
    /// the workers once domain 0 says so.
    fn run_domain(&mut self) {
        loop {
            self.wake_up();
            self.take_job();
            if let Some(id) = self.todo.pop_front() {
                self.turn(id);
                self.wake_up();
                self.report.queue(&self.todo, &self.tasks);
            }
            if self.is_over() {
                break;
            }
            let (suspended, cancelled) = SHARED.with_borrow_mut(|s| {
                (s.suspended, std::mem::take(&mut s.cancelled))
            });
            // Sleep only if nothing arrived: the door decides under its lock,
            // where the other threads look before they interrupt.
            let (world, me) = (&self.world, self.domain);
            let mut block = self.todo.is_empty()
                && world.door(me).going_to_sleep(|| !world.has_jobs(me));
            // A last look at the other workers' tasks: one placed before we
            // said we sleep is seen now; one placed after, its sender sees
            // us asleep and interrupts us.
            if block && self.take_job() {
                self.world.door(me).awake();
                block = false;
            }
            if suspended > 0 || !cancelled.is_empty() || block {
                let signals = self.events.select(block, &cancelled);
                self.world.door(me).awake();
                self.report.select(block, &signals);
                for signal in signals {
                    signal.fire();
                }
            }
        }
    }

    /// A worker starts a task waiting for it, if there is one: one of its
    /// own on every pass of its loop, so that a domain kept busy still starts
    /// what was called onto it; and, when it has nothing else to run, one
    /// waiting on another worker. `true` if it started one.
    fn take_job(&mut self) -> bool {
        if self.domain == 0 {
            return false; // `call` never sends a task to domain 0
        }
        let idle = self.todo.is_empty();
        let Some(job) = self.world.take_job(self.domain, idle) else {
            return false;
        };
        let task = (job.build)();
        self.add(job.id, task);
        true
    }

    /// Whether this domain's loop is done.
    fn is_over(&self) -> bool {
        if self.domain == 0 {
            let finished =
                |t: &(Option<Task>, Waker, Place)| t.2 == Place::Finished;
            self.todo.is_empty() && self.tasks.values().all(finished)
        } else {
            self.world.over.load(Ordering::Acquire)
        }
    }
}

/// How a turn ended.
enum Outcome {
    /// The budget ran out: back of the list.
    Yielded,
    /// The task waits: out of the list.
    Parked,
    /// The task is done: returned (`None`) or failed.
    Finished(Option<Error>),
}

/// The message of a panic.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        message.to_string()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Runs `tasks` on domain 0, the calling thread, with `workers` worker
/// domains for `call`, until every task has finished: on each domain,
/// round-robin, at most `quanta` scheduling points a turn. Domain 0 asks
/// `events` for the system's events; the workers only wait on a [`Parker`].
/// The run fails with the first rule a task broke.
pub fn run<E: Events>(
    quanta: usize,
    workers: usize,
    events: E,
    tasks: Vec<Task>,
) -> Report {
    assert!(
        quanta >= 1,
        "a turn must allow at least one scheduling point"
    );
    let parkers: Vec<Parker> = (0..workers).map(|_| Parker::new()).collect();
    let mut interrupters = vec![events.interrupter()];
    interrupters.extend(parkers.iter().map(Parker::interrupter));
    let world = Arc::new(World::new(interrupters));
    let threads: Vec<_> = parkers
        .into_iter()
        .enumerate()
        .map(|(k, parker)| {
            let world = Arc::clone(&world);
            std::thread::spawn(move || {
                let mut worker = Scheduler::new(k + 1, quanta, parker, world);
                worker.run_domain();
                worker.report
            })
        })
        .collect();
    let mut scheduler = Scheduler::new(0, quanta, events, Arc::clone(&world));
    for task in tasks {
        let id = {
            let mut family = world.family();
            family.push(Member::new(&task.name, None, Some(0)));
            family.len() - 1
        };
        scheduler.add(id, task);
    }
    scheduler.run_domain();
    // Every task has finished, on every domain: a task finishes after its
    // children, and every task descends from one of domain 0's.
    world.over.store(true, Ordering::Release);
    for worker in 1..world.domains() {
        world.door(worker).interrupt();
    }
    let mut report = scheduler.report;
    for thread in threads {
        report
            .workers
            .push(thread.join().expect("a worker domain stopped"));
    }
    report.tasks = world.family().iter().map(|m| m.name.clone()).collect();
    report.output = std::mem::take(&mut *world.output.lock().unwrap());
    report.result = match world.failure.lock().unwrap().take() {
        Some(error) => Err(error),
        None => Ok(()),
    };
    report
}
