/**
 * The core's defaults as the mock uses them, in one module so that the mock follows Rust by
 * changing one line: once `ui/src/ipc/generated/defaults.json` is generated from
 * `AlertSettings::default()`, this file re-exports it. Until then the values are copied from
 * `crates/imdesk-core/src/alerts/settings.rs`.
 */
import type { AlertSettings } from '../backend';

export const DEFAULT_ALERTS: AlertSettings = {
  peakWindows: [
    { start: '10:30', end: '13:30' },
    { start: '16:30', end: '20:30' },
  ],
  storePeakWindows: {},
  doNotDisturb: [],
  mutedStores: [],
  coalesceWindowSecs: 30,
  urgentRealertSecs: 30,
  hidePreview: false,
  sound: true,
  urgentSound: true,
  replyClock: { normalMs: 300_000, urgentMs: 60_000, urgentTags: [9003], preAlertFractions: [0.6, 0.85] },
  storm: { storeMinGapSecs: 5, windowSecs: 30, brandMaxPerWindow: 4, urgentMaxPerWindow: 3, reminderMinGapSecs: 15 },
};
