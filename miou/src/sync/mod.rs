//! Synchronisation between tasks, on one domain or across domains.
