//! TCP sockets whose operations are scheduling points, and which wait for the
//! system only when the system call would block.
//!
//! Each operation tries its system call first. `WouldBlock` means "not now":
//! the task waits for the socket to become ready, then tries again. Readiness
//! from the reactor is only a hint that trying again may work; the system
//! call is the only judge.

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use mio::Token;

use crate::point;
use crate::reactor::{Direction, Reactor};

/// Runs `call` until it does not block: each `WouldBlock` waits for the
/// socket to be ready in `direction`, then tries again.
async fn try_first<T>(
    reactor: &Reactor,
    token: Token,
    direction: Direction,
    mut call: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    let mut woken = false;
    loop {
        match call() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if woken {
                    // A hint that found nothing: it costs this retry.
                    reactor.count_retry();
                }
                reactor.wait(token, direction).await;
                woken = true;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            result => return result,
        }
    }
}

/// A socket listening for connections.
pub struct TcpListener {
    inner: mio::net::TcpListener,
    token: Token,
    reactor: Reactor,
}

impl TcpListener {
    /// Listens on `addr` (port 0 picks a free port).
    pub fn bind(reactor: &Reactor, addr: SocketAddr) -> io::Result<Self> {
        let mut inner = mio::net::TcpListener::bind(addr)?;
        let token = reactor.register(&mut inner, "listener".to_string())?;
        let reactor = reactor.clone();
        Ok(TcpListener {
            inner,
            token,
            reactor,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Accepts a connection, which the report calls `name`.
    pub async fn accept(&self, name: &str) -> io::Result<TcpStream> {
        point("accept".to_string()).await;
        let (r, t) = (&self.reactor, self.token);
        let (stream, _) =
            try_first(r, t, Direction::Read, || self.inner.accept()).await?;
        TcpStream::new(&self.reactor, stream, name)
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        self.reactor.deregister(&mut self.inner, self.token);
    }
}

/// A TCP connection.
pub struct TcpStream {
    inner: mio::net::TcpStream,
    token: Token,
    reactor: Reactor,
}

impl TcpStream {
    fn new(
        reactor: &Reactor,
        mut inner: mio::net::TcpStream,
        name: &str,
    ) -> io::Result<Self> {
        let token = reactor.register(&mut inner, name.to_string())?;
        let reactor = reactor.clone();
        Ok(TcpStream {
            inner,
            token,
            reactor,
        })
    }

    /// Connects to `addr`; the report calls the socket `name`. A
    /// non-blocking connect returns at once: the connection is made when the
    /// socket becomes writable, and the system says then whether it worked.
    pub async fn connect(
        reactor: &Reactor,
        addr: SocketAddr,
        name: &str,
    ) -> io::Result<Self> {
        point("connect".to_string()).await;
        let stream =
            Self::new(reactor, mio::net::TcpStream::connect(addr)?, name)?;
        loop {
            if let Some(e) = stream.inner.take_error()? {
                return Err(e);
            }
            match stream.inner.peer_addr() {
                Ok(_) => return Ok(stream),
                // Not connected yet (Linux says ENOTCONN; mio's docs note that
                // other systems may say EINPROGRESS, which this toy does not
                // handle): wait until the socket is writable.
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    reactor.wait(stream.token, Direction::Write).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads into `buf`; 0 means the peer closed its side.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        point("read".to_string()).await;
        let (r, t) = (&self.reactor, self.token);
        try_first(r, t, Direction::Read, || (&self.inner).read(buf)).await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        point("write".to_string()).await;
        let (r, t) = (&self.reactor, self.token);
        while !buf.is_empty() {
            let n =
                try_first(r, t, Direction::Write, || (&self.inner).write(buf))
                    .await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Closes the writing side: the peer reads 0.
    pub fn shutdown_write(&self) -> io::Result<()> {
        self.inner.shutdown(std::net::Shutdown::Write)
    }
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        self.reactor.deregister(&mut self.inner, self.token);
    }
}
