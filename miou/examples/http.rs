//! A small HTTP/1.1 server: `GET /` answers `Hello, world!`, any other path 404.
//!
//! ```text
//! cargo run -p miou --example http -- 127.0.0.1:8080
//! curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/   # one connection, two requests
//! ```
//!
//! Connections are kept alive (HTTP/1.1's default, HTTP/1.0 with `Connection:
//! keep-alive`) until the client sends `Connection: close` or closes. Requests may
//! arrive in pieces or several at once (pipelining): every complete request in the
//! buffer is answered, in order, with one write. The HTTP itself (requests parsed
//! with `httparse`, responses built) is in `http/handler.rs`, over bytes and with
//! no I/O: the bench's tokio twin of this server serves with that same file. This
//! one reads and writes the connections, with the same structure as the echo
//! example (`server/mod.rs`); at shutdown, idle connections are closed at once and
//! busy ones after their current response.

use std::io;
use std::net::Shutdown as Half;
use std::process::ExitCode;
use std::time::Duration;

use miou::net::TcpStream;

#[path = "http/handler.rs"]
mod handler;
mod server;
use handler::{Next, answer};
use server::{Either, Shutdown, either};

async fn http(conn: TcpStream, shutdown: Shutdown) -> io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut out = Vec::new();
    loop {
        let next = answer(&mut buf, shutdown.stopping(), &mut out);
        if !out.is_empty() {
            conn.write_all(&out).await?;
            out.clear();
        }
        if next == Next::Close {
            return close(&conn).await;
        }
        // Read more. Between requests, stopping the server closes the connection.
        let old = buf.len();
        buf.resize(old + 4096, 0);
        let n = if old == 0 {
            match either(conn.read(&mut buf[old..]), shutdown.stop.wait()).await
            {
                Either::Left(r) => r?,
                Either::Right(_) => return Ok(()),
            }
        } else {
            conn.read(&mut buf[old..]).await?
        };
        buf.truncate(old + n);
        if n == 0 {
            return Ok(()); // the client closed (perhaps in the middle of a request)
        }
    }
}

/// Closes after the last response: our side first, then we read what the client still
/// sends (for a second at most) so that closing does not reset the connection and
/// destroy the response before the client has read it.
async fn close(conn: &TcpStream) -> io::Result<()> {
    conn.shutdown(Half::Write).await?;
    let _ = miou::time::timeout(Duration::from_secs(1), async {
        let mut sink = [0; 4096];
        while let Ok(1..) = conn.read(&mut sink).await {}
    })
    .await;
    Ok(())
}

fn main() -> ExitCode {
    server::main("http", "127.0.0.1:8080", http)
}
