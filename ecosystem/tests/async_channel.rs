//! async-channel's own test suite (v2.5.0: `tests/bounded.rs` and `tests/unbounded.rs`)
//! rewritten to run on miou.
//!
//! Upstream drives each test with `futures_lite::future::block_on` and, for the
//! concurrent ones, `easy_parallel::Parallel` threads that sleep to order their steps.
//! Here the whole test is a miou run: a closure of `Parallel` becomes a child task
//! ([`fork`]), and every concurrent scenario runs twice, once with all its tasks on one
//! domain and once with them called onto two worker domains. The thread sleeps become
//! `miou::time::sleep`, scaled down ([`units`]). Tests of the channel's bookkeeping
//! that never wait (`capacity`, `receiver_count`, ...) and tests of its blocking API are
//! not ported: see `ecosystem/README.md`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_channel::{RecvError, SendError, TryRecvError, TrySendError};
use common::{block_on, fork, join, join_each, on_both, units};
use futures_lite::StreamExt;
use futures_lite::future::poll_once;
use miou::time::sleep;

/// A table of `n` counters that several tasks bump.
fn counters(n: usize) -> Arc<Vec<AtomicUsize>> {
    Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect())
}

mod bounded {
    use super::*;
    use async_channel::bounded;

    /// upstream: async-channel tests/bounded.rs `smoke`
    #[test]
    fn smoke() {
        block_on(|| async {
            let (tx, rx) = bounded(1);
            tx.send(7).await.unwrap();
            assert_eq!(rx.try_recv(), Ok(7));
            tx.send(8).await.unwrap();
            assert_eq!(rx.recv().await, Ok(8));
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        });
    }

    /// upstream: async-channel tests/bounded.rs `len_empty_full`
    #[test]
    fn len_empty_full() {
        block_on(|| async {
            let (tx, rx) = bounded(2);
            // (len, is_empty, is_full), seen from both ends.
            let seen = |tx: &async_channel::Sender<()>, rx: &async_channel::Receiver<()>| {
                let a = (tx.len(), tx.is_empty(), tx.is_full());
                assert_eq!(a, (rx.len(), rx.is_empty(), rx.is_full()));
                a
            };
            assert_eq!(seen(&tx, &rx), (0, true, false));
            tx.send(()).await.unwrap();
            assert_eq!(seen(&tx, &rx), (1, false, false));
            tx.send(()).await.unwrap();
            assert_eq!(seen(&tx, &rx), (2, false, true));
            rx.recv().await.unwrap();
            assert_eq!(seen(&tx, &rx), (1, false, false));
        });
    }

    /// upstream: async-channel tests/bounded.rs `try_recv`
    #[test]
    fn try_recv() {
        on_both(2, |place| async move {
            let (tx, rx) = bounded(100);
            let receiver = fork(place, move || async move {
                assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
                sleep(units(1500)).await;
                assert_eq!(rx.try_recv(), Ok(7));
                sleep(units(500)).await;
                // The sender was dropped at 1000 ms.
                assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
            });
            let sender = fork(place, move || async move {
                sleep(units(1000)).await;
                tx.send(7).await.unwrap();
            });
            join(receiver).await;
            join(sender).await;
        });
    }

    /// upstream: async-channel tests/bounded.rs `recv`
    #[test]
    fn recv() {
        on_both(2, |place| async move {
            let (tx, rx) = bounded(100);
            let receiver = fork(place, move || async move {
                assert_eq!(rx.recv().await, Ok(7));
                sleep(units(1000)).await;
                assert_eq!(rx.recv().await, Ok(8));
                sleep(units(1000)).await;
                assert_eq!(rx.recv().await, Ok(9));
                assert_eq!(rx.recv().await, Err(RecvError));
            });
            let sender = fork(place, move || async move {
                sleep(units(1500)).await;
                for v in [7, 8, 9] {
                    tx.send(v).await.unwrap();
                }
            });
            join(receiver).await;
            join(sender).await;
        });
    }

