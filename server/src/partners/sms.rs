//! Sending SMS codes: the demo's file outbox, or an HTTP gateway.

use passregion_core::partner::masked_phone;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use crate::error::ServiceError;
use crate::partners::error::PartnersError;

/// Sends text messages. The demo writes them to a file (`DATA_DIR/sms-outbox.log`);
/// `--sms-url` sends them through an HTTP gateway ([`HttpSms`]).
pub trait SmsSender: Send + Sync + 'static {
    /// Sends `text` to `phone` (+33…).
    fn send(&self, phone: &str, text: &str) -> Result<(), ServiceError>;
}

/// Appends messages to a file, one line each.
pub struct FileSms {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileSms {
    /// Messages go to `path`.
    pub fn new(path: PathBuf) -> FileSms {
        FileSms {
            path,
            lock: Mutex::new(()),
        }
    }
}

impl SmsSender for FileSms {
    fn send(&self, phone: &str, text: &str) -> Result<(), ServiceError> {
        let _g = self.lock.lock().map_err(|_| ServiceError::Unavailable)?;
        crate::platform::private_file(&self.path)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        writeln!(f, "{phone}\t{text}").map_err(|e| ServiceError::Internal(e.to_string()))?;
        tracing::info!(to = %masked_phone(phone), "SMS sent");
        Ok(())
    }
}

pub(crate) fn sms_text(code: &str) -> String {
    format!(
        "PASS'Région : votre code de signature de la convention de partenariat est {code}. Il est valable 15 minutes."
    )
}

/// The default body of a gateway request (`--sms-template`).
pub const DEFAULT_TEMPLATE: &str = r#"{"to":"{to}","text":"{text}"}"#;

/// How long connecting to the gateway may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole gateway request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How the values are escaped into the body, from its content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escaping {
    /// `application/json` (or `…+json`): the inside of a JSON string.
    Json,
    /// `application/x-www-form-urlencoded`: percent-encoded.
    Form,
}

impl Escaping {
    /// The escaping for a content type; `None` for one whose escaping is
    /// not known (its values could break out of the body).
    pub fn for_content_type(content_type: &str) -> Option<Escaping> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence == "application/json" || essence.ends_with("+json") {
            Some(Escaping::Json)
        } else if essence == "application/x-www-form-urlencoded" {
            Some(Escaping::Form)
        } else {
            None
        }
    }

    fn escape(self, value: &str, out: &mut String) {
        match self {
            Escaping::Json => {
                let quoted = serde_json::Value::from(value).to_string();
                out.push_str(&quoted[1..quoted.len() - 1]);
            }
            Escaping::Form => out.extend(form_urlencoded::byte_serialize(value.as_bytes())),
        }
    }
}

/// A request body with the placeholders `{to}` and `{text}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    text: String,
    escaping: Escaping,
}

impl Template {
    /// A template for bodies of `content_type`. Both placeholders are
    /// required; a JSON template must give valid JSON.
    pub fn new(text: &str, content_type: &str) -> Result<Template, String> {
        let escaping = Escaping::for_content_type(content_type).ok_or_else(|| {
            format!(
                "--sms-content-type: « {content_type} » non pris en charge (application/json ou application/x-www-form-urlencoded)"
            )
        })?;
        if !text.contains("{to}") || !text.contains("{text}") {
            return Err("--sms-template: il faut les deux champs {to} et {text}".into());
        }
        let template = Template {
            text: text.to_owned(),
            escaping,
        };
        if escaping == Escaping::Json
            && serde_json::from_str::<serde_json::Value>(&template.render("+33600000000", "\"x\""))
                .is_err()
        {
            return Err("--sms-template: le corps n'est pas du JSON valide".into());
        }
        Ok(template)
    }

