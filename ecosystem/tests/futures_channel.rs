//! futures-channel's own test suite (v0.3.34: `tests/channel.rs`, `tests/mpsc.rs`,
//! `tests/mpsc-close.rs`, `tests/mpsc-size_hint.rs`, `tests/oneshot.rs`) rewritten to
//! run on miou.
//!
//! Upstream runs each test under `futures::executor::block_on` (or `block_on_stream`)
//! and puts the other party on a `std::thread` with its own `block_on`. Here a test is
//! one miou run: the other party is a child task ([`fork`]), and each concurrent
//! scenario runs on one domain and then on worker domains. A few upstream parties spin
//! on `try_send` or `unbounded_send` without ever awaiting: on one domain such a task
//! would never let its peer run, so those scenarios run on worker domains only, as
//! upstream's threads do. Handshakes that upstream does with `std::sync::mpsc` (whose
//! blocking `recv` would stop a whole domain) go through async channels here.
//!
//! `stress_shared_bounded_hard` is the scenario that hung miou before `wake_by_ref`
//! recorded a wake-up arriving during a poll (3 runs in 10); it is repeated here
//! ([`HARD_REPEATS`]) so that such a regression cannot slip through.
//! `stress_try_send_as_receiver_closes`, whose background task wakes itself by
//! reference, hung on every run of that old miou.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use common::{Place, block_on, counting_waker, fork, join, join_each, on_both, on_miou};
use futures_channel::{mpsc, oneshot};
use futures_util::future::{FutureExt, poll_fn};
use futures_util::sink::SinkExt;
use futures_util::stream::StreamExt;

/// How many times the `stress_shared_bounded_hard` scenario runs on worker domains.
/// Against the miou of before the fix (commit ab24d5d), one run of it alone hung 11
/// times in 30 with [`HARD_WORKERS`] = 8 (5 in 30 with 4 workers, 1 in 30 with 2), so
/// 20 runs miss the bug about once in 10 000; a run takes about 0.3 s in a debug build.
const HARD_REPEATS: usize = 20;

/// Worker domains for the repeated runs: many more domain threads than the machine's
/// two cores, so that a domain is often preempted in the middle of a wake-up, which is
/// the window the old bug needed (the receiver registering its waker while a sender's
/// wake-up is in flight: `AtomicWaker::register` then calls `wake_by_ref`).
const HARD_WORKERS: usize = 8;

/// Sends `n`, `n - 1`, ..., 1 (upstream's `send_sequence`).
async fn count_down(n: u32, mut tx: mpsc::Sender<u32>) {
    for x in (1..=n).rev() {
        tx.send(x).await.unwrap();
    }
}

/// Sends 1, 2, 3 (upstream's `send_one_two_three`).
async fn one_two_three(mut tx: mpsc::Sender<i32>) {
    for v in 1..=3 {
        tx.send(v).await.unwrap();
    }
}

mod channel {
    use super::*;

    /// upstream: futures-channel tests/channel.rs `sequence`
    #[test]
    fn sequence() {
        on_both(1, |place| async move {
            let (tx, rx) = mpsc::channel(1);
            let sender = fork(place, move || count_down(20, tx));
            let got: Vec<u32> = rx.collect().await;
            assert_eq!(got, (1..=20).rev().collect::<Vec<_>>());
            join(sender).await;
        });
    }

    /// upstream: futures-channel tests/channel.rs `drop_sender`
    #[test]
    fn drop_sender() {
        block_on(|| async {
            let (tx, mut rx) = mpsc::channel::<u32>(1);
            drop(tx);
            assert_eq!(poll_fn(|cx| rx.poll_next_unpin(cx)).await, None);
        });
    }

    /// upstream: futures-channel tests/channel.rs `drop_rx`
    #[test]
    fn drop_rx() {
        block_on(|| async {
            let (mut tx, rx) = mpsc::channel::<u32>(1);
            tx.send(1).await.unwrap();
            drop(rx);
            assert!(tx.send(1).await.is_err());
        });
    }

