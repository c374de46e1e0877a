//! `bench --hyper-tokio ADDR`: the server of `miou/examples/hyper.rs` on tokio's
//! `current_thread` runtime, for the HTTP/hyper comparison. The same hyper server with
//! the same settings and service, byte for byte the same responses (`GET /` answers
//! `hello from hyper on miou`, anything else 404), on tokio through hyper-util's glue
//! (`TokioIo`, `TokioTimer`) instead of the example's `hyper/rt.rs`. Like the http
//! twin (`src/http_tokio.rs`), it leaves out the signal handling: the bench kills it.
//!
//! It prints `hyper-tokio: listening on ADDR (1 domain)` on stderr once it accepts,
//! and serves until it is killed.

use std::io;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};

/// The example's own service, the same file.
#[path = "../../miou/examples/hyper/service.rs"]
#[rustfmt::skip] // formatted as an example (examples/rustfmt.toml)
mod service;

/// Serves `addr` until the process is killed.
pub fn main(addr: &str) -> io::Result<()> {
    crate::http_tokio::serve("hyper-tokio", addr, |conn| async move {
        let _ = http1::Builder::new()
            .timer(TokioTimer::new())
            .keep_alive(true)
            .serve_connection(TokioIo::new(conn), service_fn(service::hello))
            .await;
    })
}
