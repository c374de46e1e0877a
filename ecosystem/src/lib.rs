//! # ecosystem-tests
//!
//! A test-only crate: the test suites of async-channel, async-lock, futures-channel and
//! futures-util, rewritten to run on miou instead of `block_on`, thread pools and bare
//! threads. Each file of `tests/` ports one upstream suite, test by test, under the
//! upstream test's name; `ecosystem/README.md` lists what was ported, what was not and
//! why. The library itself is empty: everything lives in `tests/`, and the helpers the
//! suites share (the watchdog, the ways to start a run) in `tests/common/mod.rs`.
//!
//! ```sh
//! cargo test -p ecosystem-tests
//! ```
