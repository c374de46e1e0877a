//! async-lock's own test suite (v3.5.0: `tests/mutex.rs`, `tests/rwlock.rs`,
//! `tests/semaphore.rs`, `tests/barrier.rs` and the helper of `tests/common/mod.rs`)
//! rewritten to run on miou.
//!
//! Upstream drives its tests with `futures_lite::future::block_on` and runs the
//! contending parties on threads (each with its own `block_on`), joined through flume
//! channels. Here a test is one miou run; a contending party is a child task ([`fork`]),
//! joined by its parent, and each concurrent scenario runs twice: on one domain, and
//! called onto two worker domains. async-lock has no test of its `OnceCell` (upstream
//! tests it only in doc examples), and the tests of its blocking API and of its pure
//! bookkeeping are not ported: see `ecosystem/README.md`.

mod common;

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use common::{block_on, fork, join, join_each, on_both, relay_waker};

/// upstream: async-lock tests/common/mod.rs `check_yields_when_contended`.
///
/// Upstream polls `acquire` by hand with a waker that only records that it was called.
/// Here it is polled inside a miou task, with the task's own waker wrapped so that the
/// call is both counted and delivered: `acquire` must be pending while `contender`
/// (a guard) lives, releasing the guard must call the waker, and the next poll must
/// acquire.
async fn check_yields_when_contended<G>(contender: G, acquire: impl Future) {
    let wakes = Arc::new(AtomicUsize::new(0));
    let mut acquire = pin!(acquire);
    poll_fn(|cx| {
        let waker = relay_waker(cx.waker(), &wakes);
        let pending = acquire.as_mut().poll(&mut Context::from_waker(&waker));
        assert!(pending.is_pending(), "acquired while the guard is held");
        Poll::Ready(())
    })
    .await;
    drop(contender);
    assert!(
        wakes.load(Ordering::SeqCst) > 0,
        "releasing the guard woke nobody"
    );
    poll_fn(|cx| {
        assert!(acquire.as_mut().poll(cx).is_ready(), "still not acquired");
        Poll::Ready(())
    })
    .await;
}

/// A small xorshift generator: upstream's `fastrand::u32(..n)` for the random choice of
/// a read or a write lock, without the dependency.
struct Dice(u32);

impl Dice {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0 % n
    }
}

mod mutex {
    use super::*;
    use async_lock::Mutex;

    /// upstream: async-lock tests/mutex.rs `smoke`
    #[test]
    fn smoke() {
        block_on(|| async {
            let m = Mutex::new(());
            for _ in 0..2 {
                let guard = m.lock().await;
                drop(guard);
            }
        });
    }

    /// upstream: async-lock tests/mutex.rs `contention` (100 threads upstream; here 100
    /// tasks)
    #[test]
    fn contention() {
        const TASKS: i32 = 100;
        on_both(2, |place| async move {
            let (done_tx, done_rx) = async_channel::unbounded();
            let mutex = Arc::new(Mutex::new(0i32));
            let mut tasks = Vec::new();
            for _ in 0..TASKS {
                let (done_tx, mutex) = (done_tx.clone(), mutex.clone());
                tasks.push(fork(place, move || async move {
                    let mut guard = mutex.lock().await;
                    *guard += 1;
                    // Reported while still holding the lock, as upstream does.
                    done_tx.send(()).await.unwrap();
                    drop(guard);
                }));
            }
            for _ in 0..TASKS {
                done_rx.recv().await.unwrap();
            }
            assert_eq!(*mutex.lock().await, TASKS);
            join_each(tasks).await;
        });
    }

    /// upstream: async-lock tests/mutex.rs `yields_when_contended`
    #[test]
    fn yields_when_contended() {
        block_on(|| async {
            let m = Mutex::new(());
            check_yields_when_contended(m.try_lock().unwrap(), m.lock()).await;
            let m = Arc::new(m);
            check_yields_when_contended(m.try_lock_arc().unwrap(), m.lock_arc()).await;
        });
    }
}

