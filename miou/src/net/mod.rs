//! Networking on the built-in events backend: TCP, UDP and Unix-domain sockets.
//!
//! Names follow `std::net`. Binding never waits for the network, so it is synchronous;
//! what can wait (accept, connect, read, write, send, receive) is async, and every such
//! operation is a scheduling point. An address given as a host name is resolved with
//! `std`'s `ToSocketAddrs`, which blocks the domain while it asks the system's resolver:
//! give addresses (`SocketAddr`, `"127.0.0.1:8080"`) where that matters. Sockets are real non-blocking OS sockets registered with the
//! current domain's `mio::Poll`; they belong to that domain (`!Send`). With a user
//! events backend installed, creating a socket fails with an error saying so.
//!
//! # Moving a socket to another domain
//!
//! Every socket has `into_std`, which deregisters it from its domain's reactor and hands
//! back the `std` socket (open, same file descriptor, left non-blocking), and `from_std`,
//! which registers a `std` socket with the *current* domain's reactor (it must be called
//! on a domain of a run: it panics otherwise). The `std` socket is `Send`, so a
//! connection accepted on one domain can be served on another: accept, `into_std`, move
//! the `std` stream into the closure of a [`call`](crate::call), and `from_std` it
//! there. Every socket also implements `AsFd` and `AsRawFd`: the descriptor is the
//! one `into_std` hands back.
//!
//! ```
//! use miou::net::{TcpListener, TcpStream};
//! use std::io::{Read, Write};
//!
//! let (client, served_on) = miou::Builder::new().domains(1).run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     // A plain blocking client, on its own thread.
//!     let client = std::thread::spawn(move || {
//!         let mut s = std::net::TcpStream::connect(addr).unwrap();
//!         s.write_all(b"ping").unwrap();
//!         let mut buf = [0; 4];
//!         s.read_exact(&mut buf).unwrap();
//!         buf
//!     });
//!     // Accept on domain 0 ...
//!     let (conn, _) = listener.accept().await.unwrap();
//!     let conn = conn.into_std().unwrap(); // a std::net::TcpStream: Send
//!     // ... and serve on a worker domain.
//!     let worker = miou::call(move || async move {
//!         let conn = TcpStream::from_std(conn).unwrap();
//!         let mut buf = [0; 4];
//!         conn.read_exact(&mut buf).await.unwrap();
//!         conn.write_all(&buf).await.unwrap();
//!         miou::domain::current()
//!     });
//!     (client, worker.await.unwrap())
//! });
//! assert_eq!(&client.join().unwrap(), b"ping");
//! assert_ne!(served_on.index(), 0);
//! ```

mod io;
mod tcp;
mod udp;
mod unix;

pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};
