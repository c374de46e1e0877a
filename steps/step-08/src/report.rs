//! What a run reports: one [`Turn`] per turn, the run queue after each turn,
//! each `select` and the tasks it woke, and the lines the tasks printed; and
//! how it is printed.

use std::collections::{HashMap, VecDeque};
use std::task::Waker;

use crate::events::Signal;
use crate::{Place, Task};

/// What one turn did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// The task that had the turn.
    pub task: String,
    /// `start` if the task ran for the first time, then each operation done,
    /// in order.
    pub did: Vec<String>,
    /// How the turn ended: `finished`, `queued at` the operation the budget
    /// ran out at, `parked at` the operation the task waits in (or `parked at
    /// teardown`: it waits for its children to stop), `cancelled`, `panicked`,
    /// or `failed: ERROR`.
    pub end: String,
    /// The names of the tasks in the to-do list after the turn, front first.
    pub queue: Vec<String>,
}

/// A call to the backend's `select`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Select {
    /// How many turns came before it.
    pub after: usize,
    /// Whether it could wait (nothing could run).
    pub block: bool,
    /// The tasks whose syscalls it released, in order.
    pub woke: Vec<String>,
}

/// What a run did: domain 0's turns and selects, each worker's report, and
/// the lines printed.
#[derive(Debug)]
pub struct Report {
    /// Every turn of the domain, in order.
    pub turns: Vec<Turn>,
    /// Every select of the domain, in order.
    pub selects: Vec<Select>,
    /// The reports of the worker domains, domain 1 first (domain 0's only).
    pub workers: Vec<Report>,
    /// The names of the run's tasks, in the order they were created
    /// (domain 0's only).
    pub tasks: Vec<String>,
    /// The lines printed by [`print()`](crate::print()) on any domain, in
    /// order (domain 0's only).
    pub output: Vec<String>,
    /// How the run ended: the first rule a task broke, if any (domain 0's
    /// only).
    pub result: Result<(), crate::Error>,
}

impl Default for Report {
    fn default() -> Self {
        Report {
            turns: Vec::new(),
            selects: Vec::new(),
            workers: Vec::new(),
            tasks: Vec::new(),
            output: Vec::new(),
            result: Ok(()),
        }
    }
}

impl Report {
    /// Records a turn of `task`, which did `did` and ended as `end`.
    pub(crate) fn turn(
        &mut self,
        task: &str,
        first: bool,
        mut did: Vec<String>,
        end: String,
    ) {
        if first {
            did.insert(0, "start".to_string());
        }
        self.turns.push(Turn {
            task: task.to_string(),
            did,
            end,
            queue: Vec::new(),
        });
    }

    /// Records the to-do list after the latest turn.
    pub(crate) fn queue(
        &mut self,
        todo: &VecDeque<usize>,
        tasks: &HashMap<usize, (Option<Task>, Waker, Place)>,
    ) {
        let name = |id: &usize| match &tasks[id].0 {
            Some(task) => task.name.clone(),
            None => format!("task {id}"),
        };
        let last = self.turns.last_mut().expect("a turn was recorded");
        last.queue = todo.iter().map(name).collect();
    }

    /// Records a call to `select` and what it returned.
    pub(crate) fn select(&mut self, block: bool, signals: &[Signal]) {
        self.selects.push(Select {
            after: self.turns.len(),
            block,
            woke: signals.iter().map(|s| s.task().to_string()).collect(),
        });
    }

    /// The turns in which a task that had run before did nothing and did
    /// not finish either: a task polled for no reason, which a scheduler that
    /// parks waiting tasks never does.
    pub fn empty_turns(&self) -> usize {
        let empty = |t: &&Turn| t.did.is_empty() && t.end != "finished";
        self.turns.iter().filter(empty).count()
    }

