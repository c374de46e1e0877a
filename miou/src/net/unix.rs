//! Unix-domain stream sockets, registered with the current domain's reactor.

use std::fmt;
use std::io;
use std::path::Path;

use super::io::{Registered, fd_traits};
use crate::events::reactor::Direction;

/// A Unix-domain socket server.
///
/// ```
/// use miou::net::{UnixListener, UnixStream};
/// let dir = std::env::temp_dir().join(format!("miou-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("sock");
/// let _ = std::fs::remove_file(&path);
/// miou::Builder::new().domains(0).run(async move {
///     let listener = UnixListener::bind(&path).unwrap();
///     let p = path.clone();
///     let client = miou::spawn(async move {
///         let s = UnixStream::connect(&p).await.unwrap();
///         s.write_all(b"hi").await.unwrap();
///     });
///     let conn = listener.accept().await.unwrap();
///     let mut buf = [0; 2];
///     conn.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"hi");
///     client.await.unwrap();
/// });
/// let _ = std::fs::remove_dir_all(&dir);
/// ```
pub struct UnixListener {
    io: Registered<mio::net::UnixListener>,
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener").finish_non_exhaustive()
    }
}

impl UnixListener {
    /// Binds a listener to the socket file at `path`.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: Registered::new(mio::net::UnixListener::bind(path)?, "UnixListener")?,
        })
    }

    /// Wraps a bound std listener on the current domain: it is made non-blocking and
    /// registered with this domain's reactor, and belongs to this domain from then on.
    ///
    /// Must be called on a domain of a run (in a task): panics otherwise, with miou's
    /// "must be used inside a task" message. Fails with an error if the run uses its own
    /// events backend ([`Builder::events`](crate::Builder::events)), or if the system
    /// refuses the registration; the std listener is then closed.
    ///
    /// ```
    /// use miou::net::{UnixListener, UnixStream};
    /// let dir = std::env::temp_dir().join(format!("miou-doc-ul-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("sock");
    /// let _ = std::fs::remove_file(&path);
    /// let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    /// miou::Builder::new().domains(0).run(async move {
    ///     let listener = UnixListener::from_std(std_listener).unwrap();
    ///     let client = miou::spawn(async move { UnixStream::connect(&path).await.unwrap() });
    ///     listener.accept().await.unwrap();
    ///     client.await.unwrap();
    /// });
    /// let _ = std::fs::remove_dir_all(&dir);
    /// ```
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: Registered::new(mio::net::UnixListener::from_std(listener), "UnixListener")?,
        })
    }

    /// Deregisters the listener from this domain's reactor and hands back the std
    /// listener, open and bound, to wrap again with [`from_std`](Self::from_std) on any
    /// domain (it is `Send`). It is left **non-blocking**: call
    /// `set_nonblocking(false)` before blocking `accept`s outside miou. The socket file
    /// stays where it is.
    ///
    /// ```
    /// use miou::net::UnixListener;
    /// let dir = std::env::temp_dir().join(format!("miou-doc-ul2-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("sock");
    /// let _ = std::fs::remove_file(&path);
    /// let p = path.clone();
    /// let std_listener = miou::Builder::new().domains(0).run(async move {
    ///     UnixListener::bind(&p).unwrap().into_std().unwrap()
    /// });
    /// let addr = std_listener.local_addr().unwrap();
    /// assert_eq!(addr.as_pathname(), Some(path.as_path()));
    /// let _ = std::fs::remove_dir_all(&dir);
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        Ok(self.io.into_inner().into())
    }

    /// Waits for a connection. A scheduling point.
    pub async fn accept(&self) -> io::Result<UnixStream> {
        let (s, _) = self.io.io(Direction::Read, |l| l.accept()).await?;
        Ok(UnixStream {
            io: Registered::new(s, "UnixStream")?,
        })
    }
}

/// A Unix-domain stream connection. See [`UnixListener`] for an example.
pub struct UnixStream {
    io: Registered<mio::net::UnixStream>,
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream").finish_non_exhaustive()
    }
}

impl UnixStream {
    /// Connects to the socket file at `path`. A scheduling point.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let s = UnixStream {
            io: Registered::new(mio::net::UnixStream::connect(path)?, "UnixStream")?,
        };
        s.io.io(Direction::Write, |sock| match sock.take_error()? {
            Some(e) => Err(e),
            None => Ok(()),
        })
        .await?;
        Ok(s)
    }

    /// Wraps a connected std stream on the current domain, such as one end of
    /// `std::os::unix::net::UnixStream::pair()`: it is made non-blocking and registered
    /// with this domain's reactor, and belongs to this domain from then on.
    ///
    /// Must be called on a domain of a run (in a task): panics otherwise, with miou's
    /// "must be used inside a task" message. Fails with an error if the run uses its own
    /// events backend ([`Builder::events`](crate::Builder::events)), or if the system
    /// refuses the registration; the std stream is then closed.
    ///
    /// ```
    /// use miou::net::UnixStream;
    /// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// miou::Builder::new().domains(0).run(async move {
    ///     let (a, b) = (UnixStream::from_std(a).unwrap(), UnixStream::from_std(b).unwrap());
    ///     a.write_all(b"hi").await.unwrap();
    ///     let mut buf = [0; 2];
    ///     b.read_exact(&mut buf).await.unwrap();
    ///     assert_eq!(&buf, b"hi");
    /// });
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream {
            io: Registered::new(mio::net::UnixStream::from_std(stream), "UnixStream")?,
        })
    }

    /// Deregisters the connection from this domain's reactor and hands back the std
    /// stream, open, with the same file descriptor, to wrap again with
    /// [`from_std`](Self::from_std) on any domain (it is `Send`). It is left
    /// **non-blocking**: call `set_nonblocking(false)` before blocking reads and writes
    /// outside miou.
    ///
    /// ```
    /// use miou::net::UnixStream;
    /// use std::io::Read;
    /// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let mut b = miou::Builder::new().domains(0).run(async move {
    ///     let (a, b) = (UnixStream::from_std(a).unwrap(), UnixStream::from_std(b).unwrap());
    ///     a.write_all(b"hi").await.unwrap();
    ///     b.into_std().unwrap()
    /// });
    /// b.set_nonblocking(false).unwrap();
    /// let mut buf = [0; 2];
    /// b.read_exact(&mut buf).unwrap();
    /// assert_eq!(&buf, b"hi");
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        Ok(self.io.into_inner().into())
    }

    /// Reads into `buf`; `Ok(0)` at the end of the stream. A scheduling point.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read(buf).await
    }

    /// Reads exactly `buf.len()` bytes.
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        self.io.read_exact(buf).await
    }

    /// Writes some of `buf`. A scheduling point.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write(buf).await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
    }
}

fd_traits!(UnixListener);
fd_traits!(UnixStream);
