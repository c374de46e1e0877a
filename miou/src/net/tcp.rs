//! TCP: a listener and a stream, non-blocking OS sockets registered with the current
//! domain's reactor. Both are `!Send`: a socket belongs to the domain that made it. To
//! serve connections on several domains, give each domain its own listener (bound with
//! `SO_REUSEPORT`, then wrapped with [`TcpListener::from_std`]), as
//! `examples/echo.rs` does; or accept on one domain and hand each connection over with
//! [`TcpStream::into_std`] and [`TcpStream::from_std`] (the `net` module's docs).

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::io::{PollState, Registered, fd_traits};
use crate::events::reactor::Direction;

fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<_> = addr.to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no address to use",
        ));
    }
    Ok(addrs)
}

/// A TCP socket server, listening for connections.
///
/// ```
/// use miou::net::{TcpListener, TcpStream};
/// miou::Builder::new().domains(0).run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = miou::spawn(async move {
///         let mut s = TcpStream::connect(addr).await.unwrap();
///         s.write_all(b"ping").await.unwrap();
///         let mut buf = [0; 4];
///         s.read_exact(&mut buf).await.unwrap();
///         buf
///     });
///     let (mut conn, _) = listener.accept().await.unwrap();
///     let mut buf = [0; 4];
///     conn.read_exact(&mut buf).await.unwrap();
///     conn.write_all(&buf).await.unwrap();
///     assert_eq!(&client.await.unwrap(), b"ping");
/// });
/// ```
pub struct TcpListener {
    io: Registered<mio::net::TcpListener>,
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.io.source().local_addr().ok())
            .finish()
    }
}

impl TcpListener {
    /// Binds a listener to `addr` (the first address that works). Never waits for the
    /// network (a host name is resolved synchronously, see the [module doc](super)).
    ///
    /// ```
    /// use miou::net::TcpListener;
    /// miou::Builder::new().domains(0).run(async {
    ///     // Port 0: the system picks a free port.
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     assert_ne!(addr.port(), 0);
    ///     // The port is now taken.
    ///     let err = TcpListener::bind(addr).unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    /// });
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last = None;
        for a in resolve(addr)? {
            match std::net::TcpListener::bind(a) {
                Ok(l) => return TcpListener::from_std(l),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("at least one address"))
    }

    /// Wraps a std listener on the current domain: it is made non-blocking and
    /// registered with this domain's reactor, and belongs to this domain from then on.
    ///
    /// Must be called on a domain of a run (in a task): panics otherwise, with miou's
    /// "must be used inside a task" message. Fails with an error if the run uses its own
    /// events backend ([`Builder::events`](crate::Builder::events)), or if the system
    /// refuses the registration; the std listener is then closed.
    ///
    /// ```
    /// use miou::net::TcpListener;
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = std_listener.local_addr().unwrap();
    /// miou::Builder::new().domains(0).run(async move {
    ///     let listener = TcpListener::from_std(std_listener).unwrap();
    ///     assert_eq!(listener.local_addr().unwrap(), addr);
    /// });
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        let io = Registered::new(mio::net::TcpListener::from_std(listener), "TcpListener")?;
        Ok(TcpListener { io })
    }

    /// Deregisters the listener from this domain's reactor and hands back the std
    /// listener, open and bound, to wrap again with [`from_std`](Self::from_std) on any
    /// domain (it is `Send`). It is left **non-blocking**: call
    /// `set_nonblocking(false)` before blocking `accept`s outside miou.
    ///
    /// ```
    /// use miou::net::TcpListener;
    /// let std_listener = miou::Builder::new().domains(0).run(async {
    ///     TcpListener::bind("127.0.0.1:0").unwrap().into_std().unwrap()
    /// });
    /// std_listener.set_nonblocking(false).unwrap();
    /// assert!(std_listener.local_addr().is_ok());
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        Ok(self.io.into_inner().into())
    }

    /// Waits for a connection. A scheduling point.
    ///
    /// ```
    /// use miou::net::{TcpListener, TcpStream};
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let client = miou::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    ///     let (conn, from) = listener.accept().await.unwrap();
    ///     let client = client.await.unwrap();
    ///     // The connection, and the address of the client.
    ///     assert_eq!(from, client.local_addr().unwrap());
    ///     conn.write_all(b"hi").await.unwrap();
    ///     let mut buf = [0; 2];
    ///     client.read_exact(&mut buf).await.unwrap();
    ///     assert_eq!(&buf, b"hi");
    /// });
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (s, addr) = self.io.io(Direction::Read, |l| l.accept()).await?;
        Ok((TcpStream::from_mio(s)?, addr))
    }

    /// The address the listener is bound to.
    ///
    /// ```
    /// use miou::net::{TcpListener, TcpStream};
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap(); // with the port the system picked
    ///     assert_eq!(addr.ip(), std::net::Ipv4Addr::LOCALHOST);
    ///     assert_ne!(addr.port(), 0);
    ///     let client = miou::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    ///     let (conn, _) = listener.accept().await.unwrap();
    ///     assert_eq!(conn.local_addr().unwrap(), addr);
    ///     client.await.unwrap();
    /// });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }
}

