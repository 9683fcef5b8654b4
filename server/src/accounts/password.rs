//! Password hashing (argon2) and session tokens.

use argon2::Argon2;
use argon2::password_hash::PasswordHash;
use argon2::password_hash::PasswordHasher;
use argon2::password_hash::PasswordVerifier;
use argon2::password_hash::SaltString;
use base64::Engine;
use rand::RngCore;

/// Hashes a password (argon2id, default parameters, random salt).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spends the time of one verification (for unknown accounts, so that timing
/// does not reveal which e-mails exist).
pub fn burn_time(password: &str) {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$W2Rq0FfdXq4Q0mCQhZ0m8g4bq1yV4xYw5o8Hq2f9kZs";
    let _ = verify_password(password, DUMMY);
}

/// Bounds the password work (argon2id: ≈ 19 MiB and tens of milliseconds
/// each): a fixed set of worker threads runs the hashes, at most `queue` more
/// wait in line, and the rest are shed at once with 503
/// `service_indisponible`. Only the workers allocate argon2 memory, so what
/// the allocator keeps is bounded by `workers × 19 MiB` whatever the number
/// of parallel logins, registrations or partner applications.
#[derive(Debug)]
pub struct PasswordWork {
    jobs: std::sync::mpsc::SyncSender<PasswordJob>,
}

type PasswordJob = Box<dyn FnOnce() + Send>;

impl PasswordWork {
    /// `workers` threads, `queue` jobs waiting at most.
    pub fn new(workers: usize, queue: usize) -> PasswordWork {
        let (jobs, rx) = std::sync::mpsc::sync_channel::<PasswordJob>(queue);
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..workers.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if spawned.is_err() {
                tracing::error!("cannot start a password worker");
            }
        }
        PasswordWork { jobs }
    }

    /// Sized to the machine: one worker per core, 64 waiting.
    pub fn for_this_machine() -> PasswordWork {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PasswordWork::new(cores, 64)
    }

    /// Puts `f` in line for a worker, or refuses at once when the line is
    /// full.
    pub fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<tokio::sync::oneshot::Receiver<T>, crate::error::ServiceError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: PasswordJob = Box::new(move || {
            let _ = tx.send(f());
        });
        self.jobs
            .try_send(job)
            .map_err(|_| crate::error::ServiceError::Unavailable)?;
        Ok(rx)
    }

    /// Runs `f` (a hash or a verification) on a worker.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, crate::error::ServiceError> {
        self.submit(f)?
            .await
            .map_err(|_| crate::error::ServiceError::Unavailable)
    }
}

/// A new random session token (256 bits).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    crate::accounts::password::encode_token(&bytes)
}

/// A random session token (256 bits, URL-safe base64).
pub fn encode_token(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_accounts_cost_a_real_verification() {
        // The dummy hash must parse, or burn_time would return at once and
        // reveal which e-mails exist.
        const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$W2Rq0FfdXq4Q0mCQhZ0m8g4bq1yV4xYw5o8Hq2f9kZs";
        assert!(PasswordHash::new(DUMMY).is_ok());
    }

    #[tokio::test]
    async fn password_work_sheds_what_it_cannot_queue() {
        let work = PasswordWork::new(1, 1);
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        // One running (holds the only worker until told)…
        let running = work
            .submit(move || {
                let _ = started_tx.send(());
                go_rx.recv().is_ok()
            })
            .unwrap();
        started_rx.recv().unwrap();
        // …one waiting in line, and the next refused at once.
        let queued = work.submit(|| 1).unwrap();
        assert!(matches!(
            work.submit(|| 2),
            Err(crate::error::ServiceError::Unavailable)
        ));
        go_tx.send(()).unwrap();
        assert!(running.await.unwrap());
        assert_eq!(queued.await.unwrap(), 1);
        // Once the line is free, work is accepted again.
        assert_eq!(work.run(|| 3).await.unwrap(), 3);
    }

    #[test]
    fn hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a phc string"));
        assert_ne!(new_token(), new_token());
    }
}