    /// upstream: futures-channel tests/channel.rs `drop_order`
    #[test]
    fn drop_order() {
        struct Counted(Arc<AtomicUsize>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        block_on(|| async {
            let drops = Arc::new(AtomicUsize::new(0));
            let (mut tx, rx) = mpsc::channel(1);
            tx.send(Counted(drops.clone())).await.unwrap();
            assert_eq!(drops.load(Ordering::SeqCst), 0);
            // The queued message goes with the receiver...
            drop(rx);
            assert_eq!(drops.load(Ordering::SeqCst), 1);
            // ...and a refused one with the error.
            assert!(tx.send(Counted(drops.clone())).await.is_err());
            assert_eq!(drops.load(Ordering::SeqCst), 2);
        });
    }
}

mod mpsc_close {
    use super::*;
    use std::time::{Duration, Instant};

    /// upstream: futures-channel tests/mpsc-close.rs `smoke`
    #[test]
    fn smoke() {
        on_both(1, |place| async move {
            let (mut tx, rx) = mpsc::channel(1);
            // Sends until the receiver is gone.
            let sender = fork(
                place,
                move || async move { while tx.send(42).await.is_ok() {} },
            );
            rx.take(3).for_each(|_| async {}).await;
            join(sender).await;
        });
    }

    /// upstream: futures-channel tests/mpsc-close.rs `multiple_senders_disconnect`
    #[test]
    fn multiple_senders_disconnect() {
        block_on(|| async {
            // Bounded: disconnecting, dropping and closing one sender leave the others.
            let (mut a, mut rx) = mpsc::channel(1);
            let (b, mut c, mut d) = (a.clone(), a.clone(), a.clone());
            a.disconnect();
            drop(b);
            c.close().await.unwrap();
            assert!(a.is_closed() && c.is_closed() && !d.is_closed());
            d.send(5).await.unwrap();
            assert_eq!(rx.next().await, Some(5));
            drop(d); // the last one: the channel ends
            assert_eq!(rx.next().await, None);

            // Unbounded: the same.
            let (mut a, mut rx) = mpsc::unbounded();
            let (b, mut c, mut d) = (a.clone(), a.clone(), a.clone());
            a.disconnect();
            drop(b);
            c.close().await.unwrap();
            assert!(a.is_closed() && c.is_closed() && !d.is_closed());
            d.send(5).await.unwrap();
            assert_eq!(rx.next().await, Some(5));
            drop(d);
            assert_eq!(rx.next().await, None);
        });
    }

    /// upstream: futures-channel tests/mpsc-close.rs `multiple_senders_close_channel`
    #[test]
    fn multiple_senders_close_channel() {
        block_on(|| async {
            let (mut a, mut rx) = mpsc::channel(1);
            let mut b = a.clone();
            // Closing the channel through one sender closes it for all.
            a.close_channel();
            assert!(a.is_closed() && b.is_closed());
            assert!(b.send(5).await.unwrap_err().is_disconnected());
            assert_eq!(rx.next().await, None);

            let (a, mut rx) = mpsc::unbounded();
            let mut b = a.clone();
            a.close_channel();
            assert!(a.is_closed() && b.is_closed());
            assert!(b.send(5).await.unwrap_err().is_disconnected());
            assert_eq!(rx.next().await, None);
        });
    }

    /// upstream: futures-channel tests/mpsc-close.rs `stress_try_send_as_receiver_closes`.
    ///
    /// A background task receives channels to test, polls each a varying number of
    /// times (waking itself by reference to be polled again at once), then drops it;
    /// meanwhile the root `try_send`s into it in a tight loop, and checks that once the
    /// channel reports disconnection, the last message it accepted is dropped rather
    /// than stranded. The root spins without awaiting, as upstream's main thread does,
    /// so the background task runs on a worker domain: on one domain it would never run.
    #[test]
    fn stress_try_send_as_receiver_closes() {
        const ROUNDS: usize = 10_000;
        const MAX_COUNTDOWN: usize = 20;
        const SPIN_LIMIT: Duration = Duration::from_secs(10);

        struct Probe {
            rx: mpsc::Receiver<Arc<()>>,
            polls: usize,
        }

        /// The background task, a hand-written future as upstream's.
        struct Closer {
            commands: mpsc::Receiver<Probe>,
            probe: Option<mpsc::Receiver<Arc<()>>>,
            countdown: usize,
        }

        impl std::future::Future for Closer {
            type Output = ();

            fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
                if let Some(rx) = &mut self.probe {
                    if let Poll::Ready(item) = rx.poll_next_unpin(cx) {
                        item.expect("the root dropped its sender before the end");
                    }
                    self.countdown -= 1;
                    cx.waker().wake_by_ref();
                }
                match self.commands.poll_next_unpin(cx) {
                    Poll::Ready(Some(Probe { rx, polls })) => {
                        self.probe = Some(rx);
                        self.countdown = polls;
                        cx.waker().wake_by_ref();
                    }
                    Poll::Ready(None) => return Poll::Ready(()),
                    Poll::Pending => {}
                }
                if self.countdown == 0 {
                    self.probe = None;
                }
                Poll::Pending
            }
        }