mod rwlock {
    use super::*;
    use async_lock::{RwLock, RwLockUpgradableReadGuard, RwLockUpgradableReadGuardArc};

    /// upstream: async-lock tests/rwlock.rs `smoke`
    #[test]
    fn smoke() {
        block_on(|| async {
            let lock = RwLock::new(());
            drop(lock.read().await);
            drop(lock.write().await);
            let two_readers = (lock.read().await, lock.read().await);
            drop(two_readers);
            drop(lock.write().await);
        });
    }

    /// upstream: async-lock tests/rwlock.rs `try_write`
    #[test]
    fn try_write() {
        block_on(|| async {
            let lock = RwLock::new(0isize);
            let reader = lock.read().await;
            assert!(
                lock.try_write().is_none(),
                "a writer got in beside a reader"
            );
            drop(reader);
        });
    }

    /// The body of `contention` and `contention_arc`: `TASKS` tasks each take the lock
    /// `ROUNDS` times, for writing one time in ten.
    fn contention_scenario(arc_guards: bool) {
        const TASKS: u32 = 10;
        const ROUNDS: usize = 1000;
        on_both(2, move |place| async move {
            let lock = Arc::new(RwLock::new(()));
            let mut tasks = Vec::new();
            for seed in 0..TASKS {
                let lock = lock.clone();
                tasks.push(fork(place, move || async move {
                    let mut dice = Dice(seed * 7919 + 1);
                    for _ in 0..ROUNDS {
                        let write = dice.below(TASKS) == 0;
                        match (write, arc_guards) {
                            (true, false) => drop(lock.write().await),
                            (false, false) => drop(lock.read().await),
                            (true, true) => drop(lock.write_arc().await),
                            (false, true) => drop(lock.read_arc().await),
                        }
                    }
                }));
            }
            join_each(tasks).await;
        });
    }

    /// upstream: async-lock tests/rwlock.rs `contention`
    #[test]
    fn contention() {
        contention_scenario(false);
    }

    /// upstream: async-lock tests/rwlock.rs `contention_arc`
    #[test]
    fn contention_arc() {
        contention_scenario(true);
    }

    /// The body of `writer_and_readers` and `writer_and_readers_arc`: one writer keeps
    /// the lock for 1000 steps, leaving a negative value in it while it yields
    /// (futures-lite's `yield_now`, which wakes the task by reference and returns
    /// `Pending`); five readers, 1000 reads each, must never see that value.
    fn writer_and_readers_scenario(arc_guards: bool) {
        on_both(2, move |place| async move {
            let lock = Arc::new(RwLock::new(0i32));
            let writer = fork(place, {
                let lock = lock.clone();
                move || async move {
                    let mut guard = if arc_guards {
                        either::Guard::Arc(lock.write_arc().await)
                    } else {
                        either::Guard::Plain(lock.write().await)
                    };
                    for _ in 0..1000 {
                        let before = *guard.get();
                        *guard.get() = -1;
                        futures_lite::future::yield_now().await;
                        *guard.get() = before + 1;
                    }
                }
            });
            let mut readers = Vec::new();
            for _ in 0..5 {
                let lock = lock.clone();
                readers.push(fork(place, move || async move {
                    for _ in 0..1000 {
                        let seen = if arc_guards {
                            *lock.read_arc().await
                        } else {
                            *lock.read().await
                        };
                        assert!(seen >= 0, "a reader saw the writer's work in progress");
                    }
                }));
            }
            join_each(readers).await;
            join(writer).await;
            let total = if arc_guards {
                *lock.read_arc().await
            } else {
                *lock.read().await
            };
            assert_eq!(total, 1000);
        });
    }

    /// A write guard of either kind, so that one scenario serves both tests.
    mod either {
        use async_lock::{RwLockWriteGuard, RwLockWriteGuardArc};

