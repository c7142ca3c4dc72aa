//! The RPC transport: one TCP listener serving JSON-RPC 2.0 over HTTP/1.1
//! and WebSocket, that no client can hold without using it.
//!
//! # Connections
//!
//! Every accepted TCP connection takes one of [`RpcConfig::max_connections`]
//! slots and keeps it for exactly as long as its socket is open, across an
//! upgrade to WebSocket. When every slot is taken, a new connection is
//! answered `503 Service Unavailable` with JSON-RPC error `-32009` and
//! closed within a second, so the client knows to retry rather than wait
//! (at most 64 such answers are in progress at once; past that a new
//! connection is closed without one).
//!
//! # What frees a slot
//!
//! A connection is closed when its client:
//!
//! 1. sends no complete request head within `header_read_timeout`: counted
//!    from the moment the connection opens, and again from the end of each
//!    response while a kept-alive connection waits for its next request;
//! 2. does not deliver a request's whole body within `body_read_timeout`,
//!    counted from the end of its head (per request): answered
//!    `408 Request Timeout`, JSON-RPC error `-32020`;
//! 3. leaves the node's writes unread for `send_timeout` (its receive window
//!    stays full): the write fails and the connection is dropped;
//! 4. on WebSocket, stops answering pings: the node pings every
//!    `ws_ping_interval` and closes a connection from which no pong arrived
//!    for `ws_inactive_limit`;
//! 5. closes it, or the node stops (in-flight requests finish first).
//!
//! Every slot held by a stalled client is therefore free again after at
//! most the longest of `header_read_timeout`, `body_read_timeout`,
//! `send_timeout` and `ws_ping_interval + ws_inactive_limit`.
//!
//! # Per-connection and per-request limits
//!
//! A request body over `max_request_body_size` is refused with HTTP 413
//! (`-32007`) before it is read, with one exception: a `POST` declaring its
//! `Content-Length` up to the [`SubmitLimit`] (the hex body of the largest
//! transaction the next block could include: a governance resolve of an
//! approved payload may exceed 1 MiB, docs/framework.md) is read, and then
//! served only if it is a single `molt_submitTransaction` call; anything
//! else that large is refused with 413 once read. WebSocket messages keep
//! `max_request_body_size`. A response over `max_response_body_size`
//! is replaced by error `-32008`; a batch of more than `max_batch_len`
//! calls by `-32010`; a WebSocket connection may hold at most
//! `max_subscriptions_per_connection` subscriptions (`-32006`).
//!
//! `GET /metrics` is answered with the node's Prometheus metrics (module
//! `telemetry`), and `GET /dashboard...` with the dashboard's pages (module
//! `dashboard`), instead of going to JSON-RPC.
//!
//! HTTP/2 is not served: one request at a time per connection keeps every
//! limit above a limit on work.

use crate::status::{Gauge, Held};
use crate::telemetry::{MetricsEndpoint, RpcMetricsLayer};
use crate::ws_only::{PlainHttp, WsOnlyLayer};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use jsonrpsee::core::BoxError;
use jsonrpsee::server::middleware::rpc::RpcServiceBuilder;
use jsonrpsee::server::{
    BatchRequestConfig, HttpBody, HttpResponse, Methods, PingConfig, Server, ServerConfig,
    ServerHandle, StopHandle, http::response, stop_channel, ws,
};
use std::io;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::Service;

/// JSON-RPC error code of a request whose body did not arrive in time.
pub const REQUEST_TIMEOUT: i32 = -32020;
/// JSON-RPC error code of a connection refused because every slot is taken
/// (jsonrpsee's "server is busy").
pub const SERVER_BUSY: i32 = -32009;

/// The one method whose request body may exceed `max_request_body_size`.
pub const SUBMIT_METHOD: &str = "molt_submitTransaction";

/// The request body that carries a transaction of `bytes` bytes: hex
/// doubles it, and 4 KiB is room for the JSON-RPC envelope.
pub const fn submit_body_bytes(bytes: usize) -> u32 {
    (2 * bytes + 4096) as u32
}

/// The largest `molt_submitTransaction` body jsonrpsee is ever handed: the
/// hex of the largest any transaction may be.
const MAX_SUBMIT_BODY: u32 =
    submit_body_bytes(molt_types::codec::limits::MAX_RESOLVE_TRANSACTION_BYTES);

/// How large a `molt_submitTransaction` request body may be now, asked
/// per request whose declared length is over `max_request_body_size` (the
/// node answers [`submit_body_bytes`] of
/// `Runtime::largest_transaction_bytes`, which follows governance's track).
/// Never more than the hex of `MAX_RESOLVE_TRANSACTION_BYTES`.
#[derive(Clone)]
pub struct SubmitLimit(pub Arc<dyn Fn() -> u32 + Send + Sync>);

