//! Step 3: quanta and availability.
//!
//! In step 2 a task kept its turn for as long as it did not wait: every effect was answered
//! at once and the task ran on. Here every effect is a *scheduling point*: the task stops
//! there, and it may pass at most `quanta` points in one turn. A task whose budget is spent
//! goes to the back of the to-do list with its operation still pending, and the operation
//! is done when the task comes back ("yield, then do"). A new task's first run costs no
//! quantum: it runs to its first point and waits there.
//!
//! The examples show two tasks taking turns under quanta 1 and 3, then why the rule
//! matters: a server that must keep answering while another task merge-sorts, once with a
//! scheduling point in every merge and once with an `.await` that never stops.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

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

// ANCHOR: turn
/// The scheduler: the to-do list, the quanta, and a report of what happened.
struct Scheduler {
    todo: VecDeque<Task>,
    quanta: usize,
    report: Report,
}

impl Scheduler {
    /// Gives `task` one turn. A new task runs to its first scheduling point. Any other task
    /// gets up to `quanta` operations: each time, the operation it is stopped at is done and
    /// the task runs on to its next point. A yield, an unresolved promise or the end of the
    /// task ends the turn early.
    fn turn(&mut self, task: Task) {
        let Task { name, mut state } = task;
        let mut did = Vec::new();
        if let State::Launch(future) = state {
            // The first run costs no quantum; the task waits at its first point.
            did.push("start".to_string());
            state = resume(future);
        } else {
            for _ in 0..self.quanta {
                // Nothing to do for a task whose promise is not ready: back of the list.
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
            // Nothing to do: ending the turn is the yield.
            Effect::Yield => {}
        }
        MAILBOX.set(Slot::Answered);
    }
}
// ANCHOR_END: turn

// ANCHOR: run_loop
/// Runs `tasks`, round-robin, until the to-do list is empty; a turn passes at most
/// `quanta` scheduling points.
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

// ANCHOR: counter
/// Prints `name0`, `name1`, ... up to `lines` lines: one scheduling point per line.
pub async fn counter(name: &'static str, lines: u32) {
    for i in 0..lines {
        print(format!("{name}{i}")).await;
    }
}
// ANCHOR_END: counter

// ANCHOR: server
/// A server that must stay responsive: it answers `requests` requests, one per turn it
/// gets (each answer is a scheduling point).
pub async fn server(requests: u32) {
    for k in 1..=requests {
        print(format!("answer {k}")).await;
    }
}
// ANCHOR_END: server

// ANCHOR: merge_sort
/// What a merge sort awaits after each merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    /// An effect (it prints "merge"): a scheduling point.
    Effect,
    /// A future that is already ready: the `.await` goes straight on.
    Ready,
}

/// Sorts `v`, awaiting a [`Pause`] after each merge.
pub async fn merge_sort(mut v: Vec<u32>, pause: Pause) -> Vec<u32> {
    if v.len() <= 1 {
        return v;
    }
    let right = v.split_off(v.len() / 2);
    let left = Box::pin(merge_sort(v, pause)).await;
    let right = Box::pin(merge_sort(right, pause)).await;
    let merged = merge(left, right);
    match pause {
        Pause::Effect => print("merge").await,
        Pause::Ready => std::future::ready(()).await,
    }
    merged
}

/// The task that sorts 16 numbers, then prints "sorted".
pub async fn sorter(pause: Pause) {
    let numbers: Vec<u32> = (0..16).map(|i| (i * 7 + 3) % 16).collect();
    let sorted = merge_sort(numbers, pause).await;
    assert!(sorted.is_sorted());
    print("sorted").await;
}
// ANCHOR_END: merge_sort

/// Merges two sorted vectors into one.
fn merge(left: Vec<u32>, right: Vec<u32>) -> Vec<u32> {
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let (mut left, mut right) = (left.into_iter().peekable(), right.into_iter().peekable());
    while let (Some(l), Some(r)) = (left.peek(), right.peek()) {
        let next = if l <= r { left.next() } else { right.next() };
        merged.extend(next);
    }
    merged.extend(left);
    merged.extend(right);
    merged
}

/// Runs the sorter, then the server, under quanta 1; returns what they printed.
pub fn availability(pause: Pause) -> Vec<String> {
    let tasks = vec![
        Task::new("sort", sorter(pause)),
        Task::new("server", server(8)),
    ];
    run(1, tasks).output
}

