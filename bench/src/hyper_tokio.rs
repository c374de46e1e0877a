//! `bench --hyper-tokio ADDR`: the server of `miou/examples/hyper.rs` on tokio's
//! `current_thread` runtime, for the HTTP/hyper comparison. The same hyper server with
//! the same settings and service, byte for byte the same responses (`GET /` answers
//! `hello from hyper on miou`, anything else 404), on tokio through hyper-util's glue
//! (`TokioIo`, `TokioTimer`) instead of the example's `hyper/rt.rs`. Like the http
//! twin (`src/http_tokio.rs`), it leaves out the signal handling: the bench kills it.
//!
//! It prints `hyper-tokio: listening on ADDR (1 domain)` on stderr once it accepts,
//! and serves until it is killed.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

/// The example's service.
async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => (StatusCode::OK, "hello from hyper on miou\n"),
        _ => (StatusCode::NOT_FOUND, "Not Found\n"),
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    Ok(response)
}

/// Serves `addr` until the process is killed.
pub fn main(addr: &str) -> io::Result<()> {
    let addr: SocketAddr = addr
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: {e}")))?;
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?
        .block_on(async move {
            let listener = TcpListener::bind(addr).await?;
            eprintln!(
                "hyper-tokio: listening on {} (1 domain)",
                listener.local_addr()?
            );
            loop {
                let (conn, _) = listener.accept().await?;
                tokio::spawn(async move {
                    let _ = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(conn), service_fn(hello))
                        .await;
                });
            }
        })
}