        on_miou(1, || async {
            let (mut commands, command_rx) = mpsc::channel::<Probe>(0);
            let closer = miou::call(move || Closer {
                commands: command_rx,
                probe: None,
                countdown: 0,
            });
            for round in 0..ROUNDS {
                let (mut tx, rx) = mpsc::channel(0);
                commands
                    .try_send(Probe {
                        rx,
                        polls: round % MAX_COUNTDOWN,
                    })
                    .unwrap();
                let mut last_accepted: Option<std::sync::Weak<()>> = None;
                loop {
                    let item = Arc::new(());
                    let weak = Arc::downgrade(&item);
                    match tx.try_send(item) {
                        Ok(()) => last_accepted = Some(weak),
                        Err(e) if e.is_full() => {}
                        Err(e) if e.is_disconnected() => {
                            // It may take a moment for the receiver's drop to finish.
                            if let Some(w) = last_accepted.take() {
                                let t0 = Instant::now();
                                while w.upgrade().is_some() {
                                    assert!(
                                        t0.elapsed() < SPIN_LIMIT,
                                        "round {round}: an accepted message was never dropped"
                                    );
                                    std::thread::sleep(Duration::from_millis(10));
                                }
                            }
                            break;
                        }
                        Err(e) => panic!("unexpected error: {e}"),
                    }
                }
            }
            drop(commands);
            join(closer).await;
        });
    }
}

mod mpsc_tests {
    use super::*;
    use futures_util::sink::Sink;
    use futures_util::stream::Stream;
    use std::pin::pin;

