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