        pub enum Guard<'a> {
            Plain(RwLockWriteGuard<'a, i32>),
            Arc(RwLockWriteGuardArc<i32>),
        }

        impl Guard<'_> {
            pub fn get(&mut self) -> &mut i32 {
                match self {
                    Guard::Plain(g) => g,
                    Guard::Arc(g) => g,
                }
            }
        }
    }

    /// upstream: async-lock tests/rwlock.rs `writer_and_readers`
    #[test]
    fn writer_and_readers() {
        writer_and_readers_scenario(false);
    }

    /// upstream: async-lock tests/rwlock.rs `writer_and_readers_arc`
    #[test]
    fn writer_and_readers_arc() {
        writer_and_readers_scenario(true);
    }

    /// upstream: async-lock tests/rwlock.rs `upgrade`
    #[test]
    fn upgrade() {
        block_on(|| async {
            let lock = RwLock::new(0i32);
            let r1 = lock.read().await;
            let r2 = lock.read().await;
            // An upgradable read coexists with readers, and new readers with it.
            let upgradable = lock.upgradable_read().await;
            let r3 = lock.read().await;
            assert_eq!(*r3, 0);
            drop((r1, r2, r3));
            assert!(
                lock.try_write().is_none(),
                "a writer got in beside an upgradable read"
            );
            let mut w = RwLockUpgradableReadGuard::try_upgrade(upgradable)
                .expect("no reader is left, the upgrade must succeed");
            *w += 1;
            drop(w);
            assert_eq!(*lock.read().await, 1);
        });
    }

    /// upstream: async-lock tests/rwlock.rs `upgrade_arc`
    #[test]
    fn upgrade_arc() {
        block_on(|| async {
            let lock = Arc::new(RwLock::new(0i32));
            let r1 = lock.read_arc().await;
            let r2 = lock.read_arc().await;
            let upgradable = lock.upgradable_read_arc().await;
            let r3 = lock.read_arc().await;
            assert_eq!(*r3, 0);
            drop((r1, r2, r3));
            assert!(
                lock.try_write().is_none(),
                "a writer got in beside an upgradable read"
            );
            let mut w = RwLockUpgradableReadGuardArc::try_upgrade(upgradable)
                .expect("no reader is left, the upgrade must succeed");
            *w += 1;
            drop(w);
            assert_eq!(*lock.read_arc().await, 1);
        });
    }

    /// upstream: async-lock tests/rwlock.rs `not_upgrade`
    #[test]
    fn not_upgrade() {
        block_on(|| async {
            let lock = RwLock::new(0i32);
            let r1 = lock.read().await;
            let r2 = lock.read().await;
            let upgradable = lock.upgradable_read().await;
            let r3 = lock.read().await;
            assert_eq!(*r3, 0);
            drop((r1, r2, r3));
            // Given up instead of upgraded: readers and then a writer get in.
            drop(upgradable);
            assert_eq!(*lock.read().await, 0);
            *lock.write().await += 1;
            assert_eq!(*lock.read().await, 1);
        });
    }

    /// upstream: async-lock tests/rwlock.rs `not_upgrade_arc`
    #[test]
    fn not_upgrade_arc() {
        block_on(|| async {
            let lock = Arc::new(RwLock::new(0i32));
            let r1 = lock.read_arc().await;
            let r2 = lock.read_arc().await;
            let upgradable = lock.upgradable_read_arc().await;
            let r3 = lock.read_arc().await;
            assert_eq!(*r3, 0);
            drop((r1, r2, r3));
            drop(upgradable);
            assert_eq!(*lock.read_arc().await, 0);
            *lock.write_arc().await += 1;
            assert_eq!(*lock.read_arc().await, 1);
        });
    }

    /// upstream: async-lock tests/rwlock.rs `upgradable_with_concurrent_writer`
    #[test]
    fn upgradable_with_concurrent_writer() {
        block_on(|| async {
            let lock = Arc::new(RwLock::new(0i32));
            let other = lock.clone();
            let upgradable = lock.upgradable_read().await;
            // The writer queued first must not overtake the upgrade; the race ends
            // when the upgrade is done (the writer is then dropped).
            futures_lite::future::or(
                async move {
                    *other.write().await = 1;
                },
                async move {
                    let mut w = RwLockUpgradableReadGuard::upgrade(upgradable).await;
                    assert_eq!(*w, 0);
                    *w = 2;
                },
            )
            .await;
            assert_eq!(*lock.write().await, 2);
            assert_eq!(*lock.read().await, 2);
        });
    }

    /// upstream: async-lock tests/rwlock.rs `upgradable_with_concurrent_writer_arc`
    #[test]
    fn upgradable_with_concurrent_writer_arc() {
        block_on(|| async {
            let lock = Arc::new(RwLock::new(0i32));
            let other = lock.clone();
            let upgradable = lock.upgradable_read_arc().await;
            futures_lite::future::or(
                async move {
                    *other.write_arc().await = 1;
                },
                async move {
                    let mut w = RwLockUpgradableReadGuardArc::upgrade(upgradable).await;
                    assert_eq!(*w, 0);
                    *w = 2;
                },
            )
            .await;
            assert_eq!(*lock.write_arc().await, 2);
            assert_eq!(*lock.read_arc().await, 2);
        });
    }

    /// upstream: async-lock tests/rwlock.rs `yields_when_contended`
    #[test]
    fn yields_when_contended() {
        block_on(|| async {
            let rw = RwLock::new(());
            // Held for writing: every kind of acquisition waits.
            check_yields_when_contended(rw.try_write().unwrap(), rw.read()).await;
            check_yields_when_contended(rw.try_write().unwrap(), rw.upgradable_read()).await;
            check_yields_when_contended(rw.try_write().unwrap(), rw.write()).await;
            // Held for reading: a writer waits.
            check_yields_when_contended(rw.try_read().unwrap(), rw.write()).await;
            // Held upgradably: a writer and a second upgradable reader wait.
            check_yields_when_contended(rw.try_upgradable_read().unwrap(), rw.write()).await;
            check_yields_when_contended(rw.try_upgradable_read().unwrap(), rw.upgradable_read())
                .await;
            // An upgrade waits for the readers.
            let upgradable = rw.try_upgradable_read().unwrap();
            check_yields_when_contended(
                rw.try_read().unwrap(),
                RwLockUpgradableReadGuard::upgrade(upgradable),
            )
            .await;
        });
    }

    /// upstream: async-lock tests/rwlock.rs `yields_when_contended_arc`
    #[test]
    fn yields_when_contended_arc() {
        block_on(|| async {
            let rw = Arc::new(RwLock::new(()));
            check_yields_when_contended(rw.try_write_arc().unwrap(), rw.read_arc()).await;
            check_yields_when_contended(rw.try_write_arc().unwrap(), rw.upgradable_read_arc())
                .await;
            check_yields_when_contended(rw.try_write_arc().unwrap(), rw.write_arc()).await;
            check_yields_when_contended(rw.try_read_arc().unwrap(), rw.write_arc()).await;
            check_yields_when_contended(rw.try_upgradable_read_arc().unwrap(), rw.write_arc())
                .await;
            check_yields_when_contended(
                rw.try_upgradable_read_arc().unwrap(),
                rw.upgradable_read_arc(),
            )
            .await;
            let upgradable = rw.try_upgradable_read_arc().unwrap();
            check_yields_when_contended(
                rw.try_read_arc().unwrap(),
                RwLockUpgradableReadGuardArc::upgrade(upgradable),
            )
            .await;
        });
    }

    /// upstream: async-lock tests/rwlock.rs `cancellation`
    #[test]
    fn cancellation() {
        block_on(|| async {
            let rw = RwLock::new(());
            // Acquisitions dropped before their first poll leave nothing behind...
            drop(rw.read());
            drop(rw.upgradable_read());
            drop(rw.write());
            // ...so every kind of acquisition still succeeds, in turn.
            drop(rw.read().await);
            drop(rw.upgradable_read().await);
            drop(rw.write().await);
            // An upgrade dropped unpolled releases the upgradable read.
            let upgradable = rw.upgradable_read().await;
            drop(RwLockUpgradableReadGuard::upgrade(upgradable));
            let upgradable = rw.upgradable_read().await;
            drop(RwLockUpgradableReadGuard::upgrade(upgradable).await);
        });
    }

    /// upstream: async-lock tests/rwlock.rs `arc_rwlock_refcounts`
    #[test]
    fn arc_rwlock_refcounts() {
        block_on(|| async {
            let rw = Arc::new(RwLock::new(()));
            let count = |rw: &Arc<RwLock<()>>| Arc::strong_count(rw);
            assert_eq!(count(&rw), 1);
            // Unpolled acquisitions do not keep a reference.
            drop(rw.read_arc());
            assert_eq!(count(&rw), 1);
            drop(rw.upgradable_read_arc());
            assert_eq!(count(&rw), 1);
            drop(rw.write());
            assert_eq!(count(&rw), 1);
            // Guards hold one reference each, and give it back.
            let g = rw.read_arc().await;
            assert_eq!(count(&rw), 2);
            drop(g);
            assert_eq!(count(&rw), 1);
            let g = rw.upgradable_read_arc().await;
            assert_eq!(count(&rw), 2);
            drop(g);
            assert_eq!(count(&rw), 1);
            let g = rw.write_arc().await;
            assert_eq!(count(&rw), 2);
            drop(g);
            assert_eq!(count(&rw), 1);
            let g = rw.upgradable_read_arc().await;
            assert_eq!(count(&rw), 2);
            drop(RwLockUpgradableReadGuardArc::upgrade(g));
            assert_eq!(count(&rw), 1);
            let g = rw.upgradable_read_arc().await;
            assert_eq!(count(&rw), 2);
            let w = RwLockUpgradableReadGuardArc::upgrade(g).await;
            assert_eq!(count(&rw), 2);
            drop(w);
            assert_eq!(count(&rw), 1);
        });
    }
}

