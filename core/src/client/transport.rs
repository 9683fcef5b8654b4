//! HTTP behind a small trait, so that tests inject faults (a lost response
//! after the server committed, N failures, a dead server…), and the platform
//! may bring its own HTTP stack.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
}

/// A request: absolute URL, headers, optional JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL (`http://host:port/api/...`).
    pub url: String,
    /// Headers (name, value).
    pub headers: Vec<(String, String)>,
    /// Body (JSON).
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// The path part of the URL (after the authority), for routing in fakes.
    pub fn path(&self) -> &str {
        let rest = self
            .url
            .split_once("://")
            .map(|(_, r)| r)
            .unwrap_or(&self.url);
        rest.find('/').map(|i| &rest[i..]).unwrap_or("/")
    }

    /// A header value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers (name, value).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A header value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The server's time: `X-Server-Time` (RFC 3339), else `Date` (HTTP date).
    pub fn server_time(&self) -> Option<DateTime<Utc>> {
        if let Some(t) = self
            .header("x-server-time")
            .and_then(|v| DateTime::parse_from_rfc3339(v.trim()).ok())
        {
            return Some(t.with_timezone(&Utc));
        }
        self.header("date")
            .and_then(|v| DateTime::parse_from_rfc2822(v.trim()).ok())
            .map(|t| t.with_timezone(&Utc))
    }
}

/// The request did not get an HTTP answer: for the apps, "offline".
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// Could not connect.
    #[error("connection failed")]
    Connect,
    /// No answer in time.
    #[error("timed out")]
    Timeout,
    /// The connection broke, or the answer could not be read.
    #[error("connection broken")]
    Broken,
}

/// Sends HTTP requests.
pub trait Transport: Send + Sync {
    /// Sends one request and waits for the whole answer.
    fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// [`Transport`] over `reqwest::blocking` (plain HTTP; TLS is the platform's
/// choice: enable a reqwest TLS feature in the app crate).
///
/// Do not call it from inside an async runtime thread (reqwest's blocking
/// client runs its own runtime).
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::blocking::Client,
}

impl ReqwestTransport {
    /// A transport with a request timeout.
    pub fn new(timeout: Duration) -> Result<ReqwestTransport, TransportError> {
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|_| TransportError::Connect)?;
        Ok(ReqwestTransport { client })
    }
}

impl Transport for ReqwestTransport {
    fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut rb = match req.method {
            Method::Get => self.client.get(&req.url),
            Method::Post => self.client.post(&req.url),
        };
        for (n, v) in &req.headers {
            rb = rb.header(n.as_str(), v.as_str());
        }
        if let Some(body) = req.body {
            rb = rb.body(body);
        }
        let resp = rb.send().map_err(|e| {
            if e.is_timeout() {
                TransportError::Timeout
            } else if e.is_connect() {
                TransportError::Connect
            } else {
                TransportError::Broken
            }
        })?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let body = resp.bytes().map_err(|_| TransportError::Broken)?.to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_time_from_headers() {
        let mut r = HttpResponse {
            status: 200,
            headers: vec![("Date".into(), "Tue, 01 Sep 2026 10:00:00 GMT".into())],
            body: vec![],
        };
        assert_eq!(
            r.server_time().unwrap().to_rfc3339(),
            "2026-09-01T10:00:00+00:00"
        );
        r.headers
            .push(("x-server-time".into(), "2026-09-01T10:00:01.5Z".into()));
        assert_eq!(r.server_time().unwrap().timestamp_millis() % 10_000, 1500);
        let req = HttpRequest {
            method: Method::Get,
            url: "http://127.0.0.1:9/api/x?y=1".into(),
            headers: vec![],
            body: None,
        };
        assert_eq!(req.path(), "/api/x?y=1");
    }
}
