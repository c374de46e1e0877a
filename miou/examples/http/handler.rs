//! The HTTP of the http example, over bytes: the requests a connection's buffer
//! holds in, the responses to write out. No I/O and no runtime, so that the
//! bench's tokio twin (`bench/src/http_tokio.rs`) serves with this same code.
//!
//! `GET /` answers `Hello, world!`, any other path 404. Connections are kept
//! alive (HTTP/1.1's default, HTTP/1.0 with `Connection: keep-alive`) until the
//! client sends `Connection: close`. Every complete request in the buffer
//! (pipelining) is answered, in order. Requests are parsed with `httparse`.

const HELLO: &[u8] = b"Hello, world!";
/// The longest request head (request line and headers) we buffer.
const MAX_HEAD: usize = 64 * 1024;
/// The largest request body we read (and ignore).
const MAX_BODY: usize = 1024 * 1024;

/// What to do with a connection after a response.
#[derive(Debug, PartialEq)]
pub enum Next {
    KeepAlive,
    Close,
}

/// Answers every complete request at the start of `buf`, in order: appends the
/// responses to `out` and removes the requests from `buf`, leaving an incomplete
/// request or nothing. `Close` after a response that closes the connection
/// (every response does when `stopping`), or when what is left is a head too
/// large to buffer (answered 431); `KeepAlive`: write `out`, then read more.
pub fn answer(buf: &mut Vec<u8>, stopping: bool, out: &mut Vec<u8>) -> Next {
    let mut used = 0;
    let mut next = Next::KeepAlive;
    while next == Next::KeepAlive {
        match request(&buf[used..], stopping, out) {
            Some((len, n)) => {
                used += len;
                next = n;
            }
            None => break, // incomplete
        }
    }
    buf.drain(..used);
    // What is left is an incomplete request: its head must fit in MAX_HEAD (its
    // body was checked against MAX_BODY).
    if next == Next::KeepAlive
        && buf.len() > MAX_HEAD
        && !buf[..MAX_HEAD].windows(4).any(|w| w == b"\r\n\r\n")
    {
        respond(out, "431 Request Header Fields Too Large", b"", true, true);
        next = Next::Close;
    }
    next
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
