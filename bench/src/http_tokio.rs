//! `bench --http-tokio ADDR`: the server of `miou/examples/http.rs` on tokio's
//! `current_thread` runtime, for the HTTP comparison. The HTTP is the example's own,
//! the same file (`miou/examples/http/handler.rs`): `GET /` answers `Hello, world!`,
//! other paths 404; keep-alive as HTTP/1.1 says; every complete request in the buffer
//! (pipelining) is answered, in order, with one write. What is tokio's here is the
//! connection: the accept loop, the reads and writes. What it leaves out is the
//! example's signal handling (the bench kills it), so there is no stop signal to race
//! each idle read against.
//!
//! It prints `http-tokio: listening on ADDR (1 domain)` on stderr once it accepts, like
//! the example, and serves until it is killed.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The example's HTTP, the same file.
#[path = "../../miou/examples/http/handler.rs"]
#[rustfmt::skip] // formatted as an example (examples/rustfmt.toml)
mod handler;
use handler::{Next, answer};

/// Serves `addr` until the process is killed.
pub fn main(addr: &str) -> io::Result<()> {
    serve("http-tokio", addr, |conn| async move {
        let _ = http(conn).await;
    })
}

/// The tokio side of both HTTP comparisons: a `current_thread` runtime on which every
/// connection accepted on `addr` is a task running `connection`, until the process is
/// killed. `name` prefixes the line on stderr that the bench waits for.
pub fn serve<F, Fut>(name: &str, addr: &str, connection: F) -> io::Result<()>
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let addr: SocketAddr = addr
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: {e}")))?;
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?
        .block_on(async move {
            let listener = TcpListener::bind(addr).await?;
            eprintln!("{name}: listening on {} (1 domain)", listener.local_addr()?);
            loop {
                let (conn, _) = listener.accept().await?;
                tokio::spawn(connection(conn));
            }
        })
}

async fn http(mut conn: TcpStream) -> io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut out = Vec::new();
    loop {
        let next = answer(&mut buf, false, &mut out);
        if !out.is_empty() {
            conn.write_all(&out).await?;
            out.clear();
        }
        if next == Next::Close {
            return close(&mut conn).await;
        }
        let old = buf.len();
        buf.resize(old + 4096, 0);
        let n = conn.read(&mut buf[old..]).await?;
        buf.truncate(old + n);
        if n == 0 {
            return Ok(()); // the client closed (perhaps in the middle of a request)
        }
    }
}

/// Closes after the last response: our side first, then reads what the client still
/// sends (for a second at most), as the example does.
async fn close(conn: &mut TcpStream) -> io::Result<()> {
    conn.shutdown().await?;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let mut sink = [0; 4096];
        while let Ok(1..) = conn.read(&mut sink).await {}
    })
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_pipelined_requests_in_order() {
        let mut buf =
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n"
                .to_vec();
        let mut out = Vec::new();
        assert_eq!(answer(&mut buf, false, &mut out), Next::KeepAlive);
        assert_eq!(buf, b"GET / HTTP/1.1\r\n", "the incomplete request is left");
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(
            text.contains("Hello, world!HTTP/1.1 404 Not Found"),
            "{text}"
        );
        assert_eq!(text.matches("HTTP/1.1 ").count(), 2, "{text}");
        let mut out = Vec::new();
        let mut closing = b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec();
        assert_eq!(answer(&mut closing, false, &mut out), Next::Close);
        assert!(closing.is_empty());
    }
}