impl SubmitLimit {
    fn now(&self) -> u32 {
        (self.0)().min(MAX_SUBMIT_BODY)
    }
}

impl std::fmt::Debug for SubmitLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubmitLimit(..)")
    }
}

/// Most refused connections being answered at once.
const MAX_REFUSALS: usize = 64;
/// How long a refused connection is answered before it is closed.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

/// Limits and timeouts of the RPC server. Check with [`RpcConfig::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcConfig {
    /// Most TCP connections (HTTP and WebSocket) open at once.
    pub max_connections: NonZeroU32,
    /// Most subscriptions one WebSocket connection may hold.
    pub max_subscriptions_per_connection: NonZeroU32,
    /// Largest request body, in bytes; at least [`RpcConfig::MIN_REQUEST_BODY`].
    pub max_request_body_size: NonZeroU32,
    /// Largest response, in bytes.
    pub max_response_body_size: NonZeroU32,
    /// Most calls in one batch request.
    pub max_batch_len: NonZeroU32,
    /// Time a client has to send a request's head (also the keep-alive idle limit).
    pub header_read_timeout: Duration,
    /// Time a client has to send a request's body, from the end of its head.
    pub body_read_timeout: Duration,
    /// Time the node's writes may stay unread before the connection is dropped.
    pub send_timeout: Duration,
    /// Time between WebSocket pings.
    pub ws_ping_interval: Duration,
    /// Time without a pong after which a WebSocket connection is closed.
    pub ws_inactive_limit: Duration,
}

/// An [`RpcConfig`] that breaks an invariant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcConfigError {
    #[error(
        "the RPC {name} is {value_ms} ms; it must be between {min_ms} ms and {max_ms} ms",
        min_ms = RpcConfig::MIN_TIMEOUT.as_millis(),
        max_ms = RpcConfig::MAX_TIMEOUT.as_millis()
    )]
    Timeout { name: &'static str, value_ms: u128 },
    #[error(
        "the RPC WebSocket inactivity limit ({inactive_ms} ms) must be at least the ping \
         interval ({interval_ms} ms): a connection is judged once per ping"
    )]
    InactiveBelowPing {
        inactive_ms: u128,
        interval_ms: u128,
    },
    #[error(
        "the RPC request body limit is {size} bytes; it must be at least {min} bytes so that \
         the largest valid transaction can be submitted"
    )]
    RequestBodyTooSmall { size: u32, min: u32 },
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl Default for RpcConfig {
    fn default() -> Self {
        RpcConfig {
            max_connections: nz(256),
            max_subscriptions_per_connection: nz(1024),
            max_request_body_size: nz(4 * 1024 * 1024),
            max_response_body_size: nz(10 * 1024 * 1024),
            max_batch_len: nz(256),
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(20),
            send_timeout: Duration::from_secs(20),
            ws_ping_interval: Duration::from_secs(15),
            ws_inactive_limit: Duration::from_secs(30),
        }
    }
}