    /// upstream: async-channel tests/bounded.rs `try_send`
    #[test]
    fn try_send() {
        on_both(2, |place| async move {
            let (tx, rx) = bounded(1);
            let sender = fork(place, move || async move {
                assert_eq!(tx.try_send(1), Ok(()));
                assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
                sleep(units(1500)).await;
                assert_eq!(tx.try_send(3), Ok(()));
                sleep(units(500)).await;
                // The receiver ended (and dropped its end) once it got 3.
                assert_eq!(tx.try_send(4), Err(TrySendError::Closed(4)));
            });
            let receiver = fork(place, move || async move {
                sleep(units(1000)).await;
                assert_eq!(rx.try_recv(), Ok(1));
                assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
                assert_eq!(rx.recv().await, Ok(3));
            });
            join(sender).await;
            join(receiver).await;
        });
    }

    /// upstream: async-channel tests/bounded.rs `send`
    #[test]
    fn send() {
        on_both(2, |place| async move {
            let (tx, rx) = bounded(1);
            // Upstream's threads borrow both ends, which live until both threads are
            // done: here the receiver hands its end back so that the sender's last
            // `send` (into the emptied channel) still finds it open.
            let sender = fork(place, move || async move {
                tx.send(7).await.unwrap();
                for v in [8, 9, 10] {
                    sleep(units(1000)).await;
                    tx.send(v).await.unwrap();
                }
            });
            let receiver = fork(place, move || async move {
                sleep(units(1500)).await;
                for v in [7, 8, 9] {
                    assert_eq!(rx.recv().await, Ok(v));
                }
                rx
            });
            let rx = join(receiver).await;
            join(sender).await;
            drop(rx);
        });
    }

    /// upstream: async-channel tests/bounded.rs `closed`
    #[test]
    fn closed() {
        on_both(2, |place| async move {
            let (tx, rx) = bounded(1);
            let sender = fork(place, move || async move {
                tx.send(7).await.unwrap();
                let mut closed_early = std::pin::pin!(tx.closed());
                assert!(poll_once(&mut closed_early).await.is_none());
                sleep(units(1000)).await;
                // The receiver is gone by now: the old future and a new one complete.
                assert_eq!(poll_once(closed_early).await, Some(()));
                assert_eq!(poll_once(tx.closed()).await, Some(()));
            });
            let receiver = fork(place, move || async move {
                assert_eq!(rx.recv().await, Ok(7));
                sleep(units(500)).await;
                drop(rx);
            });
            join(sender).await;
            join(receiver).await;
        });
    }

    /// upstream: async-channel tests/bounded.rs `force_send`
    #[test]
    fn force_send() {
        on_both(2, |place| async move {
            let (tx, rx) = bounded(1);
            let sender = fork(place, move || async move {
                tx.force_send(7).unwrap();
                for v in [8, 9, 10] {
                    sleep(units(1000)).await;
                    // Pushes the oldest message out if the channel is full.
                    tx.force_send(v).unwrap();
                }
            });
            let receiver = fork(place, move || async move {
                sleep(units(1500)).await;
                for v in [8, 9, 10] {
                    assert_eq!(rx.recv().await, Ok(v));
                }
            });
            join(sender).await;
            join(receiver).await;
        });
    }

    /// upstream: async-channel tests/bounded.rs `send_after_close`
    #[test]
    fn send_after_close() {
        block_on(|| async {
            let (tx, rx) = bounded(100);
            for v in 1..=3 {
                tx.send(v).await.unwrap();
            }
            drop(rx);
            assert_eq!(tx.send(4).await, Err(SendError(4)));
            assert_eq!(tx.try_send(5), Err(TrySendError::Closed(5)));
            assert_eq!(tx.send(6).await, Err(SendError(6)));
        });
    }

