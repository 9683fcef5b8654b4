//! Where the app keeps its device keys (the youth's phone key that signs its
//! QR codes, the partner device key that signs offline debits), behind the
//! core's `DeviceSigner`: the OS keyring when there is one (Secret Service on
//! Linux, Keychain on macOS/iOS, Credential Manager on Windows, through the
//! `keyring` crate), else a file readable only by the user (0600) in the app's
//! data directory. The key never leaves the signer: the app only gets its
//! public key and signatures. Android has no `keyring` backend: there the
//! app's Kotlin shim (ADR 0022) is to provide an Android Keystore signer
//! through the same trait; until then the file fallback applies.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use passregion_core::client::SharedSigner;
use passregion_core::credential::keys::SIGNATURE_LEN;
use passregion_core::credential::{DeviceSigner, KeyError, PublicKey, SoftwareDeviceKey};

/// The keyring service name of the app.
const SERVICE: &str = "fr.passregion.app";

/// Where a device key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyHome {
    /// The OS keyring.
    Keyring,
    /// A 0600 file in the app's data directory.
    File,
}

/// A device key kept by the OS keyring or a private file.
pub struct StoredSigner {
    key: SoftwareDeviceKey,
    /// Where it is kept.
    pub home: KeyHome,
}

impl DeviceSigner for StoredSigner {
    fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], KeyError> {
        self.key.sign(message)
    }
}

fn new_key() -> Result<SoftwareDeviceKey, String> {
    SoftwareDeviceKey::generate(&ring::rand::SystemRandom::new()).map_err(|e| e.to_string())
}

fn from_keyring(purpose: &str) -> Result<SoftwareDeviceKey, String> {
    let entry = keyring::Entry::new(SERVICE, purpose).map_err(|e| e.to_string())?;
    match entry.get_secret() {
        Ok(bytes) => SoftwareDeviceKey::from_pkcs8(&bytes).map_err(|e| e.to_string()),
        Err(keyring::Error::NoEntry) => {
            let key = new_key()?;
            entry
                .set_secret(key.to_pkcs8())
                .map_err(|e| e.to_string())?;
            // Read it back: a keyring that accepts but does not keep is no home.
            match entry.get_secret() {
                Ok(b) if b == key.to_pkcs8() => Ok(key),
                _ => Err("keyring did not keep the key".into()),
            }
        }
        Err(e) => Err(e.to_string()),
    }
}

fn key_file(dir: &Path, purpose: &str) -> PathBuf {
    dir.join(format!("{purpose}-device.key"))
}

fn from_file(dir: &Path, purpose: &str) -> Result<SoftwareDeviceKey, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = key_file(dir, purpose);
    if let Ok(bytes) = std::fs::read(&path) {
        return SoftwareDeviceKey::from_pkcs8(&bytes).map_err(|e| e.to_string());
    }
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let key = new_key()?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| e.to_string())?;
    f.write_all(key.to_pkcs8()).map_err(|e| e.to_string())?;
    f.sync_all().map_err(|e| e.to_string())?;
    Ok(key)
}

/// The device key for `purpose` (`partner` or `youth`): the one already kept
/// (keyring first, then the file), or a new one kept in the keyring, or in
/// the file when no keyring answers. `use_keyring = false` skips the keyring
/// (tests, and machines without a Secret Service).
pub fn device_signer(
    dir: &Path,
    purpose: &str,
    use_keyring: bool,
) -> Result<Arc<StoredSigner>, String> {
    // A key already in the file stays there (it may be enrolled already).
    if key_file(dir, purpose).exists() {
        return from_file(dir, purpose).map(|key| {
            Arc::new(StoredSigner {
                key,
                home: KeyHome::File,
            })
        });
    }
    if use_keyring {
        if let Ok(key) = from_keyring(purpose) {
            return Ok(Arc::new(StoredSigner {
                key,
                home: KeyHome::Keyring,
            }));
        }
    }
    from_file(dir, purpose).map(|key| {
        Arc::new(StoredSigner {
            key,
            home: KeyHome::File,
        })
    })
}

/// As a `SharedSigner` for the core clients.
pub fn shared(s: Arc<StoredSigner>) -> SharedSigner {
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_home_is_private_and_keeps_the_same_key() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("pr-keystore-{}", std::process::id()));
        let a = device_signer(&dir, "partner", false).expect("signer");
        assert_eq!(a.home, KeyHome::File);
        let mode = std::fs::metadata(key_file(&dir, "partner"))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let b = device_signer(&dir, "partner", false).expect("again");
        assert_eq!(
            a.public_key(),
            b.public_key(),
            "the same key after a restart"
        );
        let other = device_signer(&dir, "youth", false).expect("youth");
        assert_ne!(a.public_key(), other.public_key(), "one key per purpose");
        let sig = a.sign(b"message").expect("sign");
        assert!(a.public_key().verify(b"message", &sig));
        let _ = std::fs::remove_dir_all(dir);
    }
}
