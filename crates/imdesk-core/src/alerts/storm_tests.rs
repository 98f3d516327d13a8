//! Storm control: bursts give a handful of notifications, each with the waiting count; and
//! the rate and delivery invariants hold for random traffic (proptest).

use meituan_wire::TimeMs;
use proptest::prelude::*;

use super::sim::{local, secs_after, store, Conv, Sim, MIN, SEC};
use super::{render, Alert, AlertInput, AlertKind, AlertSettings, Lang};

#[test]
fn a_burst_of_500_messages_in_10_stores_gives_a_handful_of_notifications() {
    let t0 = local(18, 0, 0);
    let mut sim = Sim::new(AlertSettings::default(), t0);
    for i in 0..500 {
        sim.run_until(TimeMs(t0.0 + i * 2)); // 500 messages within one second
        sim.msg(i as usize % 10, &format!("c{i}"), false);
    }
    sim.advance(2 * MIN);
    let got: Vec<_> = sim
        .log
        .iter()
        .map(|a| (secs_after(t0, a), a.kind, a.count, a.waiting_count))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, AlertKind::Normal, 1, 1),
            (0, AlertKind::Normal, 1, 1),
            (0, AlertKind::Normal, 1, 1),
            (0, AlertKind::Normal, 1, 1),
            (30, AlertKind::Summary, 496, 500), // one brand summary for the 10 stores
        ]
    );
    let brand = &sim.log[4];
    assert_eq!((brand.store.clone(), brand.store_count), (None, 10));
    let text = render(brand, Lang::ZhCn, None);
    assert_eq!(text.title, "10 家门店有新消息");
    assert_eq!(
        text.body.as_deref(),
        Some("496 条新消息，共 500 位顾客等待回复")
    );

    // Their clocks then pass 60 %, 85 % and the deadline: one reminder per stage, not 1 500.
    sim.advance(5 * MIN);
    let reminders: Vec<_> = sim
        .since(5)
        .iter()
        .map(|a| (secs_after(t0, a), a.kind, a.count))
        .collect();
    assert!(reminders.len() <= 6, "{reminders:?}");
    let total = |k| {
        reminders
            .iter()
            .filter(|r| r.1 == k)
            .map(|r| r.2)
            .sum::<u32>()
    };
    assert_eq!(total(AlertKind::Overdue), 500);
    for a in sim.since(5) {
        // 50 customers wait in each store, 500 brand-wide.
        assert_eq!(
            a.waiting_count,
            if a.store.is_some() { 50 } else { 500 },
            "{a:?}"
        );
    }
}

#[test]
fn fifty_urgent_messages_give_three_popups_then_one_count() {
    let t0 = local(18, 0, 0);
    let mut sim = Sim::new(AlertSettings::default(), t0);
    for i in 0..50 {
        sim.msg(i % 10, &format!("u{i}"), true);
    }
    sim.advance(30 * SEC);
    let got: Vec<_> = sim
        .log
        .iter()
        .map(|a| (secs_after(t0, a), a.kind, a.count))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, AlertKind::Urgent, 1),
            (0, AlertKind::Urgent, 1),
            (0, AlertKind::Urgent, 1),
            (30, AlertKind::Urgent, 47),
        ]
    );
    assert_eq!(sim.log[3].waiting_count, 50);
    assert_eq!(
        render(&sim.log[3], Lang::En, None).body.as_deref(),
        Some("47 urgent customers waiting")
    );
    for i in 0..50 {
        sim.reply(&format!("u{i}"));
    }
    let n = sim.log.len();
    sim.advance(10 * MIN);
    assert_eq!(sim.log.len(), n, "handled customers stop re-alerting");
}

#[derive(Debug, Clone)]
enum Step {
    Message { conv: usize, urgent: bool },
    Reply { conv: usize },
}

fn step() -> impl Strategy<Value = (i64, Step)> {
    let s = prop_oneof![
        6 => (0usize..12).prop_map(|conv| Step::Message { conv, urgent: false }),
        2 => (0usize..12).prop_map(|conv| Step::Message { conv, urgent: true }),
        3 => (0usize..12).prop_map(|conv| Step::Reply { conv }),
    ];
    (prop_oneof![0i64..2_000, 0i64..60_000], s)
}

