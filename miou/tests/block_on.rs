//! `run` as a `block_on`: the root future may borrow from the caller (it cannot outlive
//! `run`). That a run that never calls starts no worker thread is in
//! `lazy_workers.rs`, alone in its binary (it counts the process's threads).

mod common;

use std::cell::Cell;
use std::time::Duration;

use common::{Alive, watchdog};

/// A channel whose `recv` borrows its receiver, as async-channel's and tokio's do (a
/// few lines here rather than a dev-dependency: async-channel's own dependencies do not
/// build under the `--cfg loom` of the loom models).
mod channel {
    use std::collections::VecDeque;
    use std::future::poll_fn;
    use std::sync::{Arc, Mutex};
    use std::task::{Poll, Waker};

    #[derive(Default)]
    struct Inner {
        items: VecDeque<u32>,
        waker: Option<Waker>,
    }

    pub struct Sender(Arc<Mutex<Inner>>);
    pub struct Receiver(Arc<Mutex<Inner>>);

    pub fn unbounded() -> (Sender, Receiver) {
        let inner = Arc::new(Mutex::new(Inner::default()));
        (Sender(inner.clone()), Receiver(inner))
    }

    impl Sender {
        pub fn send(&self, v: u32) {
            let waker = {
                let mut inner = self.0.lock().unwrap();
                inner.items.push_back(v);
                inner.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        }
    }

    impl Receiver {
        /// The next value; the future borrows the receiver.
        pub fn recv(&self) -> impl Future<Output = u32> + '_ {
            poll_fn(|cx| {
                let mut inner = self.0.lock().unwrap();
                match inner.items.pop_front() {
                    Some(v) => Poll::Ready(v),
                    None => {
                        inner.waker = Some(cx.waker().clone());
                        Poll::Pending
                    }
                }
            })
        }

        pub fn is_empty(&self) -> bool {
            self.0.lock().unwrap().items.is_empty()
        }
    }
}

/// The point of issue #16: `miou::run(rx.recv())`, on a receiver the caller keeps.
#[test]
fn run_awaits_a_borrowed_receiver() {
    watchdog(20, || {
        let (tx, rx) = channel::unbounded();
        tx.send(1);
        assert_eq!(miou::run(rx.recv()), 1);
        // A value sent from another thread while the run waits: its waker crosses
        // threads, into domain 0's inbox.
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            tx.send(2);
        });
        assert_eq!(miou::run(rx.recv()), 2);
        sender.join().unwrap();
        // The receiver is still the caller's.
        assert!(rx.is_empty());
    });
}

/// The root may borrow mutably, return a borrow, and hold `!Send`, non-`'static`
/// state; the borrows end with the run.
#[test]
fn the_root_borrows_from_the_caller() {
    let mut seen = Vec::new();
    let name = String::from("miou");
    let counter = Cell::new(0);
    let first: &str = miou::Builder::new().domains(0).run(async {
        seen.push(1);
        counter.set(counter.get() + 1);
        let child = miou::spawn(async { 41 }); // children are 'static, as before
        seen.push(child.await.unwrap() + 1);
        &name[..1]
    });
    assert_eq!(first, "m");
    assert_eq!(seen, [1, 42]);
    assert_eq!(counter.get(), 1);
}

/// The root's future, and what it borrows, is dropped before `run` returns, however the
/// root ends: it returns, it panics, or the run fails (the root is torn down).
#[test]
fn the_root_future_is_dropped_before_run_returns() {
    let alive = Alive::new();
    let a = &alive;
    let v = miou::Builder::new().domains(0).run(async move {
        let _g = a.guard();
        miou::yield_now().await;
        7
    });
    assert_eq!((v, alive.live(), alive.created()), (7, 0, 1));

    let r = miou::Builder::new().domains(0).try_run(async move {
        let _g = a.guard();
        miou::yield_now().await;
        panic!("the root panics");
    });
    assert!(matches!(r, Err(miou::Error::Panicked(_))));
    assert_eq!((alive.live(), alive.created()), (0, 2));

    let r = miou::Builder::new().domains(0).try_run(async move {
        let _g = a.guard();
        let _lost = miou::spawn(async {
            let _forgotten = miou::spawn(async {}); // the run fails here
        });
        std::future::pending::<()>().await; // torn down by the failure
    });
    assert!(matches!(r, Err(miou::Error::StillHasChildren)));
    assert_eq!((alive.live(), alive.created()), (0, 3));
}

/// A root whose future is not `Send` (nor `'static`) on a run with worker domains: it
/// stays on the calling thread, and `call` still works from it.
#[test]
fn a_borrowing_root_still_calls() {
    watchdog(20, || {
        let local = std::rc::Rc::new(5);
        let base = &local;
        let v = miou::Builder::new().domains(1).run(async move {
            let p = miou::call(|| async { miou::domain::current().index() });
            **base + p.await.unwrap()
        });
        assert_eq!(v, 6);
    });
}
