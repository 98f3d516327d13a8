//! Application updates as the agent sees them: what the updater has found ([`UpdateStatus`])
//! and whether installing it now would hurt ([`install_gate`]). The shell owns the Tauri
//! updater (check at start and daily, download in the background, verify the signature); the
//! rule of when it may install lives here: never inside a peak window of any store, never while
//! the agent is in the middle of a reply.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::alerts::{AlertSettings, TimeOfDay};

/// What the updater knows, pushed to the UI as it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum UpdateStatus {
    /// Nothing newer is known (or checks are off, or the last check failed quietly).
    Idle,
    /// A newer version is announced and downloading in the background.
    Downloading {
        /// The announced version.
        version: String,
    },
    /// Downloaded and its signature verified: installable on the agent's word.
    Ready {
        /// The version that will be installed.
        version: String,
        /// The release notes of the manifest, if any.
        notes: Option<String>,
    },
    /// The download did not pass verification and was thrown away; nothing is installed.
    Refused {
        /// The announced version.
        version: String,
        /// Why it was refused.
        reason: UpdateRefusal,
    },
}

/// Why a downloaded update was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum UpdateRefusal {
    /// The signature does not match the package or was not made with our key.
    BadSignature,
    /// The manifest offers nothing for this platform.
    WrongPlatform,
}

/// The answer to "install now?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "gate", rename_all = "camelCase")]
pub enum InstallGate {
    /// Installing now is fine (the shell installs and restarts).
    Now,
    /// A peak window is running; installing restarts the desk in the rush.
    Peak {
        /// Local time the peak ends, `"HH:MM"`.
        until: TimeOfDay,
    },
    /// The agent is writing or sending a reply.
    Replying,
    /// Nothing verified is ready to install.
    NothingReady,
}

/// Whether an update may be installed at the local `second_of_day`: outside every peak window
/// (the brand's and each store's own) and when the agent is not in the middle of a reply.
pub fn install_gate(settings: &AlertSettings, second_of_day: u32, replying: bool) -> InstallGate {
    let windows = settings
        .peak_windows
        .iter()
        .chain(settings.store_peak_windows.values().flatten());
    // When overlapping peaks run, the desk is busy until the last of them ends.
    let until = windows
        .filter(|w| w.contains(second_of_day))
        .map(|w| w.end)
        .max_by_key(|end| (end.second_of_day() + 86_400 - second_of_day) % 86_400);
    match until {
        Some(until) => InstallGate::Peak { until },
        None if replying => InstallGate::Replying,
        None => InstallGate::Now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::TimeRange;

    fn hm(h: u8, m: u8) -> TimeOfDay {
        TimeOfDay::new(h, m).unwrap()
    }

    fn at(h: u32, m: u32) -> u32 {
        h * 3600 + m * 60
    }

    #[test]
    fn default_peaks_hold_the_install_until_they_end() {
        let s = AlertSettings::default();
        assert_eq!(
            install_gate(&s, at(12, 0), false),
            InstallGate::Peak { until: hm(13, 30) }
        );
        assert_eq!(
            install_gate(&s, at(18, 0), false),
            InstallGate::Peak { until: hm(20, 30) }
        );
        assert_eq!(install_gate(&s, at(15, 0), false), InstallGate::Now);
        assert_eq!(install_gate(&s, at(13, 30), false), InstallGate::Now);
    }

    #[test]
    fn a_store_with_its_own_late_peak_keeps_the_desk_busy() {
        let mut s = AlertSettings::default();
        s.store_peak_windows.insert(
            meituan_wire::StoreId("store-night".to_owned()),
            vec![TimeRange::new(hm(22, 0), hm(2, 0))],
        );
        assert_eq!(
            install_gate(&s, at(23, 0), false),
            InstallGate::Peak { until: hm(2, 0) }
        );
        // Overlapping peaks: the one that ends last decides.
        s.store_peak_windows.insert(
            meituan_wire::StoreId("store-lunch".to_owned()),
            vec![TimeRange::new(hm(11, 0), hm(14, 15))],
        );
        assert_eq!(
            install_gate(&s, at(12, 0), false),
            InstallGate::Peak { until: hm(14, 15) }
        );
    }

    #[test]
    fn a_reply_in_progress_holds_the_install_outside_peaks() {
        let s = AlertSettings::default();
        assert_eq!(install_gate(&s, at(15, 0), true), InstallGate::Replying);
    }

    #[test]
    fn status_serialises_with_a_state_tag() {
        let v = serde_json::to_value(UpdateStatus::Refused {
            version: "0.2.0".into(),
            reason: UpdateRefusal::BadSignature,
        })
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"state": "refused", "version": "0.2.0", "reason": "badSignature"})
        );
    }
}
