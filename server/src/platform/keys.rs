//! The server's signing keys: the root key that signs the trust list and the issuer keys that sign card QR codes and app credentials.

use anyhow::Context;
use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use passregion_core::credential::IssuerKey;
use passregion_core::credential::PublicKey;
use passregion_core::credential::RootKey;
use passregion_core::credential::SignedTrustList;
use passregion_core::credential::TrustList;
use passregion_core::credential::TrustedKey;
use ring::rand::SystemRandom;
use std::path::Path;
use std::path::PathBuf;

/// How long a published trust list stays fresh for offline partners.
pub const TRUST_LIST_VALIDITY: Duration = Duration::days(30);

/// A published trust list is signed again once it is this old, so that it
/// never comes near its expiry while the server runs (23 days of margin), and
/// partner apps pick the new one up on their next pull.
pub const TRUST_LIST_RENEWAL: Duration = Duration::days(7);

/// A trust list with less than this left is reported stale on `/health`.
pub const TRUST_LIST_STALE: Duration = Duration::days(14);

/// How long an issuer key is trusted after it was created.
pub const ISSUER_KEY_VALIDITY: Duration = Duration::days(365 * 6);

/// The keys and the signed trust list. The list is signed again in the
/// background ([`ServerKeys::renew_if_due`]); readers take a snapshot.
pub struct ServerKeys {
    /// Signs the trust list.
    root: RootKey,
    /// Where the issuer keys are (re-read on renewal: a key added by
    /// `rotate-issuer-key` is published and used without a restart).
    dir: PathBuf,
    published: std::sync::RwLock<std::sync::Arc<Published>>,
}

/// What is published at one time.
pub struct Published {
    /// The newest issuer key: signs cards and credentials.
    pub issuer: std::sync::Arc<IssuerKey>,
    /// The list (every issuer key, newest last).
    pub trust: TrustList,
    /// The list as published.
    pub signed: SignedTrustList,
}

/// How fresh the published trust list is (for `/health`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustFreshness {
    /// Version of the published list.
    pub version: u64,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// Less than [`TRUST_LIST_STALE`] left (renewal is failing).
    pub stale: bool,
}

impl std::fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKeys")
            .field("root", &self.root.kid())
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

pub(crate) fn write_secret(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

pub(crate) fn issuer_files(dir: &Path) -> anyhow::Result<Vec<(PathBuf, DateTime<Utc>)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // issuer-<unix seconds>.pk8: the creation instant orders the keys.
        if let Some(ts) = name
            .strip_prefix("issuer-")
            .and_then(|n| n.strip_suffix(".pk8"))
            .and_then(|n| n.parse::<i64>().ok())
            .and_then(|s| DateTime::from_timestamp(s, 0))
        {
            out.push((path, ts));
        }
    }
    out.sort_by_key(|(_, t)| *t);
    Ok(out)
}