impl RpcConfig {
    /// The shortest timeout accepted.
    pub const MIN_TIMEOUT: Duration = Duration::from_millis(10);
    /// The longest timeout accepted.
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);
    /// The smallest request body limit: a hex-encoded transaction of the
    /// largest size with room for the JSON-RPC envelope.
    pub const MIN_REQUEST_BODY: u32 =
        submit_body_bytes(molt_types::codec::limits::MAX_TRANSACTION_BYTES);

    /// Checks every invariant; the node refuses to start on an error.
    pub fn check(&self) -> Result<(), RpcConfigError> {
        for (name, value) in [
            ("header read timeout", self.header_read_timeout),
            ("body read timeout", self.body_read_timeout),
            ("send timeout", self.send_timeout),
            ("WebSocket ping interval", self.ws_ping_interval),
            ("WebSocket inactivity limit", self.ws_inactive_limit),
        ] {
            if !(Self::MIN_TIMEOUT..=Self::MAX_TIMEOUT).contains(&value) {
                return Err(RpcConfigError::Timeout {
                    name,
                    value_ms: value.as_millis(),
                });
            }
        }
        if self.ws_inactive_limit < self.ws_ping_interval {
            return Err(RpcConfigError::InactiveBelowPing {
                inactive_ms: self.ws_inactive_limit.as_millis(),
                interval_ms: self.ws_ping_interval.as_millis(),
            });
        }
        if self.max_request_body_size.get() < Self::MIN_REQUEST_BODY {
            return Err(RpcConfigError::RequestBodyTooSmall {
                size: self.max_request_body_size.get(),
                min: Self::MIN_REQUEST_BODY,
            });
        }
        Ok(())
    }

    /// The longest a stalled client can hold a slot (see the module doc).
    pub fn stall_bound(&self) -> Duration {
        [
            self.header_read_timeout,
            self.body_read_timeout,
            self.send_timeout,
            self.ws_ping_interval + self.ws_inactive_limit,
        ]
        .into_iter()
        .max()
        .unwrap_or_default()
    }

    /// jsonrpsee's configuration, with `max_request_body` as its request
    /// (and WebSocket message) limit.
    fn jsonrpsee(&self, max_request_body: u32) -> ServerConfig {
        ServerConfig::builder()
            // Slots are counted here, per socket; jsonrpsee's own count
            // (per request and WebSocket) can then never be the one that binds.
            .max_connections(self.max_connections.get())
            .max_subscriptions_per_connection(self.max_subscriptions_per_connection.get())
            .max_request_body_size(max_request_body)
            .max_response_body_size(self.max_response_body_size.get())
            .set_batch_request_config(BatchRequestConfig::Limit(self.max_batch_len.get()))
            .enable_ws_ping(
                PingConfig::new()
                    .ping_interval(self.ws_ping_interval)
                    .inactive_limit(self.ws_inactive_limit),
            )
            .build()
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] RpcConfigError),
    #[error(
        "cannot listen for RPC on {addr}: {source}; choose another port with --rpc-port or stop \
         what is using it"
    )]
    Bind { addr: SocketAddr, source: io::Error },
}

/// A running RPC server.
#[derive(Debug)]
pub struct RpcServer {
    /// The address it listens on (the real port when 0 was asked for).
    pub local_addr: SocketAddr,
    handle: ServerHandle,
}

impl RpcServer {
    /// Stops accepting, lets in-flight requests finish and waits up to
    /// `grace` for every connection to close.
    pub async fn stop(self, grace: Duration) {
        let _ = self.handle.stop();
        if tokio::time::timeout(grace, self.handle.stopped())
            .await
            .is_err()
        {
            tracing::warn!(
                "RPC connections still open {} ms after stop; dropping them",
                grace.as_millis()
            );
        }
    }
}

/// Listens on `addr` and serves `methods` under `config` (checked first),
/// counting open connections in `connections`; the methods named in
/// `ws_only` (subscriptions) are refused with a clear error over plain HTTP;
/// `submit` bounds `molt_submitTransaction` bodies over the request limit.
pub async fn serve(
    addr: SocketAddr,
    config: RpcConfig,
    methods: impl Into<Methods>,
    connections: Gauge,
    ws_only: &'static [&'static str],
    metrics: MetricsEndpoint,
    submit: SubmitLimit,
) -> Result<RpcServer, ServeError> {
    config.check()?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    let (stop, handle) = stop_channel();
    tokio::spawn(accept(
        listener,
        config,
        methods.into(),
        stop,
        connections,
        ws_only,
        metrics,
        submit,
    ));
    Ok(RpcServer { local_addr, handle })
}

#[allow(clippy::too_many_arguments)]
async fn accept(
    listener: TcpListener,
    config: RpcConfig,
    methods: Methods,
    stop: StopHandle,
    connections: Gauge,
    ws_only: &'static [&'static str],
    metrics: MetricsEndpoint,
    submit: SubmitLimit,
) {
    let builder = |max_request_body: u32| {
        Server::builder()
            .set_config(config.jsonrpsee(max_request_body))
            .set_rpc_middleware(
                RpcServiceBuilder::new()
                    .layer(metrics.rpc_layer())
                    .layer(WsOnlyLayer(ws_only)),
            )
            .to_service_builder()
    };
    let services = builder(config.max_request_body_size.get());
    // Only for one `molt_submitTransaction` call over the request limit,
    // already read and checked by `receive`; never for WebSocket.
    let submit_services = builder(MAX_SUBMIT_BODY.max(config.max_request_body_size.get()));
    let slots = Arc::new(Semaphore::new(config.max_connections.get() as usize));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before
                    // accept: back off briefly rather than spin.
                    tracing::debug!("RPC accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = stop.clone().shutdown() => return,
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::debug!(%peer, "RPC connection refused: all {} slots taken", config.max_connections);
            // Refusals are answered by a bounded number of short tasks; past
            // that, a connection is simply closed.
            if let Ok(permit) = Arc::clone(&refusals).try_acquire_owned() {
                tokio::spawn(refuse(stream, config.max_connections, permit));
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = SlotStream {
            inner: stream,
            send_timeout: config.send_timeout,
            stalled: None,
            _slot: slot,
            _open: connections.enter(),
        };
        let service = services.clone().build(methods.clone(), stop.clone());
        let submit_service = submit_services.clone().build(methods.clone(), stop.clone());
        tokio::spawn(connection(
            io,
            Services {
                normal: service,
                submit: submit_service,
                submit_limit: submit.clone(),
            },
            config.clone(),
            stop.clone(),
            metrics.clone(),
        ));
    }
}

/// Answers a connection over the limit with 503 and closes it: the reply,
/// then the end of our side, then whatever the client still sends is read
/// and discarded for a moment so that the close does not reset the
/// connection before the client has read the reply.
async fn refuse(mut stream: TcpStream, max: NonZeroU32, _permit: OwnedSemaphorePermit) {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {
            "code": SERVER_BUSY,
            "message": format!("the node is serving its limit of {max} connections; retry in a moment"),
        },
    })
    .to_string();
    let reply = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(REFUSAL_LINGER, async {
        stream.write_all(reply.as_bytes()).await?;
        stream.shutdown().await?;
        let mut discard = [0u8; 4096];
        while stream.read(&mut discard).await? > 0 {}
        Ok::<_, io::Error>(())
    })
    .await;
}

