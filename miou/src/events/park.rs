//! The built-in backend until the `mio` one lands: no timers, no sockets; it only puts
//! an idle domain to sleep and lets its interrupter wake it. Wake-ups from other threads
//! (a child finished on another domain, a foreign `Waker` fired) reach a sleeping domain
//! this way, so an idle domain never spins.

use std::sync::{Arc, Condvar, Mutex};

use super::{Events, Interrupter, Signal, SyscallId};

/// Sleeps on a condition variable; an interrupt that arrives before the sleep is kept
/// in `pending`, so it is never lost.
pub(crate) struct Park {
    state: Arc<(Mutex<bool>, Condvar)>,
}

impl Park {
    pub(crate) fn new() -> Park {
        Park { state: Arc::new((Mutex::new(false), Condvar::new())) }
    }
}

impl Events for Park {
    fn select(&mut self, block: bool, _cancelled: &[SyscallId]) -> Vec<Signal> {
        let (lock, cvar) = &*self.state;
        let mut pending = lock.lock().unwrap_or_else(|e| e.into_inner());
        if block {
            while !*pending {
                pending = cvar.wait(pending).unwrap_or_else(|e| e.into_inner());
            }
        }
        *pending = false;
        Vec::new()
    }

    fn interrupter(&self) -> Interrupter {
        let state = self.state.clone();
        Interrupter::new(move || {
            let (lock, cvar) = &*state;
            *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
            cvar.notify_one();
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupt_before_the_sleep_is_not_lost() {
        let mut park = Park::new();
        park.interrupter().interrupt();
        assert!(park.select(true, &[]).is_empty(), "returns at once");
    }

    #[test]
    fn an_interrupt_from_another_thread_wakes_the_sleep() {
        let mut park = Park::new();
        let i = park.interrupter();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            i.interrupt();
        });
        park.select(true, &[]);
        t.join().unwrap();
    }
}
