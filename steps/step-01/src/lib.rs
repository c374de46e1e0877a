//! Step 1: a task is a state machine.
//!
//! A task is a computation that stops whenever it needs something from the
//! outside world (an *effect*) and goes on once it has the answer. Between two
//! effects it is a value that sits still: `Launch` before it has run,
//! `Suspended` on the effect it performed, and `Finished` with its result.
//!
//! In OCaml, Miou gets this from effect handlers. Here the task is an
//! `async fn`: polling its future once runs it to its next effect, which it
//! leaves in a mailbox before returning `Poll::Pending`. A [`Handler`] reads
//! the request, writes the answer back and polls again. That loop is the whole
//! of this step; the scheduler of the next steps is the same loop with more
//! than one task.
//!
//! This file is the code the chapter teaches; the example task is in
//! [`examples`]. The program that `cargo run -p step-01` runs lives apart,
//! in `demo/`, since it changes little from one step to the next.

pub mod examples;

use std::cell::RefCell;
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

// ANCHOR: effect
/// What a task can ask of its handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Write a line of output. Answered with [`Answer::Unit`].
    Print(String),
    /// Ask for the number known under a name. Answered with
    /// [`Answer::Number`].
    Ask(String),
}

/// What the handler gives back to the task that performed an effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Nothing to report, only "done".
    Unit,
    /// A number.
    Number(u32),
}
// ANCHOR_END: effect

// ANCHOR: mailbox
/// The one slot through which a task and its handler talk.
enum Slot {
    /// Nobody is asking or answering anything.
    Empty,
    /// The task performed this effect and waits for the answer.
    Request(Effect),
    /// The handler answered; the task takes the answer when it is polled
    /// again.
    Answer(Answer),
}

thread_local! {
    /// One mailbox per thread: the handler and the task it polls run on the
    /// same thread.
    static MAILBOX: RefCell<Slot> = const { RefCell::new(Slot::Empty) };
}
// ANCHOR_END: mailbox

// ANCHOR: perform
/// The future returned by [`perform`]: pending once, then ready with the
/// answer.
pub struct Perform {
    effect: Option<Effect>,
}

impl Future for Perform {
    type Output = Answer;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Answer> {
        match self.effect.take() {
            // First poll: leave the request in the mailbox and stop here.
            Some(effect) => {
                MAILBOX.set(Slot::Request(effect));
                Poll::Pending
            }
            // Second poll: the handler has answered; go on with the answer.
            None => match MAILBOX.replace(Slot::Empty) {
                Slot::Answer(answer) => Poll::Ready(answer),
                _ => panic!("a task was resumed without an answer"),
            },
        }
    }
}

/// Performs `effect`: the task stops until its handler answers.
pub fn perform(effect: Effect) -> Perform {
    Perform {
        effect: Some(effect),
    }
}

/// Prints `line` through the handler.
pub async fn print(line: impl Into<String>) {
    perform(Effect::Print(line.into())).await;
}

/// Asks the handler for the number known as `name`.
pub async fn ask(name: &str) -> u32 {
    match perform(Effect::Ask(name.to_string())).await {
        Answer::Number(n) => n,
        other => panic!("Ask was answered with {other:?}"),
    }
}
// ANCHOR_END: perform

// ANCHOR: task
/// A task's future, boxed and pinned so that it can be stored and polled
/// again later.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// A task between two runs.
pub enum Task<T> {
    /// Created, not run yet.
    Launch(BoxFuture<T>),
    /// Stopped on an effect; the future holds everything needed to go on.
    Suspended(BoxFuture<T>, Effect),
    /// Done, with its result.
    Finished(T),
}

/// Polls `future` once: it runs until its next effect, or to its end.
pub fn resume<T>(mut future: BoxFuture<T>) -> Task<T> {
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(value) => Task::Finished(value),
        Poll::Pending => match MAILBOX.replace(Slot::Empty) {
            Slot::Request(effect) => Task::Suspended(future, effect),
            _ => panic!("a task returned Pending without performing an effect"),
        },
    }
}
// ANCHOR_END: task

// ANCHOR: handler
/// Answers the effects of one task and keeps a trace of what happened.
pub struct Handler {
    /// The numbers that [`Effect::Ask`] can ask for; any other name is
    /// answered with 0.
    known: Vec<(String, u32)>,
    /// One line per poll and per answered effect, in order.
    pub trace: Vec<String>,
    /// The lines written by [`Effect::Print`].
    pub output: Vec<String>,
}

impl Handler {
    /// A handler that knows the given numbers.
    pub fn new(known: &[(&str, u32)]) -> Handler {
        let known = known.iter().map(|&(k, v)| (k.to_string(), v)).collect();
        Handler {
            known,
            trace: Vec::new(),
            output: Vec::new(),
        }
    }

    /// Does what `effect` asks and returns the answer.
    fn handle(&mut self, effect: Effect) -> Answer {
        let answer = match &effect {
            Effect::Print(line) => {
                self.output.push(line.clone());
                Answer::Unit
            }
            Effect::Ask(name) => {
                let found = self.known.iter().find(|(k, _)| k == name);
                Answer::Number(found.map_or(0, |&(_, v)| v))
            }
        };
        self.trace.push(format!("answer {answer:?} to {effect:?}"));
        answer
    }

    /// Moves `task` on by one step: from one effect to the next.
    pub fn step<T: Debug>(&mut self, task: Task<T>) -> Task<T> {
        let next = match task {
            Task::Launch(future) => resume(future),
            Task::Suspended(future, effect) => {
                let answer = self.handle(effect);
                MAILBOX.set(Slot::Answer(answer));
                resume(future)
            }
            Task::Finished(value) => Task::Finished(value),
        };
        self.trace.push(format!("poll   -> {}", describe(&next)));
        next
    }

    /// Runs `future` as a task to its end and returns its result.
    pub fn run<T: Debug>(
        &mut self,
        future: impl Future<Output = T> + 'static,
    ) -> T {
        let mut task = Task::Launch(Box::pin(future));
        self.trace.push(describe(&task));
        loop {
            task = self.step(task);
            if let Task::Finished(value) = task {
                return value;
            }
        }
    }
}
// ANCHOR_END: handler

/// A one-line description of a task's state, for the trace.
fn describe<T: Debug>(task: &Task<T>) -> String {
    match task {
        Task::Launch(_) => "Launch".to_string(),
        Task::Suspended(_, effect) => format!("Suspended({effect:?})"),
        Task::Finished(value) => format!("Finished({value:?})"),
    }
}