    /// The body for one message: each placeholder replaced by its escaped
    /// value, in one pass (a value holding `{text}` is not replaced again).
    pub fn render(&self, to: &str, text: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + to.len() + text.len() * 2);
        let mut rest = self.text.as_str();
        while let Some(i) = rest.find('{') {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            if let Some(after) = tail.strip_prefix("{to}") {
                self.escaping.escape(to, &mut out);
                rest = after;
            } else if let Some(after) = tail.strip_prefix("{text}") {
                self.escaping.escape(text, &mut out);
                rest = after;
            } else {
                out.push('{');
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        out
    }
}

/// The gateway's credentials (`--sms-auth`).
#[derive(Clone, PartialEq, Eq)]
enum Auth {
    Basic { user: String, password: String },
    Bearer(String),
}

impl Auth {
    /// `basic:USER:PASSWORD` (the password may hold `:`) or `bearer:TOKEN`.
    fn parse(spec: &str) -> Result<Auth, String> {
        let bad =
            || "--sms-auth: attendu basic:UTILISATEUR:MOT_DE_PASSE ou bearer:JETON".to_owned();
        match spec.split_once(':') {
            Some(("basic", rest)) => match rest.split_once(':') {
                Some((user, password)) if !user.is_empty() && !password.is_empty() => {
                    Ok(Auth::Basic {
                        user: user.to_owned(),
                        password: password.to_owned(),
                    })
                }
                _ => Err(bad()),
            },
            Some(("bearer", token))
                if !token.is_empty() && !token.contains(char::is_whitespace) =>
            {
                Ok(Auth::Bearer(token.to_owned()))
            }
            _ => Err(bad()),
        }
    }
}

/// The gateway's address: `https://…`, or `http://` to this machine only
/// (the credentials and the codes would travel in clear otherwise), as for
/// the SMTP relay.
pub fn gateway_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("--sms-url: {e}"))?;
    let host = parsed.host_str().unwrap_or("");
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" if !host.is_empty() => Ok(parsed),
        "http" if loopback => Ok(parsed),
        "http" => Err("--sms-url: une passerelle distante exige https://".into()),
        _ => Err("--sms-url: adresse https://… attendue".into()),
    }
}

/// Sends each message as one POST to an SMS gateway (`--sms-url`), its body
/// from `--sms-template` with the values escaped for `--sms-content-type`,
/// authenticated by `--sms-auth`. TLS by rustls (ring, Mozilla's roots), no
/// redirects, 5 s to connect, 10 s in all. Only the masked number and the
/// HTTP status are logged: the text holds the code.
pub struct HttpSms {
    client: reqwest::blocking::Client,
    url: reqwest::Url,
    auth: Option<Auth>,
    template: Template,
    content_type: String,
}

impl HttpSms {
    /// A sender for the gateway at `url`; a bad address, an `http://` one to
    /// another machine, bad credentials or a bad template are refused.
    pub fn new(
        url: &str,
        auth: Option<&str>,
        template: &str,
        content_type: &str,
    ) -> anyhow::Result<HttpSms> {
        let url = gateway_url(url).map_err(anyhow::Error::msg)?;
        let auth = auth
            .map(Auth::parse)
            .transpose()
            .map_err(anyhow::Error::msg)?;
        let template = Template::new(template, content_type).map_err(anyhow::Error::msg)?;
        reqwest::header::HeaderValue::from_str(content_type)
            .map_err(|_| anyhow::anyhow!("--sms-content-type: valeur d'en-tête invalide"))?;
        // The blocking client runs its own runtime: it is built on a thread
        // of its own, never inside the server's (which would panic).
        let client = std::thread::spawn(build_client)
            .join()
            .map_err(|_| anyhow::anyhow!("--sms-url: le client HTTP n'a pas pu démarrer"))?
            .map_err(|e| anyhow::anyhow!("--sms-url: {e}"))?;
        Ok(HttpSms {
            client,
            url,
            auth,
            template,
            content_type: content_type.to_owned(),
        })
    }
}

fn build_client() -> Result<reqwest::blocking::Client, reqwest::Error> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth());
    let builder = reqwest::blocking::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none());
    let builder = match tls {
        Ok(tls) => builder.tls_backend_preconfigured(tls),
        // ring supports the default versions; keep reqwest's refusal if not.
        Err(_) => builder,
    };
    builder.build()
}

