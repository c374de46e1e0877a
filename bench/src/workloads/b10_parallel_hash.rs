//! B10 parallel_hash: the git tree id of a generated folder tree (blob and tree objects,
//! SHA-1, as `git write-tree` computes them; a blob's id is `miou/examples/merkle.rs`'s
//! own `blob_id`), with the files read and hashed in parallel.
//!
//! - sequential: one thread walks the tree and hashes every file, no runtime.
//! - miou: `Builder::new().domains(w)`; folders are tasks on domain 0 (`spawn`), each
//!   file is read and hashed on a worker domain (`call`), as the merkle example does.
//! - tokio-mt: `multi_thread` with `w` workers; folders are tasks (`tokio::spawn`),
//!   each file is read and hashed with `spawn_blocking`, whose pool is capped at `w`
//!   threads so that both runtimes hash on `w` threads.
//! - floor: plain threads, no runtime: one thread lists the tree, then `w` scoped threads
//!   hash the files, each taking the next from a shared counter. Its speed-up is what
//!   this machine gives `w` threads at the time of the run (on a shared machine, less
//!   than `w` when other work holds the cores), the ceiling for miou's.
//!
//! The tree is generated once per process in a temporary folder (seeded: the same
//! files every time) and removed at exit; its files stay in the page cache, so this
//! measures hashing and system calls, not the disk. Every run checks the root id
//! against the sequential one.
//!
//! Two cases: `w` = `available_parallelism() - 1` (miou's default domain count, domain 0
//! being the caller) and `w` = `available_parallelism()` (a hashing worker per core;
//! domain 0 only walks folders and waits). The gate: speed-up over sequential >= 0.8 x w.

use std::fs;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use sha1::{Digest, Sha1};

use super::{Case, Config, Metric, Run, Target, Unit};
use crate::runtimes::{self, Runtime};

/// The merkle example, for its git ids: `Id` and `blob_id` are the example's own,
/// the same file.
#[allow(dead_code)]
#[path = "../../../miou/examples/merkle.rs"]
#[rustfmt::skip] // formatted as an example (examples/rustfmt.toml)
mod merkle;
pub use merkle::{Id, blob_id};

/// Reads and hashes one file.
fn file_id(path: &Path) -> io::Result<Id> {
    Ok(blob_id(&fs::read(path)?))
}

/// One entry of a tree object.
struct Entry {
    folder: bool,
    name: Vec<u8>,
    id: Id,
}

/// The id of a tree with these entries (`None` if empty: git leaves empty folders out).
/// The generated files are all `100644` (no executables, no links).
fn tree_of(mut entries: Vec<Entry>) -> Option<Id> {
    if entries.is_empty() {
        return None;
    }
    // git's order: by name, a folder's name compared as if it ended in `/`.
    let key = |e: &Entry| {
        let mut k = e.name.clone();
        if e.folder {
            k.push(b'/');
        }
        k
    };
    entries.sort_by_cached_key(key);
    let mut body = Vec::new();
    for e in &entries {
        body.extend_from_slice(if e.folder { b"40000 " } else { b"100644 " });
        body.extend_from_slice(&e.name);
        body.push(0);
        body.extend_from_slice(&e.id);
    }
    let mut h = Sha1::new();
    h.update(format!("tree {}\0", body.len()));
    h.update(&body);
    Some(h.finalize().into())
}

/// Named paths: an entry's name (as git stores it) and where it is.
type Named = Vec<(Vec<u8>, PathBuf)>;

/// A folder's files and sub-folders.
fn list(path: &Path) -> io::Result<(Named, Named)> {
    let (mut files, mut folders) = (Vec::new(), Vec::new());
    for entry in fs::read_dir(path)? {
        let entry = entry?;
        let name = entry.file_name().into_encoded_bytes();
        if entry.file_type()?.is_dir() {
            folders.push((name, entry.path()));
        } else {
            files.push((name, entry.path()));
        }
    }
    Ok((files, folders))
}

