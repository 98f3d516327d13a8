//! Pictures waiting in the outbox. A picture the agent sends is written here (durably: file
//! synced, then renamed into place, then the folder synced) before its outbox item exists, and
//! the item's content names it with a `local:` reference until the upload replaces it with the
//! platform's picture reference. The file is removed once the message is sent.
//!
//! The folder is `attachments/` beside the SQLite file, so a cache copied or backed up as a
//! folder keeps its unsent pictures.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use imdesk_store::OutboxItem;
use meituan_api::image::ImageFormat;

/// Prefix of an outbox content that names a staged picture.
const LOCAL_PREFIX: &str = "local:";

/// Why a picture could not be staged or read back.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    /// The folder or file could not be written or read.
    #[error("attachment {name}: {source}")]
    Io {
        /// The file name (never its content).
        name: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The reference is not a plain file name of this folder.
    #[error("attachment reference {0:?} is not a staged picture")]
    BadReference(String),
}

/// The staging folder.
#[derive(Debug, Clone)]
pub struct Attachments {
    dir: PathBuf,
    /// Makes names unique within a run (the caller's key carries the time).
    seq: Arc<AtomicU64>,
}

/// The `local:` reference of a staged file name.
pub fn local_reference(name: &str) -> String {
    format!("{LOCAL_PREFIX}{name}")
}

/// The staged file name an outbox content refers to, when it is a `local:` reference.
pub fn staged_name(content: &str) -> Option<&str> {
    content.strip_prefix(LOCAL_PREFIX)
}

/// The staged picture of an unsent outbox item: only image items (`msg_type` 2) have one, so
/// a text that happens to start with `local:` stays text.
pub fn staged_picture(item: &OutboxItem) -> Option<&str> {
    (item.msg_type == 2)
        .then(|| staged_name(&item.text))
        .flatten()
}

/// A name is one path component of ASCII letters, digits, `-`, `_` and one `.`.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 80
        && name.bytes().filter(|b| *b == b'.').count() == 1
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl Attachments {
    /// The folder beside the cache file `db_path`.
    pub fn beside(db_path: &Path) -> Self {
        let parent = db_path.parent().unwrap_or(Path::new("."));
        Self {
            dir: parent.join("attachments"),
            seq: Arc::new(AtomicU64::new(0)),
        }
    }

    fn path(&self, name: &str) -> Result<PathBuf, AttachmentError> {
        if plain(name) {
            Ok(self.dir.join(name))
        } else {
            Err(AttachmentError::BadReference(name.to_owned()))
        }
    }

    /// Writes `bytes` as `<key>-<n>.<ext>` (never over an existing file) and returns the file
    /// name once it is durable.
    pub fn stage(
        &self,
        key: &str,
        format: ImageFormat,
        bytes: &[u8],
    ) -> Result<String, AttachmentError> {
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let name = format!("{key}-{n}.{}", format.extension());
        let path = self.path(&name)?;
        let io = |source| AttachmentError::Io {
            name: name.clone(),
            source,
        };
        fs::create_dir_all(&self.dir).map_err(io)?;
        let tmp = self.dir.join(format!(".{name}.tmp"));
        {
            let mut f = File::options()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(io)?;
            f.write_all(bytes).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        // A hard link fails where a rename would replace: an existing picture is never lost.
        let placed = fs::hard_link(&tmp, &path);
        let _ = fs::remove_file(&tmp);
        placed.map_err(io)?;
        sync_dir(&self.dir).map_err(io)?;
        Ok(name)
    }

    /// Removes every file in the folder that `keep` does not name (pictures whose message was
    /// sent before a crash could remove them, half-written temporary files). Returns how many.
    pub fn remove_all_but(&self, keep: &std::collections::BTreeSet<String>) -> usize {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if keep.contains(&name) {
                continue;
            }
            match fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) => tracing::warn!(attachment = name, "cannot remove a stale picture: {e}"),
            }
        }
        removed
    }

    /// The bytes of a staged file.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, AttachmentError> {
        let path = self.path(name)?;
        fs::read(path).map_err(|source| AttachmentError::Io {
            name: name.to_owned(),
            source,
        })
    }

    /// Removes a staged file (after its message was sent); a missing file is fine.
    pub fn remove(&self, name: &str) {
        if let Ok(path) = self.path(name) {
            if let Err(e) = fs::remove_file(path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(attachment = name, "cannot remove a sent picture: {e}");
                }
            }
        }
    }
}

/// Makes a rename durable (POSIX: sync the folder; Windows has no folder handle to sync).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_pictures_round_trip_and_references_stay_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let a = Attachments::beside(&dir.path().join("desk.sqlite3"));
        let name = a
            .stage("1700000000000", ImageFormat::Png, b"\x89PNG\r\n\x1a\nxx")
            .unwrap();
        assert_eq!(name, "1700000000000-0.png");
        // The same key at the same moment is a different file, not a replacement.
        let second = a
            .stage("1700000000000", ImageFormat::Png, b"second")
            .unwrap();
        assert_ne!(second, name);
        assert_eq!(a.read(&second).unwrap(), b"second");
        a.remove(&second);
        assert!(dir.path().join("attachments").join(&name).is_file());
        let reference = local_reference(&name);
        assert_eq!(staged_name(&reference), Some(name.as_str()));
        assert_eq!(staged_name("https://img/x.png"), None);
        assert_eq!(a.read(&name).unwrap(), b"\x89PNG\r\n\x1a\nxx");
        a.remove(&name);
        a.remove(&name); // twice is fine
        assert!(matches!(a.read(&name), Err(AttachmentError::Io { .. })));
        // Only what is still referenced survives a clean-up.
        let kept = a.stage("k", ImageFormat::Jpeg, b"keep").unwrap();
        let stale = a.stage("s", ImageFormat::Jpeg, b"stale").unwrap();
        std::fs::write(dir.path().join("attachments/.x.tmp"), b"half").unwrap();
        let keep = std::collections::BTreeSet::from([kept.clone()]);
        assert_eq!(a.remove_all_but(&keep), 2);
        assert!(a.read(&kept).is_ok() && a.read(&stale).is_err());
        for bad in ["../desk.sqlite3", "a/b.png", "", "x", ".."] {
            assert!(
                matches!(a.read(bad), Err(AttachmentError::BadReference(_))),
                "{bad:?}"
            );
        }
    }
}
