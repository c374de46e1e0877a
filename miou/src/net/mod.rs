//! Networking on the built-in events backend: TCP, UDP and Unix-domain sockets.
//!
//! Names follow `std::net`. Binding never blocks, so it is synchronous; what can wait
//! (accept, connect, read, write, send, receive) is async, and every such operation is
//! a scheduling point. Sockets are real non-blocking OS sockets registered with the
//! current domain's `mio::Poll`; they belong to that domain (`!Send`). With a user
//! events backend installed, creating a socket fails with an error saying so.

mod io;
mod tcp;
mod udp;
mod unix;

pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};
