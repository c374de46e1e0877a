//! Step 6: parents and children.
//!
//! Every task but the roots has a parent, the task that spawned it, and the
//! tasks form a tree. This step makes the tree explicit and enforces its rules
//! at run time, as Miou does:
//!
//! - a task awaits or cancels every child it spawns: a task that returns with
//!   a child left is an error, [`Error::StillHasChildren`], which fails the
//!   whole run once every other task has been cancelled;
//! - only the parent awaits or cancels its child: anyone else gets
//!   [`Error::NotAChild`];
//! - cancelling a task cancels its children first, and waits for all of them;
//! - a task that panics fails with [`Error::Panicked`], its children
//!   cancelled, and its parent gets the error from `await`;
//! - background children are collected in [`Orphans`] and reaped by their
//!   parent.
//!
//! This file is the scheduler; the system's side is in [`events`], [`clock`],
//! [`reactor`] and [`net`], unchanged since step 5; the example programs are
//! in [`examples`], and what a run reports in [`report`]. The program that
//! `cargo run -p step-06` runs lives apart, in `demo/`, with the traces of the
//! chapter's pictures, since it changes little from one step to the next.

pub mod clock;
pub mod events;
pub mod examples;
pub mod net;
pub mod reactor;
pub mod report;

use std::any::Any;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::{Future, IntoFuture};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use events::{Events, SyscallId};
use report::Report;

/// What the running task and the scheduler share during a run.
#[derive(Default)]
struct Shared {
    /// The scheduling points left in the current turn.
    budget: usize,
    /// The current task ran out of budget: it goes to the back of the list.
    yielded: bool,
    /// The name and number of the current task.
    current: String,
    current_id: usize,
    /// Every task's place in the tree, by number.
    family: Vec<Member>,
    /// The tasks asked to stop during the current turn.
    to_stop: Vec<usize>,
    /// Where the current task stopped, for the report.
    stopped_at: Option<String>,
    /// The operations the current task did in this turn, for the report.
    did: Vec<String>,
    /// The tasks spawned during the current turn, with their numbers.
    spawned: Vec<(usize, Task)>,
    /// The lines printed so far.
    output: Vec<String>,
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
    SHARED.with_borrow_mut(|s| s.output.push(line));
}

/// Goes to the back of the to-do list: the turn ends at the next point.
pub async fn yield_now() {
    point("yield".to_string()).await;
    SHARED.with_borrow_mut(|s| s.budget = 0);
}

/// Writes `line` to the output at once, without a scheduling point: for
/// destructors, which cannot `.await`, to show when they run.
pub fn note(line: impl Into<String>) {
    SHARED.with_borrow_mut(|s| s.output.push(line.into()));
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
}

/// A task's place in the tree.
struct Member {
    name: String,
    parent: Option<usize>,
    /// Its children that it has neither awaited nor cancelled yet.
    children: Vec<usize>,
    /// Why it must stop, once that is decided: it tears down in its turns.
    stopping: Option<Error>,
    finished: bool,
}
// ANCHOR_END: error

impl Member {
    fn new(name: &str, parent: Option<usize>) -> Member {
        Member {
            name: name.to_string(),
            parent,
            children: Vec::new(),
            stopping: None,
            finished: false,
        }
    }
}

// ANCHOR: ask_to_stop
/// Asks task `id` to stop for `why`, unless it is stopping or finished
/// already: it tears down at its next turn (the scheduler puts it back in the
/// to-do list if it is parked). `true` if this call asked.
fn ask_to_stop(s: &mut Shared, id: usize, why: Error) -> bool {
    let member = &mut s.family[id];
    let asked = member.stopping.is_none() && !member.finished;
    if asked {
        member.stopping = Some(why);
        s.to_stop.push(id);
    }
    asked
}
// ANCHOR_END: ask_to_stop

// ANCHOR: promise
/// A child's result once it has finished, and the waker of the parent
/// waiting for it.
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
    slot: Rc<RefCell<Slot<T>>>,
}

