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
//! buffer is answered, in order, with one write. Requests are parsed with `httparse`.
//! Same structure as the echo example (`server/mod.rs`); at shutdown, idle connections
//! are closed at once and busy ones after their current response.

use std::io;
use std::net::Shutdown as Half;
use std::process::ExitCode;
use std::time::Duration;

use miou::net::TcpStream;

mod server;
use server::{Either, Shutdown, either};

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

async fn http(conn: TcpStream, shutdown: Shutdown) -> io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut out = Vec::new();
    loop {
        // Answer every complete request in the buffer.
        let mut used = 0;
        let mut next = Next::KeepAlive;
        while next == Next::KeepAlive {
            match request(&buf[used..], shutdown.stopping(), &mut out) {
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
            return close(&conn).await;
        }
        // What is left is an incomplete request: its head must fit in MAX_HEAD (its
        // body was checked against MAX_BODY).
        if buf.len() > MAX_HEAD
            && !buf[..MAX_HEAD].windows(4).any(|w| w == b"\r\n\r\n")
        {
            respond(
                &mut out,
                "431 Request Header Fields Too Large",
                b"",
                true,
                true,
            );
            conn.write_all(&out).await?;
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

/// Parses one request at the start of `buf` and writes its response to `out`: the
/// request's length and what to do next, or `None` if it is not all there yet.
fn request(
    buf: &[u8],
    stopping: bool,
    out: &mut Vec<u8>,
) -> Option<(usize, Next)> {
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
    let mut close = stopping;
    let mut keep_alive = false;
    let mut body_len = 0;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("connection") {
            for token in String::from_utf8_lossy(h.value).split(',') {
                close |= token.trim().eq_ignore_ascii_case("close");
                keep_alive |= token.trim().eq_ignore_ascii_case("keep-alive");
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            respond(
                out,
                "501 Not Implemented",
                b"chunked bodies\n",
                true,
                true,
            );
            return Some((buf.len(), Next::Close));
        } else if h.name.eq_ignore_ascii_case("content-length") {
            match std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse().ok())
            {
                Some(n) if n <= MAX_BODY => body_len = n,
                _ => {
                    respond(
                        out,
                        "400 Bad Request",
                        b"bad Content-Length\n",
                        true,
                        true,
                    );
                    return Some((buf.len(), Next::Close));
                }
            }
        }
    }
    if buf.len() < head + body_len {
        return None; // the body is not all there yet
    }
    // HTTP/1.0 closes unless asked to keep alive; HTTP/1.1 keeps alive unless asked to
    // close.
    if req.version == Some(0) && !keep_alive {
        close = true;
    }
    let head_only = req.method == Some("HEAD");
    let path = req.path.unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    match (req.method, path) {
        (Some("GET" | "HEAD"), "/") => {
            respond(out, "200 OK", HELLO, head_only, close)
        }
        (_, "/") => respond(out, "405 Method Not Allowed", b"", false, close),
        _ => respond(out, "404 Not Found", b"Not Found\n", head_only, close),
    }
    let next = if close { Next::Close } else { Next::KeepAlive };
    Some((head + body_len, next))
}

/// Writes a response with `body` (its headers only if `head_only`) to `out`.
fn respond(
    out: &mut Vec<u8>,
    status: &str,
    body: &[u8],
    head_only: bool,
    close: bool,
) {
    out.extend_from_slice(format!("HTTP/1.1 {status}\r\n").as_bytes());
    if status.starts_with("405") {
        out.extend_from_slice(b"Allow: GET, HEAD\r\n");
    }
    out.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\n");
    out.extend_from_slice(
        format!("Content-Length: {}\r\n", body.len()).as_bytes(),
    );
    out.extend_from_slice(if close {
        b"Connection: close\r\n\r\n"
    } else {
        b"Connection: keep-alive\r\n\r\n"
    });
    if !head_only {
        out.extend_from_slice(body);
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
