//! TEMPORARY SHIM (replaced by helper h-infra's implementation at merge).
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind { Pdf, Jpeg, Png }
impl FileKind {
    pub fn content_type(self) -> &'static str { match self { FileKind::Pdf => "application/pdf", FileKind::Jpeg => "image/jpeg", FileKind::Png => "image/png" } }
}
#[derive(Debug, Clone)]
pub struct StoredFile { pub sha256: String, pub size: u64, pub kind: FileKind }
#[derive(Debug, thiserror::Error)]
pub enum FileError { #[error("empty")] Empty, #[error("too large")] TooLarge { max_bytes: usize }, #[error("type")] UnsupportedType, #[error("not found")] NotFound, #[error("io {0}")] Io(String) }
pub const DEFAULT_MAX_DOCUMENT_MIB: usize = 10;
pub struct DocumentStore { dir: PathBuf, max_bytes: usize }
impl DocumentStore {
    pub fn new(dir: PathBuf, max_bytes: usize) -> DocumentStore { DocumentStore { dir, max_bytes } }
    pub fn max_bytes(&self) -> usize { self.max_bytes }
    pub fn put(&self, bytes: &[u8]) -> Result<StoredFile, FileError> {
        if bytes.is_empty() { return Err(FileError::Empty) }
        if bytes.len() > self.max_bytes { return Err(FileError::TooLarge { max_bytes: self.max_bytes }) }
        let kind = if bytes.starts_with(b"%PDF-") { FileKind::Pdf } else if bytes.starts_with(&[0xFF,0xD8,0xFF]) { FileKind::Jpeg } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") { FileKind::Png } else { return Err(FileError::UnsupportedType) };
        let sha256 = crate::platform::sql::sha256_hex(bytes);
        std::fs::create_dir_all(&self.dir).map_err(|e| FileError::Io(e.to_string()))?;
        std::fs::write(self.dir.join(&sha256), bytes).map_err(|e| FileError::Io(e.to_string()))?;
        Ok(StoredFile { sha256, size: bytes.len() as u64, kind })
    }
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, FileError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) { return Err(FileError::NotFound) }
        std::fs::read(self.dir.join(sha256)).map_err(|_| FileError::NotFound)
    }
}
impl From<FileError> for crate::error::ServiceError {
    fn from(e: FileError) -> Self { crate::error::ServiceError::Internal(e.to_string()) }
}
