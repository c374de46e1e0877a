//! What a run reports: one [`Turn`] per turn, the run queue after each turn,
//! each `select` and the tasks it woke, and the lines the tasks printed; and
//! how it is printed.

use std::collections::VecDeque;
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
    /// ran out at, or `parked at` the operation the task waits in.
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

/// What a run did: its turns, its selects, and the lines printed.
#[derive(Debug, Default)]
pub struct Report {
    /// Every turn, in order.
    pub turns: Vec<Turn>,
    /// Every select, in order.
    pub selects: Vec<Select>,
    /// The lines printed by [`print()`](crate::print()), in order.
    pub output: Vec<String>,
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
        tasks: &[(Option<Task>, Waker, Place)],
    ) {
        let name = |id: &usize| match &tasks[*id].0 {
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
        let mut names: Vec<&str> = Vec::new();
        for turn in &self.turns {
            for name in std::iter::once(&turn.task).chain(&turn.queue) {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        // A trace's ids have no spaces; the labels keep the names.
        let id = |name: &str| name.replace(' ', "-");
        let mut out = format!("title {title}\ndescription {description}\n");
        for name in &names {
            out += &format!("task {} {name}\n", id(name));
        }
        let mut selects = self.selects.iter().enumerate().peekable();
        for (n, turn) in self.turns.iter().enumerate() {
            // The selects that came before this turn: their time, and what
            // they released.
            let mut woke = Vec::new();
            while let Some((k, select)) = selects.next_if(|(_, s)| s.after <= n)
            {
                woke.extend(select.woke.iter().cloned());
                if let Some(times) = times {
                    out += &format!("at {}\n", times[k]);
                }
            }
            if !woke.is_empty() {
                out += &format!("events 0 woke {}\n", woke.join(", "));
            }
            // The cell shows where the task stopped; its tooltip what it did.
            let stop = match turn.end.split_once(" at ") {
                Some((how, at)) => {
                    let op = at.split(' ').next().unwrap_or(at);
                    if how == "parked" {
                        format!("park {op}")
                    } else {
                        op.to_string()
                    }
                }
                None => "done".to_string(),
            };
            let did = if turn.did.is_empty() {
                "nothing".to_string()
            } else {
                turn.did.join(", ")
            };
            out += &format!(
                "turn 0 {} {stop} -- {did} -> {}\n",
                id(&turn.task),
                turn.end
            );
            let queue: Vec<String> = turn.queue.iter().map(|n| id(n)).collect();
            out += &format!("queue 0 {}\n", queue.join(" "));
        }
        out
    }
}
