//! Step 2: round-robin.
//!
//! Many tasks now share one handler, which has become a scheduler. It keeps a
//! to-do list of tasks (a FIFO queue) and gives each task a *turn*: it takes
//! the task at the front, resumes it, and answers its effects one after the
//! other until the task finishes, yields, or waits for a result that does not
//! exist yet. A task that did not finish goes to the back of the list.
//!
//! Four effects: [`print()`] a line, [`spawn`] a new task (which gives a
//! [`Promise`]), await a promise (`promise.await`), and [`yield_now`].
//! Awaiting an unresolved promise puts the task at the back of the list, where
//! it will check again: in this toy, waiting is yielding.
//!
//! This file is the code the chapter teaches; the example programs are in
//! [`examples`], and what a run reports in [`report`]. The program that
//! `cargo run -p step-02` runs lives apart, in `demo/`, with the traces of the
//! chapter's pictures, since it changes little from one step to the next.

pub mod examples;
pub mod report;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use report::Report;

// ANCHOR: effect
/// What a task can ask of the scheduler. Every answer is `()`: a task that
/// needs a value reads it from a [`Promise`] once the scheduler has resumed
/// it.
pub enum Effect {
    /// Write a line of output.
    Print(String),
    /// Add this new task at the back of the to-do list.
    Spawn(Box<Task>),
    /// Resume me once the task named `task` has finished.
    Await {
        /// The name of the awaited task, for the trace.
        task: String,
        /// Tells whether the awaited task has finished.
        is_resolved: Box<dyn Fn() -> bool>,
    },
    /// Let the other tasks run before me.
    Yield,
}
// ANCHOR_END: effect

// ANCHOR: mailbox
/// The one slot through which a task and its handler talk.
enum Slot {
    /// Nobody is asking or answering anything.
    Empty,
    /// The task performed this effect and waits for the answer.
    Request(Effect),
    /// The handler answered; the task goes on when it is polled again.
    Answered,
}

thread_local! {
    /// One mailbox per thread: the handler and the task it polls run on the
    /// same thread.
    static MAILBOX: RefCell<Slot> = const { RefCell::new(Slot::Empty) };
}
// ANCHOR_END: mailbox

// ANCHOR: perform
/// The future returned by [`perform`]: pending once, then ready.
pub struct Perform {
    effect: Option<Effect>,
}

impl Future for Perform {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        match self.effect.take() {
            // First poll: leave the request in the mailbox and stop here.
            Some(effect) => {
                MAILBOX.set(Slot::Request(effect));
                Poll::Pending
            }
            // Second poll: the handler has answered; go on.
            None => match MAILBOX.replace(Slot::Empty) {
                Slot::Answered => Poll::Ready(()),
                _ => panic!("a task was resumed without an answer"),
            },
        }
    }
}

/// Performs `effect`: the task stops until the scheduler answers.
pub fn perform(effect: Effect) -> Perform {
    Perform {
        effect: Some(effect),
    }
}

/// Prints `line` through the scheduler.
pub async fn print(line: impl Into<String>) {
    perform(Effect::Print(line.into())).await;
}

/// Goes to the back of the to-do list.
pub async fn yield_now() {
    perform(Effect::Yield).await;
}
// ANCHOR_END: perform

// ANCHOR: promise
/// The result of a spawned task, filled in when the task finishes.
pub struct Promise<T> {
    task: String,
    cell: Rc<RefCell<Option<T>>>,
}

/// Starts `future` as a new task named `name` and returns its promise.
pub async fn spawn<T: 'static>(
    name: &str,
    future: impl Future<Output = T> + 'static,
) -> Promise<T> {
    let cell = Rc::new(RefCell::new(None));
    let result = Rc::clone(&cell);
    let child = Task::new(name, async move {
        let value = future.await;
        *result.borrow_mut() = Some(value);
    });
    perform(Effect::Spawn(Box::new(child))).await;
    Promise {
        task: name.to_string(),
        cell,
    }
}

