//! Mutexes and conditions, with the results worked out by hand from the
//! rules of step 9: one task at a time holds a lock; it is handed to the
//! oldest waiter, never taken by a newcomer; a cancelled waiter neither keeps
//! nor loses the lock or a signal. Every test runs under a watchdog: a lost
//! hand-off or signal shows as a hang, which fails.

#[path = "../demo/runs.rs"]
#[allow(dead_code)]
mod runs;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use runs::{on_domains, under};
use std::collections::VecDeque;
use step_09::examples::{
    Queue, cancelled_in_line, in_line, producers_and_consumers, shared_counter,
};

use step_09::sync::{Condition, Mutex};
use step_09::{call, print, spawn, yield_now};

/// Runs `test` on its own thread and fails if it takes more than 60 s.
fn within_a_minute<R: Send + 'static>(
    test: impl FnOnce() -> R + Send + 'static,
) -> R {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(test());
    });
    receive
        .recv_timeout(Duration::from_secs(60))
        .expect("the run finishes within a minute")
}

#[test]
fn no_addition_is_lost_across_domains() {
    let report = within_a_minute(|| on_domains(2, shared_counter()));
    assert_eq!(report.output, ["counter: 2000"]);
    // Three adders on three workers, 500 each.
    let report = within_a_minute(|| {
        on_domains(3, async {
            let counter = Mutex::new("counter", 0);
            let mut adders = Vec::new();
            for name in ["x", "y", "z"] {
                let counter = counter.clone();
                let adder = call(name, move || async move {
                    for _ in 0..500 {
                        let mut n = counter.lock().await;
                        let seen = *n;
                        yield_now().await;
                        *n = seen + 1;
                    }
                })
                .await;
                adders.push(adder);
            }
            for adder in adders {
                adder.await.unwrap();
            }
            print(format!("{}", *counter.lock().await)).await;
        })
    });
    assert_eq!(report.output, ["1500"]);
}

#[test]
fn the_lock_goes_to_the_oldest_waiter_not_to_the_task_that_let_go() {
    let report = within_a_minute(|| under(4, 0, in_line()));
    assert_eq!(
        report.output,
        [
            "a has the lock",
            "b has the lock",
            "c has the lock",
            "a has the lock",
            "b has the lock",
            "c has the lock",
        ]
    );
    // a's third turn: it lets go, the lock is handed to b, which waited
    // since turn 7, and a, asking again in the same turn, goes in line.
    let a: Vec<String> = report
        .turns
        .iter()
        .filter(|t| t.task == "a")
        .map(|t| t.did.join(", "))
        .collect();
    assert_eq!(
        a[2],
        "print \"a has the lock\", hand m to b, lock m, wait m"
    );
}

#[test]
fn a_cancelled_waiter_neither_keeps_nor_loses_the_lock() {
    let report = within_a_minute(|| under(2, 0, cancelled_in_line()));
    assert_eq!(
        report.output,
        [
            "c has the lock",
            "a: Err(Cancelled), b: Err(Cancelled)",
            "waiting: 0",
        ]
    );
    // a was handed the lock and cancelled before it took it: its teardown
    // handed it on to c.
    let a_teardown = report
        .turns
        .iter()
        .find(|t| t.task == "a" && t.end == "cancelled")
        .expect("a is cancelled");
    assert_eq!(a_teardown.did, ["hand m to c", "drop"]);
}

#[test]
fn a_task_cancelled_while_it_holds_the_lock_lets_go() {
    // The holder, on a worker, takes the lock, says so, and waits for ever
    // with it; cancelling it drops its guard, on its domain, which lets go.
    let report = within_a_minute(|| {
        on_domains(1, async {
            let lock = Mutex::new("m", 0);
            let started = Arc::new(AtomicBool::new(false));
            let (for_holder, flag) = (lock.clone(), Arc::clone(&started));
            let holder = call("holder", move || async move {
                let mut held = for_holder.lock().await;
                *held = 1;
                flag.store(true, Ordering::SeqCst);
                std::future::pending::<()>().await;
            })
            .await;
            while !started.load(Ordering::SeqCst) {
                yield_now().await;
            }
            holder.cancel().await.unwrap();
            print(format!("{}", *lock.lock().await)).await;
        })
    });
    assert_eq!(report.output, ["1"]);
}

/// Two waiters on a condition, `w1` then `w2`; `main` signals once.
/// With `cancel_first`, `main` cancels `w1` once it is signalled, before it
/// has run again.
async fn two_waiters(cancel_first: bool) {
    let lock = Mutex::new("m", ());
    let changed = Condition::new("changed");
    let mut waiters = Vec::new();
    for name in ["w1", "w2"] {
        let (lock, changed) = (lock.clone(), changed.clone());
        let waiter = spawn(name, async move {
            let held = lock.lock().await;
            let _held = changed.wait(held).await;
            print(format!("{name} woke up")).await;
        })
        .await;
        waiters.push(waiter);
    }
    while changed.waiting() < 2 {
        yield_now().await;
    }
    changed.signal();
    let w2 = waiters.pop().unwrap();
    let w1 = waiters.pop().unwrap();
    if cancel_first {
        w1.cancel().await.unwrap();
        w2.await.unwrap();
        print(format!("w1: {:?}", w1.await)).await;
    } else {
        w1.await.unwrap();
        print(format!("w2 still waits: {}", changed.waiting() == 1)).await;
        w2.cancel().await.unwrap();
    }
}

