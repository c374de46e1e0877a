//! Unix-domain stream sockets, registered with the current domain's reactor.

use std::fmt;
use std::io;
use std::path::Path;

use super::io::Registered;
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

    /// Wraps a connected std stream (made non-blocking) on the current domain, such as
    /// one end of `std::os::unix::net::UnixStream::pair()`.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream {
            io: Registered::new(mio::net::UnixStream::from_std(stream), "UnixStream")?,
        })
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