/// A TCP connection. Its operations are scheduling points; it also implements the
/// `futures-io` `AsyncRead` and `AsyncWrite` traits. See [`TcpListener`] for an example.
///
/// It belongs to the domain that made it (it is registered with that domain's reactor),
/// so it is neither `Send` nor `Sync`; moving it to another domain goes through
/// [`into_std`](TcpStream::into_std) and [`from_std`](TcpStream::from_std) (see the
/// [module](crate::net)). Moving it into [`call`](crate::call) does not compile, and the
/// error names it (`` `miou::net::TcpStream` cannot be sent to another domain or
/// thread ``):
///
/// ```compile_fail,E0277
/// fn send_away(stream: miou::net::TcpStream) {
///     std::thread::spawn(move || drop(stream)); // error: `TcpStream` stays on its domain
/// }
/// ```
pub struct TcpStream {
    io: Registered<mio::net::TcpStream>,
    reading: PollState,
    writing: PollState,
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.io.source().local_addr().ok())
            .field("peer_addr", &self.io.source().peer_addr().ok())
            .finish()
    }
}

impl TcpStream {
    fn from_mio(s: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: Registered::new(s, "TcpStream")?,
            reading: PollState::default(),
            writing: PollState::default(),
        })
    }

    /// Connects to `addr` (each address in turn until one accepts). A scheduling
    /// point; a refused connection is an error of kind `ConnectionRefused`, promptly.
    ///
    /// ```
    /// use miou::net::{TcpListener, TcpStream};
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let stream = TcpStream::connect(addr).await.unwrap();
    ///     assert_eq!(stream.peer_addr().unwrap(), addr);
    ///     let (_conn, _) = listener.accept().await.unwrap(); // it holds the port from now on
    ///     drop(listener);
    ///     // Nobody listens there any more: refused.
    ///     let err = TcpStream::connect(addr).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// });
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let mut last = None;
        for a in resolve(addr)? {
            match TcpStream::connect_one(a).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("at least one address"))
    }

    async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
        let s = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?;
        // The connection is in progress: it is done when the socket becomes writable
        // (or fails). `peer_addr` tells which; `take_error` gives the failure.
        s.io.io(Direction::Write, |sock| {
            if let Some(e) = sock.take_error()? {
                return Err(e);
            }
            match sock.peer_addr() {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    Err(io::ErrorKind::WouldBlock.into())
                }
                Err(e) => Err(e),
            }
        })
        .await?;
        Ok(s)
    }

    /// Wraps a connected std stream on the current domain: it is made non-blocking and
    /// registered with this domain's reactor, and belongs to this domain from then on.
    /// With [`into_std`](Self::into_std), this is how a connection moves to another
    /// domain (the `net` module's docs show the hand-off).
    ///
    /// Must be called on a domain of a run (in a task): panics otherwise, with miou's
    /// "must be used inside a task" message. Fails with an error if the run uses its own
    /// events backend ([`Builder::events`](crate::Builder::events)), or if the system
    /// refuses the registration; the std stream is then closed.
    ///
    /// ```
    /// use miou::net::TcpStream;
    /// use std::io::Write;
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let (server, _) = listener.accept().unwrap();
    /// client.write_all(b"hi").unwrap();
    /// miou::Builder::new().domains(0).run(async move {
    ///     let server = TcpStream::from_std(server).unwrap();
    ///     let mut buf = [0; 2];
    ///     server.read_exact(&mut buf).await.unwrap();
    ///     assert_eq!(&buf, b"hi");
    /// });
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    /// Deregisters the connection from this domain's reactor and hands back the std
    /// stream, open, with the same file descriptor. The std stream is `Send`: move it to
    /// another domain (with [`call`](crate::call)) and wrap it there with
    /// [`from_std`](Self::from_std). It is left **non-blocking**; call
    /// `set_nonblocking(false)` to use it with blocking reads and writes outside miou.
    /// Nothing buffered is lost: miou keeps no user-space buffer.
    ///
    /// ```
    /// use miou::net::{TcpListener, TcpStream};
    /// use std::os::fd::AsRawFd;
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let client = miou::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    ///     let (conn, _) = listener.accept().await.unwrap();
    ///     let fd = conn.as_raw_fd();
    ///     let std_conn = conn.into_std().unwrap();
    ///     assert_eq!(std_conn.as_raw_fd(), fd);
    ///     assert_eq!(std_conn.peer_addr().unwrap(), client.await.unwrap().local_addr().unwrap());
    /// });
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        Ok(self.io.into_inner().into())
    }

    /// Reads into `buf`; `Ok(0)` at the end of the stream. A scheduling point.
    ///
    /// ```
    /// use miou::net::{TcpListener, TcpStream};
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let client = miou::spawn(async move {
    ///         let s = TcpStream::connect(addr).await.unwrap();
    ///         s.write_all(b"hello").await.unwrap();
    ///     }); // the client's stream is dropped: closed
    ///     let (conn, _) = listener.accept().await.unwrap();
    ///     client.await.unwrap();
    ///     let (mut got, mut buf) = (Vec::new(), [0; 2]);
    ///     loop {
    ///         match conn.read(&mut buf).await.unwrap() {
    ///             0 => break, // the end of the stream
    ///             n => got.extend_from_slice(&buf[..n]),
    ///         }
    ///     }
    ///     assert_eq!(got, b"hello");
    /// });
    /// ```
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read(buf).await
    }

    /// Reads exactly `buf.len()` bytes (`UnexpectedEof` if the stream ends first).
    ///
    /// ```
    /// use miou::net::{TcpListener, TcpStream};
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let client = miou::spawn(async move {
    ///         let s = TcpStream::connect(addr).await.unwrap();
    ///         s.write_all(b"abc").await.unwrap();
    ///     });
    ///     let (conn, _) = listener.accept().await.unwrap();
    ///     client.await.unwrap();
    ///     let mut buf = [0; 2];
    ///     conn.read_exact(&mut buf).await.unwrap();
    ///     assert_eq!(&buf, b"ab");
    ///     // One byte is left, then the stream ends: too short for two.
    ///     let err = conn.read_exact(&mut buf).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    /// });
    /// ```
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        self.io.read_exact(buf).await
    }

    /// Writes some of `buf` and returns how much. A scheduling point.
    ///
    /// ```
    /// use miou::net::{TcpListener, TcpStream};
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let client = miou::spawn(async move {
    ///         let s = TcpStream::connect(addr).await.unwrap();
    ///         s.write(b"hello").await.unwrap() // how much was written: from 1 to 5 bytes
    ///     });
    ///     let (conn, _) = listener.accept().await.unwrap();
    ///     let n = client.await.unwrap();
    ///     assert!(n > 0);
    ///     let mut buf = vec![0; n];
    ///     conn.read_exact(&mut buf).await.unwrap();
    ///     assert_eq!(buf, &b"hello"[..n]);
    /// });
    /// ```
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write(buf).await
    }

    /// Writes all of `buf`.
    ///
    /// ```
    /// use miou::net::{TcpListener, TcpStream};
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let client = miou::spawn(async move {
    ///         let s = TcpStream::connect(addr).await.unwrap();
    ///         let mut buf = vec![0; 1 << 20];
    ///         s.read_exact(&mut buf).await.unwrap();
    ///         buf
    ///     });
    ///     let (conn, _) = listener.accept().await.unwrap();
    ///     // 1 MiB, more than the socket buffers hold: `write_all` waits for the reader.
    ///     let data: Vec<u8> = (0..1 << 20).map(|i| i as u8).collect();
    ///     conn.write_all(&data).await.unwrap();
    ///     assert_eq!(client.await.unwrap(), data);
    /// });
    /// ```
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
    }

    /// Flushes (TCP sockets have no user-space buffer: this is a scheduling point only).
    ///
    /// ```
    /// use miou::net::{TcpListener, TcpStream};
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let client = miou::spawn(async move {
    ///         let s = TcpStream::connect(addr).await.unwrap();
    ///         let mut buf = [0; 2];
    ///         s.read_exact(&mut buf).await.unwrap();
    ///         buf
    ///     });
    ///     let (conn, _) = listener.accept().await.unwrap();
    ///     conn.write_all(b"hi").await.unwrap();
    ///     conn.flush().await.unwrap(); // the bytes are already with the system
    ///     assert_eq!(&client.await.unwrap(), b"hi");
    /// });
    /// ```
    pub async fn flush(&self) -> io::Result<()> {
        crate::point::point().await;
        Ok(())
    }

    /// Shuts down the reading, writing or both halves of the connection.
    ///
    /// ```
    /// use miou::net::{TcpListener, TcpStream};
    /// use std::net::Shutdown;
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let client = miou::spawn(async move {
    ///         let s = TcpStream::connect(addr).await.unwrap();
    ///         s.write_all(b"bye").await.unwrap();
    ///         s.shutdown(Shutdown::Write).await.unwrap();
    ///         let mut buf = [0; 2];
    ///         s.read_exact(&mut buf).await.unwrap(); // the reading half is still open
    ///         buf
    ///     });
    ///     let (conn, _) = listener.accept().await.unwrap();
    ///     let mut buf = [0; 3];
    ///     conn.read_exact(&mut buf).await.unwrap();
    ///     assert_eq!(conn.read(&mut buf).await.unwrap(), 0); // the end of the client's stream
    ///     conn.write_all(b"ok").await.unwrap();
    ///     assert_eq!(&client.await.unwrap(), b"ok");
    /// });
    /// ```
    pub async fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        crate::point::point().await;
        self.io.source().shutdown(how)
    }

    /// The remote address.
    ///
    /// ```
    /// use miou::net::{TcpListener, TcpStream};
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let client = miou::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    ///     let (conn, _) = listener.accept().await.unwrap();
    ///     let client = client.await.unwrap();
    ///     // Each end's peer is the other end.
    ///     assert_eq!(conn.peer_addr().unwrap(), client.local_addr().unwrap());
    ///     assert_eq!(client.peer_addr().unwrap(), conn.local_addr().unwrap());
    /// });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().peer_addr()
    }

    /// The local address.
    ///
    /// ```
    /// use miou::net::{TcpListener, TcpStream};
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let client = miou::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    ///     let (conn, from) = listener.accept().await.unwrap();
    ///     let client = client.await.unwrap();
    ///     assert_eq!(conn.local_addr().unwrap(), addr); // the listener's address
    ///     assert_eq!(client.local_addr().unwrap(), from); // a port the system picked
    /// });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }

    /// Sets `TCP_NODELAY`.
    ///
    /// ```
    /// use miou::net::{TcpListener, TcpStream};
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let stream = TcpStream::connect(addr).await.unwrap();
    ///     stream.set_nodelay(true).unwrap();
    ///     // The option is set on the socket: std reads it back.
    ///     assert!(stream.into_std().unwrap().nodelay().unwrap());
    /// });
    /// ```
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.io.source().set_nodelay(on)
    }
}

fd_traits!(TcpListener);
fd_traits!(TcpStream);

impl futures_io::AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let io = &this.io;
        io.poll_io(cx, &mut this.reading, Direction::Read, |mut s| {
            io.read_once(buf, |b| s.read(b))
        })
    }
}

impl futures_io::AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.io
            .poll_io(cx, &mut this.writing, Direction::Write, |mut s| {
                s.write(buf)
            })
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.io.source().shutdown(Shutdown::Write))
    }
}
