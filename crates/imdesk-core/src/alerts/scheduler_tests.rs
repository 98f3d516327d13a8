//! The notification policy over a simulated clock: peaks, do-not-disturb, coalescing,
//! re-alerts, urgent bypass, mute, pause, privacy, pre-alerts and restart.

use meituan_wire::TimeMs;

use super::sim::{local, secs_after, store, Sim, MIN, SEC};
use super::{
    render, AlertKind, AlertSettings, AwaitingRow, Lang, ReplyDeadline, Sound, TimeOfDay, TimeRange,
};

fn kinds(sim: &Sim, from: usize, t0: TimeMs) -> Vec<(i64, AlertKind)> {
    sim.since(from)
        .iter()
        .map(|a| (secs_after(t0, a), a.kind))
        .collect()
}

/// Two messages 6 s apart in one store starting at `t0`: the peak gap (5 s) lets the second
/// notify at once; the off-peak coalescing window (30 s) holds it until 30 s (a batch of one
/// is shown as the message itself).
fn second_message_waits(t0: TimeMs) -> Vec<(i64, AlertKind)> {
    let mut sim = Sim::new(AlertSettings::default(), t0);
    sim.msg(0, "a", false);
    sim.advance(6 * SEC);
    sim.msg(0, "b", false);
    sim.advance(40 * SEC);
    // Only new-message alerts; both clocks are far from their first pre-alert.
    kinds(&sim, 0, t0)
}

#[test]
fn peak_starts_at_10_30_00_not_10_29_59() {
    // The second message lands at 10:29:59 (off-peak) or 10:30:00 (peak).
    let off = second_message_waits(local(10, 29, 53));
    assert_eq!(off, vec![(0, AlertKind::Normal), (30, AlertKind::Normal)]);
    let on = second_message_waits(local(10, 29, 54));
    assert_eq!(on, vec![(0, AlertKind::Normal), (6, AlertKind::Normal)]);
}

#[test]
fn peak_ends_at_13_30_00() {
    let on = second_message_waits(local(13, 29, 53));
    assert_eq!(on, vec![(0, AlertKind::Normal), (6, AlertKind::Normal)]);
    let off = second_message_waits(local(13, 29, 54));
    assert_eq!(off, vec![(0, AlertKind::Normal), (30, AlertKind::Normal)]);
}

#[test]
fn store_peak_windows_replace_the_brands() {
    let mut settings = AlertSettings::default();
    let h = |h, m| TimeOfDay::new(h, m).unwrap();
    settings
        .store_peak_windows
        .insert(store(0), vec![TimeRange::new(h(15, 0), h(16, 0))]);
    let t0 = local(15, 10, 0);
    let mut sim = Sim::new(settings, t0);
    sim.msg(0, "a", false);
    sim.msg(1, "b", false);
    sim.advance(6 * SEC);
    sim.msg(0, "c", false); // store 0 is in its own peak: notifies
    sim.msg(1, "d", false); // store 1 follows the brand: off-peak, coalesced
    sim.advance(30 * SEC);
    let got: Vec<_> = sim
        .since(0)
        .iter()
        .map(|a| (secs_after(t0, a), a.kind, a.store.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, AlertKind::Normal, Some(store(0))),
            (0, AlertKind::Normal, Some(store(1))),
            (6, AlertKind::Normal, Some(store(0))),
            (30, AlertKind::Normal, Some(store(1))),
        ]
    );
}

#[test]
fn off_peak_messages_coalesce_into_one_summary_per_store_per_30_s() {
    let t0 = local(15, 0, 0);
    let mut sim = Sim::new(AlertSettings::default(), t0);
    sim.msg(0, "a", false);
    sim.msg(0, "b", false);
    sim.advance(SEC);
    sim.msg(0, "c", false);
    sim.msg(0, "b", false);
    sim.msg(1, "x", false);
    sim.advance(40 * SEC);
    sim.msg(0, "d", false);
    sim.advance(30 * SEC);
    let log = sim.since(0);
    assert_eq!(
        kinds(&sim, 0, t0),
        vec![
            (0, AlertKind::Normal),
            (1, AlertKind::Normal),
            (30, AlertKind::Summary),
            (60, AlertKind::Normal), // a batch of one shows as the message
        ]
    );
    assert_eq!(log[0].store, Some(store(0)));
    assert_eq!(log[1].store, Some(store(1)));
    let summary = &log[2];
    assert_eq!(
        (summary.count, summary.waiting_count, summary.store_count),
        (3, 3, 1)
    );
    assert_eq!(summary.preview, None);
    assert_eq!(summary.sound, Sound::Normal);
    // The last summary covers only "d", sent at 41 s, when the 30 s after 30 s ran out.
    assert_eq!((log[3].count, log[3].waiting_count), (1, 4));
    let text = render(summary, Lang::ZhCn, Some("望京店"));
    assert_eq!(text.title, "望京店");
    assert_eq!(text.body.as_deref(), Some("3 条新消息，3 位顾客等待回复"));
}