mod semaphore {
    use super::*;
    use async_lock::Semaphore;
    use futures_channel::oneshot;

    /// upstream: async-lock tests/semaphore.rs `stress` (50 threads upstream, 50 tasks
    /// here)
    #[test]
    fn stress() {
        const ROUNDS: usize = 10_000;
        on_both(2, |place| async move {
            let s = Arc::new(Semaphore::new(5));
            let mut tasks = Vec::new();
            for _ in 0..50 {
                let s = s.clone();
                tasks.push(fork(place, move || async move {
                    for _ in 0..ROUNDS {
                        drop(s.acquire().await);
                    }
                }));
            }
            join_each(tasks).await;
            // Every permit came back: five can be taken, not six.
            let held: Vec<_> = (0..5).map(|_| s.try_acquire().unwrap()).collect();
            assert!(s.try_acquire().is_none());
            drop(held);
            assert!(s.try_acquire().is_some());
        });
    }

    /// upstream: async-lock tests/semaphore.rs `as_mutex`
    #[test]
    fn as_mutex() {
        on_both(1, |place| async move {
            let s = Arc::new(Semaphore::new(1));
            let other = fork(place, {
                let s = s.clone();
                move || async move {
                    let _permit = s.acquire().await;
                }
            });
            drop(s.acquire().await);
            join(other).await;
        });
    }