    /// upstream: async-channel tests/bounded.rs `recv_after_close`
    #[test]
    fn recv_after_close() {
        block_on(|| async {
            let (tx, rx) = bounded(100);
            for v in 1..=3 {
                tx.send(v).await.unwrap();
            }
            drop(tx);
            for v in 1..=3 {
                assert_eq!(rx.recv().await, Ok(v));
            }
            assert_eq!(rx.recv().await, Err(RecvError));
        });
    }

    /// upstream: async-channel tests/bounded.rs `len`
    #[test]
    fn len() {
        const MESSAGES: usize = 25_000;
        const CAP: usize = 1000;
        on_both(2, |place| async move {
            let (tx, rx) = bounded(CAP);
            assert_eq!((tx.len(), rx.len()), (0, 0));
            // Fill by 50 and drain, CAP / 10 times.
            for _ in 0..CAP / 10 {
                for i in 0..50 {
                    tx.send(i).await.unwrap();
                    assert_eq!(tx.len(), i + 1);
                }
                for i in 0..50 {
                    rx.recv().await.unwrap();
                    assert_eq!(rx.len(), 49 - i);
                }
            }
            assert_eq!((tx.len(), rx.len()), (0, 0));
            // Fill to the brim, then drain.
            for i in 0..CAP {
                tx.send(i).await.unwrap();
                assert_eq!(tx.len(), i + 1);
            }
            for _ in 0..CAP {
                rx.recv().await.unwrap();
            }
            assert_eq!((tx.len(), rx.len()), (0, 0));
            // Both ends at once: the length never exceeds the capacity.
            let (tx2, rx2) = (tx.clone(), rx.clone());
            let receiver = fork(place, move || async move {
                for i in 0..MESSAGES {
                    assert_eq!(rx2.recv().await, Ok(i));
                    assert!(rx2.len() <= CAP);
                }
            });
            let sender = fork(place, move || async move {
                for i in 0..MESSAGES {
                    tx2.send(i).await.unwrap();
                    assert!(tx2.len() <= CAP);
                }
            });
            join(receiver).await;
            join(sender).await;
            assert_eq!((tx.len(), rx.len()), (0, 0));
        });
    }

    /// upstream: async-channel tests/bounded.rs `close_wakes_sender`
    #[test]
    fn close_wakes_sender() {
        on_both(2, |place| async move {
            let (tx, rx) = bounded(1);
            let sender = fork(place, move || async move {
                assert_eq!(tx.send(()).await, Ok(()));
                // Full: waits until the receiver is dropped, then fails.
                assert_eq!(tx.send(()).await, Err(SendError(())));
            });
            let dropper = fork(place, move || async move {
                sleep(units(1000)).await;
                drop(rx);
            });
            join(sender).await;
            join(dropper).await;
        });
    }

    /// upstream: async-channel tests/bounded.rs `close_wakes_receiver`
    #[test]
    fn close_wakes_receiver() {
        on_both(2, |place| async move {
            let (tx, rx) = bounded::<()>(1);
            let receiver = fork(place, move || async move {
                assert_eq!(rx.recv().await, Err(RecvError));
            });
            let dropper = fork(place, move || async move {
                sleep(units(1000)).await;
                drop(tx);
            });
            join(receiver).await;
            join(dropper).await;
        });
    }

    /// upstream: async-channel tests/bounded.rs `forget_blocked_sender`
    #[test]
    fn forget_blocked_sender() {
        on_both(2, |place| async move {
            let (tx1, rx) = bounded(2);
            let tx2 = tx1.clone();
            let stuck = fork(place, move || async move {
                assert!(tx1.send(3).await.is_ok());
                assert!(tx1.send(7).await.is_ok());
                // A send that waits, polled once and then neither polled nor dropped:
                // it must not keep the slot freed below from the other sender.
                let mut third = std::pin::pin!(tx1.send(13));
                assert_eq!(poll_once(&mut third).await, None);
                sleep(units(500)).await;
            });
            let other = fork(place, move || async move {
                sleep(units(100)).await;
                assert!(tx2.send(42).await.is_ok());
            });
            let receiver = fork(place, move || async move {
                sleep(units(200)).await;
                assert_eq!(rx.recv().await, Ok(3));
                assert_eq!(rx.recv().await, Ok(7));
                sleep(units(100)).await;
                assert_eq!(rx.try_recv(), Ok(42));
            });
            join_each(vec![stuck, other, receiver]).await;
        });
    }

