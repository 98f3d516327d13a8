/**
 * The core's defaults as the mock uses them. The alert settings come from
 * `generated/defaults.json`, which the bindings test writes from `AlertSettings::default()`
 * and fails on drift, so the mock cannot wander from Rust.
 */
import type { AlertSettings } from '../backend';
import generated from '../generated/defaults.json';

export const DEFAULT_ALERTS: AlertSettings = generated.alertSettings as AlertSettings;

/**
 * The platform's reply windows and the store's default urgent scene tags, which the mock
 * stands in for when it plays the core in a plain browser (the real ones live in
 * `imdesk_store::ClockPolicy`, not in any setting).
 */
export const MOCK_CLOCK = { normalMs: 300_000, urgentMs: 60_000, urgentTags: [9003] } as const;