impl SmsSender for HttpSms {
    fn send(&self, phone: &str, text: &str) -> Result<(), ServiceError> {
        let to = masked_phone(phone);
        let mut request = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, self.content_type.as_str())
            .body(self.template.render(phone, text));
        request = match &self.auth {
            Some(Auth::Basic { user, password }) => request.basic_auth(user, Some(password)),
            Some(Auth::Bearer(token)) => request.bearer_auth(token),
            None => request,
        };
        match request.send() {
            Ok(answer) if answer.status().is_success() => {
                tracing::info!(to = %to, status = answer.status().as_u16(), "SMS handed to the gateway");
                Ok(())
            }
            Ok(answer) => {
                tracing::error!(to = %to, status = answer.status().as_u16(), "SMS gateway refused the message");
                crate::platform::metrics::sms_failure();
                Err(PartnersError::SmsUnavailable.into())
            }
            Err(e) => {
                // Without the URL (it may carry a key); never the body.
                let kind = if e.is_timeout() {
                    "timeout"
                } else if e.is_connect() {
                    "connect"
                } else {
                    "request"
                };
                tracing::error!(to = %to, kind, error = %e.without_url(), "SMS gateway unreachable");
                crate::platform::metrics::sms_failure();
                Err(PartnersError::SmsUnavailable.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRICKY: &str = "a \"quote\", a \\ backslash, a & b = c\nnew line\r\ttab, {to} é";

    #[test]
    fn json_values_are_escaped_inside_their_strings() {
        let t = Template::new(DEFAULT_TEMPLATE, "application/json").unwrap();
        let body = t.render("+33612345678", TRICKY);
        // Still one JSON object with exactly the two values: nothing broke out.
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v, serde_json::json!({"to": "+33612345678", "text": TRICKY}));
        assert!(body.contains(r#"\"quote\""#), "{body}");
        assert!(body.contains(r"\\ backslash"), "{body}");
        assert!(body.contains(r"\n"), "{body}");
        // `{to}` inside the text is not replaced a second time.
        assert!(body.contains("{to} é"), "{body}");
    }

    #[test]
    fn form_values_are_percent_encoded() {
        let t = Template::new(
            "to={to}&text={text}&from=PASSRegion",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .unwrap();
        let body = t.render("+33612345678", TRICKY);
        assert!(
            body.starts_with("to=%2B33612345678&text=a+%22quote%22"),
            "{body}"
        );
        // Only the template's own `&` and `=` separate fields.
        assert_eq!(body.matches('&').count(), 2, "{body}");
        assert_eq!(body.matches('=').count(), 3, "{body}");
        assert!(!body.contains(['\n', '\r', '"', '\\']), "{body}");
        let fields: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            fields,
            vec![
                ("to".into(), "+33612345678".into()),
                ("text".into(), TRICKY.into()),
                ("from".into(), "PASSRegion".into()),
            ]
        );
    }

    #[test]
    fn other_braces_are_kept_and_bad_templates_refused() {
        let t = Template::new(
            r#"{"sms":{"to":"{to}","msg":"{text}"}}"#,
            "application/json",
        )
        .unwrap();
        assert_eq!(
            t.render("+33700000001", "x"),
            r#"{"sms":{"to":"+33700000001","msg":"x"}}"#
        );
        assert!(Template::new(r#"{"to":"{to}"}"#, "application/json").is_err());
        assert!(Template::new(r#"{"to":"{to}","text":{text}}"#, "application/json").is_err());
        assert!(Template::new("<sms>{to}{text}</sms>", "application/xml").is_err());
        assert!(Template::new("{to} {text}", "text/plain").is_err());
        assert!(
            Template::new(
                r#"{"to":"{to}","text":"{text}"}"#,
                "application/vnd.api+json"
            )
            .is_ok()
        );
    }

    #[test]
    fn credentials_are_parsed_and_bad_ones_refused() {
        assert!(matches!(
            Auth::parse("basic:region:p:ss").unwrap(),
            Auth::Basic { user, password } if user == "region" && password == "p:ss"
        ));
        assert!(Auth::parse("bearer:abc.def").unwrap() == Auth::Bearer("abc.def".into()));
        for bad in [
            "",
            "basic:",
            "basic:s3cr3t",
            "basic::s3cr3t",
            "bearer:",
            "bearer:s3 cr3t",
            "token:s3cr3t",
            "s3cr3t",
        ] {
            let err = Auth::parse(bad).err().unwrap();
            assert!(err.starts_with("--sms-auth"), "{bad}: {err}");
            assert!(!err.contains("s3"), "no secret in the message: {err}");
        }
    }

    #[test]
    fn a_remote_gateway_needs_https() {
        for ok in [
            "https://sms.example.fr/v1/send",
            "http://127.0.0.1:9000/send",
            "http://127.8.0.1/send",
            "http://localhost:9000/send",
            "http://[::1]:9000/send",
        ] {
            assert!(gateway_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://sms.example.fr/send",
            "http://10.0.0.1/send",
            "http://localhost.example.fr/send",
            "ftp://sms.example.fr/",
            "pas une url",
        ] {
            let err = gateway_url(bad).err().unwrap();
            assert!(err.starts_with("--sms-url"), "{bad}: {err}");
        }
        assert!(
            HttpSms::new(
                "https://sms.example.fr/send",
                None,
                DEFAULT_TEMPLATE,
                "application/json"
            )
            .is_ok()
        );
        assert!(
            HttpSms::new(
                "http://sms.example.fr/send",
                None,
                DEFAULT_TEMPLATE,
                "application/json"
            )
            .is_err()
        );
    }
}
