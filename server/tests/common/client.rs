//! A caller of the in-process server and its responses.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::Method;
use axum::http::Request;
use axum::http::header;
use serde_json::Value;
use tower::ServiceExt;

/// The address every request comes from (like a local client of a spawned server).
const PEER: ([u8; 4], u16) = ([127, 0, 0, 1], 40_000);

/// A response: status and JSON body.
#[derive(Debug, Clone)]
pub struct Resp {
    /// HTTP status.
    pub status: u16,
    /// Parsed JSON (Null when the body is not JSON).
    pub body: Value,
    /// Content-Type.
    pub content_type: String,
    /// Every header.
    pub headers: HeaderMap,
    /// The raw body.
    pub bytes: Vec<u8>,
}

impl Resp {
    /// The machine error code.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// A caller of the in-process server, maybe logged in.
#[derive(Clone)]
pub struct Client {
    pub(super) router: Router,
    /// Bearer token.
    pub token: Option<String>,
}

impl Client {
    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = &self.token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut req = req.body(Body::from(body)).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(PEER)));
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        Resp {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            content_type,
            headers,
            bytes: bytes.to_vec(),
        }
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, &[], Vec::new()).await
    }

    /// GET with extra headers (`x-forwarded-for`, `authorization`…).
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        self.send(Method::GET, path, headers, Vec::new()).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, &[], Vec::new()).await
    }

    /// POST JSON.
    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(
            Method::POST,
            path,
            &[("content-type", "application/json")],
            serde_json::to_vec(body).unwrap(),
        )
        .await
    }

    /// PUT JSON.
    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.send(
            Method::PUT,
            path,
            &[("content-type", "application/json")],
            serde_json::to_vec(body).unwrap(),
        )
        .await
    }

    /// POST a file's bytes (an upload).
    pub async fn upload(&self, path: &str, body: Vec<u8>) -> Resp {
        self.send(
            Method::POST,
            path,
            &[("content-type", "application/octet-stream")],
            body,
        )
        .await
    }

    /// POST JSON with an Idempotency-Key.
    pub async fn post_idem(&self, path: &str, key: &str, body: &Value) -> Resp {
        self.send(
            Method::POST,
            path,
            &[
                ("content-type", "application/json"),
                ("idempotency-key", key),
            ],
            serde_json::to_vec(body).unwrap(),
        )
        .await
    }

    /// POST raw bytes with a content type (and a fresh Idempotency-Key).
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        let key = uuid::Uuid::new_v4().to_string();
        self.send(
            Method::POST,
            path,
            &[("content-type", content_type), ("idempotency-key", &key)],
            body,
        )
        .await
    }

    /// POST raw bytes with a content type and the given Idempotency-Key.
    pub async fn post_raw_idem(
        &self,
        path: &str,
        content_type: &str,
        key: &str,
        body: Vec<u8>,
    ) -> Resp {
        self.send(
            Method::POST,
            path,
            &[("content-type", content_type), ("idempotency-key", key)],
            body,
        )
        .await
    }

    /// Debits with a fresh idempotency key.
    pub async fn debit(&self, body: &Value) -> Resp {
        self.post_idem(
            "/api/partner/debits",
            &uuid::Uuid::new_v4().to_string(),
            body,
        )
        .await
    }
}
