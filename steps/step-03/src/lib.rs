//! Step 3: quanta and availability.
//!
//! In step 2 a task kept its turn for as long as it did not wait: every
//! effect was answered at once and the task ran on. Here every effect is a
//! *scheduling point*: the task stops there, and it may pass at most `quanta`
//! points in one turn. A task whose budget is spent goes to the back of the
//! to-do list with its operation still pending, and the operation is done
//! when the task comes back ("yield, then do"). A new task's first run costs
//! no quantum: it runs to its first point and waits there.
//!
//! This file is the code the chapter teaches; the example programs are in
//! [`examples`], and what a run reports in [`report`]. The program that
//! `cargo run -p step-03` runs lives apart, in `demo/`, with the traces of the
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

/// The scheduler: the to-do list, the quanta, and a report of what happened.
struct Scheduler {
    todo: VecDeque<Task>,
    quanta: usize,
    report: Report,
}

impl Scheduler {
    /// Gives `task` one turn. A new task runs to its first scheduling point.
    /// Any other task gets up to `quanta` operations: each time, the
    /// operation it is stopped at is done and the task runs on to its next
    /// point. A yield, an unresolved promise or the end of the task ends the
    /// turn early.
    fn turn(&mut self, task: Task) {
        let Task { name, mut state } = task;
        let mut did = Vec::new();
        if let State::Launch(future) = state {
            // The first run costs no quantum; the task waits at its first
            // point.
            did.push("start".to_string());
            state = resume(future);
        } else {
            for _ in 0..self.quanta {
                // Nothing to do for a task whose promise is not ready.
                if state.awaits_unresolved() {
                    break;
                }
                // A finished task has nothing left to do.
                let State::Suspended(future, effect) = state else {
                    break;
                };
                let yielded = matches!(effect, Effect::Yield);
                did.push(effect.to_string());
                self.answer(effect);
                state = resume(future);
                // A yield ends the turn, whatever is left of the quanta.
                if yielded {
                    break;
                }
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
            // Nothing to do: ending the turn is the yield.
            Effect::Yield => {}
        }
        MAILBOX.set(Slot::Answered);
    }
}

/// Runs `tasks`, round-robin, until the to-do list is empty; a turn passes
/// at most `quanta` scheduling points.
pub fn run(quanta: usize, tasks: Vec<Task>) -> Report {
    assert!(
        quanta >= 1,
        "a turn must allow at least one scheduling point"
    );
    let mut scheduler = Scheduler {
        todo: VecDeque::from(tasks),
        quanta,
        report: Report::default(),
    };
    while let Some(task) = scheduler.todo.pop_front() {
        scheduler.turn(task);
        scheduler.report.queue(&scheduler.todo);
    }
    scheduler.report
}

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
