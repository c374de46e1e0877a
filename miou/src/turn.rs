//! The turn: the quanta rule, in one place.
//!
//! A turn is one poll of a task by its domain. Every `.await` on a miou operation passes
//! a scheduling point, and a turn allows `quanta` of them; at the next one the turn
//! ends, the task goes to the back of its domain's queue, and the operation is done when
//! the task comes back ("yield, then do"). A task's first turn allows none: a new task
//! runs to its first scheduling point and yields there. An operation that had to wait
//! (a child not yet finished, a lock held) used no point when it started; it uses one of
//! the turn in which it completes.
//!
//! [`Turn`] holds the two facts that rule makes: the points left in the turn under way,
//! and whether a point ended it. The domain owns one (the loop begins and ends turns
//! one at a time), the task layer says how the turn begins, and the operations pass
//! points through [`crate::point`]. Nothing else reads or writes them.
//!
//! ```text
//! task body      Turn::begin(first)       budget = 0 on the first turn, else quanta
//! operation      Turn::pass()             a point left? use it : end the turn here
//!                Turn::end_here()         yield_now: end the turn whatever is left
//!                Turn::waited()           a wait completed: use one point
//! domain loop    Turn::ended_at_point()   after the poll: back of the queue?
//! ```

use std::cell::Cell;

/// The points of the turn under way on one domain, and how it ended.
#[derive(Debug)]
pub(crate) struct Turn {
    /// Points a turn allows after the task's first (from `Builder::quanta`, at least 1).
    quanta: usize,
    /// Points left in the turn under way.
    budget: Cell<usize>,
    /// A point ended the turn: the loop puts the task at the back of the queue.
    ended_at_point: Cell<bool>,
}

impl Turn {
    pub(crate) fn new(quanta: usize) -> Turn {
        Turn {
            quanta,
            budget: Cell::new(0),
            ended_at_point: Cell::new(false),
        }
    }

    /// A task's future is about to be polled: its first turn allows no point, later
    /// turns `quanta`.
    ///
    /// Only turns that poll the task's future begin here. The runtime's own turns (a
    /// teardown, reaping children) pass no point, so the budget they leave does not
    /// matter.
    #[inline]
    pub(crate) fn begin(&self, first: bool) {
        self.budget.set(if first { 0 } else { self.quanta });
    }

    /// Passes a scheduling point: `true` if the turn had one left (it is used),
    /// otherwise `false`, and the turn ends here.
    #[inline]
    pub(crate) fn pass(&self) -> bool {
        let left = self.budget.get();
        if left > 0 {
            self.budget.set(left - 1);
            true
        } else {
            self.ended_at_point.set(true);
            false
        }
    }

    /// Ends the turn at this point, whatever is left (`yield_now`).
    #[inline]
    pub(crate) fn end_here(&self) {
        self.ended_at_point.set(true);
    }

    /// An operation that had to wait completes: it uses one point of this turn (none if
    /// there is none left: the wait was its point).
    #[inline]
    pub(crate) fn waited(&self) {
        self.budget.set(self.budget.get().saturating_sub(1));
    }

    /// After a poll that returned `Pending`: did a point end the turn (the task goes to
    /// the back of the queue) rather than a wait (the task is parked)? Answers once:
    /// the next turn starts clear.
    #[inline]
    pub(crate) fn ended_at_point(&self) -> bool {
        self.ended_at_point.replace(false)
    }
}

#[cfg(test)]
mod tests {
    use super::Turn;

    /// Passes points until one ends the turn; returns how many were passed.
    fn points_in(turn: &Turn) -> usize {
        let mut n = 0;
        while turn.pass() {
            n += 1;
        }
        assert!(turn.ended_at_point());
        n
    }

    #[test]
    fn a_first_turn_allows_no_point_and_later_turns_the_quanta() {
        let turn = Turn::new(3);
        turn.begin(true);
        assert_eq!(points_in(&turn), 0);
        turn.begin(false);
        assert_eq!(points_in(&turn), 3);
        turn.begin(false);
        assert_eq!(points_in(&turn), 3);
    }

    #[test]
    fn a_completed_wait_uses_a_point_and_never_goes_below_zero() {
        let turn = Turn::new(2);
        turn.begin(false);
        turn.waited();
        assert_eq!(points_in(&turn), 1);
        turn.begin(true);
        turn.waited();
        assert_eq!(points_in(&turn), 0);
    }

    #[test]
    fn the_end_is_answered_once() {
        let turn = Turn::new(1);
        turn.begin(false);
        assert!(!turn.ended_at_point(), "a turn that passed no point");
        turn.end_here();
        assert!(turn.ended_at_point());
        assert!(!turn.ended_at_point(), "the next turn starts clear");
        assert!(turn.pass(), "end_here uses no point");
    }
}
