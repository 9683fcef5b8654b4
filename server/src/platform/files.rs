//! Uploaded documents (a partner's Kbis or statuts, RIB, insurance
//! certificate): PDF, JPEG or PNG, recognised from their content, stored
//! outside the database under the SHA-256 of their bytes
//! (`DIR/ab/abcdef…`, 0600), written atomically, each content once.
//! The table that says whose document it is lives with its domain.

use sha2::Digest;
use std::io::Write;
use std::path::Path;
use std::path::PathBuf;

/// The largest document by default, in MiB (`--max-document-mib`).
pub const DEFAULT_MAX_DOCUMENT_MIB: usize = 10;

/// How far from the end a PDF's `%%EOF` may be.
const PDF_EOF_WINDOW: usize = 1024;
/// Padding (zeros, white space) allowed after a JPEG's end marker.
const JPEG_MAX_PADDING: usize = 16;
const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
const PNG_IEND: &[u8; 12] = b"\0\0\0\0IEND\xaeB`\x82";

/// A document type that is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// PDF (`%PDF-1.x` or `%PDF-2.x`).
    Pdf,
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
}

impl FileKind {
    /// The MIME type to serve it with.
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
        }
    }

    /// The usual file name extension (for a download's name).
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
        }
    }
}

/// Why a document was refused or could not be read. Mapped to the public
/// problem in `crate::error` (413, 415, 422, 404, 500).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// No bytes.
    #[error("empty document")]
    Empty,
    /// Larger than the store's bound.
    #[error("document larger than {max_bytes} bytes")]
    TooLarge {
        /// The bound, in bytes.
        max_bytes: usize,
    },
    /// Not a PDF, JPEG or PNG (judged from the content, never the name).
    #[error("unsupported document type")]
    UnsupportedType,
    /// No document under that name (or not a valid name).
    #[error("document not found")]
    NotFound,
    /// The disk failed, or a stored file no longer matches its name.
    #[error("document storage: {0}")]
    Io(String),
}

impl From<std::io::Error> for FileError {
    fn from(e: std::io::Error) -> FileError {
        FileError::Io(e.to_string())
    }
}

/// The type of a document from its bytes: a PDF starts with `%PDF-1.` or
/// `%PDF-2.` and has `%%EOF` in its last 1024 bytes; a JPEG starts with
/// `FF D8 FF` and ends with `FF D9` (up to 16 bytes of zeros or white space
/// after it); a PNG has its 8-byte signature, then an `IHDR` chunk of 13
/// bytes, and ends with its `IEND` chunk. Anything else is refused, so is a
/// truncated upload.
pub fn sniff(bytes: &[u8]) -> Result<FileKind, FileError> {
    if bytes.starts_with(b"%PDF-1.") || bytes.starts_with(b"%PDF-2.") {
        let tail = &bytes[bytes.len().saturating_sub(PDF_EOF_WINDOW)..];
        if tail.windows(5).any(|w| w == b"%%EOF") {
            return Ok(FileKind::Pdf);
        }
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let mut end = bytes.len();
        while end > bytes.len().saturating_sub(JPEG_MAX_PADDING)
            && matches!(bytes[end - 1], 0 | b' ' | b'\t' | b'\r' | b'\n')
        {
            end -= 1;
        }
        // The end marker after the start marker, not overlapping it.
        if end >= 5 && bytes[..end].ends_with(&[0xFF, 0xD9]) {
            return Ok(FileKind::Jpeg);
        }
    } else if bytes.starts_with(PNG_SIGNATURE) {
        let ihdr = bytes.get(8..16);
        let long_enough = bytes.len() >= 8 + 25 + PNG_IEND.len();
        if ihdr == Some(b"\0\0\0\x0dIHDR") && long_enough && bytes.ends_with(PNG_IEND) {
            return Ok(FileKind::Png);
        }
    }
    Err(FileError::UnsupportedType)
}

/// A stored document: its name (the SHA-256 of its bytes, lowercase hex),
/// its size and its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// SHA-256 of the content, 64 lowercase hex digits: the document's name.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Type, from the content.
    pub kind: FileKind,
}

