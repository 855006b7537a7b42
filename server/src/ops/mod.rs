//! Running credport-server in production: readiness, metrics, backups and key rotation, each
//! taking only the handles it needs.

pub mod backup;
pub mod health;
pub mod keys;
pub mod metrics;
pub mod reencrypt;
