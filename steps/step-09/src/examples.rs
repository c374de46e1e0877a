//! The example programs of step 9: tasks that share data through a mutex,
//! and wait for each other's changes on conditions, on one domain or
//! several. Each prints only what does not depend on how the threads
//! interleave: totals, checks, and orders that the rules fix.

use std::collections::VecDeque;

use crate::clock::{VirtualClock, sleep};
use crate::sync::{Condition, Mutex};
use crate::{call, print, spawn, yield_now};

// ANCHOR: counter
/// Two tasks on two workers each add 1 to a shared counter 1,000 times,
/// reading it, yielding, then writing it: with the lock held all along,
/// no addition is lost.
pub async fn shared_counter() {
    let counter = Mutex::new("counter", 0);
    let mut adders = Vec::new();
    for name in ["left", "right"] {
        let counter = counter.clone();
        let adder = call(name, move || async move {
            for _ in 0..1000 {
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
    print(format!("counter: {}", *counter.lock().await)).await;
}
// ANCHOR_END: counter

// ANCHOR: in_line
/// Three tasks take a lock twice each. Each holds it across the end of a
/// turn, and asks for it again in the turn it lets go.
pub async fn in_line() {
    let lock = Mutex::new("m", ());
    let mut tasks = Vec::new();
    for name in ["a", "b", "c"] {
        let lock = lock.clone();
        let task = spawn(name, async move {
            for _ in 0..2 {
                let _held = lock.lock().await;
                // The turn ends at the next point, the print's: the print
                // comes in the next turn, with the lock still held.
                yield_now().await;
                print(format!("{name} has the lock")).await;
            }
        })
        .await;
        tasks.push(task);
    }
    for task in tasks {
        task.await.unwrap();
    }
}
// ANCHOR_END: in_line

/// Takes `mutex`, and says so.
async fn take(mutex: Mutex<()>, name: &'static str) {
    let _held = mutex.lock().await;
    print(format!("{name} has the lock")).await;
}

// ANCHOR: cancelled
/// `a`, `b` and `c` wait in line for a lock `main` holds. `main` cancels
/// `b` in the line, lets go (the lock is handed to `a`), and cancels `a`
/// before it has taken it.
pub async fn cancelled_in_line() {
    let lock = Mutex::new("m", ());
    let held = lock.lock().await;
    let a = spawn("a", take(lock.clone(), "a")).await;
    let b = spawn("b", take(lock.clone(), "b")).await;
    let c = spawn("c", take(lock.clone(), "c")).await;
    while lock.waiting() < 3 {
        yield_now().await;
    }
    b.cancel().await.unwrap();
    drop(held);
    a.cancel().await.unwrap();
    c.await.unwrap();
    print(format!("a: {:?}, b: {:?}", a.await, b.await)).await;
    print(format!("waiting: {}", lock.waiting())).await;
}
// ANCHOR_END: cancelled

// ANCHOR: queue
/// A queue of at most `capacity` items, for tasks on any domain: `push`
/// waits while it is full, `pop` while it is empty.
pub struct Queue<T> {
    items: Mutex<Items<T>>,
    not_empty: Condition,
    not_full: Condition,
    capacity: usize,
}

struct Items<T> {
    queue: VecDeque<T>,
    /// No more pushes: `pop` returns `None` once the queue is empty.
    closed: bool,
    /// The most items it ever held.
    longest: usize,
}

impl<T> Queue<T> {
    /// An empty queue of at most `capacity` items.
    pub fn new(capacity: usize) -> Queue<T> {
        let items = Items {
            queue: VecDeque::new(),
            closed: false,
            longest: 0,
        };
        Queue {
            items: Mutex::new("items", items),
            not_empty: Condition::new("not_empty"),
            not_full: Condition::new("not_full"),
            capacity,
        }
    }

    /// Adds `item` at the back, once there is room.
    pub async fn push(&self, item: T) {
        let mut items = self.items.lock().await;
        while items.queue.len() == self.capacity {
            items = self.not_full.wait(items).await;
        }
        items.queue.push_back(item);
        items.longest = items.longest.max(items.queue.len());
        self.not_empty.signal();
    }

    /// Takes the item at the front, once there is one; `None` once the
    /// queue is closed and empty.
    pub async fn pop(&self) -> Option<T> {
        let mut items = self.items.lock().await;
        loop {
            if let Some(item) = items.queue.pop_front() {
                self.not_full.signal();
                return Some(item);
            }
            if items.closed {
                return None;
            }
            items = self.not_empty.wait(items).await;
        }
    }

    /// No more pushes: wakes every task waiting to pop.
    pub async fn close(&self) {
        self.items.lock().await.closed = true;
        self.not_empty.broadcast();
    }

    /// The most items the queue ever held.
    pub async fn longest(&self) -> usize {
        self.items.lock().await.longest
    }
}
// ANCHOR_END: queue

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue {
            items: self.items.clone(),
            not_empty: self.not_empty.clone(),
            not_full: self.not_full.clone(),
            capacity: self.capacity,
        }
    }
}

// ANCHOR: producers
/// Three producers push 1,000 numbered items each into a queue of 8; two
/// consumers pop until it is closed, and check that each producer's items
/// came in order. Five tasks on three worker domains.
pub async fn producers_and_consumers() {
    let queue: Queue<(usize, u64)> = Queue::new(8);
    let mut producers = Vec::new();
    for p in 0..3 {
        let queue = queue.clone();
        let producer = call(&format!("producer {p}"), move || async move {
            for k in 0..1000 {
                queue.push((p, k)).await;
            }
        })
        .await;
        producers.push(producer);
    }
    let mut consumers = Vec::new();
    for c in 0..2 {
        let queue = queue.clone();
        let consumer = call(&format!("consumer {c}"), move || async move {
            let mut last = [None; 3];
            let (mut popped, mut in_order) = (Vec::new(), true);
            while let Some((p, k)) = queue.pop().await {
                in_order &= last[p].is_none_or(|before| before < k);
                last[p] = Some(k);
                popped.push((p, k));
            }
            (popped, in_order)
        })
        .await;
        consumers.push(consumer);
    }
    for producer in producers {
        producer.await.unwrap();
    }
    queue.close().await;
    let mut all = Vec::new();
    let mut in_order = true;
    for consumer in consumers {
        let (popped, ordered) = consumer.await.unwrap();
        all.extend(popped);
        in_order &= ordered;
    }
    let popped = all.len();
    all.sort();
    all.dedup();
    print(format!(
        "items popped: {popped}, all different: {}",
        all.len()
    ))
    .await;
    print(format!("each producer's items in order: {in_order}")).await;
    let longest = queue.longest().await;
    print(format!("the queue held at most 8: {}", longest <= 8)).await;
}
// ANCHOR_END: producers

/// The scenario of the chapter's picture, on a virtual clock: `a`, `b` and
/// `c` ask for a lock at once, and each holds it for 2 ticks.
pub async fn taking_turns(clock: VirtualClock) {
    let lock = Mutex::new("m", ());
    let mut tasks = Vec::new();
    for name in ["a", "b", "c"] {
        let (lock, clock) = (lock.clone(), clock.clone());
        let task = spawn(name, async move {
            let _held = lock.lock().await;
            sleep(&clock, 2).await;
        })
        .await;
        tasks.push(task);
    }
    for task in tasks {
        task.await.unwrap();
    }
}