/// Starts `future` as a new task named `name`, a child of the current task,
/// and returns its promise.
pub async fn spawn<T: 'static>(
    name: &str,
    future: impl Future<Output = T> + 'static,
) -> Promise<T> {
    point(format!("spawn {name}")).await;
    let slot = Rc::new(RefCell::new(Slot {
        output: None,
        result: None,
        waiter: None,
    }));
    let (for_future, for_scheduler) = (Rc::clone(&slot), Rc::clone(&slot));
    let future = async move {
        let value = future.await;
        for_future.borrow_mut().output = Some(value);
    };
    // What the scheduler calls when the child is finished, however it ends.
    let finish = move |error: Option<Error>| {
        let mut slot = for_scheduler.borrow_mut();
        let output = slot.output.take();
        slot.result = Some(match error {
            None => Ok(output.expect("a task that returned has an output")),
            Some(error) => Err(error),
        });
        if let Some(waker) = slot.waiter.take() {
            waker.wake();
        }
    };
    let child = Task::new(name, future).finished_by(finish);
    let (id, parent) = SHARED.with_borrow_mut(|s| {
        let (id, parent) = (s.family.len(), s.current_id);
        s.family.push(Member::new(name, Some(parent)));
        s.family[parent].children.push(id);
        s.spawned.push((id, child));
        (id, parent)
    });
    Promise {
        task: name.to_string(),
        id,
        parent,
        slot,
    }
}
// ANCHOR_END: promise

// ANCHOR: await
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
    /// Only the parent may await or cancel its child.
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
        SHARED.with_borrow_mut(|s| {
            s.family[self.parent].children.retain(|c| *c != self.id);
        });
    }
}
// ANCHOR_END: await

// ANCHOR: cancel
impl<T> Promise<T> {
    /// Cancels the child and, first, all of its descendants, and returns once
    /// every one of them has finished. Only the parent may cancel; the child
    /// is then no longer its child, and the promise may be dropped.
    pub async fn cancel(&self) -> Result<(), Error> {
        point(format!("cancel {}", self.task)).await;
        self.check_parent()?;
        SHARED.with_borrow_mut(|s| ask_to_stop(s, self.id, Error::Cancelled));
        let _ = self.wait("cancel").await;
        self.slot.borrow_mut().result = Some(Err(Error::Cancelled));
        self.forget();
        Ok(())
    }
}
// ANCHOR_END: cancel

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
        let taken = self.promise.slot.borrow_mut().result.take();
        if let Some(result) = taken {
            if self.parked {
                let operation = self.operation;
                use_a_point(format!("{operation} {}", self.promise.task));
            }
            return Poll::Ready(result);
        }
        // Not finished: leave the waker where the child will find it, and
        // return Pending without having yielded, which parks the task.
        self.promise.slot.borrow_mut().waiter = Some(cx.waker().clone());
        self.parked = true;
        let at = format!("{} {}", self.operation, self.promise.task);
        SHARED.with_borrow_mut(|s| s.stopped_at = Some(at));
        Poll::Pending
    }
}

// ANCHOR: orphans
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
        let done = |p: &Promise<T>| p.slot.borrow().result.is_some();
        let index = promises.iter().position(done)?;
        Some(promises.remove(index))
    }

    /// Every child left, to await.
    pub fn take_all(&self) -> Vec<Promise<T>> {
        std::mem::take(&mut *self.promises.borrow_mut())
    }
}
// ANCHOR_END: orphans

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

/// The waker of task `id`: waking it adds `id` to the list of woken tasks,
/// which the scheduler reads between turns. (A `Waker` must be `Send + Sync`,
/// hence the `Arc<Mutex<..>>`, although this step runs on one thread.)
struct TaskWaker {
    id: usize,
    woken: Arc<Mutex<Vec<usize>>>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.woken.lock().unwrap().push(self.id);
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

/// The scheduler: the tasks, the to-do list, and the system's events.
struct Scheduler<E> {
    /// Every task, by number, with its waker and where it is.
    tasks: Vec<(Option<Task>, Waker, Place)>,
    todo: VecDeque<usize>,
    /// The numbers the wakers were called with since the last look.
    woken: Arc<Mutex<Vec<usize>>>,
    quanta: usize,
    events: E,
    report: Report,
    /// The error that fails the run, once a task has broken a rule.
    failure: Option<Error>,
}

impl<E: Events> Scheduler<E> {
    /// Adds task `id` at the back of the to-do list.
    fn add(&mut self, id: usize, task: Task) {
        assert_eq!(id, self.tasks.len(), "tasks are numbered in order");
        let woken = Arc::clone(&self.woken);
        let waker = Waker::from(Arc::new(TaskWaker { id, woken }));
        self.tasks.push((Some(task), waker, Place::Queued));
        self.todo.push_back(id);
    }