/// The tree id, on this thread.
pub fn sequential(path: &Path) -> io::Result<Option<Id>> {
    let (files, folders) = list(path)?;
    let mut entries = Vec::with_capacity(files.len() + folders.len());
    for (name, p) in files {
        entries.push(Entry {
            folder: false,
            name,
            id: file_id(&p)?,
        });
    }
    for (name, p) in folders {
        if let Some(id) = sequential(&p)? {
            entries.push(Entry {
                folder: true,
                name,
                id,
            });
        }
    }
    Ok(tree_of(entries))
}

/// A folder as [`threads`] lists it: its files as indices into the flat list of every
/// file, and its sub-folders.
struct Listed {
    files: Vec<(Vec<u8>, usize)>,
    folders: Vec<(Vec<u8>, Listed)>,
}

/// Lists the folder at `path`, appending its files to `all`.
fn walk(path: &Path, all: &mut Vec<PathBuf>) -> io::Result<Listed> {
    let (files, folders) = list(path)?;
    let files = files
        .into_iter()
        .map(|(name, p)| {
            all.push(p);
            (name, all.len() - 1)
        })
        .collect();
    let folders = folders
        .into_iter()
        .map(|(name, p)| Ok((name, walk(&p, all)?)))
        .collect::<io::Result<_>>()?;
    Ok(Listed { files, folders })
}

/// The tree id from the listing and every file's id.
fn assemble(listed: &Listed, ids: &[Id]) -> Option<Id> {
    let mut entries = Vec::new();
    for (name, i) in &listed.files {
        entries.push(Entry {
            folder: false,
            name: name.clone(),
            id: ids[*i],
        });
    }
    for (name, sub) in &listed.folders {
        if let Some(id) = assemble(sub, ids) {
            entries.push(Entry {
                folder: true,
                name: name.clone(),
                id,
            });
        }
    }
    tree_of(entries)
}

/// The tree id with plain threads, the floor: this thread lists the whole tree, then
/// `w` scoped threads hash the files, taking the next one from a shared counter; no
/// runtime, no tasks, one atomic increment per file.
pub fn threads(path: &Path, w: usize) -> io::Result<Option<Id>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut all = Vec::new();
    let listed = walk(path, &mut all)?;
    let next = AtomicUsize::new(0);
    let mut ids = vec![[0u8; 20]; all.len()];
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..w)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(p) = all.get(i) else {
                            return Ok(mine);
                        };
                        mine.push((i, file_id(p)?));
                    }
                })
            })
            .collect();
        for h in workers {
            let mine: io::Result<Vec<(usize, Id)>> = h.join().expect("a hashing thread panicked");
            for (i, id) in mine? {
                ids[i] = id;
            }
        }
        Ok::<(), io::Error>(())
    })?;
    Ok(assemble(&listed, &ids))
}

/// One tree function per runtime, with the same body: the folder's files are hashed by
/// `$hash` (a closure of the path, returning a join handle), its sub-folders are
/// spawned with `$spawn`.
macro_rules! tree {
    ($name:ident, $spawn:path, $hash:expr $(, $bound:ident)?) => {
        fn $name(
            path: PathBuf,
        ) -> Pin<Box<dyn Future<Output = io::Result<Option<Id>>> $(+ $bound)?>> {
            Box::pin(async move {
                let (files, folders) = list(&path)?;
                let files: Vec<_> = files
                    .into_iter()
                    .map(|(name, p)| (name, $hash(p)))
                    .collect();
                let folders: Vec<_> = folders
                    .into_iter()
                    .map(|(name, p)| (name, $spawn($name(p))))
                    .collect();
                // Every child is awaited, even after an error, so that none is left
                // behind.
                let mut entries = Vec::new();
                let mut error = None;
                for (name, h) in files {
                    match h.await.expect("hashing a file does not panic") {
                        Ok(id) => entries.push(Entry {
                            folder: false,
                            name,
                            id,
                        }),
                        Err(e) => error = error.or(Some(e)),
                    }
                }
                for (name, h) in folders {
                    match h.await.expect("hashing a folder does not panic") {
                        Ok(Some(id)) => entries.push(Entry {
                            folder: true,
                            name,
                            id,
                        }),
                        Ok(None) => {}
                        Err(e) => error = error.or(Some(e)),
                    }
                }
                match error {
                    Some(e) => Err(e),
                    None => Ok(tree_of(entries)),
                }
            })
        }
    };
}

