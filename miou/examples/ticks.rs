//! A virtual clock as an events backend of your own: chapter 4's clock of the
//! book, for miou. Time starts at 0 and jumps to the next deadline whenever
//! nothing can run, so the program's output is the same on every run.
//!
//! ```text
//! cargo run -p miou --example ticks
//! ```
//!
//! (miou has a virtual clock of its own, `Builder::virtual_clock`; this one
//! shows how a backend is written, with nothing but `miou::Events`.)

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex};

use miou::domain::DomainId;
use miou::{Events, Interrupter, Signal, Syscall, SyscallId};

// ANCHOR: clock
/// What the tasks of a domain and its backend share: the time, the tasks
/// asleep (a deadline and a syscall each), and a log of what happened.
#[derive(Default)]
struct Clock {
    now: u64,
    sleepers: Vec<(u64, Syscall)>,
    log: Vec<String>,
}

thread_local! {
    /// The clock of the domain that runs on this thread, set when its backend
    /// is made: a task and its domain's backend share the domain's thread.
    static CLOCK: RefCell<Option<Rc<RefCell<Clock>>>> =
        const { RefCell::new(None) };
}

/// The clock of the current task's domain.
fn clock() -> Rc<RefCell<Clock>> {
    let clock = CLOCK.with_borrow(|c| c.clone());
    clock.expect("a task of a domain whose backend is `Ticks`")
}
// ANCHOR_END: clock

// ANCHOR: sleep
/// The current time, in ticks.
pub fn now() -> u64 {
    clock().borrow().now
}

/// Writes `line` to the clock's log.
pub fn log(line: String) {
    clock().borrow_mut().log.push(line);
}

/// Sleeps `ticks`: a syscall, filed with the clock under its deadline, and a
/// suspend on it, which the backend's `select` releases.
pub async fn sleep(ticks: u64) {
    let syscall = miou::syscall();
    {
        let clock = clock();
        let mut clock = clock.borrow_mut();
        let deadline = clock.now + ticks;
        clock.sleepers.push((deadline, syscall.clone()));
    }
    miou::suspend(syscall).await;
}
// ANCHOR_END: sleep

// ANCHOR: backend
/// The backend of one domain: its clock, and where its thread waits for an
/// interrupt when nobody sleeps and nothing can run.
struct Ticks {
    clock: Rc<RefCell<Clock>>,
    interrupted: Arc<(Mutex<bool>, Condvar)>,
}

/// Makes the backend of domain `_id`, on that domain's thread.
fn ticks(_id: DomainId) -> Ticks {
    let clock = Rc::new(RefCell::new(Clock::default()));
    CLOCK.set(Some(Rc::clone(&clock)));
    Ticks {
        clock,
        interrupted: Arc::default(),
    }
}

impl Events for Ticks {
    fn select(&mut self, block: bool, cancelled: &[SyscallId]) -> Vec<Signal> {
        let mut clock = self.clock.borrow_mut();
        let clock = &mut *clock;
        // Forget the sleepers whose tasks stopped waiting.
        for (deadline, s) in &clock.sleepers {
            if cancelled.contains(&s.id()) {
                let forgot = format!("forgets a sleeper due at {deadline}");
                clock.log.push(forgot);
            }
        }
        clock.sleepers.retain(|(_, s)| !cancelled.contains(&s.id()));
        if block {
            // Nothing can run: the next deadline is the next thing to happen.
            match clock.sleepers.iter().map(|(d, _)| *d).min() {
                Some(next) => {
                    clock.now = next;
                    clock.log.push(format!("jumps to {next}"));
                }
                // Nobody sleeps: only another thread can give us work.
                None => {
                    self.wait_for_interrupt();
                    return Vec::new();
                }
            }
        }
        // Release the sleepers that are due, earliest deadline first.
        let now = clock.now;
        let mut due: Vec<(u64, Syscall)> = Vec::new();
        clock.sleepers.retain(|(deadline, s)| {
            let is_due = *deadline <= now;
            if is_due {
                due.push((*deadline, s.clone()));
            }
            !is_due
        });
        due.sort_by_key(|(deadline, s)| (*deadline, s.id()));
        due.iter().map(|(_, s)| s.signal()).collect()
    }

    fn interrupter(&self) -> Interrupter {
        let interrupted = Arc::clone(&self.interrupted);
        Interrupter::new(move || {
            let (flag, condvar) = &*interrupted;
            *flag.lock().unwrap() = true;
            condvar.notify_one();
        })
    }
}

impl Ticks {
    /// Waits until the interrupter is called, or returns at once if it was
    /// called since the last wait: an early interrupt is not lost.
    fn wait_for_interrupt(&self) {
        let (flag, condvar) = &*self.interrupted;
        let mut interrupted = flag.lock().unwrap();
        while !*interrupted {
            interrupted = condvar.wait(interrupted).unwrap();
        }
        *interrupted = false;
    }
}
// ANCHOR_END: backend

// ANCHOR: program
/// Three tasks sleep 3, 1 and 2 ticks; a fourth, due at 100, is cancelled;
/// then `main` sleeps 1 more tick. Returns the clock's log.
pub fn run() -> Vec<String> {
    run_with(miou::Builder::new())
}

/// [`run`], with the settings of `builder` (a trace reporter, say), on one
/// domain whose backend is `Ticks`.
pub fn run_with(builder: miou::Builder) -> Vec<String> {
    builder.domains(0).events(ticks).run(async {
        let mut sleepers = Vec::new();
        for (name, ticks) in [("a", 3), ("b", 1), ("c", 2)] {
            sleepers.push(miou::spawn(async move {
                sleep(ticks).await;
                log(format!("{name} wakes up at {}", now()));
            }));
        }
        let long = miou::spawn(sleep(100));
        for sleeper in sleepers {
            sleeper.await.unwrap();
        }
        miou::cancel(long).await;
        sleep(1).await;
        log(format!("main returns at {}", now()));
        std::mem::take(&mut clock().borrow_mut().log)
    })
}
// ANCHOR_END: program

fn main() {
    for line in run() {
        println!("{line}");
    }
}