    // ANCHOR: unpark
    /// Puts task `id` back in the to-do list if it is parked.
    fn unpark(&mut self, id: usize) {
        if self.tasks[id].2 == Place::Parked {
            self.tasks[id].2 = Place::Queued;
            self.todo.push_back(id);
        }
    }
    // ANCHOR_END: unpark

    // ANCHOR: turn
    /// Gives task `id` one turn: a teardown step if it must stop, otherwise
    /// one poll with a budget of `quanta` points (none for its first run).
    /// A panic in the poll fails the task; a task that returns with children
    /// left breaks the rule, and fails the run.
    fn turn(&mut self, id: usize) {
        let mut task = self.tasks[id].0.take().expect("a queued task is here");
        let stopping = SHARED.with_borrow(|s| s.family[id].stopping.clone());
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
        let (did, stopped_at, spawned, to_stop) = SHARED.with_borrow_mut(|s| {
            let taken = (std::mem::take(&mut s.did), s.stopped_at.take());
            (
                taken.0,
                taken.1,
                std::mem::take(&mut s.spawned),
                std::mem::take(&mut s.to_stop),
            )
        });
        for (child, spawned) in spawned {
            self.add(child, spawned);
        }
        for stopping in to_stop {
            self.unpark(stopping);
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
        self.tasks[id].2 = place;
        if place != Place::Finished {
            self.tasks[id].0 = Some(task);
        }
        if place == Place::Queued {
            self.todo.push_back(id);
        }
    }
    // ANCHOR_END: turn

    // ANCHOR: poll
    /// Polls the task's future once, catching a panic.
    fn poll(&mut self, id: usize, task: &mut Task, budget: usize) -> Outcome {
        SHARED.with_borrow_mut(|s| {
            s.budget = budget;
            s.yielded = false;
            s.stopped_at = None;
        });
        let future = task.future.as_mut().expect("a running task's future");
        let mut cx = Context::from_waker(&self.tasks[id].1);
        let poll =
            catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)));
        let yielded = SHARED.with_borrow(|s| s.yielded);
        let why = match poll {
            Ok(Poll::Pending) if yielded => return Outcome::Yielded,
            Ok(Poll::Pending) => return Outcome::Parked,
            Ok(Poll::Ready(())) => {
                let left = SHARED.with_borrow(|s| s.family[id].children.len());
                if left == 0 {
                    return Outcome::Finished(None);
                }
                // The rule is broken: the run fails, and every task stops.
                self.failure.get_or_insert(Error::StillHasChildren);
                SHARED.with_borrow_mut(|s| {
                    for root in 0..s.family.len() {
                        if s.family[root].parent.is_none() {
                            ask_to_stop(s, root, Error::Cancelled);
                        }
                    }
                });
                Error::StillHasChildren
            }
            Err(payload) => Error::Panicked(panic_message(&*payload)),
        };
        // The task stops: its children first, then the task itself.
        SHARED.with_borrow_mut(|s| {
            s.family[id].stopping = Some(why.clone());
            s.stopped_at = Some("teardown".to_string());
        });
        self.tear_down(id, task, why)
    }
    // ANCHOR_END: poll

    // ANCHOR: tear_down
    /// A step of stopping task `id` for `why`: its children still running
    /// are asked to stop, and the task waits for them, parked; once they are
    /// all finished, its future is dropped where it stands (its destructors
    /// run), and it is finished with the error.
    fn tear_down(&mut self, id: usize, task: &mut Task, why: Error) -> Outcome {
        let running = SHARED.with_borrow_mut(|s| {
            let children = s.family[id].children.clone();
            let running: Vec<usize> = children
                .into_iter()
                .filter(|c| !s.family[*c].finished)
                .collect();
            s.stopped_at = Some("teardown".to_string());
            for child in &running {
                if ask_to_stop(s, *child, Error::Cancelled) {
                    let stop = format!("stop {}", s.family[*child].name);
                    s.did.push(stop);
                }
            }
            running
        });
        if !running.is_empty() {
            return Outcome::Parked;
        }
        let future = task.future.take();
        // Outside any borrow of the shared state: destructors may use it. A
        // destructor that panics must not take the scheduler down either.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(future)));
        SHARED.with_borrow_mut(|s| s.did.push("drop".to_string()));
        Outcome::Finished(Some(why))
    }
    // ANCHOR_END: tear_down

    // ANCHOR: finish
    /// Task `id` is finished: its promise gets its result, its parent is told
    /// if it waits for its children to stop.
    fn finish(&mut self, id: usize, error: Option<Error>, task: &mut Task) {
        let finish = std::mem::replace(&mut task.finish, Box::new(|_| {}));
        finish(error);
        let parent = SHARED.with_borrow_mut(|s| {
            s.family[id].finished = true;
            s.family[id].parent
        });
        if let Some(parent) = parent {
            let stopping =
                SHARED.with_borrow(|s| s.family[parent].stopping.is_some());
            if stopping {
                self.unpark(parent);
            }
        }
    }

    /// Puts the parked tasks whose wakers were called back in the to-do list,
    /// in the order they were woken. A task woken twice, or woken while it
    /// was queued, is queued once.
    fn wake_up(&mut self) {
        let woken = std::mem::take(&mut *self.woken.lock().unwrap());
        for id in woken {
            self.unpark(id);
        }
    }
    // ANCHOR_END: finish
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