    /// upstream: async-lock tests/semaphore.rs `multi_resource`: two holders of a
    /// two-permit semaphore wait for each other while both hold a permit. (Upstream
    /// signals through `std::sync::mpsc`, whose blocking `recv` would stop a whole
    /// domain; oneshot channels carry the same two signals here.)
    #[test]
    fn multi_resource() {
        on_both(1, |place| async move {
            let s = Arc::new(Semaphore::new(2));
            let (to_parent, from_child) = oneshot::channel::<()>();
            let (to_child, from_parent) = oneshot::channel::<()>();
            let child = fork(place, {
                let s = s.clone();
                move || async move {
                    let _permit = s.acquire().await;
                    from_parent.await.unwrap();
                    to_parent.send(()).unwrap();
                }
            });
            let _permit = s.acquire().await;
            to_child.send(()).unwrap();
            from_child.await.unwrap();
            join(child).await;
        });
    }

    /// upstream: async-lock tests/semaphore.rs `yields_when_contended`
    #[test]
    fn yields_when_contended() {
        block_on(|| async {
            let s = Semaphore::new(1);
            check_yields_when_contended(s.try_acquire().unwrap(), s.acquire()).await;
            let s = Arc::new(s);
            check_yields_when_contended(s.try_acquire_arc().unwrap(), s.acquire_arc()).await;
        });
    }