#[test]
fn do_not_disturb_crossing_midnight_silences_normal_alerts_but_not_urgent_ones() {
    let mut settings = AlertSettings::default();
    let h = |h, m| TimeOfDay::new(h, m).unwrap();
    settings.do_not_disturb = vec![TimeRange::new(h(22, 0), h(7, 0))];
    for (t, expect) in [
        (local(21, 59, 59), true),
        (local(22, 0, 0), false),
        (local(23, 30, 0), false),
        (local(6, 59, 59), false),
        (local(7, 0, 0), true),
    ] {
        let mut sim = Sim::new(settings.clone(), t);
        sim.msg(0, "a", false);
        assert_eq!(sim.log.len() == 1, expect, "normal message at {t:?}");
        sim.msg(1, "u", true);
        let last = sim.log.last().unwrap();
        assert_eq!(
            (last.kind, last.sound, last.attention),
            (AlertKind::Urgent, Sound::Urgent, true)
        );
    }
}

#[test]
fn urgent_re_alerts_until_handled() {
    let t0 = local(15, 0, 0);
    let mut sim = Sim::new(AlertSettings::default(), t0);
    sim.msg(0, "u", true);
    sim.run_until(TimeMs(t0.0 + 100 * SEC));
    sim.reply("u");
    sim.advance(10 * MIN);
    assert_eq!(
        kinds(&sim, 0, t0),
        vec![
            (0, AlertKind::Urgent),
            (30, AlertKind::UrgentRepeat),
            (36, AlertKind::PreAlert), // 60 % of the 1-minute clock
            (51, AlertKind::PreAlert), // 85 %
            (60, AlertKind::Overdue),
            (90, AlertKind::UrgentRepeat),
        ]
    );
    assert!(sim
        .log
        .iter()
        .all(|a| a.urgent && a.sound == Sound::Urgent && a.attention));
    assert_eq!(sim.log[4].remaining_secs, Some(0));
    let overdue = render(&sim.log[4], Lang::ZhCn, Some("国贸店"));
    assert_eq!(overdue.title, "紧急消息超时未回复 · 国贸店");
}

#[test]
fn mute_and_pause_silence_normal_alerts_and_let_urgent_ones_through() {
    let mut settings = AlertSettings::default();
    settings.muted_stores.insert(store(0));
    let t0 = local(18, 0, 0);
    let mut sim = Sim::new(settings, t0);
    sim.msg(0, "a", false);
    assert!(sim.log.is_empty(), "muted store");
    sim.msg(0, "u", true);
    assert_eq!(sim.log.len(), 1, "urgent passes mute");
    sim.s.pause_until(TimeMs(t0.0 + 30 * MIN));
    sim.msg(1, "b", false);
    sim.advance(6 * MIN); // b's pre-alerts and deadline fall inside the pause
    assert!(
        sim.log.iter().all(|a| a.urgent),
        "only urgent alerts during the pause"
    );
    sim.msg(1, "v", true);
    assert_eq!(
        sim.log.last().map(|a| (a.kind, a.count)),
        Some((AlertKind::Urgent, 1))
    );
    sim.run_until(TimeMs(t0.0 + 30 * MIN));
    assert_eq!(sim.s.paused_until(sim.now()), None);
    sim.reply("u");
    sim.reply("v");
    let n = sim.log.len();
    sim.msg(1, "c", false);
    assert_eq!(
        sim.since(n).iter().map(|a| a.kind).collect::<Vec<_>>(),
        vec![AlertKind::Normal]
    );
}