// ANCHOR: run_loop
/// Runs `tasks` until every task has finished: round-robin, at most `quanta`
/// scheduling points a turn, and between turns, the system's events. The run
/// fails with the first rule a task broke.
pub fn run<E: Events>(quanta: usize, events: E, tasks: Vec<Task>) -> Report {
    assert!(
        quanta >= 1,
        "a turn must allow at least one scheduling point"
    );
    SHARED.with_borrow_mut(|s| *s = Shared::default());
    let mut scheduler = Scheduler {
        tasks: Vec::new(),
        todo: VecDeque::new(),
        woken: Arc::new(Mutex::new(Vec::new())),
        quanta,
        events,
        report: Report::default(),
        failure: None,
    };
    for task in tasks {
        let id = SHARED.with_borrow_mut(|s| {
            s.family.push(Member::new(&task.name, None));
            s.family.len() - 1
        });
        scheduler.add(id, task);
    }
    loop {
        let turned = scheduler.todo.pop_front().map(|id| scheduler.turn(id));
        scheduler.wake_up();
        if turned.is_some() {
            scheduler.report.queue(&scheduler.todo, &scheduler.tasks);
        }
        // Between turns, ask the system what happened: without waiting while
        // a task can run, and waiting for the next event when none can.
        let (suspended, cancelled) = SHARED.with_borrow_mut(|s| {
            (s.suspended, std::mem::take(&mut s.cancelled))
        });
        let idle = scheduler.todo.is_empty();
        if suspended > 0 || !cancelled.is_empty() {
            let block = idle && suspended > 0;
            let signals = scheduler.events.select(block, &cancelled);
            scheduler.report.select(block, &signals);
            for signal in signals {
                signal.fire();
            }
            scheduler.wake_up();
        } else if idle {
            break;
        }
    }
    let parked = scheduler.tasks.iter().filter(|t| t.2 == Place::Parked);
    assert_eq!(
        parked.count(),
        0,
        "tasks wait for something that never comes"
    );
    scheduler.report.output =
        SHARED.with_borrow_mut(|s| std::mem::take(&mut s.output));
    scheduler.report.result = match scheduler.failure {
        Some(error) => Err(error),
        None => Ok(()),
    };
    scheduler.report
}
// ANCHOR_END: run_loop
