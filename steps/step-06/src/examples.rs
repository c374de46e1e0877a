//! The example programs of step 6: one per rule of the task tree, each on a
//! virtual clock so that its turns are the same on every run.

use crate::clock::{VirtualClock, sleep};
use crate::{Error, Orphans, note, print, spawn};

// ANCHOR: guard
/// Writes `"NAME dropped"` when it is dropped: put one in a task to see when
/// its future is dropped, whether it returned, was cancelled or panicked.
pub struct Guard(pub &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        // A destructor cannot `.await`: `note` writes without a point.
        note(format!("{} dropped", self.0));
    }
}
// ANCHOR_END: guard

// ANCHOR: tree
/// A parent awaits its two children; one of them awaits a child of its own.
pub async fn family() {
    let a = spawn("a", async {
        let a1 = spawn("a1", async { 10 }).await;
        a1.await.unwrap() + 1
    })
    .await;
    let b = spawn("b", async { 20 }).await;
    let (a, b) = (a.await, b.await);
    print(format!("a: {a:?}, b: {b:?}")).await;
}
// ANCHOR_END: tree

// ANCHOR: forgotten
/// A parent spawns a child that sleeps, and returns without awaiting it.
pub async fn forgotten(clock: VirtualClock) {
    let _sleeper = spawn("sleeper", async move {
        let _guard = Guard("sleeper");
        sleep(&clock, 5).await;
        print("the sleeper woke up").await;
    })
    .await;
    print("main returns").await;
}
// ANCHOR_END: forgotten

// ANCHOR: not_a_child
/// `main`'s child `a` is handed to its sibling `b`, which tries to cancel it,
/// then hands it back.
pub async fn not_a_child() {
    let a = spawn("a", async { 1 }).await;
    let b = spawn("b", async move {
        let tried = a.cancel().await;
        print(format!("b cancelling a: {tried:?}")).await;
        a
    })
    .await;
    let a = b.await.unwrap();
    print(format!("main awaiting a: {:?}", a.await)).await;
}
// ANCHOR_END: not_a_child

// ANCHOR: cancel
/// `main` cancels `parent`, whose child and grandchild sleep for a long time.
pub async fn cancel_a_tree(clock: VirtualClock) {
    let c = clock.clone();
    let parent = spawn("parent", async move {
        let _guard = Guard("parent");
        let child = spawn("child", async move {
            let _guard = Guard("child");
            let c2 = c.clone();
            let grandchild = spawn("grandchild", async move {
                let _guard = Guard("grandchild");
                sleep(&c2, 100).await;
            })
            .await;
            grandchild.await.unwrap();
        })
        .await;
        child.await.unwrap();
    })
    .await;
    sleep(&clock, 1).await;
    parent.cancel().await.unwrap();
    print("cancel returned").await;
    print(format!("parent: {:?}", parent.await)).await;
}
// ANCHOR_END: cancel

// ANCHOR: panic
/// A child panics while its own child sleeps.
pub async fn panicking(clock: VirtualClock) {
    let worker = spawn("worker", async move {
        let c = clock.clone();
        let _helper = spawn("helper", async move {
            let _guard = Guard("helper");
            sleep(&c, 100).await;
        })
        .await;
        let _guard = Guard("worker");
        sleep(&clock, 1).await;
        panic!("the worker gave up");
    })
    .await;
    let result: Result<(), Error> = worker.await;
    print(format!("awaiting worker: {result:?}")).await;
}
// ANCHOR_END: panic

// ANCHOR: orphans
/// Five background jobs of 3, 1, 4, 1 and 5 ticks; the parent reaps each one
/// as it finishes, then awaits what is left.
pub async fn background(clock: VirtualClock) {
    let jobs = Orphans::new();
    for (k, ticks) in [3, 1, 4, 1, 5].into_iter().enumerate() {
        let c = clock.clone();
        let name = format!("job {}", k + 1);
        jobs.spawn(&name, async move {
            sleep(&c, ticks).await;
            ticks
        })
        .await;
    }
    for tick in 1..=3 {
        sleep(&clock, 1).await;
        while let Some(done) = jobs.care() {
            let ticks = done.await.unwrap();
            print(format!("at {tick}: reaped the job of {ticks}")).await;
        }
    }
    for job in jobs.take_all() {
        let ticks = job.await.unwrap();
        print(format!("at the end: the job of {ticks}")).await;
    }
}
// ANCHOR_END: orphans
