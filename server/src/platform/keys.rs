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

/// The root private key (PKCS#8), in `DATA_DIR/keys`. Optional: without it
/// the server publishes the list signed in advance ([`SIGNED_LIST_FILE`]).
pub const ROOT_KEY_FILE: &str = "root.pk8";
/// The root public key (base64url), kept beside the issuer keys so that the
/// server can publish it and check a list signed offline without the root
/// private key.
pub const ROOT_PUBLIC_FILE: &str = "root.pub";
/// A trust list signed in advance with the root key kept offline
/// (`passregion-server sign-trust-list`).
pub const SIGNED_LIST_FILE: &str = "trust-list.json";
/// Longest validity of a list signed in advance (it bounds how long a removed
/// issuer key stays trusted by offline apps).
pub const MAX_OFFLINE_VALIDITY: Duration = Duration::days(365);

/// Lets one instance at a time touch the keys when several share
/// `DATA_DIR/keys` (PostgreSQL, ADR 0036): a database advisory lock.
pub trait SigningLock: Send + Sync {
    /// Runs `f` holding the lock: waits for it when `wait`, otherwise
    /// returns `Ok(false)` at once when another instance holds it.
    fn exclusive(
        &self,
        wait: bool,
        f: &mut dyn FnMut() -> anyhow::Result<()>,
    ) -> anyhow::Result<bool>;
}

/// What a renewal check did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// The published list stays.
    Unchanged,
    /// This server signed a new list.
    Signed,
    /// This server now publishes a newer list signed elsewhere (offline, or
    /// by another instance sharing the keys).
    Adopted,
}

/// Who signs the trust list.
enum Signer {
    /// The root key is on this server: the list is signed again by itself.
    Online(RootKey),
    /// The root key is kept offline: the list is one signed in advance,
    /// re-read from this file (a newer one replaces it without a restart).
    Offline(PathBuf),
}

/// The keys and the signed trust list. The list is signed again in the
/// background ([`ServerKeys::renew_if_due`]) when the root key is here, or
/// re-read from [`SIGNED_LIST_FILE`] when it is kept offline; readers take a
/// snapshot.
pub struct ServerKeys {
    /// Signs the trust list, or where the list signed offline is.
    signer: Signer,
    /// The root public key (apps pin it).
    root_public: PublicKey,
    /// Where the issuer keys are (re-read on renewal: a key added by
    /// `rotate-issuer-key` is published and used without a restart).
    dir: PathBuf,
    published: std::sync::RwLock<std::sync::Arc<Published>>,
    /// Instances sharing the keys directory: with the root key here, the
    /// one that signs writes the list to [`SIGNED_LIST_FILE`] under this
    /// lock, and the others publish that same list.
    shared: Option<std::sync::Arc<dyn SigningLock>>,
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
    /// Less than [`TRUST_LIST_STALE`] left (renewal is failing, or a list
    /// signed offline needs a new signature).
    pub stale: bool,
    /// The server holds the root key and renews the list by itself.
    pub automatic_renewal: bool,
}

