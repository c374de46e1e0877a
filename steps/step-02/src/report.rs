//! What a run reports: one [`Turn`] per turn, the run queue after each turn,
//! and the lines the tasks printed; and how it is printed.

use std::collections::VecDeque;

use crate::{State, Task};

/// What one turn did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// The task that had the turn.
    pub task: String,
    /// `start` if the task ran for the first time, then each effect answered,
    /// in order.
    pub did: Vec<String>,
    /// How the turn ended: `finished`, or the effect the task was queued on.
    pub end: String,
    /// The names of the tasks in the to-do list after the turn, front first.
    pub queue: Vec<String>,
}

/// What a run did: its turns, and the lines printed.
#[derive(Debug, Default)]
pub struct Report {
    /// Every turn, in order.
    pub turns: Vec<Turn>,
    /// The lines printed by [`print()`](crate::print()), in order.
    pub output: Vec<String>,
}

impl Report {
    /// Records a turn of `task`, which did `did` and stopped in `state`.
    pub(crate) fn turn(&mut self, task: &str, did: Vec<String>, state: &State) {
        let end = match state {
            State::Finished => "finished".to_string(),
            State::Suspended(_, effect) => format!("queued at {effect}"),
            State::Launch(_) => unreachable!("a task that had a turn started"),
        };
        self.turns.push(Turn {
            task: task.to_string(),
            did,
            end,
            queue: Vec::new(),
        });
    }

    /// Records the to-do list after the latest turn.
    pub(crate) fn queue(&mut self, todo: &VecDeque<Task>) {
        let last = self.turns.last_mut().expect("a turn was recorded");
        last.queue = todo.iter().map(|task| task.name.clone()).collect();
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
    /// crate's text format): one row per task, one column per turn, and the
    /// to-do list after each turn.
    pub fn trace(&self, title: &str, description: &str) -> String {
        let mut names: Vec<&str> = Vec::new();
        for turn in &self.turns {
            for name in std::iter::once(&turn.task).chain(&turn.queue) {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        let mut out = format!("title {title}\ndescription {description}\n");
        for name in &names {
            out += &format!("task {name} {name}\n");
        }
        for turn in &self.turns {
            // The cell shows where the task stopped; its tooltip what it did.
            let stop = match turn.end.strip_prefix("queued at ") {
                Some(effect) => effect.split(' ').next().unwrap_or(effect),
                None => "done",
            };
            let did = if turn.did.is_empty() {
                "nothing".to_string()
            } else {
                turn.did.join(", ")
            };
            out += &format!(
                "turn 0 {} {stop} -- {did} -> {}\n",
                turn.task, turn.end
            );
            out += &format!("queue 0 {}\n", turn.queue.join(" "));
        }
        out
    }
}
