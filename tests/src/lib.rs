//! Shared harness for imdesk end-to-end tests.
