//! UDP: a datagram socket registered with the current domain's reactor (`!Send`, like
//! every miou socket).

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use super::io::Registered;
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
            .field("local_addr", &self.io.source.local_addr().ok())
            .finish()
    }
}

impl UdpSocket {
    /// Binds a socket to `addr` (the first address that works). Never blocks.
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

    /// Wraps a std socket (made non-blocking) on the current domain.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: Registered::new(mio::net::UdpSocket::from_std(socket), "UdpSocket")?,
        })
    }

    /// Sends a datagram to `target`. A scheduling point.
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io
            .io(Direction::Write, |s| s.send_to(buf, target))
            .await
    }

    /// Receives a datagram and its sender's address. A scheduling point.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.io(Direction::Read, |s| s.recv_from(buf)).await
    }

    /// Connects the socket to `addr`: [`send`](Self::send) and [`recv`](Self::recv)
    /// then talk to it only.
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.io.source.connect(addr)
    }

    /// Sends a datagram to the connected address.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.io(Direction::Write, |s| s.send(buf)).await
    }

    /// Receives a datagram from the connected address.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.io(Direction::Read, |s| s.recv(buf)).await
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source.local_addr()
    }
}
