//! The example programs of step 8: resources owned by tasks, each scenario
//! ending one way (a return, a panic, a cancellation, a leak, a transfer),
//! and the log of the finalisers it ran. Each prints only what does not
//! depend on how the threads interleave.

use crate::clock::{VirtualClock, sleep};
use crate::ownership::Resource;
use crate::{call_with, note, print, spawn, spawn_with};

// ANCHOR: open
/// Opens the (imaginary) file or connection `name`: a resource whose
/// finaliser writes `"NAME closed"`, owned by the current task.
pub fn open(name: &'static str) -> Resource {
    let resource = Resource::new(name, move || note(format!("{name} closed")));
    resource.own().unwrap();
    resource
}
// ANCHOR_END: open

// ANCHOR: release
/// `reader` closes its file with `release`, which runs the finaliser;
/// `writer` closes its own by hand, and `disown`s it, which does not.
pub async fn released() {
    let reader = spawn("reader", async {
        let file = open("data.txt");
        print("reader reads data.txt").await;
        file.release().unwrap();
        print("reader returns").await;
    })
    .await;
    let writer = spawn("writer", async {
        let file = open("log.txt");
        print("writer closes log.txt by hand").await;
        file.disown().unwrap();
    })
    .await;
    print(format!("reader: {:?}", reader.await)).await;
    print(format!("writer: {:?}", writer.await)).await;
}
// ANCHOR_END: release

// ANCHOR: panic
/// A task panics while it owns a file.
pub async fn panicking() {
    let reader = spawn("reader", async {
        let _file = open("data.txt");
        print("reader reads data.txt").await;
        panic!("the data is corrupt");
    })
    .await;
    let result: Result<(), _> = reader.await;
    print(format!("reader: {result:?}")).await;
}
// ANCHOR_END: panic

// ANCHOR: cancel
/// `main` gives a connection to a handler called onto a worker, which waits
/// for ever, then cancels it.
pub async fn cancelled() {
    let connection = open("connection 1");
    let handler = call_with("handler", &[&connection], || async {
        std::future::pending::<()>().await;
    })
    .await;
    let owns = connection.check();
    print(format!("main owns connection 1: {owns:?}")).await;
    handler.cancel().await.unwrap();
    print("cancel returned").await;
}
// ANCHOR_END: cancel

// ANCHOR: leak
/// A task returns while it still owns its file.
pub async fn leaking() {
    let leaky = spawn("leaky", async {
        let _file = open("data.txt");
        print("leaky reads data.txt, and forgets it").await;
    })
    .await;
    let result = leaky.await;
    print(format!("never printed: {result:?}")).await;
}
// ANCHOR_END: leak

// ANCHOR: transfer
/// `main` gives a socket to `connector`, which connects it and hands it
/// back; a sibling, which only holds a handle, cannot release it.
pub async fn handed_back() {
    let socket = open("socket");
    let for_connector = socket.clone();
    let connector = spawn_with("connector", &[&socket], async move {
        print("connector connects the socket").await;
        for_connector.transfer().unwrap();
    })
    .await;
    let for_sibling = socket.clone();
    let sibling = spawn("sibling", async move {
        let tried = for_sibling.release();
        print(format!("sibling releasing the socket: {tried:?}")).await;
    })
    .await;
    sibling.await.unwrap();
    connector.await.unwrap();
    print(format!("main owns the socket: {:?}", socket.check())).await;
    socket.release().unwrap();
}
// ANCHOR_END: transfer

/// The scenario of the chapter's picture, on a virtual clock: `main` owns a
/// socket for 2 ticks, gives it to `connector` for 3, gets it back, and
/// releases it 2 ticks later.
pub async fn owners_over_time(clock: VirtualClock) {
    let socket = open("socket");
    sleep(&clock, 2).await;
    let (c, back) = (clock.clone(), socket.clone());
    let connector = spawn_with("connector", &[&socket], async move {
        sleep(&c, 3).await;
        back.transfer().unwrap();
    })
    .await;
    connector.await.unwrap();
    sleep(&clock, 2).await;
    socket.release().unwrap();
}
