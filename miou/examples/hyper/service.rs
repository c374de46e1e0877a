//! The hyper example's service: `GET /` answers `hello from hyper on miou`, anything
//! else 404. Runtime-free (hyper's types only), so that the benchmark's tokio twin of
//! the example (`bench/src/hyper_tokio.rs`) serves exactly the same responses from this
//! very file.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};

/// One response per request.
pub async fn hello(
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => (StatusCode::OK, "hello from hyper on miou\n"),
        _ => (StatusCode::NOT_FOUND, "Not Found\n"),
    };
    let mut response =
        Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    Ok(response)
}