type RpcService = jsonrpsee::server::TowerService<
    tower::layer::util::Stack<
        WsOnlyLayer,
        tower::layer::util::Stack<RpcMetricsLayer, tower::layer::util::Identity>,
    >,
    tower::layer::util::Identity,
>;

/// A connection's JSON-RPC services: the normal one, and the one that
/// takes a `molt_submitTransaction` body over the request limit.
#[derive(Clone)]
struct Services {
    normal: RpcService,
    submit: RpcService,
    submit_limit: SubmitLimit,
}

async fn connection(
    io: SlotStream,
    services: Services,
    config: RpcConfig,
    stop: StopHandle,
    metrics: MetricsEndpoint,
) {
    let max_body = config.max_request_body_size.get();
    let body_timeout = config.body_read_timeout;
    let handler = hyper::service::service_fn(move |req: Request<Incoming>| {
        let page = metrics.respond(&req);
        let dashboard = crate::dashboard::Route::of(&req).map(|r| (r, metrics.shared()));
        handle(
            services.clone(),
            req,
            max_body,
            body_timeout,
            page,
            dashboard,
        )
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .serve_connection(TokioIo::new(io), handler)
        .with_upgrades();
    tokio::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = stop.shutdown() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::debug!("RPC connection closed: {e}");
    }
}

async fn handle(
    services: Services,
    req: Request<Incoming>,
    max_body: u32,
    body_timeout: Duration,
    page: Option<HttpResponse>,
    dashboard: Option<(crate::dashboard::Route, Arc<crate::producer::Shared>)>,
) -> Result<HttpResponse, BoxError> {
    if let Some(page) = page {
        return Ok(page);
    }
    if let Some((route, shared)) = dashboard {
        return Ok(route.respond(shared).await);
    }
    let Services {
        mut normal,
        mut submit,
        submit_limit,
    } = services;
    match receive(req, max_body, &submit_limit, body_timeout).await {
        Ok((req, Body::Normal)) => normal.call(req).await,
        Ok((req, Body::LargeSubmit)) => submit.call(req).await,
        Err(refusal) => Ok(refusal),
    }
}

/// What a received body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// Within `max_request_body_size` (or a WebSocket upgrade).
    Normal,
    /// Over it: one `molt_submitTransaction` call within the submit limit.
    LargeSubmit,
}

/// Is `body` one JSON-RPC call (not a batch) of `molt_submitTransaction`?
fn is_one_submit(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Call<'a> {
        #[serde(borrow)]
        method: std::borrow::Cow<'a, str>,
    }
    serde_json::from_slice::<Call<'_>>(body).is_ok_and(|c| c.method == SUBMIT_METHOD)
}

