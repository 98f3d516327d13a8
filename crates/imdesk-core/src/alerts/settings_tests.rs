use meituan_wire::{StoreId, TimeMs};
use ts_rs::{Config, TS};

use super::*;

fn t(h: u8, m: u8) -> TimeOfDay {
    TimeOfDay::new(h, m).unwrap()
}

/// Local second of day for h:m:s.
fn sod(h: u32, m: u32, s: u32) -> u32 {
    h * 3600 + m * 60 + s
}

#[test]
fn time_of_day_parses_and_prints_hh_mm() {
    assert_eq!("10:30".parse::<TimeOfDay>(), Ok(t(10, 30)));
    assert_eq!(" 7:05 ".parse::<TimeOfDay>(), Ok(t(7, 5)));
    assert_eq!(t(7, 5).to_string(), "07:05");
    for bad in ["24:00", "10:60", "1030", "10:3", "ab:cd", ""] {
        assert!(bad.parse::<TimeOfDay>().is_err(), "{bad}");
    }
    assert_eq!(TimeOfDay::new(24, 0), None);
}

#[test]
fn default_peaks_have_exact_boundaries() {
    let s = AlertSettings::default();
    let a = StoreId::new("a");
    assert!(!s.is_peak(&a, sod(10, 29, 59)));
    assert!(s.is_peak(&a, sod(10, 30, 0)));
    assert!(s.is_peak(&a, sod(13, 29, 59)));
    assert!(!s.is_peak(&a, sod(13, 30, 0)));
    assert!(!s.is_peak(&a, sod(16, 29, 59)));
    assert!(s.is_peak(&a, sod(20, 29, 59)));
    assert!(!s.is_peak(&a, sod(20, 30, 0)));
}

#[test]
fn ranges_can_cross_midnight_and_equal_ends_are_empty() {
    let night = TimeRange::new(t(22, 0), t(7, 0));
    assert!(night.contains(sod(22, 0, 0)));
    assert!(night.contains(sod(23, 59, 59)));
    assert!(night.contains(0));
    assert!(night.contains(sod(6, 59, 59)));
    assert!(!night.contains(sod(7, 0, 0)));
    assert!(!night.contains(sod(21, 59, 59)));
    assert!(!TimeRange::new(t(9, 0), t(9, 0)).contains(sod(9, 0, 0)));
}

#[test]
fn local_second_of_day_applies_the_offset() {
    // 2024-06-02T16:00:00Z is midnight in Beijing (UTC+8).
    let midnight_utc8 = TimeMs(1_717_344_000_000);
    assert_eq!(local_second_of_day(midnight_utc8, 8 * 3600), 0);
    assert_eq!(
        local_second_of_day(TimeMs(midnight_utc8.0 + 37_800_999), 8 * 3600),
        sod(10, 30, 0)
    );
    assert_eq!(local_second_of_day(midnight_utc8, 0), sod(16, 0, 0));
    assert_eq!(local_second_of_day(TimeMs(-1), 0), 86_399);
}

#[test]
fn only_usable_fractions_are_used_in_order() {
    let mut s = AlertSettings::default();
    assert_eq!(s.fractions(), vec![0.6, 0.85]);
    s.pre_alert_fractions = vec![0.85, 1.0, 0.6, f64::NAN, 0.6, 0.0];
    assert_eq!(s.fractions(), vec![0.6, 0.85]);
}

/// Settings saved before the reply windows and urgent tags left them (with a `replyClock`
/// object) still load; their fractions fall back to the defaults.
#[test]
fn settings_saved_with_a_reply_clock_object_still_load() {
    let old: AlertSettings = serde_json::from_str(
        r#"{ "hidePreview": true, "replyClock": { "normalMs": 300000, "urgentMs": 60000,
             "urgentTags": [9003, 3001], "preAlertFractions": [0.5] } }"#,
    )
    .unwrap();
    assert!(old.hide_preview);
    assert_eq!(old.pre_alert_fractions, vec![0.6, 0.85]);
    let json = serde_json::to_value(&old).unwrap();
    assert!(json.get("replyClock").is_none(), "{json}");
}

#[test]
fn settings_round_trip_in_camel_case_and_fill_missing_fields() {
    let mut s = AlertSettings::default();
    s.store_peak_windows.insert(
        StoreId::new("poi-1"),
        vec![TimeRange::new(t(11, 0), t(14, 0))],
    );
    s.muted_stores.insert(StoreId::new("poi-2"));
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(
        json["peakWindows"][0],
        serde_json::json!({ "start": "10:30", "end": "13:30" })
    );
    assert_eq!(json["storePeakWindows"]["poi-1"][0]["end"], "14:00");
    assert_eq!(json["preAlertFractions"], serde_json::json!([0.6, 0.85]));
    assert_eq!(json["storm"]["brandMaxPerWindow"], 4);
    let back: AlertSettings = serde_json::from_value(json).unwrap();
    assert_eq!(back, s);

    let partial: AlertSettings = serde_json::from_str(
        r#"{ "hidePreview": true, "doNotDisturb": [{ "start": "22:00", "end": "07:00" }] }"#,
    )
    .unwrap();
    assert!(partial.hide_preview);
    assert_eq!(partial.pre_alert_fractions, vec![0.6, 0.85]);
    assert!(partial.in_do_not_disturb(sod(23, 0, 0)));
    assert!(serde_json::from_str::<AlertSettings>(
        r#"{ "doNotDisturb": [{ "start": "25:00", "end": "07:00" }] }"#
    )
    .is_err());
}

#[test]
fn validate_rejects_zero_limits_and_bad_fractions() {
    assert_eq!(AlertSettings::default().validate(), Ok(()));
    let mut s = AlertSettings::default();
    s.storm.urgent_max_per_window = 0;
    assert_eq!(
        s.validate(),
        Err(SettingsError::Zero("storm.urgentMaxPerWindow"))
    );
    let s = AlertSettings {
        pre_alert_fractions: vec![0.6, 1.2],
        ..AlertSettings::default()
    };
    assert_eq!(s.validate(), Err(SettingsError::BadFraction(1.2)));
}

#[test]
fn typescript_shapes_use_strings_for_times_and_store_keys() {
    let cfg = Config::default();
    assert_eq!(TimeOfDay::inline(&cfg), "string");
    let decl = AlertSettings::decl(&cfg);
    for field in [
        "peakWindows: Array<TimeRange>",
        "hidePreview: boolean",
        "preAlertFractions: Array<number>",
        "coalesceWindowSecs: number",
    ] {
        assert!(decl.contains(field), "{field} missing in {decl}");
    }
    assert!(
        decl.contains("storePeakWindows: { [key in string]: Array<TimeRange> }"),
        "{decl}"
    );
    assert!(decl.contains("mutedStores: Array<string>"), "{decl}");
    assert!(!decl.contains("bigint"), "{decl}");
}