/// Documents in a directory, named by the SHA-256 of their content.
#[derive(Debug, Clone)]
pub struct DocumentStore {
    dir: PathBuf,
    max_bytes: usize,
}

impl DocumentStore {
    /// A store in `dir` (created 0700 when first written) accepting
    /// documents of 1 to `max_bytes` bytes (`--max-document-mib` × 1 MiB).
    pub fn new(dir: PathBuf, max_bytes: usize) -> DocumentStore {
        DocumentStore { dir, max_bytes }
    }

    /// The largest document accepted, in bytes.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Checks and stores a document: its size, its type from its content,
    /// then `DIR/ab/<sha256>` written to a temporary file in the same
    /// directory, synced and renamed (a crash leaves the old state or the
    /// whole file, never a part of it), 0600. The same content again is the
    /// same name and is not written twice.
    pub fn put(&self, bytes: &[u8]) -> Result<StoredFile, FileError> {
        if bytes.is_empty() {
            return Err(FileError::Empty);
        }
        if bytes.len() > self.max_bytes {
            return Err(FileError::TooLarge {
                max_bytes: self.max_bytes,
            });
        }
        let kind = sniff(bytes)?;
        let sha256 = sha256_hex(bytes);
        let stored = StoredFile {
            size: bytes.len() as u64,
            kind,
            sha256,
        };
        let path = self.path_of(&stored.sha256)?;
        if path.is_file() {
            return Ok(stored);
        }
        let sub = path
            .parent()
            .ok_or_else(|| FileError::Io("no parent directory".into()))?;
        create_private_dirs(sub)?;
        let tmp = sub.join(format!(".{}.{}.tmp", stored.sha256, uuid::Uuid::new_v4()));
        let written = write_synced(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
        // The rename itself is durable once its directory is synced.
        #[cfg(unix)]
        std::fs::File::open(sub)?.sync_all()?;
        Ok(stored)
    }

    /// The bytes of the document named `sha256` (64 lowercase hex digits;
    /// any other name, such as `../x`, is [`FileError::NotFound`] and
    /// touches no file). A stored file whose content no longer has that
    /// hash is an error, never served.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, FileError> {
        let path = self.path_of(sha256)?;
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(FileError::NotFound),
            Err(e) => return Err(e.into()),
        };
        if sha256_hex(&bytes) != sha256 {
            return Err(FileError::Io(
                "stored document does not match its hash".into(),
            ));
        }
        Ok(bytes)
    }

    /// `DIR/ab/abcdef…` for a valid name only.
    fn path_of(&self, sha256: &str) -> Result<PathBuf, FileError> {
        let valid = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !valid {
            return Err(FileError::NotFound);
        }
        Ok(self.dir.join(&sha256[..2]).join(sha256))
    }
}

