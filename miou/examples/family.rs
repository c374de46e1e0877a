//! Chapter 6's family on the crate: a parent awaits its two children, one of
//! which awaits a child of its own. The book's bridge from the steps to the
//! crate draws its run.
//!
//! ```text
//! cargo run -p miou --example family
//! ```

// ANCHOR: family
/// `main` spawns `a` and `b`; `a` spawns `a1`. Each awaits its children.
pub async fn family() -> String {
    let a = miou::spawn(async {
        let a1 = miou::spawn(async { 10 });
        a1.await.unwrap() + 1
    });
    let b = miou::spawn(async { 20 });
    let (a, b) = (a.await, b.await);
    format!("a: {a:?}, b: {b:?}")
}
// ANCHOR_END: family

/// Runs [`family`] on one domain, with the settings of `builder`.
pub fn run_with(builder: miou::Builder) -> String {
    builder.domains(0).run(family())
}

fn main() {
    println!("{}", run_with(miou::Builder::new()));
}
