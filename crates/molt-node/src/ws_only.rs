//! Subscription methods called over plain HTTP get a clear error.
//!
//! A subscription needs a connection that stays open, so its methods exist
//! only on WebSocket. Over HTTP jsonrpsee would answer such a call with a
//! bare "Internal error"; this RPC middleware answers it instead with
//! `-32601` and a message that says to open a WebSocket connection, alone
//! or inside a batch. The transport marks every plain HTTP request with
//! [`PlainHttp`]; WebSocket calls never carry it.

use jsonrpsee::server::middleware::rpc::{
    Batch, BatchEntry, BatchEntryErr, MethodResponse, Notification, Request, RpcServiceT,
};
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use std::future::Future;

/// Marks a request that arrived as plain HTTP (not over a WebSocket).
#[derive(Debug, Clone, Copy)]
pub struct PlainHttp;

/// The JSON-RPC code for a method that this transport does not serve.
const METHOD_NOT_FOUND: i32 = -32601;

/// Wraps an RPC service so that `methods` are refused over plain HTTP.
#[derive(Debug, Clone, Copy)]
pub struct WsOnlyLayer(pub &'static [&'static str]);

impl<S> tower::Layer<S> for WsOnlyLayer {
    type Service = WsOnly<S>;

    fn layer(&self, inner: S) -> WsOnly<S> {
        WsOnly {
            inner,
            methods: self.0,
        }
    }
}

/// See [`WsOnlyLayer`].
#[derive(Debug, Clone)]
pub struct WsOnly<S> {
    inner: S,
    methods: &'static [&'static str],
}

fn refusal(method: &str) -> ErrorObjectOwned {
    ErrorObject::owned(
        METHOD_NOT_FOUND,
        format!(
            "{method} is a subscription and is served only over WebSocket: connect to the same \
             address with ws:// and call it there"
        ),
        None::<()>,
    )
}

impl<S> WsOnly<S> {
    fn refuses(&self, method: &str, extensions: &hyper::http::Extensions) -> bool {
        extensions.get::<PlainHttp>().is_some() && self.methods.contains(&method)
    }
}

impl<S> RpcServiceT for WsOnly<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Send
        + Sync
        + Clone
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, req: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let refused = self
            .refuses(req.method_name(), req.extensions())
            .then(|| MethodResponse::error(req.id(), refusal(req.method_name())));
        let inner = self.inner.clone();
        async move {
            match refused {
                Some(r) => r,
                None => inner.call(req).await,
            }
        }
    }

    fn batch<'a>(&self, mut batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        for entry in batch.iter_mut() {
            if let Ok(BatchEntry::Call(req)) = entry
                && self.refuses(req.method_name(), req.extensions())
            {
                *entry = Err(BatchEntryErr::new(req.id(), refusal(req.method_name())));
            }
        }
        self.inner.batch(batch)
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.inner.notification(n)
    }
}