    /// upstream: async-channel tests/bounded.rs `forget_blocked_receiver`
    #[test]
    fn forget_blocked_receiver() {
        on_both(2, |place| async move {
            let (tx, rx1) = bounded(2);
            let rx2 = rx1.clone();
            let stuck = fork(place, move || async move {
                // A receive polled once, then left alone while it still exists.
                let mut first = std::pin::pin!(rx1.recv());
                assert_eq!(poll_once(&mut first).await, None);
                sleep(units(500)).await;
            });
            let other = fork(place, move || async move {
                sleep(units(100)).await;
                assert_eq!(rx2.recv().await, Ok(3));
            });
            let sender = fork(place, move || async move {
                sleep(units(200)).await;
                assert!(tx.send(3).await.is_ok());
                assert!(tx.send(7).await.is_ok());
                sleep(units(100)).await;
                assert!(tx.try_send(42).is_ok());
            });
            join_each(vec![stuck, other, sender]).await;
        });
    }

    /// upstream: async-channel tests/bounded.rs `spsc`
    #[test]
    fn spsc() {
        const MESSAGES: usize = 100_000;
        on_both(2, |place| async move {
            let (tx, rx) = bounded(3);
            let receiver = fork(place, move || async move {
                for i in 0..MESSAGES {
                    assert_eq!(rx.recv().await, Ok(i));
                }
                assert_eq!(rx.recv().await, Err(RecvError));
            });
            let sender = fork(place, move || async move {
                for i in 0..MESSAGES {
                    tx.send(i).await.unwrap();
                }
            });
            join(receiver).await;
            join(sender).await;
        });
    }

    /// upstream: async-channel tests/bounded.rs `mpmc`
    #[test]
    fn mpmc() {
        const MESSAGES: usize = 25_000;
        const EACH: usize = 4;
        on_both(2, |place| async move {
            let (tx, rx) = bounded::<usize>(3);
            let hits = counters(MESSAGES);
            let mut tasks = Vec::new();
            for _ in 0..EACH {
                let (rx, hits) = (rx.clone(), hits.clone());
                tasks.push(fork(place, move || async move {
                    for _ in 0..MESSAGES {
                        let n = rx.recv().await.unwrap();
                        hits[n].fetch_add(1, Ordering::SeqCst);
                    }
                }));
                let tx = tx.clone();
                tasks.push(fork(place, move || async move {
                    for i in 0..MESSAGES {
                        tx.send(i).await.unwrap();
                    }
                }));
            }
            join_each(tasks).await;
            assert!(hits.iter().all(|c| c.load(Ordering::SeqCst) == EACH));
        });
    }

    /// upstream: async-channel tests/bounded.rs `mpmc_stream` (as [`mpmc`], receiving
    /// through `Stream::next`)
    #[test]
    fn mpmc_stream() {
        const MESSAGES: usize = 25_000;
        const EACH: usize = 4;
        on_both(2, |place| async move {
            let (tx, rx) = bounded::<usize>(3);
            let hits = counters(MESSAGES);
            let mut tasks = Vec::new();
            for _ in 0..EACH {
                let (rx, hits) = (rx.clone(), hits.clone());
                tasks.push(fork(place, move || async move {
                    let mut rx = std::pin::pin!(rx);
                    for _ in 0..MESSAGES {
                        let n = rx.next().await.unwrap();
                        hits[n].fetch_add(1, Ordering::SeqCst);
                    }
                }));
                let tx = tx.clone();
                tasks.push(fork(place, move || async move {
                    for i in 0..MESSAGES {
                        tx.send(i).await.unwrap();
                    }
                }));
            }
            join_each(tasks).await;
            assert!(hits.iter().all(|c| c.load(Ordering::SeqCst) == EACH));
        });
    }
}

