//! `bench --http-tokio ADDR`: the server of `miou/examples/http.rs` written on tokio's
//! `current_thread` runtime, for the HTTP comparison. The same behaviour, request by
//! request: `GET /` answers `Hello, world!`, other paths 404; keep-alive as HTTP/1.1
//! says; every complete request in the buffer (pipelining) is answered, in order, with
//! one write; `httparse` parses. What it leaves out is the example's signal handling
//! (the bench kills it), so there is no stop signal to race each idle read against.
//!
//! It prints `http-tokio: listening on ADDR (1 domain)` on stderr once it accepts, like
//! the example, and serves until it is killed.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const HELLO: &[u8] = b"Hello, world!";
/// The longest request head (request line and headers) we buffer.
const MAX_HEAD: usize = 64 * 1024;
/// The largest request body we read (and ignore).
const MAX_BODY: usize = 1024 * 1024;

/// What to do with a connection after a response.
#[derive(PartialEq)]
enum Next {
    KeepAlive,
    Close,
}

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
        // Answer every complete request in the buffer.
        let mut used = 0;
        let mut next = Next::KeepAlive;
        while next == Next::KeepAlive {
            match request(&buf[used..], &mut out) {
                Some((len, n)) => {
                    used += len;
                    next = n;
                }
                None => break, // incomplete
            }
        }
        buf.drain(..used);
        if !out.is_empty() {
            conn.write_all(&out).await?;
            out.clear();
        }
        if next == Next::Close {
            return close(&mut conn).await;
        }
        if buf.len() > MAX_HEAD + MAX_BODY {
            respond(
                &mut out,
                "431 Request Header Fields Too Large",
                b"",
                true,
                true,
            );
            conn.write_all(&out).await?;
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

/// Parses one request at the start of `buf` and writes its response to `out`: the
/// request's length and what to do next, or `None` if it is not all there yet.
fn request(buf: &[u8], out: &mut Vec<u8>) -> Option<(usize, Next)> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    let head = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return None,
        Err(e) => {
            let body = format!("{e}\n");
            respond(out, "400 Bad Request", body.as_bytes(), true, true);
            return Some((buf.len(), Next::Close));
        }
    };
    let mut close = false;
    let mut keep_alive = false;
    let mut body_len = 0;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("connection") {
            for token in String::from_utf8_lossy(h.value).split(',') {
                close |= token.trim().eq_ignore_ascii_case("close");
                keep_alive |= token.trim().eq_ignore_ascii_case("keep-alive");
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            respond(out, "501 Not Implemented", b"chunked bodies\n", true, true);
            return Some((buf.len(), Next::Close));
        } else if h.name.eq_ignore_ascii_case("content-length") {
            match std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse().ok())
            {
                Some(n) if n <= MAX_BODY => body_len = n,
                _ => {
                    respond(out, "400 Bad Request", b"bad Content-Length\n", true, true);
                    return Some((buf.len(), Next::Close));
                }
            }
        }
    }
    if buf.len() < head + body_len {
        return None; // the body is not all there yet
    }
    if req.version == Some(0) && !keep_alive {
        close = true;
    }
    let head_only = req.method == Some("HEAD");
    let path = req.path.unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    match (req.method, path) {
        (Some("GET" | "HEAD"), "/") => respond(out, "200 OK", HELLO, head_only, close),
        (_, "/") => respond(out, "405 Method Not Allowed", b"", false, close),
        _ => respond(out, "404 Not Found", b"Not Found\n", head_only, close),
    }
    let next = if close { Next::Close } else { Next::KeepAlive };
    Some((head + body_len, next))
}

/// Writes a response with `body` (its headers only if `head_only`) to `out`.
fn respond(out: &mut Vec<u8>, status: &str, body: &[u8], head_only: bool, close: bool) {
    out.extend_from_slice(format!("HTTP/1.1 {status}\r\n").as_bytes());
    if status.starts_with("405") {
        out.extend_from_slice(b"Allow: GET, HEAD\r\n");
    }
    out.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\n");
    out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    out.extend_from_slice(if close {
        b"Connection: close\r\n\r\n"
    } else {
        b"Connection: keep-alive\r\n\r\n"
    });
    if !head_only {
        out.extend_from_slice(body);
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
        let mut out = Vec::new();
        let two = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\n\r\n";
        let (len, next) = request(two, &mut out).unwrap();
        assert!(next == Next::KeepAlive);
        let (len2, _) = request(&two[len..], &mut out).unwrap();
        assert_eq!(len + len2, two.len());
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(
            text.contains("Hello, world!HTTP/1.1 404 Not Found"),
            "{text}"
        );
        assert!(request(b"GET / HTTP/1.1\r\n", &mut Vec::new()).is_none());
    }
}
