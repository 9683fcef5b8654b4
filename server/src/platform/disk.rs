//! Free space on the disk of the data directory, for `/health`: SQLite needs
//! room for its WAL and checkpoints, and a full disk refuses every write.

use std::path::PathBuf;

/// Watches the disk of the data directory against a threshold.
#[derive(Debug, Clone)]
pub struct DiskWatch {
    /// The data directory (its file system is the one measured).
    pub dir: PathBuf,
    /// Below this many available bytes, the server reports itself degraded.
    pub threshold_bytes: u64,
}

/// The disk's state at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskState {
    /// Bytes available to the server's user (0 when unreadable).
    pub available_bytes: u64,
    /// Below the threshold, or unreadable.
    pub low: bool,
}

impl DiskWatch {
    /// Measures the available space now (one `statvfs`, through `fs4`).
    pub fn state(&self) -> DiskState {
        match fs4::available_space(&self.dir) {
            Ok(available_bytes) => DiskState {
                available_bytes,
                low: available_bytes < self.threshold_bytes,
            },
            Err(e) => {
                tracing::warn!(error = %e, dir = %self.dir.display(), "cannot read the free disk space");
                DiskState {
                    available_bytes: 0,
                    low: true,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_decides() {
        let dir = tempfile::tempdir().unwrap();
        let watch = |threshold_bytes| DiskWatch {
            dir: dir.path().to_owned(),
            threshold_bytes,
        };
        let ok = watch(0).state();
        assert!(!ok.low);
        assert!(ok.available_bytes > 0);
        assert!(watch(u64::MAX).state().low);
        // A directory that does not exist cannot be measured: reported low.
        let gone = DiskWatch {
            dir: dir.path().join("absent"),
            threshold_bytes: 0,
        };
        assert_eq!(
            gone.state(),
            DiskState {
                available_bytes: 0,
                low: true
            }
        );
    }
}