mod unbounded {
    use super::*;
    use async_channel::unbounded;

    /// upstream: async-channel tests/unbounded.rs `smoke`
    #[test]
    fn smoke() {
        block_on(|| async {
            let (tx, rx) = unbounded();
            tx.try_send(7).unwrap();
            assert_eq!(rx.try_recv(), Ok(7));
            tx.send(8).await.unwrap();
            assert_eq!(rx.recv().await, Ok(8));
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        });
    }

    /// upstream: async-channel tests/unbounded.rs `len_empty_full`
    #[test]
    fn len_empty_full() {
        block_on(|| async {
            let (tx, rx) = unbounded();
            let seen = |tx: &async_channel::Sender<()>, rx: &async_channel::Receiver<()>| {
                let a = (tx.len(), tx.is_empty(), tx.is_full());
                assert_eq!(a, (rx.len(), rx.is_empty(), rx.is_full()));
                a
            };
            assert_eq!(seen(&tx, &rx), (0, true, false));
            tx.send(()).await.unwrap();
            assert_eq!(seen(&tx, &rx), (1, false, false));
            rx.recv().await.unwrap();
            assert_eq!(seen(&tx, &rx), (0, true, false));
        });
    }

    /// upstream: async-channel tests/unbounded.rs `try_recv`
    #[test]
    fn try_recv() {
        on_both(2, |place| async move {
            let (tx, rx) = unbounded();
            let receiver = fork(place, move || async move {
                assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
                sleep(units(1500)).await;
                assert_eq!(rx.try_recv(), Ok(7));
                sleep(units(500)).await;
                assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
            });
            let sender = fork(place, move || async move {
                sleep(units(1000)).await;
                tx.send(7).await.unwrap();
            });
            join(receiver).await;
            join(sender).await;
        });
    }

    /// upstream: async-channel tests/unbounded.rs `recv`
    #[test]
    fn recv() {
        on_both(2, |place| async move {
            let (tx, rx) = unbounded();
            let receiver = fork(place, move || async move {
                assert_eq!(rx.recv().await, Ok(7));
                sleep(units(1000)).await;
                assert_eq!(rx.recv().await, Ok(8));
                sleep(units(1000)).await;
                assert_eq!(rx.recv().await, Ok(9));
                assert_eq!(rx.recv().await, Err(RecvError));
            });
            let sender = fork(place, move || async move {
                sleep(units(1500)).await;
                for v in [7, 8, 9] {
                    tx.send(v).await.unwrap();
                }
            });
            join(receiver).await;
            join(sender).await;
        });
    }

    /// upstream: async-channel tests/unbounded.rs `send`
    #[test]
    fn send() {
        block_on(|| async {
            let (tx, rx) = unbounded();
            for v in 0..1000 {
                assert_eq!(tx.send(v).await, Ok(()));
            }
            drop(rx);
            assert_eq!(tx.send(777).await, Err(SendError(777)));
        });
    }

    /// upstream: async-channel tests/unbounded.rs `send_after_close`
    #[test]
    fn send_after_close() {
        block_on(|| async {
            let (tx, rx) = unbounded();
            for v in 1..=3 {
                tx.send(v).await.unwrap();
            }
            drop(rx);
            assert_eq!(tx.send(4).await, Err(SendError(4)));
            assert_eq!(tx.try_send(5), Err(TrySendError::Closed(5)));
        });
    }

    /// upstream: async-channel tests/unbounded.rs `recv_after_close`
    #[test]
    fn recv_after_close() {
        block_on(|| async {
            let (tx, rx) = unbounded();
            for v in 1..=3 {
                tx.send(v).await.unwrap();
            }
            drop(tx);
            for v in 1..=3 {
                assert_eq!(rx.recv().await, Ok(v));
            }
            assert_eq!(rx.recv().await, Err(RecvError));
        });
    }

