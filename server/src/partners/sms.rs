//! Sending SMS codes.

use passregion_core::partner::masked_phone;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::error::ServiceError;

/// Sends text messages. The demo writes them to a file (`DATA_DIR/sms-outbox.log`),
/// standing in for an SMS gateway.
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
