//! Step 2: round-robin.
//!
//! Many tasks now share one handler, which has become a scheduler. It keeps a to-do list of
//! tasks (a FIFO queue) and gives each task a *turn*: it takes the task at the front,
//! resumes it, and answers its effects one after the other until the task finishes, yields,
//! or waits for a result that does not exist yet. A task that did not finish goes to the
//! back of the list.
//!
//! Four effects: [`print()`] a line, [`spawn`] a new task (which gives a [`Promise`]), await a
//! promise (`promise.await`), and [`yield_now`]. Awaiting an unresolved promise puts the
//! task at the back of the list, where it will check again: in this toy, waiting is
//! yielding.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

// ANCHOR: effect
/// What a task can ask of the scheduler. Every answer is `()`: a task that needs a value
/// reads it from a [`Promise`] once the scheduler has resumed it.
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
    /// One mailbox per thread: the handler and the task it polls run on the same thread.
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
            // First poll: leave the request in the mailbox and stop the task here.
            Some(effect) => {
                MAILBOX.set(Slot::Request(effect));
                Poll::Pending
            }
            // Second poll: the handler has answered; the task goes on.
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
/// A future, boxed and pinned so that it can be stored and polled again later.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// A task between two runs. Its result goes to its promise, so the future returns `()`.
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
    /// Gives `task` one turn: resumes it and answers its effects until it finishes, yields,
    /// or awaits a promise that is not resolved yet.
    fn turn(&mut self, task: Task) {
        let Task { name, mut state } = task;
        let mut did = Vec::new();
        loop {
            // Nothing to do for a task whose promise is not ready: back of the list.
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
            // A yield performed now ends the turn; it is answered when the task comes back.
            if let State::Suspended(_, Effect::Yield) = state {
                break;
            }
        }
        self.report.record(&name, did, &state);
        if !matches!(state, State::Finished) {
            self.todo.push_back(Task { name, state });
        }
    }

    /// Does what `effect` asks and leaves the answer in the mailbox.
    fn answer(&mut self, effect: Effect) {
        match effect {
            Effect::Print(line) => self.report.output.push(line),
            Effect::Spawn(child) => self.todo.push_back(*child),
            // Only answered once the promise is resolved; the task reads the value itself.
            Effect::Await { .. } => {}
            // The task has been to the back of the list already: that was the yield.
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
    }
    scheduler.report
}
// ANCHOR_END: run_loop

impl State {
    /// Is the task waiting for a promise that is not resolved yet?
    fn awaits_unresolved(&self) -> bool {
        match self {
            State::Suspended(_, Effect::Await { is_resolved, .. }) => !is_resolved(),
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

/// What one turn did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// The task that had the turn.
    pub task: String,
    /// `start` if the task ran for the first time, then each effect answered, in order.
    pub did: Vec<String>,
    /// How the turn ended: `finished`, or the effect the task was queued on.
    pub end: String,
}

/// What a run did: its turns, and the lines printed.
#[derive(Debug, Default)]
pub struct Report {
    /// Every turn, in order.
    pub turns: Vec<Turn>,
    /// The lines printed by [`print()`], in order.
    pub output: Vec<String>,
}

impl Report {
    fn record(&mut self, task: &str, did: Vec<String>, state: &State) {
        let end = match state {
            State::Finished => "finished".to_string(),
            State::Suspended(_, effect) => format!("queued at {effect}"),
            State::Launch(_) => unreachable!("a task that had a turn has started"),
        };
        self.turns.push(Turn {
            task: task.to_string(),
            did,
            end,
        });
    }

    /// The report as text: one line per turn, then the output on one line.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (n, turn) in self.turns.iter().enumerate() {
            let did = if turn.did.is_empty() {
                "nothing".to_string()
            } else {
                turn.did.join(", ")
            };
            lines.push(format!(
                "turn {:<2} {:<6} {did} -> {}",
                n + 1,
                turn.task,
                turn.end
            ));
        }
        lines.push(format!("output: {}", self.output.join(", ")));
        lines
    }
}

// ANCHOR: examples
/// Miou's first example: spawn a task that prints "Hello", print "World", await the task.
/// With `yield_first`, the parent yields before it prints.
pub async fn hello_world(yield_first: bool) {
    let hello = spawn("hello", async { print("Hello").await }).await;
    if yield_first {
        yield_now().await;
    }
    print("World").await;
    hello.await;
}

