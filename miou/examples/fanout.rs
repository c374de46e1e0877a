//! Eight slices of work spread over two worker domains with `parallel`, as
//! chapter 7 of the book counts primes: the run that the book's chapter on
//! traces reads.
//!
//! ```text
//! cargo run -p miou --example fanout
//! MIOU_DEBUG=1 cargo run -p miou --example fanout
//! MIOU_TRACE=fanout.json cargo run -p miou --example fanout
//! ```

/// How many primes there are in `from..to`, by trial division.
fn primes(from: u64, to: u64) -> usize {
    let prime = |n: &u64| {
        *n >= 2
            && (2..)
                .take_while(|d| d * d <= *n)
                .all(|d| !n.is_multiple_of(d))
    };
    (from..to).filter(prime).count()
}

// ANCHOR: program
/// Counts the primes below 200,000 in eight slices, one task per slice, on
/// two worker domains, with the settings of `builder` (a trace, say).
pub fn run_with(builder: miou::Builder) -> String {
    builder.domains(2).run(async {
        let slices: Vec<(u64, u64)> =
            (0..8).map(|k| (k * 25_000, (k + 1) * 25_000)).collect();
        let count = |(from, to)| async move { primes(from, to) };
        let counts = miou::parallel(count, slices).await;
        let total: usize = counts.into_iter().map(Result::unwrap).sum();
        format!("{total} primes below 200000")
    })
}
// ANCHOR_END: program

fn main() {
    println!("{}", run_with(miou::Builder::new()));
}