fn within(log: &[Alert<Conv>], pick: impl Fn(&Alert<Conv>) -> bool, window: i64) -> usize {
    let times: Vec<i64> = log.iter().filter(|a| pick(a)).map(|a| a.at.0).collect();
    times
        .iter()
        .map(|&t| times.iter().filter(|&&u| u > t - window && u <= t).count())
        .max()
        .unwrap_or(0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn storm_limits_and_urgent_delivery_hold_for_any_traffic(
        start_secs in 0i64..86_400,
        steps in prop::collection::vec(step(), 1..150),
        hide_preview: bool,
    ) {
        let settings = AlertSettings { hide_preview, ..AlertSettings::default() };
        let window = i64::from(settings.storm.window_secs) * SEC;
        let t0 = TimeMs(local(0, 0, 0).0 + start_secs * SEC);
        let mut sim = Sim::new(settings.clone(), t0);
        let mut urgent_at: Vec<(i64, String)> = Vec::new();
        let mut replies: Vec<(i64, String)> = Vec::new();
        for (gap, step) in steps {
            sim.advance(gap);
            let now = sim.now();
            match step {
                Step::Message { conv, urgent } => {
                    let conv_id = format!("c{conv}");
                    let input = sim.message(conv % 4, &conv_id, urgent, now);
                    // The store's policy decides what is urgent: every urgent message is,
                    // whether or not it tightened its conversation's clock.
                    if matches!(&input, AlertInput::CustomerMessage(m) if m.urgent) {
                        urgent_at.push((now.0, conv_id.clone()));
                    }
                    sim.send(input);
                }
                Step::Reply { conv } => {
                    replies.push((now.0, format!("c{conv}")));
                    sim.send(AlertInput::Replied { conversation: format!("c{conv}") });
                }
            }
        }
        sim.advance(10 * MIN);
        let log = &sim.log;

        let storm = &settings.storm;
        prop_assert!(within(log, Alert::is_new_message, window) <= storm.brand_max_per_window as usize);
        prop_assert!(within(log, |a| a.urgent, window) <= storm.urgent_max_per_window as usize);
        let gap = i64::from(storm.store_min_gap_secs) * SEC;
        for i in 0..4 {
            let s = Some(store(i));
            prop_assert!(within(log, |a| a.is_new_message() && a.store == s, gap) <= 1, "store {}", i);
        }
        for a in log {
            prop_assert!(a.count >= 1 && a.waiting_count >= 1, "{:?}", a);
            prop_assert!(!(hide_preview && a.preview.is_some()));
        }
        // Every urgent message is announced within one window unless answered first.
        for (t, conv) in &urgent_at {
            let answered = replies.iter().any(|(r, c)| c == conv && r >= t && *r <= t + window);
            let announced = log.iter().any(|a| a.urgent && a.at.0 >= *t && a.at.0 <= t + window);
            prop_assert!(answered || announced, "urgent {} at {} never announced", conv, t);
        }
    }
}

/// The driver feeds a burst of inputs, then ticks once. A store whose turn has come while it
/// waited for the brand's budget is shown with the next store whose turn comes in the burst,
/// not left for the window after.
#[test]
fn a_store_waiting_for_the_brand_budget_is_shown_with_the_next_due_store_of_a_burst() {
    let t0 = local(18, 0, 0);
    let mut settings = AlertSettings::default();
    settings.storm.brand_max_per_window = 1;
    let window = i64::from(settings.storm.window_secs) * SEC;
    let mut sim = Sim::new(settings, t0);
    sim.msg(0, "x1", false); // store 0 shown: the brand's budget is spent for the window
    sim.advance(SEC);
    sim.msg(0, "x2", false); // waits for store 0's gap and the brand's budget
                             // One burst after the window, fed as the driver feeds it: inputs, then one tick.
    let at = TimeMs(t0.0 + window + SEC);
    let from = sim.log.len();
    let shown = sim.s.input(at, sim.message(1, "y1", false, at));
    sim.log.extend(shown);
    let shown = sim.s.tick(at);
    sim.log.extend(shown);
    let got: Vec<_> = sim
        .since(from)
        .iter()
        .map(|a| (a.kind, a.count, a.store_count))
        .collect();
    assert_eq!(
        got,
        vec![(AlertKind::Summary, 2, 2)],
        "x2 and y1 in one summary"
    );
}