/// The output of [`availability`] as letters: M for "merge", A for an answer, S for
/// "sorted".
fn letters(output: &[String]) -> String {
    let letter = |line: &String| match line.as_str() {
        "merge" => "M",
        "sorted" => "S",
        _ => "A",
    };
    output.iter().map(letter).collect::<Vec<_>>().join(" ")
}

/// How many answers were printed before "sorted".
fn answers_before_sorted(output: &[String]) -> usize {
    let sorted = output.iter().position(|line| line == "sorted");
    let before = &output[..sorted.expect("the sort finished")];
    before
        .iter()
        .filter(|line| line.starts_with("answer"))
        .count()
}

/// Runs the examples and returns the lines to print.
pub fn demo() -> Vec<String> {
    let mut lines = Vec::new();
    for quanta in [1, 3] {
        lines.push(format!("== A and B print 4 lines each, quanta {quanta}"));
        let tasks = vec![
            Task::new("A", counter("A", 4)),
            Task::new("B", counter("B", 4)),
        ];
        lines.extend(run(quanta, tasks).lines());
        lines.push(String::new());
    }
    let with_effects = availability(Pause::Effect);
    let with_ready = availability(Pause::Ready);
    lines.push(
        "== availability, quanta 1: a server answers 8 requests while a task sorts 16 numbers"
            .to_string(),
    );
    lines.push(
        "(M: the sort printed \"merge\", A: the server answered, S: the sort printed \"sorted\")"
            .to_string(),
    );
    lines.push(format!(
        "an effect after each merge:  {}",
        letters(&with_effects)
    ));
    lines.push(format!(
        "a ready future instead:      {}",
        letters(&with_ready)
    ));
    lines.push(format!(
        "answers before the sort finished: {} of 8 with effects, {} of 8 with ready futures",
        answers_before_sorted(&with_effects),
        answers_before_sorted(&with_ready)
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(task: &str, did: &[&str], end: &str) -> Turn {
        Turn {
            task: task.to_string(),
            did: did.iter().map(|s| s.to_string()).collect(),
            end: end.to_string(),
        }
    }

    fn a_and_b(quanta: usize) -> Report {
        let tasks = vec![
            Task::new("A", counter("A", 4)),
            Task::new("B", counter("B", 4)),
        ];
        run(quanta, tasks)
    }

    #[test]
    fn quanta_1_alternates() {
        // Each task starts (no quantum), then does one print per turn.
        let report = a_and_b(1);
        assert_eq!(
            report.output,
            ["A0", "B0", "A1", "B1", "A2", "B2", "A3", "B3"]
        );
        assert_eq!(report.turns.len(), 10);
        assert_eq!(
            report.turns[0],
            turn("A", &["start"], "queued at print \"A0\"")
        );
        assert_eq!(
            report.turns[1],
            turn("B", &["start"], "queued at print \"B0\"")
        );
        assert_eq!(
            report.turns[2],
            turn("A", &["print \"A0\""], "queued at print \"A1\"")
        );
        assert_eq!(report.turns[9], turn("B", &["print \"B3\""], "finished"));
    }

    #[test]
    fn quanta_3_runs_three_prints_per_turn() {
        // After the two starts: A0 A1 A2, B0 B1 B2, then the last print of each.
        let report = a_and_b(3);
        assert_eq!(
            report.output,
            ["A0", "A1", "A2", "B0", "B1", "B2", "A3", "B3"]
        );
        assert_eq!(
            report.turns,
            [
                turn("A", &["start"], "queued at print \"A0\""),
                turn("B", &["start"], "queued at print \"B0\""),
                turn(
                    "A",
                    &["print \"A0\"", "print \"A1\"", "print \"A2\""],
                    "queued at print \"A3\""
                ),
                turn(
                    "B",
                    &["print \"B0\"", "print \"B1\"", "print \"B2\""],
                    "queued at print \"B3\""
                ),
                turn("A", &["print \"A3\""], "finished"),
                turn("B", &["print \"B3\""], "finished"),
            ]
        );
    }

    #[test]
    fn quanta_2_runs_pairs() {
        let report = a_and_b(2);
        assert_eq!(
            report.output,
            ["A0", "A1", "B0", "B1", "A2", "A3", "B2", "B3"]
        );
        assert_eq!(report.turns.len(), 6);
    }

    // ANCHOR: hello_world_turns
    async fn hello_world(yield_first: bool) {
        let hello = spawn("hello", async { print("Hello").await }).await;
        if yield_first {
            yield_now().await;
        }
        print("World").await;
        hello.await;
    }

    #[test]
    fn hello_world_under_quanta_1_prints_world_first() {
        // Yield, then do: main is queued at each point. The spawn is done in main's second
        // turn, which runs main on to `print "World"`; main is queued there, ahead of the
        // child's print, so "World" is done first.
        let report = run(1, vec![Task::new("main", hello_world(false))]);
        assert_eq!(report.output, ["World", "Hello"]);
        assert_eq!(
            report.turns,
            [
                turn("main", &["start"], "queued at spawn hello"),
                turn("main", &["spawn hello"], "queued at print \"World\""),
                turn("hello", &["start"], "queued at print \"Hello\""),
                turn("main", &["print \"World\""], "queued at await hello"),
                turn("hello", &["print \"Hello\""], "finished"),
                turn("main", &["await hello"], "finished"),
            ]
        );
    }
    // ANCHOR_END: hello_world_turns

    #[test]
    fn hello_world_with_a_yield_prints_hello_first() {
        // The yield puts main's print behind the child's.
        let report = run(1, vec![Task::new("main", hello_world(true))]);
        assert_eq!(report.output, ["Hello", "World"]);
        let order: Vec<&str> = report.turns.iter().map(|t| t.task.as_str()).collect();
        assert_eq!(
            order,
            ["main", "main", "hello", "main", "hello", "main", "main"]
        );
        assert_eq!(
            report.turns[3],
            turn("main", &["yield"], "queued at print \"World\"")
        );
    }

    #[test]
    fn a_yield_ends_the_turn_with_quanta_left() {
        let task = Task::new("t", async {
            print("a").await;
            yield_now().await;
            print("b").await;
            print("c").await;
        });
        let report = run(5, vec![task]);
        assert_eq!(
            report.turns,
            [
                turn("t", &["start"], "queued at print \"a\""),
                turn("t", &["print \"a\"", "yield"], "queued at print \"b\""),
                turn("t", &["print \"b\"", "print \"c\""], "finished"),
            ]
        );
    }

    #[test]
    fn an_unresolved_await_ends_the_turn_with_quanta_left() {
        let main = Task::new("main", async {
            let child = spawn("child", async { print("c").await }).await;
            child.await;
            print("done").await;
        });
        let report = run(5, vec![main]);
        assert_eq!(report.output, ["c", "done"]);
        assert_eq!(
            report.turns,
            [
                turn("main", &["start"], "queued at spawn child"),
                turn("main", &["spawn child"], "queued at await child"),
                turn("child", &["start"], "queued at print \"c\""),
                turn("main", &[], "queued at await child"),
                turn("child", &["print \"c\""], "finished"),
                turn("main", &["await child", "print \"done\""], "finished"),
            ]
        );
    }

    #[test]
    #[should_panic(expected = "at least one scheduling point")]
    fn quanta_0_is_refused() {
        run(0, vec![]);
    }

    #[test]
    fn merge_sort_merges_n_minus_1_times() {
        // 16 leaves, each merge joins two runs into one: 15 merges.
        let output = availability(Pause::Effect);
        assert_eq!(output.iter().filter(|l| *l == "merge").count(), 15);
    }

    #[test]
    fn a_sort_on_ready_futures_never_stops() {
        // Polled once, it runs to the end: no `.await` in it returns Pending.
        let mut sort = Box::pin(merge_sort(vec![3, 1, 2], Pause::Ready));
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(sort.as_mut().poll(&mut cx), Poll::Ready(vec![1, 2, 3]));
    }

    #[test]
    fn the_server_answers_between_merges() {
        // sort starts and stops at its first merge's print; server starts and stops at
        // "answer 1". From then on they alternate, one operation each, until the server has
        // answered 8 times; the 7 remaining merges and "sorted" follow.
        let output = availability(Pause::Effect);
        assert_eq!(
            letters(&output),
            "M A M A M A M A M A M A M A M A M M M M M M M S"
        );
        assert_eq!(answers_before_sorted(&output), 8);
    }

    #[test]
    fn the_server_waits_for_a_sort_without_points() {
        // sort's first run does the whole sort and stops at "sorted", the server starts,
        // "sorted" is printed, then the server answers alone.
        let output = availability(Pause::Ready);
        assert_eq!(letters(&output), "S A A A A A A A A");
        assert_eq!(answers_before_sorted(&output), 0);
    }
}
