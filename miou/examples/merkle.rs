//! Hashes a directory tree the way git does: the result is the id `git write-tree`
//! gives for the same files.
//!
//! ```text
//! cargo run -p miou --example merkle -- path/to/dir
//! ```
//!
//! It runs on `MIOU_DOMAINS` worker domains when that is set to at least 1, else on one
//! fewer than the cores (and at least one). To see its schedule in Perfetto
//! (<https://ui.perfetto.dev>), on domain 0 and one worker:
//!
//! ```text
//! MIOU_DOMAINS=1 MIOU_TRACE=trace.json cargo run --release -p miou --example merkle -- miou/src
//! ```
//!
//! Sub-folders are hashed concurrently on the current domain with `spawn`; files are
//! read and hashed in parallel on the worker domains with `call` (CPU and file work,
//! which would otherwise hold up the domain's other tasks). A blob's id is
//! `sha1("blob <len>\0" + content)`; a tree's is `sha1("tree <len>\0" + entries)`, each
//! entry `"<mode> <name>\0"` followed by the 20 raw bytes of the entry's id, sorted by
//! name with folder names compared as if they ended in `/`. Empty folders are left out,
//! as git leaves them out.

use std::future::Future;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::pin::Pin;

use sha1::{Digest, Sha1};

/// A git object id.
pub type Id = [u8; 20];

/// The id of a blob with this content.
pub fn blob_id(content: &[u8]) -> Id {
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", content.len()));
    h.update(content);
    h.finalize().into()
}

struct Entry {
    mode: &'static str,
    name: Vec<u8>,
    id: Id,
}

impl Entry {
    /// git's order: by name, a folder's name compared as if it ended in `/`.
    fn sort_key(&self) -> Vec<u8> {
        let mut k = self.name.clone();
        if self.mode == "40000" {
            k.push(b'/');
        }
        k
    }
}

/// The tree id of the folder at `path`, or `None` if it holds no file (git omits it).
pub fn tree_id(
    path: PathBuf,
) -> Pin<Box<dyn Future<Output = io::Result<Option<Id>>>>> {
    Box::pin(async move {
        let mut folders = Vec::new();
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&path)? {
            let entry = entry?;
            let name = entry.file_name().into_encoded_bytes();
            if name == b".git" {
                continue;
            }
            let kind = entry.file_type()?;
            let p = entry.path();
            if kind.is_dir() {
                folders.push((name, miou::spawn(tree_id(p))));
            } else if kind.is_symlink() {
                let target = std::fs::read_link(&p)?
                    .into_os_string()
                    .into_encoded_bytes();
                files.push((
                    "120000",
                    name,
                    miou::call(move || async move { Ok(blob_id(&target)) }),
                ));
            } else {
                let executable =
                    entry.metadata()?.permissions().mode() & 0o111 != 0;
                let mode = if executable { "100755" } else { "100644" };
                files.push((
                    mode,
                    name,
                    miou::call(move || async move {
                        Ok(blob_id(&std::fs::read(&p)?))
                    }),
                ));
            }
        }
        let mut entries = Vec::new();
        // Every child is awaited, even after an error, so none is left behind.
        let mut first_error = None;
        for (mode, name, p) in files {
            match p.await.expect("hashing a file does not panic") {
                Ok(id) => entries.push(Entry { mode, name, id }),
                Err(e) => first_error = first_error.or(Some(e)),
            }
        }
        for (name, p) in folders {
            match p.await.expect("hashing a folder does not panic") {
                Ok(Some(id)) => entries.push(Entry {
                    mode: "40000",
                    name,
                    id,
                }),
                Ok(None) => {}
                Err(e) => first_error = first_error.or(Some(e)),
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        if entries.is_empty() {
            return Ok(None);
        }
        entries.sort_by_key(Entry::sort_key);
        let mut body = Vec::new();
        for e in &entries {
            body.extend_from_slice(e.mode.as_bytes());
            body.push(b' ');
            body.extend_from_slice(&e.name);
            body.push(0);
            body.extend_from_slice(&e.id);
        }
        let mut h = Sha1::new();
        h.update(format!("tree {}\0", body.len()));
        h.update(&body);
        Ok(Some(h.finalize().into()))
    })
}

/// The id as git prints it.
pub fn hex(id: &Id) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes `path` on a runtime with at least one worker domain (`call` needs one):
/// `MIOU_DOMAINS` of them if it says at least 1, else one fewer than the cores.
pub fn hash(path: PathBuf) -> io::Result<Option<Id>> {
    let workers = std::env::var("MIOU_DOMAINS")
        .ok()
        .and_then(|n| n.trim().parse::<usize>().ok())
        .filter(|&n| n >= 1)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1))
                .max(1)
        });
    miou::Builder::new().domains(workers).run(tree_id(path))
}

fn main() {
    let path =
        PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    match hash(path) {
        Ok(Some(id)) => println!("{}", hex(&id)),
        // git's id of the empty tree.
        Ok(None) => println!("4b825dc642cb6eb9a060e54bf8d69288fbee4904"),
        Err(e) => {
            eprintln!("merkle: {e}");
            std::process::exit(1);
        }
    }
}
