//! UDP: a datagram socket registered with the current domain's reactor (`!Send`, like
//! every miou socket).

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use super::io::{Registered, fd_traits};
use crate::events::reactor::Direction;

/// A UDP socket.
///
/// ```
/// use miou::net::UdpSocket;
/// miou::Builder::new().domains(0).run(async {
///     let server = UdpSocket::bind("127.0.0.1:0").unwrap();
///     let client = UdpSocket::bind("127.0.0.1:0").unwrap();
///     client.send_to(b"hello", server.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0; 16];
///     let (n, from) = server.recv_from(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"hello");
///     assert_eq!(from, client.local_addr().unwrap());
/// });
/// ```
pub struct UdpSocket {
    io: Registered<mio::net::UdpSocket>,
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local_addr", &self.io.source().local_addr().ok())
            .finish()
    }
}

impl UdpSocket {
    /// Binds a socket to `addr` (the first address that works). Never waits for the
    /// network (a host name is resolved synchronously, see the [module doc](super)).
    ///
    /// ```
    /// use miou::net::UdpSocket;
    /// miou::Builder::new().domains(0).run(async {
    ///     let first = UdpSocket::bind("127.0.0.1:0").unwrap(); // port 0: the system picks one
    ///     let taken = first.local_addr().unwrap();
    ///     let err = UdpSocket::bind(taken).unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    ///     // Given several addresses, it binds the first that works: here the second.
    ///     let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    ///     let second = UdpSocket::bind(&[taken, any][..]).unwrap();
    ///     assert_ne!(second.local_addr().unwrap(), taken);
    /// });
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let mut last = None;
        for a in addr.to_socket_addrs()? {
            match std::net::UdpSocket::bind(a) {
                Ok(s) => return UdpSocket::from_std(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last
            .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to use")))
    }

    /// Wraps a std socket on the current domain: it is made non-blocking and registered
    /// with this domain's reactor, and belongs to this domain from then on.
    ///
    /// Must be called on a domain of a run (in a task): panics otherwise, with miou's
    /// "must be used inside a task" message. Fails with an error if the run uses its own
    /// events backend ([`Builder::events`](crate::Builder::events)), or if the system
    /// refuses the registration; the std socket is then closed.
    ///
    /// ```
    /// use miou::net::UdpSocket;
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let addr = std_socket.local_addr().unwrap();
    /// miou::Builder::new().domains(0).run(async move {
    ///     let socket = UdpSocket::from_std(std_socket).unwrap();
    ///     socket.send_to(b"me", addr).await.unwrap();
    ///     let mut buf = [0; 2];
    ///     assert_eq!(socket.recv_from(&mut buf).await.unwrap(), (2, addr));
    /// });
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: Registered::new(mio::net::UdpSocket::from_std(socket), "UdpSocket")?,
        })
    }

    /// Deregisters the socket from this domain's reactor and hands back the std socket,
    /// open and bound, to wrap again with [`from_std`](Self::from_std) on any domain (it
    /// is `Send`). It is left **non-blocking**: call `set_nonblocking(false)` before
    /// blocking sends and receives outside miou.
    ///
    /// ```
    /// use miou::net::UdpSocket;
    /// use std::os::fd::AsRawFd;
    /// let (fd, std_socket) = miou::Builder::new().domains(0).run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     (socket.as_raw_fd(), socket.into_std().unwrap())
    /// });
    /// assert_eq!(std_socket.as_raw_fd(), fd);
    /// std_socket.set_nonblocking(false).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Ok(self.io.into_inner().into())
    }

    /// Sends a datagram to `target`. A scheduling point.
    ///
    /// ```
    /// use miou::net::UdpSocket;
    /// miou::Builder::new().domains(0).run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let to = b.local_addr().unwrap();
    ///     assert_eq!(a.send_to(b"one", to).await.unwrap(), 3);
    ///     a.send_to(b"two", to).await.unwrap();
    ///     // Each datagram arrives whole, and on its own.
    ///     let mut buf = [0; 16];
    ///     let (n, _) = b.recv_from(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"one");
    ///     let (n, _) = b.recv_from(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"two");
    /// });
    /// ```
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io
            .io(Direction::Write, |s| s.send_to(buf, target))
            .await
    }

    /// Receives a datagram and its sender's address. A scheduling point.
    ///
    /// ```
    /// use miou::net::UdpSocket;
    /// miou::Builder::new().domains(0).run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     a.send_to(b"hello world", b.local_addr().unwrap()).await.unwrap();
    ///     a.send_to(b"next", b.local_addr().unwrap()).await.unwrap();
    ///     let mut buf = [0; 5];
    ///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"hello"); // too long for `buf`: the rest is dropped
    ///     assert_eq!(from, a.local_addr().unwrap());
    ///     let (n, _) = b.recv_from(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"next");
    /// });
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.io(Direction::Read, |s| s.recv_from(buf)).await
    }

    /// Connects the socket to `addr`: [`send`](Self::send) and [`recv`](Self::recv)
    /// then talk to it only.
    ///
    /// ```
    /// use miou::net::UdpSocket;
    /// miou::Builder::new().domains(0).run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let stranger = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     a.connect(b.local_addr().unwrap()).unwrap();
    ///     // `a` now drops datagrams from any other address.
    ///     stranger.send_to(b"spam", a.local_addr().unwrap()).await.unwrap();
    ///     b.send_to(b"hi", a.local_addr().unwrap()).await.unwrap();
    ///     let mut buf = [0; 4];
    ///     let n = a.recv(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"hi");
    /// });
    /// ```
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.io.source().connect(addr)
    }

    /// Sends a datagram to the connected address.
    ///
    /// ```
    /// use miou::net::UdpSocket;
    /// miou::Builder::new().domains(0).run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     a.connect(b.local_addr().unwrap()).unwrap();
    ///     assert_eq!(a.send(b"hi").await.unwrap(), 2);
    ///     let mut buf = [0; 2];
    ///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"hi");
    ///     assert_eq!(from, a.local_addr().unwrap());
    /// });
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.io(Direction::Write, |s| s.send(buf)).await
    }

    /// Receives a datagram from the connected address.
    ///
    /// ```
    /// use miou::net::UdpSocket;
    /// miou::Builder::new().domains(0).run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     a.connect(b.local_addr().unwrap()).unwrap();
    ///     a.send(b"ping").await.unwrap();
    ///     let mut buf = [0; 4];
    ///     let (_, from) = b.recv_from(&mut buf).await.unwrap();
    ///     b.send_to(b"pong", from).await.unwrap(); // the reply
    ///     let n = a.recv(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"pong");
    /// });
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.io(Direction::Read, |s| s.recv(buf)).await
    }

    /// The local address.
    ///
    /// ```
    /// use miou::net::UdpSocket;
    /// miou::Builder::new().domains(0).run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let addr = a.local_addr().unwrap(); // with the port the system picked
    ///     assert_ne!(addr.port(), 0);
    ///     let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     b.send_to(b"hi", addr).await.unwrap();
    ///     let mut buf = [0; 2];
    ///     let (_, from) = a.recv_from(&mut buf).await.unwrap();
    ///     assert_eq!(from, b.local_addr().unwrap()); // what the receiver sees
    /// });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }
}

fd_traits!(UdpSocket);
