//! The seeded random generator behind every random choice the runtime makes: which
//! finished promise `await_first`/`await_one`/`Orphans::get` pick among several, and
//! tie-breaks in `call` placement. One generator per domain, each seeded from the run's
//! seed and the domain's index, so a seeded single-domain run is reproducible.

/// SplitMix64: tiny, fast, and good enough for tie-breaking (this is not cryptography).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_sequence_and_in_range() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..1000 {
            let x = a.below(3);
            assert_eq!(x, b.below(3));
            assert!(x < 3);
        }
        let mut seen = [false; 3];
        for _ in 0..100 {
            seen[a.below(3)] = true;
        }
        assert_eq!(seen, [true; 3], "every value in range comes up");
    }
}
