//! A strict, stateful Meituan open platform on loopback, for tests, demo mode and load.
