//! The JSON API over a [`Transport`]: URL and bearer from the stored session,
//! server time recorded from every answer, errors mapped to [`ClientError`].

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::ClientError;
use super::store::{Session, Store};
use super::transport::{HttpRequest, HttpResponse, Method, Transport};
use crate::api::accounts::{LoginRequest, LoginResponse};
use crate::clock::Clock;

/// The device clock corrected by the last known server offset.
pub struct ServerClock {
    device: Arc<dyn Clock>,
    offset: Duration,
}

impl Clock for ServerClock {
    fn now(&self) -> DateTime<Utc> {
        self.device.now() + self.offset
    }
}

/// Shared plumbing of the clients.
pub(crate) struct Api {
    pub store: Arc<Store>,
    pub transport: Arc<dyn Transport>,
    pub clock: Arc<dyn Clock>,
}

#[derive(serde::Deserialize)]
struct Problem {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    field: Option<String>,
}

impl Api {
    pub fn session(&self) -> Result<Session, ClientError> {
        self.store.session()?.ok_or(ClientError::NotLoggedIn)
    }

    /// The server clock as this device knows it.
    pub fn server_clock(&self) -> Result<ServerClock, ClientError> {
        Ok(ServerClock {
            device: self.clock.clone(),
            offset: Duration::milliseconds(self.store.clock_offset_ms()?),
        })
    }

    pub fn server_now(&self) -> Result<DateTime<Utc>, ClientError> {
        Ok(self.server_clock()?.now())
    }

    fn note_time(&self, resp: &HttpResponse) {
        if let Some(t) = resp.server_time() {
            let offset = (t - self.clock.now()).num_milliseconds();
            // A failure to store the offset only keeps the previous one.
            let _ = self.store.set_clock_offset_ms(offset);
        }
    }

    /// Sends a request; maps statuses to errors; returns the raw answer.
    pub fn raw(
        &self,
        base: &str,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        token: Option<&str>,
        idempotency_key: Option<&str>,
    ) -> Result<HttpResponse, ClientError> {
        let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
        if body.is_some() {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        if let Some(t) = token {
            headers.push(("Authorization".to_owned(), format!("Bearer {t}")));
        }
        if let Some(k) = idempotency_key {
            headers.push(("Idempotency-Key".to_owned(), k.to_owned()));
        }
        let req = HttpRequest {
            method,
            url: format!("{}{}", base.trim_end_matches('/'), path),
            headers,
            body,
        };
        let resp = self.transport.send(req)?;
        self.note_time(&resp);
        match resp.status {
            200..=299 => Ok(resp),
            401 => Err(ClientError::Unauthorized),
            400..=499 => {
                let p: Problem = serde_json::from_slice(&resp.body).unwrap_or(Problem {
                    code: String::new(),
                    message: String::new(),
                    field: None,
                });
                Err(ClientError::Refused {
                    status: resp.status,
                    code: p.code,
                    message: p.message,
                    field: p.field,
                })
            }
            s => Err(ClientError::Server { status: s }),
        }
    }

    /// An authenticated JSON call.
    pub fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
        idempotency_key: Option<&str>,
    ) -> Result<T, ClientError> {
        let s = self.session()?;
        let token = s.token.as_deref().ok_or(ClientError::NotLoggedIn)?;
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        let resp = self.raw(
            &s.server_url,
            method,
            path,
            body,
            Some(token),
            idempotency_key,
        )?;
        parse(&resp)
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.call::<T>(Method::Get, path, None::<&()>, None)
    }

    /// Logs in and stores the session (role checked by the caller).
    pub fn login(
        &self,
        server_url: &str,
        email: &str,
        password: &str,
    ) -> Result<LoginResponse, ClientError> {
        let body = serde_json::to_vec(&LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
            // The known-device token (issue 11, item 6) is kept by the web
            // app; the core client sends none yet (issue 12).
            device_token: None,
        })
        .map_err(|e| ClientError::Protocol(e.to_string()))?;
        let resp = self.raw(
            server_url,
            Method::Post,
            "/api/auth/login",
            Some(body),
            None,
            None,
        )?;
        let answer: LoginResponse = parse(&resp)?;
        let previous = self.store.session()?;
        // Another account on this device: its cached data must not leak to
        // the new one. Unsynced offline debits are kept (they are the
        // partner's money and are signed by this device).
        if previous
            .as_ref()
            .and_then(|p| p.account_id.as_deref())
            .is_some_and(|a| a != answer.account.id)
        {
            self.store.write(|tx| {
                tx.execute_batch(
                    "DELETE FROM card; DELETE FROM balances; DELETE FROM history;
                     DELETE FROM app_credential; DELETE FROM reimbursements;",
                )
            })?;
        }
        self.store.save_session(&Session {
            server_url: server_url.trim_end_matches('/').to_owned(),
            token: Some(answer.token.clone()),
            role: Some(answer.account.role.code().to_owned()),
            account_id: Some(answer.account.id.clone()),
            partner_id: answer.account.partner_id.clone(),
            partner_category: answer.account.partner_category.map(|c| c.code().to_owned()),
        })?;
        Ok(answer)
    }

    /// Points the session at another server URL (same account).
    pub fn set_server_url(&self, url: &str) -> Result<(), ClientError> {
        let mut s = self.store.session()?.unwrap_or_default();
        s.server_url = url.trim_end_matches('/').to_owned();
        self.store.save_session(&s)?;
        Ok(())
    }
}

pub(crate) fn parse<T: DeserializeOwned>(resp: &HttpResponse) -> Result<T, ClientError> {
    serde_json::from_slice(&resp.body).map_err(|e| ClientError::Protocol(e.to_string()))
}