#[test]
fn privacy_hides_message_text_everywhere() {
    let mut settings = AlertSettings {
        hide_preview: true,
        ..AlertSettings::default()
    };
    settings.sound = false;
    let mut sim = Sim::new(settings, local(18, 0, 0));
    sim.msg(0, "a", false);
    sim.msg(1, "u", true);
    assert_eq!(sim.log.len(), 2);
    for a in &sim.log {
        assert_eq!(a.preview, None);
        assert!(!format!("{a:?}").contains("在吗"));
        assert_eq!(render(a, Lang::ZhCn, None).body, None);
    }
    assert_eq!(
        sim.log[0].sound,
        Sound::None,
        "sound off mutes normal sounds"
    );
    assert_eq!(sim.log[1].sound, Sound::Urgent, "but not the urgent sound");

    let mut open = Sim::new(AlertSettings::default(), local(18, 0, 0));
    open.msg(0, "a", false);
    assert_eq!(
        open.log[0].preview.as_deref(),
        Some("在吗？我的餐到哪了 (a)")
    );
    assert!(
        !format!("{:?}", open.log[0]).contains("在吗"),
        "Debug never shows customer text"
    );
}

#[test]
fn pre_alerts_fire_at_the_configured_fractions_and_at_breach() {
    let t0 = local(15, 0, 0);
    let mut sim = Sim::new(AlertSettings::default(), t0);
    sim.msg(0, "a", false);
    sim.advance(10 * MIN);
    let got: Vec<_> = sim
        .since(1)
        .iter()
        .map(|a| (secs_after(t0, a), a.kind, a.remaining_secs))
        .collect();
    assert_eq!(
        got,
        vec![
            (180, AlertKind::PreAlert, Some(120)),
            (255, AlertKind::PreAlert, Some(45)),
            (300, AlertKind::Overdue, Some(0)),
        ]
    );
    assert!(!sim.log[1].attention && sim.log[3].attention);
    let text = render(&sim.log[2], Lang::ZhCn, Some("望京店"));
    assert_eq!(text.title, "即将超时 · 望京店");
    assert_eq!(text.body.as_deref(), Some("顾客 a** 还剩 0:45"));

    let settings = AlertSettings {
        pre_alert_fractions: vec![0.5],
        ..AlertSettings::default()
    };
    let mut sim = Sim::new(settings, t0);
    sim.msg(0, "a", false);
    sim.advance(10 * MIN);
    assert_eq!(
        kinds(&sim, 1, t0),
        vec![(150, AlertKind::PreAlert), (300, AlertKind::Overdue)]
    );
}

#[test]
fn a_reply_stops_the_clock_and_drops_pending_notices() {
    let t0 = local(15, 0, 0);
    let mut sim = Sim::new(AlertSettings::default(), t0);
    sim.msg(0, "a", false);
    sim.msg(0, "b", false); // held for the 30 s summary
    sim.advance(10 * SEC);
    sim.reply("b");
    sim.reply("a");
    sim.advance(10 * MIN);
    assert_eq!(kinds(&sim, 0, t0), vec![(0, AlertKind::Normal)]);
    assert!(sim.s.clocks().is_empty());
}

#[test]
fn an_urgent_message_tightens_a_running_clock() {
    let t0 = local(15, 0, 0);
    let mut sim = Sim::new(AlertSettings::default(), t0);
    sim.msg(0, "a", false);
    sim.advance(100 * SEC);
    sim.msg(0, "a", true);
    let clock = sim.s.clocks().get(&"a".to_owned()).unwrap().clock;
    assert!(clock.urgent);
    assert_eq!(clock.deadline, TimeMs(t0.0 + 160 * SEC));
    assert_eq!(sim.log.last().map(|a| a.kind), Some(AlertKind::Urgent));
}