    /// upstream: async-lock tests/semaphore.rs `add_permits`
    #[test]
    fn add_permits() {
        on_both(2, |place| async move {
            let s = Arc::new(Semaphore::new(0));
            let got = Arc::new(AtomicUsize::new(0));
            let mut tasks = Vec::new();
            for _ in 0..50 {
                let (s, got) = (s.clone(), got.clone());
                tasks.push(fork(place, move || async move {
                    s.acquire().await.forget();
                    got.fetch_add(1, Ordering::SeqCst);
                }));
            }
            assert_eq!(got.load(Ordering::SeqCst), 0, "a permit out of nowhere");
            s.add_permits(50);
            join_each(tasks).await;
            assert_eq!(got.load(Ordering::SeqCst), 50);
        });
    }

    /// upstream: async-lock tests/semaphore.rs `add_permits_2`: within one poll, under
    /// the task's own context, one added permit goes to the first of two waiters.
    #[test]
    fn add_permits_2() {
        block_on(|| {
            poll_fn(|cx| {
                let s = Semaphore::new(0);
                let mut first = pin!(s.acquire());
                let mut second = pin!(s.acquire());
                assert!(first.as_mut().poll(cx).is_pending());
                assert!(second.as_mut().poll(cx).is_pending());
                s.add_permits(1);
                // The first waiter gets the permit and keeps it: none is left.
                let permit = first.as_mut().poll(cx);
                assert!(permit.is_ready());
                assert!(second.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
        });
    }
}

mod barrier {
    use super::*;
    use async_lock::Barrier;

    /// upstream: async-lock tests/barrier.rs `smoke`: ten rounds of a ten-party barrier,
    /// nine parties being other tasks (threads upstream); exactly one party is the
    /// leader each round.
    #[test]
    fn smoke() {
        const N: usize = 10;
        on_both(2, |place| async move {
            let barrier = Arc::new(Barrier::new(N));
            for _ in 0..10 {
                let (tx, rx) = async_channel::unbounded();
                let mut parties = Vec::new();
                for _ in 0..N - 1 {
                    let (barrier, tx) = (barrier.clone(), tx.clone());
                    parties.push(fork(place, move || async move {
                        let leader = barrier.wait().await.is_leader();
                        tx.send(leader).await.unwrap();
                    }));
                }
                // Nobody has passed yet: this task is still missing.
                assert!(rx.try_recv().is_err());
                let mut leaders = usize::from(barrier.wait().await.is_leader());
                for _ in 0..N - 1 {
                    leaders += usize::from(rx.recv().await.unwrap());
                }
                assert_eq!(leaders, 1);
                join_each(parties).await;
            }
        });
    }
}