/// Reads a request's whole body within `timeout` and at most `max` bytes
/// (or, declared, up to the submit limit: see the module doc), or says why
/// not in the response to send instead.
async fn receive(
    req: Request<Incoming>,
    max: u32,
    submit: &SubmitLimit,
    timeout: Duration,
) -> Result<(Request<Full<Bytes>>, Body), HttpResponse> {
    if ws::is_upgrade_request(&req) {
        return Ok((req.map(|_| Full::new(Bytes::new())), Body::Normal));
    }
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(PlainHttp);
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = match declared {
        Some(n) if n > u64::from(max) => {
            let large = submit.now();
            if n > u64::from(large) {
                return Err(closing(too_large(max, large)));
            }
            large
        }
        _ => max,
    };
    match tokio::time::timeout(timeout, Limited::new(body, limit as usize).collect()).await {
        Ok(Ok(collected)) => {
            let bytes = collected.to_bytes();
            if bytes.len() <= max as usize {
                return Ok((Request::from_parts(parts, Full::new(bytes)), Body::Normal));
            }
            if !is_one_submit(&bytes) {
                return Err(closing(too_large(max, limit)));
            }
            Ok((
                Request::from_parts(parts, Full::new(bytes)),
                Body::LargeSubmit,
            ))
        }
        Ok(Err(e)) if e.is::<LengthLimitError>() => Err(closing(too_large(max, limit))),
        Ok(Err(_)) => Err(closing(response::malformed())),
        Err(_) => Err(closing(body_timeout_response(timeout))),
    }
}

/// HTTP 413, `-32007`: over `max`, and (when `submit` is above it) over
/// what a `molt_submitTransaction` call may carry now.
fn too_large(max: u32, submit: u32) -> HttpResponse {
    if submit <= max {
        return response::too_large(max);
    }
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {
            "code": -32007,
            "message": format!(
                "the request body is over the limit of {max} bytes; only a single \
                 {SUBMIT_METHOD} call may be larger, up to {submit} bytes now (the hex of a \
                 governance resolve of an approved payload, within the governance limit)"
            ),
        },
    })
    .to_string();
    let mut r = HttpResponse::new(HttpBody::from(body));
    *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

fn body_timeout_response(timeout: Duration) -> HttpResponse {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {
            "code": REQUEST_TIMEOUT,
            "message": format!(
                "the request body did not arrive within {} ms of its headers; send the whole request at once",
                timeout.as_millis()
            ),
        },
    })
    .to_string();
    let mut r = HttpResponse::new(HttpBody::from(body));
    *r.status_mut() = StatusCode::REQUEST_TIMEOUT;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// The connection ends after this response: part of the body may be unread.
fn closing(mut r: HttpResponse) -> HttpResponse {
    r.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    r
}

/// A TCP stream that holds its connection slot until it is dropped, and
/// fails a write that makes no progress for `send_timeout`.
#[derive(Debug)]
struct SlotStream {
    inner: TcpStream,
    send_timeout: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
    _slot: OwnedSemaphorePermit,
    _open: Held,
}

impl SlotStream {
    /// Turns a pending write into an error once it has been pending too long.
    fn progress<T>(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if r.is_ready() {
            self.stalled = None;
            return r;
        }
        let timeout = self.send_timeout;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client left the node's response unread",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for SlotStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SlotStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.progress(cx, r)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.progress(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_flush(cx);
        this.progress(cx, r)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.progress(cx, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_config_holds_its_invariants() {
        assert_eq!(RpcConfig::default().check(), Ok(()));
    }

    #[test]
    fn configs_that_break_an_invariant_are_refused_with_what_to_fix() {
        let base = RpcConfig::default();
        let cases: [(RpcConfig, &str); 5] = [
            (
                RpcConfig {
                    header_read_timeout: Duration::ZERO,
                    ..base.clone()
                },
                "header read timeout is 0 ms",
            ),
            (
                RpcConfig {
                    body_read_timeout: Duration::from_secs(3 * 24 * 3600),
                    ..base.clone()
                },
                "body read timeout",
            ),
            (
                RpcConfig {
                    send_timeout: Duration::from_millis(1),
                    ..base.clone()
                },
                "send timeout is 1 ms",
            ),
            (
                RpcConfig {
                    ws_ping_interval: Duration::from_secs(10),
                    ws_inactive_limit: Duration::from_secs(5),
                    ..base.clone()
                },
                "at least the ping interval",
            ),
            (
                RpcConfig {
                    max_request_body_size: nz(1024),
                    ..base.clone()
                },
                "largest valid transaction",
            ),
        ];
        for (config, says) in cases {
            let e = config.check().unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
    }

    #[test]
    fn the_stall_bound_is_the_longest_way_to_hold_a_slot() {
        let c = RpcConfig {
            header_read_timeout: Duration::from_secs(1),
            body_read_timeout: Duration::from_secs(2),
            send_timeout: Duration::from_secs(3),
            ws_ping_interval: Duration::from_secs(2),
            ws_inactive_limit: Duration::from_secs(2),
            ..RpcConfig::default()
        };
        assert_eq!(c.stall_bound(), Duration::from_secs(4));
    }
}
