//! The example programs of step 5: an echo server and its clients, in one
//! process, over loopback.

use std::io;
use std::net::SocketAddr;

use crate::net::{TcpListener, TcpStream};
use crate::reactor::Reactor;
use crate::spawn;

// ANCHOR: server
/// Accepts `clients` connections and echoes each, in a task of its own,
/// until its client closes; then awaits them all.
pub async fn echo_server(listener: TcpListener, clients: usize) {
    let mut handlers = Vec::new();
    for k in 1..=clients {
        let name = format!("echo {k}");
        let stream = listener.accept(&name).await.expect("accept");
        handlers.push(spawn(&name, echo(stream)).await);
    }
    for handler in handlers {
        handler.await.expect("echo");
    }
}

/// Sends back whatever it reads, until the peer closes.
async fn echo(stream: TcpStream) -> io::Result<()> {
    let mut buf = [0; 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}
// ANCHOR_END: server

// ANCHOR: client
/// Connects, sends `lines` lines one at a time, reads each one's echo, and
/// returns the transcript: what it sent and what came back.
pub async fn client(
    reactor: Reactor,
    addr: SocketAddr,
    k: usize,
    lines: usize,
) -> io::Result<Vec<String>> {
    let name = format!("client {k}");
    let stream = TcpStream::connect(&reactor, addr, &name).await?;
    let mut transcript = Vec::new();
    for n in 1..=lines {
        let line = format!("line {n} of client {k}\n");
        stream.write_all(line.as_bytes()).await?;
        let echo = read_exactly(&stream, line.len()).await?;
        transcript.push(format!("sent {line:?}, got {echo:?}"));
    }
    stream.shutdown_write()?;
    let mut rest = [0; 1];
    let end = stream.read(&mut rest).await?;
    transcript.push(format!("closed; the server closed too: {}", end == 0));
    Ok(transcript)
}

/// Reads until `len` bytes came, whatever pieces the system hands them in.
async fn read_exactly(stream: &TcpStream, len: usize) -> io::Result<String> {
    let mut got = vec![0; len];
    let mut filled = 0;
    while filled < len {
        match stream.read(&mut got[filled..]).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => filled += n,
        }
    }
    String::from_utf8(got).map_err(|e| io::Error::other(e.to_string()))
}
// ANCHOR_END: client

// ANCHOR: echo_run
/// The server and `clients` clients of `lines` lines each, on one reactor;
/// the transcripts come back in client order.
pub async fn echo_run(
    reactor: Reactor,
    clients: usize,
    lines: usize,
) -> Vec<Vec<String>> {
    let any_port: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    let listener = TcpListener::bind(&reactor, any_port).expect("bind");
    let addr = listener.local_addr().expect("an address");
    let server = spawn("server", echo_server(listener, clients)).await;
    let mut promises = Vec::new();
    for k in 1..=clients {
        let client = client(reactor.clone(), addr, k, lines);
        promises.push(spawn(&format!("client {k}"), client).await);
    }
    let mut transcripts = Vec::new();
    for promise in promises {
        transcripts.push(promise.await.expect("a client"));
    }
    server.await;
    transcripts
}
// ANCHOR_END: echo_run