    /// upstream: futures-channel tests/mpsc.rs `send_recv`
    #[test]
    fn send_recv() {
        block_on(|| async {
            let (mut tx, rx) = mpsc::channel::<i32>(16);
            tx.send(1).await.unwrap();
            drop(tx);
            assert_eq!(rx.collect::<Vec<_>>().await, vec![1]);
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `send_recv_no_buffer`: the `Sink`
    /// protocol on a zero-capacity channel, step by step, under the task's context.
    #[test]
    fn send_recv_no_buffer() {
        block_on(|| {
            poll_fn(|cx| {
                let (tx, rx) = mpsc::channel::<i32>(0);
                let mut tx = pin!(tx);
                let mut rx = pin!(rx);
                assert!(tx.as_mut().poll_flush(cx).is_ready());
                assert!(tx.as_mut().poll_ready(cx).is_ready());
                // One message fills the sender's slot...
                assert!(tx.as_mut().start_send(1).is_ok());
                assert!(tx.as_mut().poll_ready(cx).is_pending());
                // ...and a second is refused as full.
                assert!(tx.as_mut().start_send(0).unwrap_err().is_full());
                assert!(tx.as_mut().poll_ready(cx).is_pending());
                // Taking it frees the slot.
                assert_eq!(rx.as_mut().poll_next(cx), Poll::Ready(Some(1)));
                assert!(tx.as_mut().poll_ready(cx).is_ready());
                assert!(tx.as_mut().poll_ready(cx).is_ready());
                assert!(tx.as_mut().start_send(2).is_ok());
                assert!(tx.as_mut().poll_ready(cx).is_pending());
                assert_eq!(rx.as_mut().poll_next(cx), Poll::Ready(Some(2)));
                assert!(tx.as_mut().poll_ready(cx).is_ready());
                Poll::Ready(())
            })
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `send_shared_recv`
    #[test]
    fn send_shared_recv() {
        block_on(|| async {
            let (mut tx1, mut rx) = mpsc::channel::<i32>(16);
            let mut tx2 = tx1.clone();
            tx1.send(1).await.unwrap();
            assert_eq!(rx.next().await, Some(1));
            tx2.send(2).await.unwrap();
            assert_eq!(rx.next().await, Some(2));
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `send_recv_threads`
    #[test]
    fn send_recv_threads() {
        on_both(1, |place| async move {
            let (mut tx, rx) = mpsc::channel::<i32>(16);
            let sender = fork(place, move || async move { tx.send(1).await.unwrap() });
            assert_eq!(rx.take(1).collect::<Vec<_>>().await, vec![1]);
            join(sender).await;
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `send_recv_threads_no_capacity`
    #[test]
    fn send_recv_threads_no_capacity() {
        on_both(1, |place| async move {
            let (mut tx, rx) = mpsc::channel::<i32>(0);
            let sender = fork(place, move || async move {
                tx.send(1).await.unwrap();
                tx.send(2).await.unwrap();
            });
            assert_eq!(rx.collect::<Vec<_>>().await, vec![1, 2]);
            join(sender).await;
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `recv_close_gets_none`
    #[test]
    fn recv_close_gets_none() {
        block_on(|| async {
            let (mut tx, mut rx) = mpsc::channel::<i32>(10);
            poll_fn(move |cx| {
                rx.close();
                assert_eq!(rx.poll_next_unpin(cx), Poll::Ready(None));
                match tx.poll_ready(cx) {
                    Poll::Ready(Err(e)) => assert!(e.is_disconnected()),
                    other => panic!("the sender should see the channel closed: {other:?}"),
                }
                Poll::Ready(())
            })
            .await;
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `tx_close_gets_none`
    #[test]
    fn tx_close_gets_none() {
        block_on(|| async {
            let (_, mut rx) = mpsc::channel::<i32>(10);
            poll_fn(move |cx| {
                assert_eq!(rx.poll_next_unpin(cx), Poll::Ready(None));
                Poll::Ready(())
            })
            .await;
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `stress_shared_unbounded`
    #[test]
    fn stress_shared_unbounded() {
        const EACH: u32 = 10_000;
        const SENDERS: u32 = 8;
        on_both(2, |place| async move {
            let (tx, rx) = mpsc::unbounded::<i32>();
            let receiver = fork(place, move || async move {
                let got: Vec<_> = rx.collect().await;
                assert_eq!(got.len(), (EACH * SENDERS) as usize);
                assert!(got.iter().all(|&v| v == 1));
            });
            let mut senders = Vec::new();
            for _ in 0..SENDERS {
                let tx = tx.clone();
                senders.push(fork(place, move || async move {
                    for _ in 0..EACH {
                        tx.unbounded_send(1).unwrap();
                    }
                }));
            }
            drop(tx);
            join_each(senders).await;
            join(receiver).await;
        });
    }

    /// The scenario of `stress_shared_bounded_hard`: eight senders push 10 000 messages
    /// each through a zero-capacity channel to one receiver, so nearly every send parks
    /// and is woken by the receiver.
    async fn shared_bounded_hard(place: Place) {
        const EACH: u32 = 10_000;
        const SENDERS: u32 = 8;
        let (tx, rx) = mpsc::channel::<i32>(0);
        let receiver = fork(place, move || async move {
            let got: Vec<_> = rx.collect().await;
            assert_eq!(got.len(), (EACH * SENDERS) as usize);
            assert!(got.iter().all(|&v| v == 1));
        });
        let mut senders = Vec::new();
        for _ in 0..SENDERS {
            let mut tx = tx.clone();
            senders.push(fork(place, move || async move {
                for _ in 0..EACH {
                    tx.send(1).await.unwrap();
                }
            }));
        }
        drop(tx);
        join_each(senders).await;
        join(receiver).await;
    }

    /// upstream: futures-channel tests/mpsc.rs `stress_shared_bounded_hard`: once on one
    /// domain, then [`HARD_REPEATS`] times on [`HARD_WORKERS`] worker domains (each run
    /// under its own watchdog), where the senders' wake-ups race the receiver's
    /// registration of its waker.
    #[test]
    fn stress_shared_bounded_hard() {
        on_miou(0, || shared_bounded_hard(Place::Here));
        for _ in 0..HARD_REPEATS {
            on_miou(HARD_WORKERS, || shared_bounded_hard(Place::Elsewhere));
        }
    }

    /// upstream: futures-channel tests/mpsc.rs `stress_receiver_multi_task_bounded_hard`:
    /// two tasks share one receiver behind a mutex, one receive in five awaited and
    /// the others a single poll with a no-op waker. Upstream's `std` mutex is held
    /// across a blocking receive on another thread; across an `.await` it takes an
    /// async mutex (async-lock's), or the two tasks of the one-domain run would
    /// deadlock.
    #[test]
    fn stress_receiver_multi_task_bounded_hard() {
        const MESSAGES: usize = 10_000;
        on_both(2, |place| async move {
            let (mut tx, rx) = mpsc::channel::<usize>(0);
            let shared = Arc::new(async_lock::Mutex::new(Some(rx)));
            let received = Arc::new(AtomicUsize::new(0));
            let mut receivers = Vec::new();
            for _ in 0..2 {
                let (shared, received) = (shared.clone(), received.clone());
                receivers.push(fork(place, move || async move {
                    let mut turn = 0;
                    loop {
                        turn += 1;
                        let mut slot = shared.lock().await;
                        let Some(rx) = slot.as_mut() else { break };
                        let item = if turn % 5 == 0 {
                            Poll::Ready(rx.next().await)
                        } else {
                            rx.poll_next_unpin(&mut Context::from_waker(Waker::noop()))
                        };
                        match item {
                            Poll::Ready(Some(_)) => {
                                received.fetch_add(1, Ordering::Relaxed);
                            }
                            Poll::Ready(None) => {
                                *slot = None;
                                break;
                            }
                            Poll::Pending => {}
                        }
                    }
                }));
            }
            for i in 0..MESSAGES {
                tx.send(i).await.unwrap();
            }
            drop(tx);
            join_each(receivers).await;
            assert_eq!(received.load(Ordering::Relaxed), MESSAGES);
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `stress_drop_sender` (each round's
    /// sender is a new thread upstream, a new task here)
    #[test]
    fn stress_drop_sender() {
        const ROUNDS: usize = 10_000;
        on_both(1, |place| async move {
            for _ in 0..ROUNDS {
                let (tx, rx) = mpsc::channel(1);
                let sender = fork(place, move || one_two_three(tx));
                assert_eq!(rx.collect::<Vec<_>>().await, vec![1, 2, 3]);
                join(sender).await;
            }
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `stress_close_receiver`. The sender sends
    /// in a loop that never awaits, until it sees the channel closed, so it runs on a
    /// worker domain only.
    #[test]
    fn stress_close_receiver() {
        const ROUNDS: usize = 10_000;
        on_miou(1, || async {
            for _ in 0..ROUNDS {
                let (tx, mut rx) = mpsc::unbounded();
                let sender = miou::call(move || async move {
                    // The first value that could not be sent.
                    (1..).find(|&i| tx.unbounded_send(i).is_err()).unwrap()
                });
                // Wait for the sender to be under way, then close.
                assert_eq!(rx.next().await, Some(1));
                rx.close();
                // Everything sent before the close is still delivered, in order, and
                // the first refused value comes right after the last delivered one.
                let mut expected = 2;
                while let Some(v) = rx.next().await {
                    assert_eq!(v, expected);
                    expected += 1;
                }
                assert_eq!(join(sender).await, expected);
            }
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `stress_poll_ready`: once `poll_ready`
    /// reports room, a send goes through without waiting, for several capacities.
    #[test]
    fn stress_poll_ready() {
        const EACH: u32 = 1000;
        const SENDERS: u32 = 8;
        on_both(2, |place| async move {
            for capacity in [0, 1, 8, 16] {
                let (tx, rx) = mpsc::channel(capacity);
                let mut senders = Vec::new();
                for _ in 0..SENDERS {
                    let mut tx = tx.clone();
                    senders.push(fork(place, move || async move {
                        for v in (1..=EACH).rev() {
                            tx.send(v).await.unwrap();
                        }
                    }));
                }
                drop(tx);
                let got: Vec<_> = rx.collect().await;
                assert_eq!(got.len() as u32, EACH * SENDERS);
                join_each(senders).await;
            }
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `test_bounded_recv`
    #[test]
    fn test_bounded_recv() {
        on_both(1, |place| async move {
            let (dropped_tx, dropped_rx) = oneshot::channel();
            let (tx, mut rx) = mpsc::channel(1);
            let sender = fork(place, move || async move {
                one_two_three(tx).await; // drops the sender
                dropped_tx.send(()).unwrap();
            });
            let mut got = Vec::new();
            for _ in 0..3 {
                got.push(rx.recv().await.unwrap());
            }
            dropped_rx.await.unwrap();
            assert_eq!(rx.recv().await, Err(mpsc::RecvError));
            assert_eq!(got, [1, 2, 3]);
            join(sender).await;
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `test_unbounded_recv`
    #[test]
    fn test_unbounded_recv() {
        block_on(|| async {
            let (mut tx, mut rx) = mpsc::unbounded();
            for v in 1..=3 {
                tx.send(v).await.unwrap();
            }
            drop(tx);
            let mut got = Vec::new();
            for _ in 0..3 {
                got.push(rx.recv().await.unwrap());
            }
            assert_eq!(rx.recv().await, Err(mpsc::RecvError));
            assert_eq!(got, [1, 2, 3]);
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `try_send_1`: a sender spinning on
    /// `try_send` (never awaiting, so on a worker domain), the root collecting.
    #[test]
    fn try_send_1() {
        const N: usize = 3000;
        on_miou(1, || async {
            let (mut tx, rx) = mpsc::channel(0);
            let sender = miou::call(move || async move {
                for i in 0..N {
                    while tx.try_send(i).is_err() {}
                }
            });
            let got: Vec<_> = rx.collect().await;
            assert_eq!(got, (0..N).collect::<Vec<_>>());
            join(sender).await;
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `try_send_2`
    #[test]
    fn try_send_2() {
        on_both(1, |place| async move {
            let (mut tx, mut rx) = mpsc::channel(0);
            tx.try_send("hello").unwrap();
            let (ready_tx, ready_rx) = oneshot::channel::<()>();
            let sender = fork(place, move || async move {
                // The channel is full: not ready.
                poll_fn(|cx| {
                    assert!(tx.poll_ready(cx).is_pending());
                    Poll::Ready(())
                })
                .await;
                drop(ready_tx);
                tx.send("goodbye").await.unwrap();
            });
            let _ = ready_rx.await;
            assert_eq!(rx.next().await, Some("hello"));
            assert_eq!(rx.next().await, Some("goodbye"));
            assert_eq!(rx.next().await, None);
            join(sender).await;
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `try_send_fail`
    #[test]
    fn try_send_fail() {
        block_on(|| async {
            let (mut tx, mut rx) = mpsc::channel(0);
            tx.try_send("hello").unwrap();
            assert!(tx.try_send("fail").is_err(), "a second message fit");
            assert_eq!(rx.next().await, Some("hello"));
            tx.try_send("goodbye").unwrap();
            drop(tx);
            assert_eq!(rx.next().await, Some("goodbye"));
            assert_eq!(rx.next().await, None);
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `send_backpressure`: a send blocked on a
    /// full channel is woken exactly once when the receiver makes room.
    #[test]
    fn send_backpressure() {
        block_on(|| async {
            let (waker, wakes) = counting_waker();
            let mut cx = Context::from_waker(&waker);
            let (mut tx, mut rx) = mpsc::channel(1);
            tx.send(1).await.unwrap();
            let mut second = tx.send(2);
            assert_eq!(second.poll_unpin(&mut cx), Poll::Pending);
            assert_eq!(wakes.load(Ordering::SeqCst), 0);
            assert_eq!(rx.next().await, Some(1));
            assert_eq!(wakes.load(Ordering::SeqCst), 1);
            assert_eq!(second.poll_unpin(&mut cx), Poll::Ready(Ok(())));
            assert_eq!(rx.next().await, Some(2));
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `send_backpressure_multi_senders`
    #[test]
    fn send_backpressure_multi_senders() {
        block_on(|| async {
            let (waker, wakes) = counting_waker();
            let mut cx = Context::from_waker(&waker);
            let (mut tx1, mut rx) = mpsc::channel(1);
            let mut tx2 = tx1.clone();
            tx1.send(1).await.unwrap();
            let mut second = tx2.send(2);
            assert_eq!(second.poll_unpin(&mut cx), Poll::Pending);
            assert_eq!(wakes.load(Ordering::SeqCst), 0);
            assert_eq!(rx.next().await, Some(1));
            assert_eq!(wakes.load(Ordering::SeqCst), 1);
            assert_eq!(second.poll_unpin(&mut cx), Poll::Ready(Ok(())));
            assert_eq!(rx.next().await, Some(2));
        });
    }

    /// upstream: futures-channel tests/mpsc.rs `unbounded_len`
    #[test]
    fn unbounded_len() {
        block_on(|| async {
            let (tx, mut rx) = mpsc::unbounded();
            assert_eq!((tx.len(), tx.is_empty()), (0, true));
            tx.unbounded_send(1).unwrap();
            assert_eq!((tx.len(), tx.is_empty()), (1, false));
            tx.unbounded_send(2).unwrap();
            assert_eq!((tx.len(), tx.is_empty()), (2, false));
            assert_eq!(rx.next().await, Some(1));
            assert_eq!((tx.len(), tx.is_empty()), (1, false));
            assert_eq!(rx.next().await, Some(2));
            assert_eq!((tx.len(), tx.is_empty()), (0, true));
        });
    }
}

mod oneshot_tests {
    use super::*;

    /// upstream: futures-channel tests/oneshot.rs `smoke_poll`
    #[test]
    fn smoke_poll() {
        block_on(|| async {
            let (mut tx, rx) = oneshot::channel::<u32>();
            let mut rx = Some(rx);
            poll_fn(|cx| {
                assert!(tx.poll_canceled(cx).is_pending());
                assert!(tx.poll_canceled(cx).is_pending());
                drop(rx.take());
                assert!(tx.poll_canceled(cx).is_ready());
                assert!(tx.poll_canceled(cx).is_ready());
                Poll::Ready(())
            })
            .await;
        });
    }

    /// upstream: futures-channel tests/oneshot.rs `cancel_notifies`
    #[test]
    fn cancel_notifies() {
        on_both(1, |place| async move {
            let (mut tx, rx) = oneshot::channel::<u32>();
            let waiter = fork(place, move || async move { tx.cancellation().await });
            drop(rx);
            join(waiter).await;
        });
    }

    /// upstream: futures-channel tests/oneshot.rs `cancel_lots` (the `std::sync::mpsc`
    /// channels become futures' own)
    #[test]
    fn cancel_lots() {
        const ROUNDS: usize = 20_000;
        on_both(1, |place| async move {
            let (jobs, mut job_rx) =
                mpsc::unbounded::<(oneshot::Sender<u32>, oneshot::Sender<()>)>();
            let watcher = fork(place, move || async move {
                while let Some((mut tx, ack)) = job_rx.next().await {
                    tx.cancellation().await;
                    ack.send(()).unwrap();
                }
            });
            for _ in 0..ROUNDS {
                let (tx, rx) = oneshot::channel::<u32>();
                let (ack, acked) = oneshot::channel();
                jobs.unbounded_send((tx, ack)).unwrap();
                drop(rx);
                acked.await.unwrap();
            }
            drop(jobs);
            join(watcher).await;
        });
    }

    /// upstream: futures-channel tests/oneshot.rs `close`
    #[test]
    fn close() {
        block_on(|| async {
            let (mut tx, mut rx) = oneshot::channel::<u32>();
            rx.close();
            poll_fn(|cx| {
                assert!(matches!(rx.poll_unpin(cx), Poll::Ready(Err(_))));
                assert!(tx.poll_canceled(cx).is_ready());
                Poll::Ready(())
            })
            .await;
        });
    }

    /// upstream: futures-channel tests/oneshot.rs `close_wakes`
    #[test]
    fn close_wakes() {
        on_both(1, |place| async move {
            let (mut tx, mut rx) = oneshot::channel::<u32>();
            let (release, released) = oneshot::channel::<()>();
            let closer = fork(place, move || async move {
                rx.close();
                // Keeps the receiver alive until the root saw the cancellation.
                released.await.unwrap();
            });
            tx.cancellation().await;
            release.send(()).unwrap();
            join(closer).await;
        });
    }

    /// upstream: futures-channel tests/oneshot.rs `cancel_sends` (the `std::sync::mpsc`
    /// channel becomes futures' own)
    #[test]
    fn cancel_sends() {
        const ROUNDS: usize = 20_000;
        on_both(1, |place| async move {
            let (jobs, mut job_rx) = mpsc::unbounded::<oneshot::Sender<u32>>();
            let sender = fork(place, move || async move {
                while let Some(tx) = job_rx.next().await {
                    let _ = tx.send(42);
                }
            });
            for _ in 0..ROUNDS {
                let (tx, mut rx) = oneshot::channel::<u32>();
                jobs.unbounded_send(tx).unwrap();
                rx.close();
                // Either the value got in before the close, or the channel is canceled.
                let _ = rx.await;
            }
            drop(jobs);
            join(sender).await;
        });
    }
}
