//! The backend of a worker domain, which asks nothing of the system: its
//! `select` only waits, when it may, until another thread interrupts it.
//!
//! It is a flag and a condition variable. The flag is what makes an early
//! interrupt count: raised before the domain waits, it stops the wait before
//! it begins. [`VirtualClock`](crate::clock::VirtualClock) and
//! [`RealClock`](crate::clock::RealClock) wait the same way when they have
//! no sleeper to wait for.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::events::{Events, Interrupter, Signal, SyscallId};

/// A domain's way to sleep until it is interrupted.
#[derive(Clone, Default)]
pub struct Parker {
    state: Arc<(Mutex<bool>, Condvar)>,
}

impl Parker {
    /// A parker with no interrupt pending.
    pub fn new() -> Parker {
        Parker::default()
    }

    /// Waits until interrupted, or until `timeout` has passed, and consumes
    /// the interrupt. Returns at once if one came before.
    pub(crate) fn park(&self, timeout: Option<Duration>) {
        let (interrupted, condvar) = &*self.state;
        let mut interrupted = interrupted.lock().unwrap();
        // A loop: a condition variable may wake up for no reason.
        while !*interrupted {
            match timeout {
                None => interrupted = condvar.wait(interrupted).unwrap(),
                Some(timeout) => {
                    let (guard, waited) =
                        condvar.wait_timeout(interrupted, timeout).unwrap();
                    interrupted = guard;
                    if waited.timed_out() {
                        break;
                    }
                }
            }
        }
        *interrupted = false;
    }

    /// What other threads call: raises the flag and wakes the sleeper.
    pub fn interrupter(&self) -> Interrupter {
        let state = Arc::clone(&self.state);
        Interrupter::new(move || {
            let (interrupted, condvar) = &*state;
            *interrupted.lock().unwrap() = true;
            condvar.notify_one();
        })
    }
}

impl Events for Parker {
    fn select(&mut self, block: bool, _cancelled: &[SyscallId]) -> Vec<Signal> {
        if block {
            self.park(None);
        }
        Vec::new()
    }

    fn interrupter(&self) -> Interrupter {
        Parker::interrupter(self)
    }
}