#[test]
fn a_signal_wakes_the_oldest_waiter_only() {
    let report = within_a_minute(|| under(2, 0, two_waiters(false)));
    assert_eq!(report.output, ["w1 woke up", "w2 still waits: true"]);
}

#[test]
fn a_signal_to_a_cancelled_waiter_goes_to_the_next() {
    // Under quanta 2, main signals, then stops at its cancel's point; it is
    // queued ahead of w1, which the signal put behind it, so it cancels w1,
    // signalled, before w1 wakes up.
    let report = within_a_minute(|| under(2, 0, two_waiters(true)));
    assert_eq!(report.output, ["w2 woke up", "w1: Err(Cancelled)"]);
}

#[test]
fn broadcast_wakes_every_waiter_and_each_takes_the_lock_in_turn() {
    let report = within_a_minute(|| {
        under(1, 0, async {
            let ready = Mutex::new("ready", false);
            let changed = Condition::new("changed");
            let mut waiters = Vec::new();
            for name in ["a", "b", "c"] {
                let (ready, changed) = (ready.clone(), changed.clone());
                let waiter = spawn(name, async move {
                    let mut held = ready.lock().await;
                    while !*held {
                        held = changed.wait(held).await;
                    }
                    print(format!("{name} sees it ready")).await;
                })
                .await;
                waiters.push(waiter);
            }
            while changed.waiting() < 3 {
                yield_now().await;
            }
            *ready.lock().await = true;
            changed.broadcast();
            for waiter in waiters {
                waiter.await.unwrap();
            }
        })
    });
    assert_eq!(
        report.output,
        ["a sees it ready", "b sees it ready", "c sees it ready"]
    );
}

#[test]
fn the_queue_keeps_every_item_once_and_in_order_per_producer() {
    let report = within_a_minute(|| on_domains(3, producers_and_consumers()));
    assert_eq!(
        report.output,
        [
            "items popped: 3000, all different: 3000",
            "each producer's items in order: true",
            "the queue held at most 8: true",
        ]
    );
}

#[test]
fn a_queue_of_one_alternates_a_producer_and_a_consumer() {
    // On domain 0 under quanta 1: with room for one item, the producer
    // waits after each push until the consumer has popped.
    let report = within_a_minute(|| {
        under(1, 0, async {
            let queue: Queue<u32> = Queue::new(1);
            let (for_producer, for_consumer) = (queue.clone(), queue.clone());
            let producer = spawn("producer", async move {
                for k in 1..=3 {
                    for_producer.push(k).await;
                }
            })
            .await;
            let consumer = spawn("consumer", async move {
                let mut got = Vec::new();
                while let Some(k) = for_consumer.pop().await {
                    got.push(k);
                }
                got
            })
            .await;
            producer.await.unwrap();
            queue.close().await;
            let got = consumer.await.unwrap();
            print(format!("{got:?}, longest {}", queue.longest().await)).await;
        })
    });
    assert_eq!(report.output, ["[1, 2, 3], longest 1"]);
}

#[test]
fn a_waiter_cancelled_while_it_takes_the_lock_back_passes_its_signal_on() {
    // c1 and c2 wait for an item. main pushes one and signals, under the lock:
    // c1 wakes and lines up for the lock, which main still holds. main cancels
    // c1 there, then lets go: c1's signal goes to c2, which gets the item.
    let report = within_a_minute(|| {
        under(1, 0, async {
            let items: Mutex<VecDeque<u32>> =
                Mutex::new("items", VecDeque::new());
            let not_empty = Condition::new("not_empty");
            let mut consumers = Vec::new();
            for name in ["c1", "c2"] {
                let (items, not_empty) = (items.clone(), not_empty.clone());
                let consumer = spawn(name, async move {
                    let mut held = items.lock().await;
                    while held.is_empty() {
                        held = not_empty.wait(held).await;
                    }
                    let item = held.pop_front().unwrap();
                    print(format!("{name} got {item}")).await;
                })
                .await;
                consumers.push(consumer);
            }
            while not_empty.waiting() < 2 {
                yield_now().await;
            }
            let mut held = items.lock().await;
            held.push_back(1);
            not_empty.signal();
            while items.waiting() < 1 {
                yield_now().await;
            }
            let c2 = consumers.pop().unwrap();
            let c1 = consumers.pop().unwrap();
            c1.cancel().await.unwrap();
            drop(held);
            print(format!("c2: {:?}", c2.await)).await;
        })
    });
    assert_eq!(report.output, ["c2 got 1", "c2: Ok(())"]);
}
