//! The merkle example computes the same tree id as git for a generated tree.

#[allow(dead_code)]
#[path = "../examples/merkle.rs"]
#[rustfmt::skip] // formatted as an example (examples/rustfmt.toml)
mod merkle;

use std::path::Path;
use std::process::Command;

/// A small seeded generator, so the tree is the same on every run.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Writes a tree of folders and files: names that exercise git's order (`a`, `a.b`,
/// `a-b`, folder `a` vs file `a.txt`), empty files, an executable, an empty folder.
fn generate(root: &Path, g: &mut Gen, depth: u32) {
    std::fs::create_dir_all(root).unwrap();
    let names = ["a", "a.b", "a-b", "b", "z", "a.txt", "x_1", "Q"];
    for (i, name) in names.iter().enumerate() {
        let path = root.join(name);
        if depth > 0 && g.next().is_multiple_of(3) {
            generate(&path, g, depth - 1);
        } else {
            let len = (g.next() % 3000) as usize * (i % 2);
            let content: Vec<u8> = (0..len).map(|_| g.next() as u8).collect();
            std::fs::write(&path, content).unwrap();
            if g.next().is_multiple_of(5) {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
    }
    std::fs::create_dir_all(root.join("empty")).unwrap();
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap().trim().to_string())
}

#[test]
fn the_tree_id_is_gits() {
    let dir = std::env::temp_dir().join(format!("miou-merkle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    generate(&dir, &mut Gen(0x9E37_79B9_7F4A_7C15), 3);
    let Some(_) = git(&dir, &["init", "-q"]) else {
        eprintln!("git is not installed: skipping the comparison");
        return;
    };
    git(&dir, &["add", "-A"]).unwrap();
    let expected = git(&dir, &["write-tree"]).unwrap();

    let (tx, rx) = std::sync::mpsc::channel();
    let d = dir.clone();
    std::thread::spawn(move || tx.send(merkle::hash(d)));
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("hashing finished in time")
        .unwrap()
        .expect("the tree has files");
    assert_eq!(merkle::hex(&got), expected);
    // A single blob too, against `git hash-object`.
    std::fs::write(dir.join("one"), b"hello\n").unwrap();
    assert_eq!(
        merkle::hex(&merkle::blob_id(b"hello\n")),
        git(&dir, &["hash-object", "one"]).unwrap()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
