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
    ///
    /// ```
    /// use miou::net::UnixListener;
    /// use std::os::unix::fs::FileTypeExt;
    /// let name = format!("miou-doc-{}-UnixListener-bind.sock", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// let _ = std::fs::remove_file(&path);
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = UnixListener::bind(&path).unwrap();
    ///     assert!(std::fs::metadata(&path).unwrap().file_type().is_socket());
    ///     drop(listener);
    ///     // The socket file outlives the listener: it must be removed to bind again.
    ///     let err = UnixListener::bind(&path).unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    /// });
    /// std::fs::remove_file(&path).unwrap();
    /// ```
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
    ///
    /// ```
    /// use miou::net::{UnixListener, UnixStream};
    /// let name = format!("miou-doc-{}-UnixListener-accept.sock", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// let _ = std::fs::remove_file(&path);
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = UnixListener::bind(&path).unwrap();
    ///     let p = path.clone();
    ///     let client = miou::spawn(async move {
    ///         let s = UnixStream::connect(&p).await.unwrap();
    ///         let mut buf = [0; 5];
    ///         s.read_exact(&mut buf).await.unwrap();
    ///         buf
    ///     });
    ///     let conn = listener.accept().await.unwrap();
    ///     conn.write_all(b"hello").await.unwrap();
    ///     assert_eq!(&client.await.unwrap(), b"hello");
    /// });
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub async fn accept(&self) -> io::Result<UnixStream> {
        let (s, _) = self.io.io(Direction::Read, |l| l.accept()).await?;
        Ok(UnixStream {
            io: Registered::new(s, "UnixStream")?,
        })
    }
}

/// A Unix-domain stream connection, made by [`UnixStream::connect`] on one end and
/// [`UnixListener::accept`] on the other.
///
/// ```
/// use miou::net::{UnixListener, UnixStream};
/// let name = format!("miou-doc-{}-UnixStream.sock", std::process::id());
/// let path = std::env::temp_dir().join(name);
/// let _ = std::fs::remove_file(&path);
/// miou::Builder::new().domains(0).run(async {
///     let listener = UnixListener::bind(&path).unwrap();
///     let p = path.clone();
///     let client = miou::spawn(async move {
///         let s = UnixStream::connect(&p).await.unwrap();
///         s.write_all(b"ping").await.unwrap();
///         let mut buf = [0; 4];
///         s.read_exact(&mut buf).await.unwrap();
///         buf
///     });
///     let conn = listener.accept().await.unwrap();
///     let mut buf = [0; 4];
///     conn.read_exact(&mut buf).await.unwrap();
///     conn.write_all(&buf).await.unwrap(); // echo
///     assert_eq!(&client.await.unwrap(), b"ping");
/// });
/// std::fs::remove_file(&path).unwrap();
/// ```
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
    ///
    /// ```
    /// use miou::net::{UnixListener, UnixStream};
    /// let name = format!("miou-doc-{}-UnixStream-connect.sock", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// let _ = std::fs::remove_file(&path);
    /// miou::Builder::new().domains(0).run(async {
    ///     // Nobody listens at `path` yet.
    ///     let err = UnixStream::connect(&path).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    ///     let listener = UnixListener::bind(&path).unwrap();
    ///     let stream = UnixStream::connect(&path).await.unwrap();
    ///     let conn = listener.accept().await.unwrap();
    ///     stream.write_all(b"hi").await.unwrap();
    ///     let mut buf = [0; 2];
    ///     conn.read_exact(&mut buf).await.unwrap();
    ///     assert_eq!(&buf, b"hi");
    /// });
    /// std::fs::remove_file(&path).unwrap();
    /// ```
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
    ///
    /// ```
    /// use miou::net::{UnixListener, UnixStream};
    /// let name = format!("miou-doc-{}-UnixStream-read.sock", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// let _ = std::fs::remove_file(&path);
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = UnixListener::bind(&path).unwrap();
    ///     let p = path.clone();
    ///     let client = miou::spawn(async move {
    ///         let s = UnixStream::connect(&p).await.unwrap();
    ///         s.write_all(b"hello").await.unwrap();
    ///     });
    ///     let conn = listener.accept().await.unwrap();
    ///     client.await.unwrap(); // its stream is dropped: closed
    ///     let (mut got, mut buf) = (Vec::new(), [0; 2]);
    ///     loop {
    ///         match conn.read(&mut buf).await.unwrap() {
    ///             0 => break, // the end of the stream
    ///             n => got.extend_from_slice(&buf[..n]),
    ///         }
    ///     }
    ///     assert_eq!(got, b"hello");
    /// });
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read(buf).await
    }

    /// Reads exactly `buf.len()` bytes (`UnexpectedEof` if the stream ends first).
    ///
    /// ```
    /// use miou::net::{UnixListener, UnixStream};
    /// let name = format!("miou-doc-{}-UnixStream-read_exact.sock", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// let _ = std::fs::remove_file(&path);
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = UnixListener::bind(&path).unwrap();
    ///     let p = path.clone();
    ///     let client = miou::spawn(async move {
    ///         let s = UnixStream::connect(&p).await.unwrap();
    ///         s.write_all(b"abc").await.unwrap();
    ///     });
    ///     let conn = listener.accept().await.unwrap();
    ///     client.await.unwrap();
    ///     let mut buf = [0; 2];
    ///     conn.read_exact(&mut buf).await.unwrap();
    ///     assert_eq!(&buf, b"ab");
    ///     // One byte is left, then the stream ends: too short for two.
    ///     let err = conn.read_exact(&mut buf).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    /// });
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        self.io.read_exact(buf).await
    }

    /// Writes some of `buf`. A scheduling point.
    ///
    /// ```
    /// use miou::net::{UnixListener, UnixStream};
    /// let name = format!("miou-doc-{}-UnixStream-write.sock", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// let _ = std::fs::remove_file(&path);
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = UnixListener::bind(&path).unwrap();
    ///     let p = path.clone();
    ///     let client = miou::spawn(async move {
    ///         let s = UnixStream::connect(&p).await.unwrap();
    ///         s.write(b"hello").await.unwrap() // how much was written: from 1 to 5 bytes
    ///     });
    ///     let conn = listener.accept().await.unwrap();
    ///     let n = client.await.unwrap();
    ///     assert!(n > 0);
    ///     let mut buf = vec![0; n];
    ///     conn.read_exact(&mut buf).await.unwrap();
    ///     assert_eq!(buf, &b"hello"[..n]);
    /// });
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write(buf).await
    }

    /// Writes all of `buf`.
    ///
    /// ```
    /// use miou::net::{UnixListener, UnixStream};
    /// let name = format!("miou-doc-{}-UnixStream-write_all.sock", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// let _ = std::fs::remove_file(&path);
    /// miou::Builder::new().domains(0).run(async {
    ///     let listener = UnixListener::bind(&path).unwrap();
    ///     let p = path.clone();
    ///     let client = miou::spawn(async move {
    ///         let s = UnixStream::connect(&p).await.unwrap();
    ///         let mut buf = vec![0; 1 << 20];
    ///         s.read_exact(&mut buf).await.unwrap();
    ///         buf
    ///     });
    ///     let conn = listener.accept().await.unwrap();
    ///     // 1 MiB, more than the socket buffers hold: `write_all` waits for the reader.
    ///     let data: Vec<u8> = (0..1 << 20).map(|i| i as u8).collect();
    ///     conn.write_all(&data).await.unwrap();
    ///     assert_eq!(client.await.unwrap(), data);
    /// });
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
    }
}

fd_traits!(UnixListener);
fd_traits!(UnixStream);
