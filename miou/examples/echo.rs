//! A TCP echo server, after Miou's echo tutorial: it sends back every byte it receives.
//!
//! ```text
//! cargo run -p miou --example echo -- 127.0.0.1:3000
//! nc 127.0.0.1 3000
//! ```
//!
//! One accept loop per domain, the connections of each loop in an `Orphans`, and a
//! graceful shutdown: the first `SIGINT`/`SIGTERM` stops accepting and waits for the
//! open connections to end, a second one closes them (see `server/mod.rs`).

use std::io;
use std::process::ExitCode;

use miou::net::TcpStream;

mod server;

// ANCHOR: echo
/// Echoes until the client closes its side (or the connection fails).
async fn echo(conn: TcpStream, _: server::Shutdown) -> io::Result<()> {
    let mut buf = vec![0; 16 * 1024];
    loop {
        match conn.read(&mut buf).await? {
            0 => return Ok(()),
            n => conn.write_all(&buf[..n]).await?,
        }
    }
}

fn main() -> ExitCode {
    server::main("echo", "127.0.0.1:3000", echo)
}
// ANCHOR_END: echo
