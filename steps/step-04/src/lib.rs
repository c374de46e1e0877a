//! Step 4: sleepers, talking to the system.
//!
//! Until step 3 a task that waited for a child stayed in the to-do list and
//! was polled again and again, for nothing. Here a task that waits leaves the
//! list: it *parks* on a real `std::task::Waker`, and whatever it waits for
//! (a child's result, a timer) wakes it, which puts it back at the end of the
//! list. Between turns, the scheduler asks the system what happened through an
//! [`Events`] backend, and blocks there when nothing can run.
//!
//! The switch to wakers changes what a turn is. The mailbox of steps 1 to 3
//! is gone: a turn is one poll of the task's future, with a budget of
//! `quanta` scheduling points. Every operation passes a [`point`] first; the
//! point at which the budget is spent ends the turn, and the operation is
//! done when the task comes back ("yield, then do", as in step 3). This is
//! how the `miou` crate works.
//!
//! This file is the code the chapter teaches, with the system's side in
//! [`events`] and the clocks in [`clock`]; the example programs are in
//! [`examples`], and what a run reports in [`report`]. The program that
//! `cargo run -p step-04` runs lives apart, in `demo/`, with the traces of the
//! chapter's pictures, since it changes little from one step to the next.

pub mod clock;
pub mod events;
pub mod examples;
pub mod report;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use events::{Events, SyscallId};
use report::Report;

// ANCHOR: turn_state
/// What the running task and the scheduler share during a run.
#[derive(Default)]
struct Shared {
    /// The scheduling points left in the current turn.
    budget: usize,
    /// The current task ran out of budget: it goes to the back of the list.
    yielded: bool,
    /// The name of the current task.
    current: String,
    /// Where the current task stopped, for the report.
    stopped_at: Option<String>,
    /// The operations the current task did in this turn, for the report.
    did: Vec<String>,
    /// The tasks spawned during the current turn.
    spawned: Vec<Task>,
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
// ANCHOR_END: turn_state

// ANCHOR: point
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
// ANCHOR_END: point

// ANCHOR: operations
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
// ANCHOR_END: operations

// ANCHOR: promise
/// A child's result, and the waker of the parent waiting for it.
struct Slot<T> {
    value: Option<T>,
    waiter: Option<Waker>,
}

/// The result of a spawned task, filled in when the task finishes.
pub struct Promise<T> {
    task: String,
    slot: Rc<RefCell<Slot<T>>>,
}

/// Starts `future` as a new task named `name` and returns its promise.
pub async fn spawn<T: 'static>(
    name: &str,
    future: impl Future<Output = T> + 'static,
) -> Promise<T> {
    point(format!("spawn {name}")).await;
    let slot = Rc::new(RefCell::new(Slot {
        value: None,
        waiter: None,
    }));
    let result = Rc::clone(&slot);
    let child = Task::new(name, async move {
        let value = future.await;
        let mut slot = result.borrow_mut();
        slot.value = Some(value);
        // The parent may be parked on this promise: wake it.
        if let Some(waker) = slot.waiter.take() {
            waker.wake();
        }
    });
    SHARED.with_borrow_mut(|s| s.spawned.push(child));
    Promise {
        task: name.to_string(),
        slot,
    }
}

/// `promise.await`: a scheduling point, then the value, or a park until the
/// child finishes.
impl<T: 'static> IntoFuture for Promise<T> {
    type Output = T;
    type IntoFuture = Pin<Box<dyn Future<Output = T>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            point(format!("await {}", self.task)).await;
            Wait {
                promise: self,
                parked: false,
            }
            .await
        })
    }
}

/// Waits for a promise's value, parked on the task's waker.
struct Wait<T> {
    promise: Promise<T>,
    parked: bool,
}

impl<T> Future for Wait<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let taken = self.promise.slot.borrow_mut().value.take();
        if let Some(value) = taken {
            if self.parked {
                use_a_point(format!("await {}", self.promise.task));
            }
            return Poll::Ready(value);
        }
        // Not finished: leave the waker where the child will find it, and
        // return Pending without having yielded, which parks the task.
        self.promise.slot.borrow_mut().waiter = Some(cx.waker().clone());
        self.parked = true;
        let at = format!("await {}", self.promise.task);
        SHARED.with_borrow_mut(|s| s.stopped_at = Some(at));
        Poll::Pending
    }
}
// ANCHOR_END: promise

