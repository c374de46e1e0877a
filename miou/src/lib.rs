//! miou