    /// The report as text: one line per turn, then the output on one line.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (n, turn) in self.turns.iter().enumerate() {
            lines.push(format!(
                "turn {:<2} {:<6} {} -> {}",
                n + 1,
                turn.task,
                did(turn),
                turn.end
            ));
        }
        lines.push(format!("output: {}", self.output.join(", ")));
        lines
    }

    /// The report as a trace for the book's picture renderer (the `timeline`
    /// crate's text format): one row per task, one column per turn, the to-do
    /// list after each turn, and what each select released before the turn
    /// that follows it.
    pub fn trace(&self, title: &str, description: &str) -> String {
        self.timed_trace(title, description, None)
    }

    /// [`Report::trace`], with the time at the end of each select: with
    /// `times` (as a clock's [`Timers`](crate::clock::Timers) records them),
    /// each turn is placed on a time axis too.
    pub fn timed_trace(
        &self,
        title: &str,
        description: &str,
        times: Option<&[u64]>,
    ) -> String {
        // Domain 0, then the workers: one lane each.
        let domains: Vec<&Report> =
            std::iter::once(self).chain(&self.workers).collect();
        let mut names: Vec<&str> =
            self.tasks.iter().map(String::as_str).collect();
        for turn in domains.iter().flat_map(|d| &d.turns) {
            for name in std::iter::once(&turn.task).chain(&turn.queue) {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        // A trace's ids have no spaces; the labels keep the names.
        let id = |name: &str| name.replace(' ', "-");
        let mut out = format!("title {title}\ndescription {description}\n");
        if domains.len() > 1 {
            for k in 0..domains.len() {
                out += &format!("domain {k}\n");
            }
        }
        for name in &names {
            out += &format!("task {} {name}\n", id(name));
        }
        // Who owns each resource since when, for the spans of the time view.
        let mut owners = Owners::default();
        for (k, domain) in domains.iter().enumerate() {
            let mut selects = domain.selects.iter().enumerate().peekable();
            for (n, turn) in domain.turns.iter().enumerate() {
                // The selects that came before this turn: their time, and
                // what they released.
                let mut woke = Vec::new();
                while let Some((j, select)) =
                    selects.next_if(|(_, s)| s.after <= n)
                {
                    woke.extend(select.woke.iter().cloned());
                    if let Some(times) = times {
                        out += &format!("at {}\n", times[j]);
                        owners.now = times[j];
                    }
                }
                if !woke.is_empty() {
                    out += &format!("events {k} woke {}\n", woke.join(", "));
                }
                out += &format!(
                    "turn {k} {} {} -- {} -> {}\n",
                    id(&turn.task),
                    stop(&turn.end),
                    did(turn),
                    turn.end
                );
                let queue: Vec<String> =
                    turn.queue.iter().map(|n| id(n)).collect();
                out += &format!("queue {k} {}\n", queue.join(" "));
                if times.is_some() {
                    owners.turn(turn);
                }
            }
        }
        for (task, start, end, resource) in owners.spans {
            out += &format!(
                "span {} {start} {end} -- owns {resource}\n",
                id(&task)
            );
        }
        out
    }
}

/// The owners of the resources over time, read from what the turns did:
/// `own R`, `give R to C` and `transfer R to P` change the owner of `R`;
/// `release R`, `disown R` and `finalise R` leave it with none.
#[derive(Default)]
struct Owners {
    /// The time of the turns being read.
    now: u64,
    /// Each resource owned now: its name, its owner, since when.
    current: Vec<(String, String, u64)>,
    /// Each owner's time with a resource: owner, start, end, resource.
    spans: Vec<(String, u64, u64, String)>,
}

impl Owners {
    fn turn(&mut self, turn: &Turn) {
        for operation in &turn.did {
            let moved = ["give ", "transfer "]
                .iter()
                .find_map(|how| operation.strip_prefix(how))
                .and_then(|rest| rest.split_once(" to "));
            let ended = ["release ", "disown ", "finalise "]
                .iter()
                .find_map(|how| operation.strip_prefix(how));
            if let Some(resource) = operation.strip_prefix("own ") {
                self.owned_by(resource, &turn.task);
            } else if let Some((resource, owner)) = moved {
                self.owned_by(resource, owner);
            } else if let Some(resource) = ended {
                self.end(resource);
            }
        }
    }

    fn owned_by(&mut self, resource: &str, owner: &str) {
        self.end(resource);
        let owned = (resource.to_string(), owner.to_string(), self.now);
        self.current.push(owned);
    }

    fn end(&mut self, resource: &str) {
        if let Some(k) = self.current.iter().position(|c| c.0 == resource) {
            let (resource, owner, since) = self.current.remove(k);
            self.spans.push((owner, since, self.now, resource));
        }
    }
}

/// What a turn's cell shows: where the task stopped.
fn stop(end: &str) -> String {
    match end.split_once(" at ") {
        Some((how, at)) => {
            let op = at.split(' ').next().unwrap_or(at);
            if how == "parked" && op == "teardown" {
                // Waiting for its children to stop, not for an event.
                "teardown".to_string()
            } else if how == "parked" {
                format!("park {op}")
            } else {
                op.to_string()
            }
        }
        // A task that returned is done; one that was stopped says how:
        // cancelled, panicked, failed.
        None if end == "finished" => "done".to_string(),
        None => end.to_string(),
    }
}

/// What a turn did, for its cell's tooltip.
fn did(turn: &Turn) -> String {
    if turn.did.is_empty() {
        "nothing".to_string()
    } else {
        turn.did.join(", ")
    }
}