/// Creates `dir` and its missing parents, 0700 (existing ones are kept).
/// A leaf of its own rather than `platform::private_dir`: `crate::error`
/// names [`FileError`], and `platform` names `crate::error`.
fn create_private_dirs(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Writes a new file (0600, refusing to follow an existing one) and syncs it.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let digest = sha2::Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pdf() -> Vec<u8> {
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
            .to_vec()
    }

    fn jpeg() -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        b.extend_from_slice(&[0xFF, 0xD9]);
        b
    }

    fn png() -> Vec<u8> {
        let mut b = PNG_SIGNATURE.to_vec();
        b.extend_from_slice(b"\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde");
        b.extend_from_slice(
            b"\0\0\0\x0cIDAT\x08\xd7c\xf8\xcf\xc0\0\0\x03\x01\x01\0\x18\xdd\x8d\xb0",
        );
        b.extend_from_slice(PNG_IEND);
        b
    }

    fn store(max: usize) -> (tempfile::TempDir, DocumentStore) {
        let tmp = tempfile::tempdir().unwrap();
        let s = DocumentStore::new(tmp.path().join("documents"), max);
        (tmp, s)
    }

    #[test]
    fn the_three_types_are_recognised_from_their_content() {
        assert_eq!(sniff(&pdf()), Ok(FileKind::Pdf));
        let mut pdf2 = pdf();
        pdf2[5] = b'2';
        assert_eq!(sniff(&pdf2), Ok(FileKind::Pdf));
        assert_eq!(sniff(&jpeg()), Ok(FileKind::Jpeg));
        assert_eq!(sniff(&png()), Ok(FileKind::Png));
        // A little padding after a JPEG's end marker is common.
        let mut padded = jpeg();
        padded.extend_from_slice(b"\0\0\r\n  ");
        assert_eq!(sniff(&padded), Ok(FileKind::Jpeg));
        assert_eq!(FileKind::Pdf.content_type(), "application/pdf");
        assert_eq!(FileKind::Jpeg.content_type(), "image/jpeg");
        assert_eq!(FileKind::Png.content_type(), "image/png");
        assert_eq!(
            [FileKind::Pdf, FileKind::Jpeg, FileKind::Png].map(FileKind::extension),
            ["pdf", "jpg", "png"]
        );
    }

    #[test]
    fn executables_pages_archives_and_truncated_files_are_refused() {
        let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
        elf.extend_from_slice(&pdf());
        let refused: Vec<(&str, Vec<u8>)> = vec![
            ("ELF", elf),
            ("PE", b"MZ\x90\0\x03\0\0\0%PDF-1.4 %%EOF".to_vec()),
            ("HTML", b"<!DOCTYPE html><script>alert(1)</script>".to_vec()),
            ("ZIP", b"PK\x03\x04\x14\0\0\0%PDF-1.4 %%EOF".to_vec()),
            ("empty", Vec::new()),
            // A PDF without its end (a truncated upload), or with %%EOF too far from the end.
            ("no %%EOF", pdf()[..40].to_vec()),
            ("early %%EOF", [pdf(), vec![b' '; PDF_EOF_WINDOW]].concat()),
            ("%PDF-3.", b"%PDF-3.0\n%%EOF".to_vec()),
            ("truncated JPEG", jpeg()[..10].to_vec()),
            ("JPEG with a tail", [jpeg(), b"<?php ?>".to_vec()].concat()),
            (
                "JPEG with long padding",
                [jpeg(), vec![0; JPEG_MAX_PADDING + 1]].concat(),
            ),
            ("start marker only", vec![0xFF, 0xD8, 0xFF, 0xD9]),
            (
                "PNG without IHDR",
                [PNG_SIGNATURE.to_vec(), png()[16..].to_vec()].concat(),
            ),
            ("truncated PNG", png()[..40].to_vec()),
            ("PNG signature only", PNG_SIGNATURE.to_vec()),
        ];
        for (name, bytes) in refused {
            assert_eq!(sniff(&bytes), Err(FileError::UnsupportedType), "{name}");
        }
        // The %%EOF may sit anywhere in the last 1024 bytes.
        let late = [pdf(), vec![b' '; PDF_EOF_WINDOW - 6]].concat();
        assert_eq!(sniff(&late), Ok(FileKind::Pdf));
    }

    #[test]
    fn the_size_bound_holds_at_exactly_max_and_max_plus_one() {
        let (_tmp, s) = store(jpeg().len());
        assert_eq!(s.put(&jpeg()).unwrap().size, jpeg().len() as u64);
        let mut bigger = jpeg();
        bigger.push(0);
        assert_eq!(
            s.put(&bigger),
            Err(FileError::TooLarge {
                max_bytes: jpeg().len()
            })
        );
        assert_eq!(s.put(&[]), Err(FileError::Empty));
        // An executable is refused by content, whatever it would be named.
        assert_eq!(
            s.put(b"\x7fELF\x02\x01\x01"),
            Err(FileError::UnsupportedType)
        );
    }

    #[test]
    fn a_document_is_stored_under_its_hash_once_private_and_read_back() {
        let (tmp, s) = store(1024 * 1024);
        let first = s.put(&pdf()).unwrap();
        assert_eq!(first.kind, FileKind::Pdf);
        assert_eq!(first.sha256.len(), 64);
        let path = tmp
            .path()
            .join("documents")
            .join(&first.sha256[..2])
            .join(&first.sha256);
        assert_eq!(std::fs::read(&path).unwrap(), pdf());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            for dir in [path.parent().unwrap(), &tmp.path().join("documents")] {
                let mode = std::fs::metadata(dir).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o700, "{}", dir.display());
            }
        }
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        // The same bytes again: the same name, one file, not rewritten.
        let again = s.put(&pdf()).unwrap();
        assert_eq!(again, first);
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            modified
        );
        let files: Vec<_> = walk(&tmp.path().join("documents"));
        assert_eq!(files, vec![path.clone()], "no temporary file is left");
        assert_eq!(s.get(&first.sha256).unwrap(), pdf());
        // Another content, another name.
        let other = s.put(&png()).unwrap();
        assert_ne!(other.sha256, first.sha256);
        assert_eq!(s.get(&other.sha256).unwrap(), png());
        // A stored file changed on disk is not served as the document.
        std::fs::write(&path, b"%PDF-1.4 altered %%EOF").unwrap();
        assert!(matches!(s.get(&first.sha256), Err(FileError::Io(_))));
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn names_other_than_a_hash_are_not_found_and_reach_no_file() {
        let (tmp, s) = store(1024);
        // A file beside the store that a traversal would reach.
        std::fs::write(tmp.path().join("secret"), b"%PDF-1.4 %%EOF").unwrap();
        let hash = sha256_hex(b"%PDF-1.4 %%EOF");
        for name in [
            "../secret",
            "../x",
            "..",
            "",
            "/etc/passwd",
            &format!("../{}", &hash[3..]),
            &hash.to_uppercase(),
            &format!("{hash}0"),
            &hash[..63],
            &format!("{}/{}", &hash[..2], &hash[3..]),
        ] {
            assert_eq!(s.get(name), Err(FileError::NotFound), "{name}");
        }
        // A valid name that was never stored.
        assert_eq!(s.get(&hash), Err(FileError::NotFound));
    }

    #[test]
    fn the_public_problems_of_each_refusal() {
        use crate::error::ServiceError;
        use crate::web::problem::ApiError;
        let problem = |e: FileError| {
            let p = ApiError::from(ServiceError::from(e));
            (p.status, p.code, p.message)
        };
        assert_eq!(
            problem(FileError::TooLarge {
                max_bytes: 10 * 1024 * 1024
            }),
            (
                413,
                "fichier_trop_volumineux",
                "Le fichier dépasse la taille maximale de 10 Mo.".to_owned()
            )
        );
        assert_eq!(
            problem(FileError::UnsupportedType),
            (
                415,
                "type_de_fichier_refuse",
                "Seuls les fichiers PDF, JPEG et PNG sont acceptés.".to_owned()
            )
        );
        assert_eq!(problem(FileError::Empty).0, 422);
        assert_eq!(problem(FileError::Empty).1, "fichier_vide");
        assert_eq!(problem(FileError::NotFound).0, 404);
        assert_eq!(problem(FileError::Io("disk".into())).0, 500);
    }

    proptest! {
        #[test]
        fn bytes_without_an_accepted_signature_are_always_refused(
            bytes in proptest::collection::vec(any::<u8>(), 0..2048),
            end in 0usize..4,
        ) {
            prop_assume!(!bytes.starts_with(b"%PDF-1.")
                && !bytes.starts_with(b"%PDF-2.")
                && !bytes.starts_with(&[0xFF, 0xD8, 0xFF])
                && !bytes.starts_with(PNG_SIGNATURE));
            // Even with the end of an accepted type: the start decides.
            let ends: [&[u8]; 4] = [b"", b"\n%%EOF\n", &[0xFF, 0xD9], PNG_IEND];
            let bytes = [&bytes[..], ends[end]].concat();
            prop_assert_eq!(sniff(&bytes), Err(FileError::UnsupportedType));
        }
    }
}
