//! Placeholder: the helper writes the real crate.