impl ServerKeys {
    /// Loads the keys of `data_dir`, creating the root and a first issuer key
    /// if there are none, and signs a fresh trust list.
    pub fn load_or_create(data_dir: &Path, now: DateTime<Utc>) -> anyhow::Result<ServerKeys> {
        let dir = data_dir.join("keys");
        crate::platform::private_dir(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let rng = SystemRandom::new();
        let root_path = dir.join("root.pk8");
        let root = if root_path.exists() {
            RootKey::from_pkcs8(&std::fs::read(&root_path)?)
                .map_err(|e| anyhow::anyhow!("root key unreadable: {e}"))?
        } else {
            let k = RootKey::generate(&rng).map_err(|e| anyhow::anyhow!("{e}"))?;
            write_secret(&root_path, k.to_pkcs8())?;
            k
        };
        if issuer_files(&dir)?.is_empty() {
            Self::rotate_issuer(data_dir, now)?;
        }
        let published = Self::publish(&root, &dir, now)?;
        Ok(ServerKeys {
            root,
            dir,
            published: std::sync::RwLock::new(std::sync::Arc::new(published)),
        })
    }

    /// Reads the issuer keys and signs a trust list of them at `now`.
    fn publish(root: &RootKey, dir: &Path, now: DateTime<Utc>) -> anyhow::Result<Published> {
        let mut keys = Vec::new();
        let mut newest = None;
        for (path, created) in issuer_files(dir)? {
            let k = IssuerKey::from_pkcs8(&std::fs::read(&path)?)
                .map_err(|e| anyhow::anyhow!("issuer key unreadable: {e}"))?;
            keys.push(TrustedKey::for_issuer(
                &k,
                created - Duration::days(1),
                created + ISSUER_KEY_VALIDITY,
            ));
            newest = Some(k);
        }
        let issuer = newest.ok_or_else(|| anyhow::anyhow!("no issuer key"))?;
        let trust = TrustList {
            version: u64::try_from(now.timestamp()).unwrap_or(0),
            issued_at: now,
            expires_at: now + TRUST_LIST_VALIDITY,
            keys,
        };
        let signed = trust
            .sign(root)
            .map_err(|e| anyhow::anyhow!("cannot sign the trust list: {e}"))?;
        Ok(Published {
            issuer: std::sync::Arc::new(issuer),
            trust,
            signed,
        })
    }

    /// What is published now (a cheap snapshot).
    pub fn current(&self) -> std::sync::Arc<Published> {
        match self.published.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Signs the trust list again when it is [`TRUST_LIST_RENEWAL`] old or
    /// when an issuer key was added since (key rotation). Returns whether it
    /// did. The version grows with the signing instant, so apps never take
    /// the new list for a rollback.
    pub fn renew_if_due(&self, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let current = self.current();
        let on_disk = issuer_files(&self.dir)?.len();
        let due = now - current.trust.issued_at >= TRUST_LIST_RENEWAL
            || on_disk != current.trust.keys.len();
        let newer = u64::try_from(now.timestamp()).unwrap_or(0) > current.trust.version;
        if !due || !newer {
            return Ok(false);
        }
        let next = std::sync::Arc::new(Self::publish(&self.root, &self.dir, now)?);
        match self.published.write() {
            Ok(mut p) => *p = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
        Ok(true)
    }

    /// The published trust list (for verifying codes here).
    pub fn trust(&self) -> TrustList {
        self.current().trust.clone()
    }

    /// The published trust list, signed, as JSON (for the apps).
    pub fn signed_json(&self) -> String {
        self.current().signed.to_json()
    }

    /// How fresh the published list is at `now`.
    pub fn freshness(&self, now: DateTime<Utc>) -> TrustFreshness {
        let p = self.current();
        let t = &p.trust;
        TrustFreshness {
            version: t.version,
            expires_at: t.expires_at,
            stale: t.expires_at - now < TRUST_LIST_STALE,
        }
    }

    /// Adds a new issuer key (a running server publishes it and signs with it
    /// at its next renewal check, within a minute).
    pub fn rotate_issuer(data_dir: &Path, now: DateTime<Utc>) -> anyhow::Result<PathBuf> {
        let dir = data_dir.join("keys");
        crate::platform::private_dir(&dir)?;
        let k = IssuerKey::generate(&SystemRandom::new()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut secs = now.timestamp();
        let mut path = dir.join(format!("issuer-{secs}.pk8"));
        while path.exists() {
            secs += 1;
            path = dir.join(format!("issuer-{secs}.pk8"));
        }
        write_secret(&path, k.to_pkcs8())?;
        Ok(path)
    }

    /// The signing issuer key.
    pub fn issuer(&self) -> std::sync::Arc<IssuerKey> {
        self.current().issuer.clone()
    }

    /// The root public key (apps pin it at enrolment).
    pub fn root_public_key(&self) -> PublicKey {
        self.root.public_key()
    }
}
