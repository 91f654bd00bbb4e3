//! Appending to a journal: each batch of lines is written whole and synced before it returns, so what a
//! participant is shown afterwards is already on disk.

use super::error::{JournalError, JournalErrorKind};
use super::record::{Header, Record};
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// An open journal, appended to in batches. It holds an exclusive lock on the file, so two `wom`s never
/// append to the same journal (the lock goes with the process, however it ends).
#[derive(Debug)]
pub struct JournalWriter {
    file: Flock<File>,
    path: PathBuf,
    /// Bytes in the file.
    len: u64,
    /// Test hook: the process kills itself with SIGKILL once the file reaches this many bytes.
    kill_at: Option<u64>,
}

impl JournalWriter {
    /// Creates a new journal at `path` and writes its header; refuses to touch an existing file.
    pub fn create(path: &Path, header: &Header) -> Result<JournalWriter, JournalError> {
        let file = OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                JournalError::new(path, JournalErrorKind::Exists)
            } else {
                JournalError::io(path, "create", &e)
            }
        })?;
        let file = lock(path, file)?;
        // The new name must survive a crash too, not only the bytes.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir).and_then(|d| d.sync_all()).map_err(|e| JournalError::io(path, "create", &e))?;
        }
        let mut writer = JournalWriter { file, path: path.to_path_buf(), len: 0, kill_at: kill_hook() };
        writer.append(&[Record::Header(header.clone())])?;
        Ok(writer)
    }

    /// Opens an existing journal to continue it, taking its lock first (before it is read), so a drill still
    /// running elsewhere on it is found out before anything is touched.
    pub fn open_existing(path: &Path) -> Result<JournalWriter, JournalError> {
        let file = OpenOptions::new().write(true).open(path).map_err(|e| JournalError::io(path, "open", &e))?;
        let file = lock(path, file)?;
        let len = file.metadata().map_err(|e| JournalError::io(path, "open", &e))?.len();
        Ok(JournalWriter { file, path: path.to_path_buf(), len, kill_at: kill_hook() })
    }

    /// Cuts the journal to its first `len` bytes (a torn last line beyond them goes) and appends after them.
    pub fn truncate(&mut self, len: u64) -> Result<(), JournalError> {
        let path = &self.path;
        self.file.set_len(len).map_err(|e| JournalError::io(path, "repair", &e))?;
        self.file.sync_all().map_err(|e| JournalError::io(path, "repair", &e))?;
        io::Seek::seek(&mut *self.file, io::SeekFrom::Start(len)).map_err(|e| JournalError::io(path, "open", &e))?;
        self.len = len;
        Ok(())
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends records, one JSON line each, in one write, and syncs them to disk.
    pub fn append(&mut self, records: &[Record]) -> Result<(), JournalError> {
        let mut buf = Vec::with_capacity(256 * records.len());
        for record in records {
            // Records are plain data (strings, numbers, JSON values): serializing them cannot fail.
            serde_json::to_writer(&mut buf, record).map_err(|e| JournalError::io(&self.path, "encode", &e.into()))?;
            buf.push(b'\n');
        }
        if let Some(at) = self.kill_at
            && self.len + buf.len() as u64 >= at
        {
            self.die_at(at, &buf);
        }
        self.file.write_all(&buf).map_err(|e| JournalError::io(&self.path, "write", &e))?;
        self.file.sync_data().map_err(|e| JournalError::io(&self.path, "sync", &e))?;
        self.len += buf.len() as u64;
        Ok(())
    }

    /// The kill hook: writes what fits before byte `at`, syncs it, and dies as if killed mid-write.
    fn die_at(&mut self, at: u64, buf: &[u8]) -> ! {
        let keep = at.saturating_sub(self.len).min(buf.len() as u64) as usize;
        let _ = self.file.write_all(&buf[..keep]);
        let _ = self.file.sync_data();
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
        std::process::abort()
    }
}

/// Takes the journal's exclusive lock, or says who holds it.
fn lock(path: &Path, file: File) -> Result<Flock<File>, JournalError> {
    Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| {
        if errno == nix::errno::Errno::EWOULDBLOCK {
            JournalError::new(path, JournalErrorKind::Busy)
        } else {
            JournalError::io(path, "lock", &io::Error::from(errno))
        }
    })
}

/// `WOM_JOURNAL_KILL_AT=<bytes>`: a test hook that SIGKILLs the process when its journal reaches that size,
/// so a test can kill it at an exact point, mid-line included.
fn kill_hook() -> Option<u64> {
    std::env::var("WOM_JOURNAL_KILL_AT").ok().and_then(|v| v.parse().ok())
}

/// `<dir>/<scenario>-<seed>-<time>.journal.jsonl` for a drill started at wall time `started` (RFC 3339),
/// with `-2`, `-3`… added if that name is taken.
pub fn default_path(dir: &Path, scenario: &str, seed: u64, started: &str) -> PathBuf {
    let stamp: String = started
        .chars()
        .take_while(|c| *c != '.')
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .trim_end_matches('Z')
        .to_string();
    let stem = format!("{scenario}-{seed}-{stamp}Z");
    let mut n = 1;
    loop {
        let name = if n == 1 { format!("{stem}.journal.jsonl") } else { format!("{stem}-{n}.journal.jsonl") };
        let candidate = dir.join(name);
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_is_stamped_and_never_reuses_a_name() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = default_path(dir.path(), "signup-outage", 42, "2026-11-25T18:32:07.123Z");
        assert_eq!(first.file_name().and_then(|n| n.to_str()), Some("signup-outage-42-20261125T183207Z.journal.jsonl"));
        std::fs::write(&first, "").expect("write");
        let second = default_path(dir.path(), "signup-outage", 42, "2026-11-25T18:32:07.123Z");
        assert!(second.to_string_lossy().ends_with("-2.journal.jsonl"), "{second:?}");
    }
}
