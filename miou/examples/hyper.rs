//! hyper's HTTP/1 server on miou: `GET /` answers `hello from hyper on miou`, any other
//! request 404.
//!
//! ```text
//! cargo run -p miou --example hyper -- 127.0.0.1:8080
//! curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/   # one connection, two requests
//! ```
//!
//! hyper has the protocol and asks its runtime for two things, which `hyper/rt.rs`
//! gives it on miou: I/O (`hyper::rt::Read` and `Write`, a few lines over the
//! `futures-io` traits that `miou::net::TcpStream` implements) and a timer
//! (`hyper::rt::Timer` on `miou::time`). The timer gives the header-read timeout: a
//! connection whose next request head is not all there within 30 s (hyper's default)
//! is closed, be it new, slow or idle between kept-alive requests.
//!
//! Connections are kept alive, and pipelined requests are answered in order. Each
//! connection is a miou task; around them is the skeleton of the echo and http
//! examples (`server/mod.rs`): one accept loop per domain, its connections in an
//! `Orphans`, and a graceful shutdown. At the first `SIGINT` or `SIGTERM` each
//! connection calls hyper's `graceful_shutdown`: a request under way is answered (with
//! `Connection: close`) and then its connection closes; an idle one closes at once
//! (for hyper, a kept-alive connection is idle until its next request head is all
//! there). A second signal closes them all.

use std::io;
use std::pin::pin;
use std::process::ExitCode;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use miou::net::TcpStream;

#[path = "hyper/rt.rs"]
mod rt;
mod server;
#[path = "hyper/service.rs"]
mod service;
use server::{Either, Shutdown, either};
use service::hello;

/// Serves one connection with hyper until it ends; when the server stops, with hyper's
/// graceful shutdown.
async fn serve(conn: TcpStream, shutdown: Shutdown) -> io::Result<()> {
    let mut http = pin!(
        http1::Builder::new()
            .timer(rt::Timer) // for the header-read timeout
            .keep_alive(true)
            .serve_connection(rt::Io::new(conn), service_fn(hello))
    );
    let end = match either(http.as_mut(), shutdown.stop.wait()).await {
        Either::Left(end) => end,
        Either::Right(_) => {
            http.as_mut().graceful_shutdown();
            http.await
        }
    };
    ended(end)
}

/// How a connection ended, for the server skeleton, which logs the errors that are not
/// the client's doing. A client that goes away (a reset, or closing in the middle of a
/// request) or sends no request head in time (hyper closes it) is not logged; a bad
/// request (hyper answers 400) is.
fn ended(end: hyper::Result<()>) -> io::Result<()> {
    let Err(e) = end else { return Ok(()) };
    if e.is_timeout() {
        return Ok(());
    }
    let kind = if e.is_incomplete_message() {
        io::ErrorKind::UnexpectedEof
    } else if let Some(cause) = std::error::Error::source(&e)
        .and_then(|s| s.downcast_ref::<io::Error>())
    {
        cause.kind() // the socket's error
    } else {
        io::ErrorKind::Other
    };
    Err(io::Error::new(kind, e))
}

fn main() -> ExitCode {
    server::main("hyper", "127.0.0.1:8080", serve)
}