// miou: folders spawned on this domain, files called onto workers.
tree!(tree_miou, miou::spawn, |p: PathBuf| miou::call(
    move || async move { file_id(&p) }
));

// tokio: folders spawned, files on the blocking pool; tokio's spawn needs `Send`.
tree!(
    tree_tokio,
    tokio::spawn,
    |p: PathBuf| tokio::task::spawn_blocking(move || file_id(&p)),
    Send
);

/// The shape of the generated tree.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Folder levels below the top one.
    pub depth: u32,
    /// Sub-folders per folder (above the last level).
    pub folders: usize,
    /// Files per folder.
    pub files: usize,
    /// File sizes are spread log-uniformly over `[2^min_bits, 2^max_bits)`.
    pub min_bits: u32,
    pub max_bits: u32,
    pub seed: u64,
}

/// The generated tree, removed when dropped.
pub struct Generated {
    pub root: PathBuf,
    pub files: usize,
    pub bytes: u64,
    /// The sequential tree id, as the first 8 bytes in a `u64` (what `timed` checks).
    pub expected: u64,
}

impl Drop for Generated {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// A small seeded generator (splitmix64): the same tree in every process.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Writes the tree under a fresh temporary folder.
pub fn generate(shape: Shape) -> io::Result<Generated> {
    let root = std::env::temp_dir().join(format!(
        "miou-bench-b10-{}-{}",
        std::process::id(),
        shape.depth
    ));
    let _ = fs::remove_dir_all(&root);
    let mut rng = Rng(shape.seed);
    let mut g = Generated {
        root,
        files: 0,
        bytes: 0,
        expected: 0,
    };
    fn fill(
        dir: &Path,
        level: u32,
        shape: Shape,
        rng: &mut Rng,
        g: &mut Generated,
    ) -> io::Result<()> {
        fs::create_dir_all(dir)?;
        let spread = u64::from(shape.max_bits - shape.min_bits).max(1);
        for i in 0..shape.files {
            let bits = shape.min_bits + (rng.next() % spread) as u32;
            let size = (1usize << bits) + rng.next() as usize % (1usize << bits);
            let mut content = vec![0u8; size];
            for chunk in content.chunks_mut(8) {
                let v = rng.next().to_le_bytes();
                chunk.copy_from_slice(&v[..chunk.len()]);
            }
            fs::write(dir.join(format!("file-{i:03}.dat")), &content)?;
            g.files += 1;
            g.bytes += size as u64;
        }
        if level < shape.depth {
            for i in 0..shape.folders {
                fill(&dir.join(format!("dir-{i:02}")), level + 1, shape, rng, g)?;
            }
        }
        Ok(())
    }
    fill(&g.root.clone(), 0, shape, &mut rng, &mut g)?;
    let id = sequential(&g.root)?.expect("the generated tree has files");
    g.expected = u64::from_le_bytes(id[..8].try_into().expect("8 bytes"));
    Ok(g)
}

/// The B10 cases: `w` = cores - 1 and `w` = cores (one case if they are equal).
pub fn cases(cfg: &Config) -> Vec<Case> {
    // Files of 512 bytes to 64 KiB, 14 KiB on average (a source tree's files, give or
    // take): the hashing of one file outweighs what handing it to a worker costs, as
    // it does for a real tree.
    let shape = if cfg.quick {
        Shape {
            depth: 2,
            folders: 3,
            files: 4,
            min_bits: 9,
            max_bits: 16,
            seed: 10,
        }
    } else {
        // 1 + 4 + 16 + 64 = 85 folders of 8 files: 680 files, about 9 MB (the bench
        // prints the exact size when it generates the tree).
        Shape {
            depth: 3,
            folders: 4,
            files: 8,
            min_bits: 9,
            max_bits: 16,
            seed: 10,
        }
    };
    // Generated at the first run that needs it, removed when the cases are dropped.
    let tree: Arc<OnceLock<Generated>> = Arc::new(OnceLock::new());
    let quanta = cfg.quanta;
    let mut counts = vec![runtimes::workers(), runtimes::cores()];
    counts.dedup();
    counts
        .into_iter()
        .map(|w| {
            let tree = tree.clone();
            Case {
                id: format!("B10/w={w}"),
                workload: "B10",
                name: "parallel_hash",
                title: format!(
                    "B10 parallel_hash {} folders x {} files, {w} worker{}",
                    (0..=shape.depth)
                        .map(|d| shape.folders.pow(d))
                        .sum::<usize>(),
                    shape.files,
                    if w == 1 { "" } else { "s" }
                ),
                runtimes: runtimes::PARALLEL,
                check: None,
                metrics: vec![Metric {
                    unit: Unit::Seconds,
                    gate: vec![Target::SpeedUp {
                        workers: w,
                        factor: 0.8,
                    }],
                    goal: vec![Target::SpeedUp {
                        workers: w,
                        factor: 0.95,
                    }],
                }],
                run: Run::Time(Box::new(move |rt, iters| {
                    let g = tree.get_or_init(|| {
                        let g = generate(shape).expect("B10: cannot generate the tree");
                        eprintln!(
                            "bench: B10 tree: {} files, {} bytes in {}",
                            g.files,
                            g.bytes,
                            g.root.display()
                        );
                        g
                    });
                    run(rt, &g.root, g.expected, w, iters, quanta)
                })),
            }
        })
        .collect()
}

/// The first 8 bytes of the root id, as `timed` checks them.
fn short(id: io::Result<Option<Id>>) -> u64 {
    let id = id.expect("B10: hashing failed").expect("B10: no file");
    u64::from_le_bytes(id[..8].try_into().expect("8 bytes"))
}

/// `iters` hashes of the tree at `root` on a fresh `rt` with `w` workers.
pub fn run(
    rt: Runtime,
    root: &Path,
    expected: u64,
    w: usize,
    iters: u32,
    quanta: usize,
) -> Duration {
    let root = root.to_path_buf();
    match rt {
        Runtime::Sequential => {
            let start = Instant::now();
            for _ in 0..iters {
                assert_eq!(short(sequential(&root)), expected, "a wrong tree id");
            }
            start.elapsed()
        }
        Runtime::Floor => {
            let start = Instant::now();
            for _ in 0..iters {
                assert_eq!(short(threads(&root, w)), expected, "a wrong tree id");
            }
            start.elapsed()
        }
        Runtime::Miou => runtimes::miou_domains(
            w,
            quanta,
            super::timed(iters, expected, move || {
                let root = root.clone();
                async move { short(tree_miou(root).await) }
            }),
        ),
        Runtime::TokioMt => runtimes::tokio_mt(
            w,
            w,
            super::timed(iters, expected, move || {
                let root = root.clone();
                async move { short(tree_tokio(root).await) }
            }),
        ),
        other => unreachable!("B10 does not run on {}", other.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_gits() {
        // `printf 'hello\n' | git hash-object --stdin`
        let hex: String = blob_id(b"hello\n")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, "ce013625030ba8dba906f756967f9e9ca394464a");
        // git's id of the empty tree is never produced: empty folders are left out.
        assert!(tree_of(Vec::new()).is_none());
    }
}