// ANCHOR: task
/// A future, boxed and pinned so that it can be stored and polled again.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// A task: a name for the report, and its future.
pub struct Task {
    name: String,
    future: BoxFuture<()>,
    /// Whether it has had its first run.
    started: bool,
}

impl Task {
    /// A new task, not run yet.
    pub fn new(name: &str, future: impl Future<Output = ()> + 'static) -> Task {
        Task {
            name: name.to_string(),
            future: Box::pin(future),
            started: false,
        }
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
// ANCHOR_END: task

// ANCHOR: scheduler
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
    /// Every task, by id, with its waker and where it is.
    tasks: Vec<(Option<Task>, Waker, Place)>,
    todo: VecDeque<usize>,
    /// The ids the wakers were called with since the last look.
    woken: Arc<Mutex<Vec<usize>>>,
    quanta: usize,
    events: E,
    report: Report,
}
// ANCHOR_END: scheduler

impl<E: Events> Scheduler<E> {
    /// Adds a new task at the back of the to-do list.
    fn add(&mut self, task: Task) {
        let id = self.tasks.len();
        let woken = Arc::clone(&self.woken);
        let waker = Waker::from(Arc::new(TaskWaker { id, woken }));
        self.tasks.push((Some(task), waker, Place::Queued));
        self.todo.push_back(id);
    }

    // ANCHOR: turn
    /// Gives task `id` one turn: one poll, with a budget of `quanta` points
    /// (none for a task's first run, which goes to its first point).
    fn turn(&mut self, id: usize) {
        let (slot, waker, _) = &mut self.tasks[id];
        let mut task = slot.take().expect("a queued task is here");
        let budget = if task.started { self.quanta } else { 0 };
        SHARED.with_borrow_mut(|s| {
            s.budget = budget;
            s.yielded = false;
            s.stopped_at = None;
            s.current.clone_from(&task.name);
        });
        let mut cx = Context::from_waker(waker);
        let poll = task.future.as_mut().poll(&mut cx);
        let (yielded, stopped_at, did, spawned) = SHARED.with_borrow_mut(|s| {
            let did = std::mem::take(&mut s.did);
            (
                s.yielded,
                s.stopped_at.take(),
                did,
                std::mem::take(&mut s.spawned),
            )
        });
        let first = !task.started;
        task.started = true;
        for child in spawned {
            self.add(child);
        }
        let place = match poll {
            Poll::Ready(()) => Place::Finished,
            Poll::Pending if yielded => Place::Queued,
            Poll::Pending => Place::Parked,
        };
        self.report
            .turn(&task.name, first, did, place_name(place, stopped_at));
        self.tasks[id].2 = place;
        if place != Place::Finished {
            self.tasks[id].0 = Some(task);
        }
        if place == Place::Queued {
            self.todo.push_back(id);
        }
    }
    // ANCHOR_END: turn

    // ANCHOR: wake_up
    /// Puts the parked tasks whose wakers were called back in the to-do list,
    /// in the order they were woken. A task woken twice, or woken while it
    /// was queued, is queued once.
    fn wake_up(&mut self) {
        let woken = std::mem::take(&mut *self.woken.lock().unwrap());
        for id in woken {
            if self.tasks[id].2 == Place::Parked {
                self.tasks[id].2 = Place::Queued;
                self.todo.push_back(id);
            }
        }
    }
    // ANCHOR_END: wake_up
}

/// How a turn ended, for the report.
fn place_name(place: Place, stopped_at: Option<String>) -> String {
    let at = stopped_at.unwrap_or_default();
    match place {
        Place::Finished => "finished".to_string(),
        Place::Queued => format!("queued at {at}"),
        Place::Parked => format!("parked at {at}"),
    }
}

// ANCHOR: run_loop
/// Runs `tasks` until every task has finished: round-robin, at most `quanta`
/// scheduling points a turn, and between turns, the system's events.
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
    };
    for task in tasks {
        scheduler.add(task);
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
    scheduler.report
}
// ANCHOR_END: run_loop
