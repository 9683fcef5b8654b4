//! Sending e-mail. The demo and the tests write each message to a file in
//! `DATA_DIR/mail-outbox/` (one `.eml` per message, 0600), standing in for
//! an SMTP relay (issue 16 adds SMTP behind the same trait).

use std::io::Write;
use std::path::PathBuf;

use crate::error::ServiceError;

/// An e-mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject (French).
    pub subject: String,
    /// Plain-text body (French).
    pub body: String,
}

/// Sends e-mail.
pub trait Mailer: Send + Sync + 'static {
    /// Sends one message.
    fn send(&self, mail: &Mail) -> Result<(), ServiceError>;
}

/// Writes each message to its own file in a directory.
pub struct FileMailer {
    dir: PathBuf,
}

impl FileMailer {
    /// Messages go to `dir` (created 0700 when first used).
    pub fn new(dir: PathBuf) -> FileMailer {
        FileMailer { dir }
    }
}

impl Mailer for FileMailer {
    fn send(&self, mail: &Mail) -> Result<(), ServiceError> {
        let internal = |e: std::io::Error| ServiceError::Internal(e.to_string());
        crate::platform::private_dir(&self.dir).map_err(internal)?;
        // UUIDv7: file names sort in sending order.
        let path = self.dir.join(format!("{}.eml", uuid::Uuid::now_v7()));
        crate::platform::private_file(&path).map_err(internal)?;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(internal)?;
        let header = |v: &str| v.replace(['\r', '\n'], " ");
        write!(
            f,
            "To: {}\r\nSubject: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            header(&mail.to),
            header(&mail.subject),
            mail.body
        )
        .map_err(internal)?;
        tracing::info!("e-mail written to the outbox");
        Ok(())
    }
}

/// Sends through an SMTP relay (`lettre`): `smtp://user:pass@host:587?tls=required`
/// (STARTTLS), `smtps://user:pass@host:465` (TLS), or plain `smtp://127.0.0.1:25`
/// for a relay on the same machine only (a remote relay without TLS would
/// carry the credentials and the links in clear: refused); configured by
/// `--smtp-url` / `PASSREGION_SMTP_URL`, with the sender `--mail-from`.
pub struct SmtpMailer {
    transport: lettre::SmtpTransport,
    from: lettre::message::Mailbox,
}

impl SmtpMailer {
    /// A mailer for the relay at `url`, sending as `from`.
    pub fn new(url: &str, from: &str) -> anyhow::Result<SmtpMailer> {
        let plain = url.starts_with("smtp://") && !url.contains("tls=required");
        let host = url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.rsplit('@').next())
            .and_then(|h| h.split([':', '/', '?']).next())
            .unwrap_or("");
        anyhow::ensure!(
            !plain || matches!(host, "127.0.0.1" | "localhost" | "[::1]"),
            "--smtp-url: un relais distant exige TLS (smtps://… ou ?tls=required)"
        );
        let transport = lettre::SmtpTransport::from_url(url)
            .map_err(|e| anyhow::anyhow!("--smtp-url: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("--mail-from: {e}"))?;
        Ok(SmtpMailer { transport, from })
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: &Mail) -> Result<(), ServiceError> {
        use lettre::Transport;
        let to = mail
            .to
            .parse()
            .map_err(|_| ServiceError::Internal("bad recipient".into()))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.transport.send(&message).map_err(|e| {
            // No address in the log: the relay's answer only.
            tracing::error!(error = %e, "SMTP relay refused or unreachable");
            crate::platform::metrics::mail_failure();
            ServiceError::Unavailable
        })?;
        tracing::info!("e-mail handed to the SMTP relay");
        Ok(())
    }
}