    /// upstream: async-channel tests/unbounded.rs `len`
    #[test]
    fn len() {
        block_on(|| async {
            let (tx, rx) = unbounded();
            assert_eq!((tx.len(), rx.len()), (0, 0));
            for i in 0..50 {
                tx.send(i).await.unwrap();
                assert_eq!(tx.len(), i + 1);
            }
            for i in 0..50 {
                rx.recv().await.unwrap();
                assert_eq!(rx.len(), 49 - i);
            }
            assert_eq!((tx.len(), rx.len()), (0, 0));
        });
    }

    /// upstream: async-channel tests/unbounded.rs `close_wakes_receiver`
    #[test]
    fn close_wakes_receiver() {
        on_both(2, |place| async move {
            let (tx, rx) = unbounded::<()>();
            let receiver = fork(place, move || async move {
                assert_eq!(rx.recv().await, Err(RecvError));
            });
            let dropper = fork(place, move || async move {
                sleep(units(1000)).await;
                drop(tx);
            });
            join(receiver).await;
            join(dropper).await;
        });
    }

    /// upstream: async-channel tests/unbounded.rs `spsc`
    #[test]
    fn spsc() {
        const MESSAGES: usize = 100_000;
        on_both(2, |place| async move {
            let (tx, rx) = unbounded();
            let receiver = fork(place, move || async move {
                for i in 0..MESSAGES {
                    assert_eq!(rx.recv().await, Ok(i));
                }
                assert_eq!(rx.recv().await, Err(RecvError));
            });
            let sender = fork(place, move || async move {
                for i in 0..MESSAGES {
                    tx.send(i).await.unwrap();
                }
            });
            join(receiver).await;
            join(sender).await;
        });
    }

    /// upstream: async-channel tests/unbounded.rs `mpmc`
    #[test]
    fn mpmc() {
        const MESSAGES: usize = 25_000;
        const EACH: usize = 4;
        on_both(2, |place| async move {
            let (tx, rx) = unbounded::<usize>();
            let hits = counters(MESSAGES);
            let mut tasks = Vec::new();
            for _ in 0..EACH {
                let (rx, hits) = (rx.clone(), hits.clone());
                tasks.push(fork(place, move || async move {
                    for _ in 0..MESSAGES {
                        let n = rx.recv().await.unwrap();
                        hits[n].fetch_add(1, Ordering::SeqCst);
                    }
                }));
                let tx = tx.clone();
                tasks.push(fork(place, move || async move {
                    for i in 0..MESSAGES {
                        tx.send(i).await.unwrap();
                    }
                }));
            }
            join_each(tasks).await;
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
            assert!(hits.iter().all(|c| c.load(Ordering::SeqCst) == EACH));
        });
    }

    /// upstream: async-channel tests/unbounded.rs `mpmc_stream`
    #[test]
    fn mpmc_stream() {
        const MESSAGES: usize = 25_000;
        const EACH: usize = 4;
        on_both(2, |place| async move {
            let (tx, rx) = unbounded::<usize>();
            let hits = counters(MESSAGES);
            let mut tasks = Vec::new();
            for _ in 0..EACH {
                let (rx, hits) = (rx.clone(), hits.clone());
                tasks.push(fork(place, move || async move {
                    let mut rx = std::pin::pin!(rx);
                    for _ in 0..MESSAGES {
                        let n = rx.next().await.unwrap();
                        hits[n].fetch_add(1, Ordering::SeqCst);
                    }
                }));
                let tx = tx.clone();
                tasks.push(fork(place, move || async move {
                    for i in 0..MESSAGES {
                        tx.send(i).await.unwrap();
                    }
                }));
            }
            join_each(tasks).await;
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
            assert!(hits.iter().all(|c| c.load(Ordering::SeqCst) == EACH));
        });
    }
}
