//! One echo connection in one process, on one domain: a task accepts and
//! echoes with the loop of `echo.rs`'s handler, and a client task sends two
//! messages and closes. The book's chapter on the echo server draws its run.
//!
//! ```text
//! cargo run -p miou --example echo_pair
//! ```

use std::io;

use miou::net::{TcpListener, TcpStream};

// ANCHOR: pair
/// The handler's loop: echoes until the client closes its side.
async fn echo(conn: TcpStream) -> io::Result<()> {
    let mut buf = vec![0; 16 * 1024];
    loop {
        match conn.read(&mut buf).await? {
            0 => return Ok(()),
            n => conn.write_all(&buf[..n]).await?,
        }
    }
}

/// Serves one connection on a port the system picks, and sends it two
/// messages from a client task; returns what the client got back.
pub fn run_with(builder: miou::Builder) -> io::Result<Vec<String>> {
    builder.domains(0).run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let server = miou::spawn(async move {
            let (conn, _peer) = listener.accept().await?;
            echo(conn).await
        });
        let client = miou::spawn(async move {
            let conn = TcpStream::connect(addr).await?;
            let mut got = Vec::new();
            for message in ["hello", "world"] {
                conn.write_all(message.as_bytes()).await?;
                let mut buf = vec![0; message.len()];
                let mut n = 0;
                while n < buf.len() {
                    n += conn.read(&mut buf[n..]).await?;
                }
                got.push(String::from_utf8_lossy(&buf).into_owned());
            }
            // Dropping the stream closes it: the server reads the end.
            Ok::<_, io::Error>(got)
        });
        let got = client.await.map_err(io::Error::other)??;
        server.await.map_err(io::Error::other)??;
        Ok(got)
    })
}
// ANCHOR_END: pair

fn main() -> io::Result<()> {
    for message in run_with(miou::Builder::new())? {
        println!("echoed: {message}");
    }
    Ok(())
}