#[test]
fn restart_derives_clocks_without_replaying_old_stages() {
    let now = local(15, 0, 0);
    let mut sim = Sim::new(AlertSettings::default(), now);
    sim.s.restore(
        [
            AwaitingRow {
                conversation: "n".to_owned(),
                store: store(0),
                customer: "顾客 n**".to_owned(),
                clock: ReplyDeadline {
                    awaiting_since: TimeMs(now.0 - 200 * SEC), // past 60 %, before 85 %
                    deadline: TimeMs(now.0 + 100 * SEC),
                    urgent: false,
                },
            },
            AwaitingRow {
                conversation: "u".to_owned(),
                store: store(1),
                customer: "顾客 u**".to_owned(),
                clock: ReplyDeadline {
                    awaiting_since: TimeMs(now.0 - 100 * SEC),
                    deadline: TimeMs(now.0 + 50 * SEC), // an urgent message 10 s ago tightened it
                    urgent: true,
                },
            },
        ],
        now,
    );
    assert_eq!(sim.s.clocks().len(), 2);
    assert_eq!(
        sim.s.clocks().get(&"u".to_owned()).unwrap().clock.deadline,
        TimeMs(now.0 + 50 * SEC)
    );
    sim.advance(60 * SEC);
    let got: Vec<_> = sim
        .log
        .iter()
        .map(|a| (secs_after(now, a), a.kind, a.conversation.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, AlertKind::UrgentRepeat, Some("u".to_owned())), // the restart reminds of open urgent customers
            // u's window is its whole wait (150 s): 60 % passed before the restart, 85 % is
            // 27.5 s after it.
            (27, AlertKind::PreAlert, Some("u".to_owned())),
            (50, AlertKind::Overdue, Some("u".to_owned())),
            (55, AlertKind::PreAlert, Some("n".to_owned())), // n's 85 % (4:15 after it started)
        ]
    );
}

#[test]
fn the_end_of_a_pause_announces_everyone_still_waiting_once() {
    let mut settings = AlertSettings::default();
    settings.muted_stores.insert(store(2));
    let t0 = local(15, 0, 0);
    let mut sim = Sim::new(settings, t0);
    sim.s.pause_until(TimeMs(t0.0 + 30 * MIN));
    sim.msg(0, "a", false);
    sim.advance(MIN);
    sim.msg(1, "b", false);
    sim.msg(1, "c", false);
    sim.msg(2, "muted", false);
    sim.advance(MIN);
    sim.reply("c");
    sim.advance(40 * MIN);
    let shown = sim.since(0);
    assert_eq!(
        shown.len(),
        1,
        "silent during the pause, one catch-up after: {shown:?}"
    );
    let a = &shown[0];
    assert_eq!(
        (
            secs_after(t0, a),
            a.kind,
            a.count,
            a.overdue_count,
            a.store.clone()
        ),
        (30 * 60, AlertKind::CatchUp, 2, 2, None),
        "a and b wait (both past 5 minutes); c was answered; the muted store is left out"
    );
    assert_eq!(
        a.conversation.as_deref(),
        Some("a"),
        "focus on the earliest deadline"
    );
    assert!(a.attention);
}

#[test]
fn resuming_early_and_an_empty_queue() {
    let t0 = local(15, 0, 0);
    let mut sim = Sim::new(AlertSettings::default(), t0);
    sim.s.pause_until(TimeMs(t0.0 + 30 * MIN));
    sim.msg(0, "a", false);
    sim.advance(MIN);
    sim.s.resume();
    sim.advance(SEC);
    let kinds: Vec<_> = sim
        .since(0)
        .iter()
        .map(|a| (secs_after(t0, a), a.kind))
        .collect();
    assert_eq!(kinds, vec![(60, AlertKind::CatchUp)]);
    // A pause with nobody waiting ends without a notification.
    sim.reply("a");
    let before = sim.log.len();
    sim.s.pause_until(TimeMs(sim.now().0 + 10 * MIN));
    sim.advance(20 * MIN);
    assert_eq!(sim.log.len(), before);
}

#[test]
fn do_not_disturb_ends_with_a_catch_up_at_its_last_minute() {
    let mut settings = AlertSettings::default();
    let h = |h, m| TimeOfDay::new(h, m).unwrap();
    settings.do_not_disturb = vec![TimeRange::new(h(22, 0), h(7, 0))];
    let t0 = local(6, 50, 0);
    let mut sim = Sim::new(settings, t0);
    sim.msg(0, "a", false);
    sim.msg(1, "u", true);
    sim.reply("u");
    let from = sim.log.len();
    sim.run_until(local(7, 5, 0));
    let kinds: Vec<_> = sim
        .since(from)
        .iter()
        .map(|a| (secs_after(t0, a), a.kind, a.count))
        .collect();
    assert_eq!(kinds, vec![(10 * 60, AlertKind::CatchUp, 1)]);
}