/// Three tasks that print a line and yield, twice each; the parent adds up their results.
pub async fn three_workers() {
    let a = spawn("a", worker("a")).await;
    let b = spawn("b", worker("b")).await;
    let c = spawn("c", worker("c")).await;
    let total = a.await + b.await + c.await;
    print(format!("{total} lines")).await;
}

/// Prints `name1`, yields, prints `name2`, yields; returns how many lines it printed.
async fn worker(name: &'static str) -> usize {
    for round in 1..=2 {
        print(format!("{name}{round}")).await;
        yield_now().await;
    }
    2
}
// ANCHOR_END: examples

/// Runs the examples and returns the lines to print.
pub fn demo() -> Vec<String> {
    let examples: [(&str, BoxFuture<()>); 3] = [
        (
            "p = spawn(print \"Hello\"); print \"World\"; p.await",
            Box::pin(hello_world(false)),
        ),
        (
            "p = spawn(print \"Hello\"); yield; print \"World\"; p.await",
            Box::pin(hello_world(true)),
        ),
        (
            "three workers: print, yield, print, yield",
            Box::pin(three_workers()),
        ),
    ];
    let mut lines = Vec::new();
    for (title, main) in examples {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(format!("== {title}"));
        lines.extend(run(vec![Task::new("main", main)]).lines());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_main(main: impl Future<Output = ()> + 'static) -> Report {
        run(vec![Task::new("main", main)])
    }

    fn turn(task: &str, did: &[&str], end: &str) -> Turn {
        Turn {
            task: task.to_string(),
            did: did.iter().map(|s| s.to_string()).collect(),
            end: end.to_string(),
        }
    }

    #[test]
    fn without_yield_the_parent_prints_first() {
        // Spawning queues "hello" behind main, and main is resumed at once: it prints
        // "World", then finds the promise unresolved and goes behind "hello".
        let report = run_main(hello_world(false));
        assert_eq!(report.output, ["World", "Hello"]);
        assert_eq!(
            report.turns,
            [
                turn(
                    "main",
                    &["start", "spawn hello", "print \"World\""],
                    "queued at await hello"
                ),
                turn("hello", &["start", "print \"Hello\""], "finished"),
                turn("main", &["await hello"], "finished"),
            ]
        );
    }

    #[test]
    fn a_yield_lets_the_child_print_first() {
        // The yield sends main behind "hello" before it prints.
        let report = run_main(hello_world(true));
        assert_eq!(report.output, ["Hello", "World"]);
        assert_eq!(
            report.turns,
            [
                turn("main", &["start", "spawn hello"], "queued at yield"),
                turn("hello", &["start", "print \"Hello\""], "finished"),
                turn(
                    "main",
                    &["yield", "print \"World\"", "await hello"],
                    "finished"
                ),
            ]
        );
    }

    #[test]
    fn workers_take_turns_in_fifo_order() {
        // main spawns a, b, c (queued in that order) and waits behind them. Each worker
        // prints and yields, so each round visits a, b, c, then main (still waiting).
        let report = run_main(three_workers());
        assert_eq!(
            report.output,
            ["a1", "b1", "c1", "a2", "b2", "c2", "6 lines"]
        );
        let order: Vec<&str> = report.turns.iter().map(|t| t.task.as_str()).collect();
        assert_eq!(
            order,
            [
                "main", "a", "b", "c", "main", "a", "b", "c", "main", "a", "b", "c", "main"
            ]
        );
        assert_eq!(report.turns[4], turn("main", &[], "queued at await a"));
        assert_eq!(
            report.turns[12],
            turn(
                "main",
                &["await a", "await b", "await c", "print \"6 lines\""],
                "finished"
            )
        );
    }

    #[test]
    fn a_promise_carries_the_value() {
        let report = run_main(async {
            let p = spawn("answer", async { 6 * 7 }).await;
            let value = p.await;
            print(format!("{value}")).await;
        });
        assert_eq!(report.output, ["42"]);
    }

    #[test]
    fn tasks_given_to_run_start_in_order() {
        let report = run(vec![
            Task::new("x", async { print("x").await }),
            Task::new("y", async { print("y").await }),
        ]);
        assert_eq!(report.output, ["x", "y"]);
        assert_eq!(report.turns.len(), 2);
    }
}