impl std::fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKeys")
            .field("root", &self.root_public.kid())
            .field("automatic_renewal", &self.automatic_renewal())
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
    /// in a new data directory, and signs a fresh trust list. Without the
    /// root private key ([`ROOT_KEY_FILE`]) but with a list signed in advance
    /// ([`SIGNED_LIST_FILE`], checked against [`ROOT_PUBLIC_FILE`]), that list
    /// is published and the root key is never read; without either, in a
    /// directory that already has keys, the server refuses to start rather
    /// than make a new root that no app trusts.
    pub fn load_or_create(data_dir: &Path, now: DateTime<Utc>) -> anyhow::Result<ServerKeys> {
        Self::load(data_dir, now, None)
    }

    /// Like [`ServerKeys::load_or_create`] for instances sharing
    /// `DATA_DIR/keys` (PostgreSQL): loaded under `lock`, so that the first
    /// instance alone creates the keys. With the root key here, every
    /// instance publishes the one list of [`SIGNED_LIST_FILE`], and its
    /// renewal is signed by one instance and adopted by the others within a
    /// minute (ADR 0036).
    pub fn load_shared(
        data_dir: &Path,
        now: DateTime<Utc>,
        lock: std::sync::Arc<dyn SigningLock>,
    ) -> anyhow::Result<ServerKeys> {
        let mut keys = None;
        lock.exclusive(true, &mut || {
            keys = Some(Self::load(data_dir, now, Some(lock.clone()))?);
            Ok(())
        })?;
        keys.ok_or_else(|| anyhow::anyhow!("the keys were not loaded"))
    }

    fn load(
        data_dir: &Path,
        now: DateTime<Utc>,
        shared: Option<std::sync::Arc<dyn SigningLock>>,
    ) -> anyhow::Result<ServerKeys> {
        let dir = data_dir.join("keys");
        crate::platform::private_dir(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let root_path = dir.join(ROOT_KEY_FILE);
        let list_path = dir.join(SIGNED_LIST_FILE);
        let pub_path = dir.join(ROOT_PUBLIC_FILE);
        let known_public = read_root_public(&pub_path)?;
        let signer = if root_path.exists() {
            Signer::Online(read_root(&root_path)?)
        } else if list_path.exists() {
            Signer::Offline(list_path.clone())
        } else if known_public.is_some() || !issuer_files(&dir)?.is_empty() {
            anyhow::bail!(
                "the root key is not in {} and no trust list was signed in advance: \
                 run `passregion-server sign-trust-list --root-key <root.pk8>` \
                 (or put {ROOT_KEY_FILE} back)",
                dir.display()
            );
        } else {
            let k = RootKey::generate(&SystemRandom::new()).map_err(|e| anyhow::anyhow!("{e}"))?;
            write_secret(&root_path, k.to_pkcs8())?;
            Signer::Online(k)
        };
        let root_public = match (&signer, known_public) {
            (Signer::Online(root), Some(known)) if root.public_key() != known => {
                anyhow::bail!("{ROOT_KEY_FILE} does not match {ROOT_PUBLIC_FILE}")
            }
            (Signer::Online(root), None) => {
                write_secret(&pub_path, root.public_key().to_base64().as_bytes())?;
                root.public_key()
            }
            (_, Some(known)) => known,
            (Signer::Offline(_), None) => anyhow::bail!(
                "{} is missing: the root public key is needed to check the signed trust list",
                pub_path.display()
            ),
        };
        let published = match &signer {
            Signer::Online(root) => {
                if issuer_files(&dir)?.is_empty() {
                    Self::rotate_issuer(data_dir, now)?;
                }
                let adopted = shared
                    .as_ref()
                    .and_then(|_| Self::load_signed(&list_path, &root_public, &dir, 0).ok())
                    .filter(|p| !Self::due(&dir, p, now).unwrap_or(true));
                match adopted {
                    Some(p) => p,
                    None => {
                        let p = Self::publish(root, &dir, now)?;
                        if shared.is_some() {
                            write_secret(&list_path, p.signed.to_json().as_bytes())?;
                        }
                        p
                    }
                }
            }
            Signer::Offline(path) => {
                let p = Self::load_signed(path, &root_public, &dir, 0)?;
                if issuer_files(&dir)?.len() > p.trust.keys.len() {
                    tracing::warn!(
                        "an issuer key is not in the signed trust list: it signs nothing until a new list is signed"
                    );
                }
                tracing::info!(
                    version = p.trust.version,
                    expires_at = %p.trust.expires_at,
                    "root key offline: trust list signed in advance; sign a new one before it expires"
                );
                p
            }
        };
        Ok(ServerKeys {
            signer,
            root_public,
            dir,
            published: std::sync::RwLock::new(std::sync::Arc::new(published)),
            shared,
        })
    }

    /// The trust list of the issuer keys in `dir`, valid `validity` from `now`.
    fn list_of(dir: &Path, now: DateTime<Utc>, validity: Duration) -> anyhow::Result<TrustList> {
        let mut keys = Vec::new();
        for (path, created) in issuer_files(dir)? {
            let k = read_issuer(&path)?;
            keys.push(TrustedKey::for_issuer(
                &k,
                created - Duration::days(1),
                created + ISSUER_KEY_VALIDITY,
            ));
        }
        if keys.is_empty() {
            anyhow::bail!("no issuer key");
        }
        Ok(TrustList {
            version: u64::try_from(now.timestamp()).unwrap_or(0),
            issued_at: now,
            expires_at: now + validity,
            keys,
        })
    }

    /// Reads the issuer keys and signs a trust list of them at `now`.
    fn publish(root: &RootKey, dir: &Path, now: DateTime<Utc>) -> anyhow::Result<Published> {
        let trust = Self::list_of(dir, now, TRUST_LIST_VALIDITY)?;
        let issuer = issuer_files(dir)?
            .last()
            .map(|(path, _)| read_issuer(path))
            .ok_or_else(|| anyhow::anyhow!("no issuer key"))??;
        let signed = trust
            .sign(root)
            .map_err(|e| anyhow::anyhow!("cannot sign the trust list: {e}"))?;
        Ok(Published {
            issuer: std::sync::Arc::new(issuer),
            trust,
            signed,
        })
    }

    /// Reads a list signed in advance, checks it with the root public key
    /// (signature, no rollback below `min_version`), and picks the newest
    /// issuer key of `dir` that it trusts to sign cards and credentials.
    fn load_signed(
        path: &Path,
        root: &PublicKey,
        dir: &Path,
        min_version: u64,
    ) -> anyhow::Result<Published> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let signed = SignedTrustList::from_json(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let trust = signed
            .verify(root, min_version)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let files = issuer_files(dir)?;
        let mut issuer = None;
        for (path, _) in files.iter().rev() {
            let k = read_issuer(path)?;
            if trust.key(&k.kid()).is_some() {
                issuer = Some(k);
                break;
            }
        }
        let issuer = issuer.ok_or_else(|| {
            anyhow::anyhow!("the signed trust list trusts none of the issuer keys held here")
        })?;
        Ok(Published {
            issuer: std::sync::Arc::new(issuer),
            trust,
            signed,
        })
    }

    /// Signs, with the root key at `root_key` (kept offline, e.g. on
    /// removable media), a trust list of the issuer keys of `data_dir` valid
    /// `validity` from `now`, and writes it to `out`. The root key must be
    /// the one the apps trust ([`ROOT_PUBLIC_FILE`]; written if absent). A
    /// server without the root key publishes the list from
    /// `DATA_DIR/keys/trust-list.json`, and picks a newer one up within a
    /// minute.
    pub fn sign_trust_list(
        data_dir: &Path,
        root_key: &Path,
        out: &Path,
        now: DateTime<Utc>,
        validity: Duration,
    ) -> anyhow::Result<TrustList> {
        if validity <= Duration::zero() || validity > MAX_OFFLINE_VALIDITY {
            anyhow::bail!("the validity must be between 1 and 365 days");
        }
        let dir = data_dir.join("keys");
        let root = read_root(root_key)?;
        let pub_path = dir.join(ROOT_PUBLIC_FILE);
        match read_root_public(&pub_path)? {
            Some(known) if known != root.public_key() => anyhow::bail!(
                "{} is not the root key of this server ({})",
                root_key.display(),
                pub_path.display()
            ),
            Some(_) => {}
            None => write_secret(&pub_path, root.public_key().to_base64().as_bytes())?,
        }
        let trust = Self::list_of(&dir, now, validity)?;
        let signed = trust
            .sign(&root)
            .map_err(|e| anyhow::anyhow!("cannot sign the trust list: {e}"))?;
        write_secret(out, signed.to_json().as_bytes())?;
        Ok(trust)
    }

    /// Whether the server holds the root key and renews the list by itself.
    pub fn automatic_renewal(&self) -> bool {
        matches!(self.signer, Signer::Online(_))
    }

    /// What is published now (a cheap snapshot).
    pub fn current(&self) -> std::sync::Arc<Published> {
        match self.published.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Signs the trust list again when it is [`TRUST_LIST_RENEWAL`] old or
    /// when an issuer key was added since (key rotation). Returns what it
    /// did. The version grows with the signing instant, so apps never take
    /// the new list for a rollback.
    pub fn renew_if_due(&self, now: DateTime<Utc>) -> anyhow::Result<Renewal> {
        let current = self.current();
        let root = match &self.signer {
            Signer::Online(root) => root,
            Signer::Offline(path) => {
                return Ok(if self.reload_signed(path, &current)? {
                    Renewal::Adopted
                } else {
                    Renewal::Unchanged
                });
            }
        };
        let Some(lock) = &self.shared else {
            if !self.signs_now(&current, now)? {
                return Ok(Renewal::Unchanged);
            }
            self.replace(Self::publish(root, &self.dir, now)?);
            return Ok(Renewal::Signed);
        };
        // Several instances: publish what another one signed, and sign only
        // when still due, one instance at a time: one that finds the lock
        // taken waits (the signing takes milliseconds), then adopts the list
        // just written instead of signing one of its own.
        let mut outcome = Renewal::Unchanged;
        if self.adopt_newer()? {
            outcome = Renewal::Adopted;
        }
        if !self.signs_now(&self.current(), now)? {
            return Ok(outcome);
        }
        lock.exclusive(true, &mut || {
            if self.adopt_newer()? {
                outcome = Renewal::Adopted;
            }
            if self.signs_now(&self.current(), now)? {
                let p = Self::publish(root, &self.dir, now)?;
                write_secret(
                    &self.dir.join(SIGNED_LIST_FILE),
                    p.signed.to_json().as_bytes(),
                )?;
                self.replace(p);
                outcome = Renewal::Signed;
            }
            Ok(())
        })?;
        Ok(outcome)
    }

    /// Whether `p` must be signed again: [`TRUST_LIST_RENEWAL`] old, or an
    /// issuer key was added or removed in `dir`.
    fn due(dir: &Path, p: &Published, now: DateTime<Utc>) -> anyhow::Result<bool> {
        Ok(now - p.trust.issued_at >= TRUST_LIST_RENEWAL
            || issuer_files(dir)?.len() != p.trust.keys.len())
    }

    /// Due, and `now` would make a newer version.
    fn signs_now(&self, current: &Published, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let newer = u64::try_from(now.timestamp()).unwrap_or(0) > current.trust.version;
        Ok(newer && Self::due(&self.dir, current, now)?)
    }

    /// Publishes the list of [`SIGNED_LIST_FILE`] when another instance
    /// wrote a newer one (an unreadable or older file is left for the next
    /// signing to replace).
    fn adopt_newer(&self) -> anyhow::Result<bool> {
        let path = self.dir.join(SIGNED_LIST_FILE);
        if !path.exists() {
            return Ok(false);
        }
        let min = self.current().trust.version.saturating_add(1);
        match Self::load_signed(&path, &self.root_public, &self.dir, min) {
            Ok(next) => {
                self.replace(next);
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    /// Without the root key: publishes the list of [`SIGNED_LIST_FILE`] when
    /// a newer one was signed (or a new issuer key joined it).
    fn reload_signed(&self, path: &Path, current: &Published) -> anyhow::Result<bool> {
        let next = Self::load_signed(path, &self.root_public, &self.dir, current.trust.version)?;
        if next.trust.version == current.trust.version && next.issuer.kid() == current.issuer.kid()
        {
            return Ok(false);
        }
        self.replace(next);
        Ok(true)
    }

    fn replace(&self, next: Published) {
        let next = std::sync::Arc::new(next);
        match self.published.write() {
            Ok(mut p) => *p = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
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
            automatic_renewal: self.automatic_renewal(),
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
        self.root_public
    }
}

fn read_root(path: &Path) -> anyhow::Result<RootKey> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    RootKey::from_pkcs8(&bytes).map_err(|e| anyhow::anyhow!("root key unreadable: {e}"))
}

fn read_issuer(path: &Path) -> anyhow::Result<IssuerKey> {
    IssuerKey::from_pkcs8(&std::fs::read(path)?)
        .map_err(|e| anyhow::anyhow!("issuer key unreadable: {e}"))
}

fn read_root_public(path: &Path) -> anyhow::Result<Option<PublicKey>> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path)?;
    PublicKey::from_base64(text.trim())
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
