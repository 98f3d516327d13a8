//! The imdesk engine (Desk): composes client, push and store into ingest, outbox, reply clocks and alerts.

pub mod alerts;
pub mod view;
