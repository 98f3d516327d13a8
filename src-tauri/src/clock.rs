//! The shell's one read of the wall clock (for "pause for 30 minutes").

use meituan_wire::{Clock, SystemClock};

/// Now, UTC milliseconds.
pub fn now_ms() -> i64 {
    SystemClock.now().0
}
