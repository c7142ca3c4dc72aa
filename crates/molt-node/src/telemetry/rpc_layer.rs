//! RPC middleware that counts and times every JSON-RPC call by method
//! (`molt_rpc_requests_total`, `molt_rpc_request_duration_seconds`).
//!
//! A single call is timed from the moment the transport hands it over until
//! its response is ready. Entries of a batch are counted by method; the
//! batch is answered as one and its entries are not timed one by one.

use super::metrics::Metrics;
use jsonrpsee::server::middleware::rpc::{
    Batch, BatchEntry, MethodResponse, Notification, Request, RpcServiceT,
};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

/// Wraps an RPC service so that its calls are counted in `Metrics`.
#[derive(Debug, Clone)]
pub struct RpcMetricsLayer(pub Arc<Metrics>);

impl<S> tower::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;

    fn layer(&self, inner: S) -> RpcMetrics<S> {
        RpcMetrics {
            inner,
            metrics: Arc::clone(&self.0),
        }
    }
}

/// See [`RpcMetricsLayer`].
#[derive(Debug, Clone)]
pub struct RpcMetrics<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S> RpcServiceT for RpcMetrics<S>
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
        let inner = self.inner.clone();
        let metrics = Arc::clone(&self.metrics);
        let method = req.method_name().to_string();
        async move {
            let start = Instant::now();
            let response = inner.call(req).await;
            metrics.rpc_call(&method, Some(start.elapsed()));
            response
        }
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        for entry in batch.iter() {
            match entry {
                Ok(BatchEntry::Call(req)) => self.metrics.rpc_call(req.method_name(), None),
                Ok(BatchEntry::Notification(n)) => self.metrics.rpc_call(n.method_name(), None),
                Err(_) => self.metrics.rpc_call("", None),
            }
        }
        self.inner.batch(batch)
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.metrics.rpc_call(n.method_name(), None);
        self.inner.notification(n)
    }
}