/// `promise.await` performs [`Effect::Await`], then takes the value.
impl<T: 'static> IntoFuture for Promise<T> {
    type Output = T;
    type IntoFuture = BoxFuture<T>;

    fn into_future(self) -> BoxFuture<T> {
        Box::pin(async move {
            let cell = Rc::clone(&self.cell);
            let is_resolved = Box::new(move || cell.borrow().is_some());
            perform(Effect::Await {
                task: self.task,
                is_resolved,
            })
            .await;
            let value = self.cell.borrow_mut().take();
            value.expect("resumed before the promise was resolved")
        })
    }
}
// ANCHOR_END: promise

// ANCHOR: task
/// A future, boxed and pinned so that it can be stored and polled again.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// A task between two runs. Its result goes to its promise, so the future
/// returns `()`.
pub enum State {
    /// Created, not run yet.
    Launch(BoxFuture<()>),
    /// Stopped on an effect; the future holds everything needed to go on.
    Suspended(BoxFuture<()>, Effect),
    /// Done.
    Finished,
}

/// A task: a name for the trace, and its state.
pub struct Task {
    name: String,
    state: State,
}

impl Task {
    /// A new task, not run yet.
    pub fn new(name: &str, future: impl Future<Output = ()> + 'static) -> Task {
        Task {
            name: name.to_string(),
            state: State::Launch(Box::pin(future)),
        }
    }
}

/// Polls `future` once: it runs until its next effect, or to its end.
fn resume(mut future: BoxFuture<()>) -> State {
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(()) => State::Finished,
        Poll::Pending => match MAILBOX.replace(Slot::Empty) {
            Slot::Request(effect) => State::Suspended(future, effect),
            _ => panic!("a task returned Pending without performing an effect"),
        },
    }
}
// ANCHOR_END: task

// ANCHOR: turn
/// The scheduler: the to-do list, and a report of what happened.
struct Scheduler {
    todo: VecDeque<Task>,
    report: Report,
}

impl Scheduler {
    /// Gives `task` one turn: resumes it and answers its effects until it
    /// finishes, yields, or awaits a promise that is not resolved yet.
    fn turn(&mut self, task: Task) {
        let Task { name, mut state } = task;
        let mut did = Vec::new();
        loop {
            // Nothing to do for a task whose promise is not ready.
            if state.awaits_unresolved() {
                break;
            }
            state = match state {
                State::Launch(future) => {
                    did.push("start".to_string());
                    resume(future)
                }
                State::Suspended(future, effect) => {
                    did.push(effect.to_string());
                    self.answer(effect);
                    resume(future)
                }
                State::Finished => break,
            };
            // A yield ends the turn; it is answered when the task comes back.
            if let State::Suspended(_, Effect::Yield) = state {
                break;
            }
        }
        self.report.turn(&name, did, &state);
        if !matches!(state, State::Finished) {
            self.todo.push_back(Task { name, state });
        }
    }

    /// Does what `effect` asks and leaves the answer in the mailbox.
    fn answer(&mut self, effect: Effect) {
        match effect {
            Effect::Print(line) => self.report.output.push(line),
            Effect::Spawn(child) => self.todo.push_back(*child),
            // Answered once the promise is resolved; the task reads the value.
            Effect::Await { .. } => {}
            // The task has been to the back of the list already: that was
            // the yield.
            Effect::Yield => {}
        }
        MAILBOX.set(Slot::Answered);
    }
}
// ANCHOR_END: turn

// ANCHOR: run_loop
/// Runs `tasks`, round-robin, until the to-do list is empty.
pub fn run(tasks: Vec<Task>) -> Report {
    let mut scheduler = Scheduler {
        todo: VecDeque::from(tasks),
        report: Report::default(),
    };
    while let Some(task) = scheduler.todo.pop_front() {
        scheduler.turn(task);
        scheduler.report.queue(&scheduler.todo);
    }
    scheduler.report
}
// ANCHOR_END: run_loop

impl State {
    /// Is the task waiting for a promise that is not resolved yet?
    fn awaits_unresolved(&self) -> bool {
        match self {
            State::Suspended(_, Effect::Await { is_resolved, .. }) => {
                !is_resolved()
            }
            _ => false,
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::Print(line) => write!(f, "print {line:?}"),
            Effect::Spawn(child) => write!(f, "spawn {}", child.name),
            Effect::Await { task, .. } => write!(f, "await {task}"),
            Effect::Yield => write!(f, "yield"),
        }
    }
}
