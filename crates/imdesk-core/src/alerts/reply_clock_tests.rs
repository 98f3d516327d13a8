use super::*;

fn policy() -> ClockPolicy {
    ClockPolicy::default()
}

fn clock(urgent: bool) -> ReplyClock<&'static str> {
    ReplyClock::start(&policy(), "c", StoreId::new("s"), TimeMs(0), urgent)
}

#[test]
fn windows_are_five_minutes_or_one_for_urgent() {
    assert_eq!(clock(false).deadline, TimeMs(300_000));
    assert_eq!(clock(true).deadline, TimeMs(60_000));
}

#[test]
fn stages_change_exactly_at_the_fractions_and_the_deadline() {
    let c = clock(false);
    let p = policy();
    assert_eq!(c.stage_at(&p, TimeMs(179_999)), ClockStage::Waiting);
    assert_eq!(c.stage_at(&p, TimeMs(180_000)), ClockStage::PreAlert(0));
    assert_eq!(c.stage_at(&p, TimeMs(254_999)), ClockStage::PreAlert(0));
    assert_eq!(c.stage_at(&p, TimeMs(255_000)), ClockStage::PreAlert(1));
    assert_eq!(c.stage_at(&p, TimeMs(299_999)), ClockStage::PreAlert(1));
    assert_eq!(c.stage_at(&p, TimeMs(300_000)), ClockStage::Overdue);
    assert!(
        ClockStage::Waiting < ClockStage::PreAlert(0)
            && ClockStage::PreAlert(1) < ClockStage::Overdue
    );
}

#[test]
fn next_wakeup_is_the_next_boundary_after_now() {
    let c = clock(true);
    let p = policy();
    assert_eq!(c.next_wakeup(&p, TimeMs(0)), Some(TimeMs(36_000)));
    assert_eq!(c.next_wakeup(&p, TimeMs(36_000)), Some(TimeMs(51_000)));
    assert_eq!(c.next_wakeup(&p, TimeMs(51_000)), Some(TimeMs(60_000)));
    assert_eq!(c.next_wakeup(&p, TimeMs(60_000)), None);
}

#[test]
fn urgent_message_tightens_only_when_earlier() {
    let p = policy();
    let mut c = clock(false);
    assert!(!c.tighten(&p, TimeMs(10_000), false));
    assert_eq!(c.deadline, TimeMs(300_000));
    assert!(c.tighten(&p, TimeMs(100_000), true));
    assert_eq!(
        (c.started_at, c.deadline, c.urgent),
        (TimeMs(100_000), TimeMs(160_000), true)
    );
    // An urgent message 4:30 into a normal clock keeps the earlier 5-minute deadline.
    let mut late = clock(false);
    assert!(!late.tighten(&p, TimeMs(270_000), true));
    assert_eq!((late.deadline, late.urgent), (TimeMs(300_000), true));
}

#[test]
fn the_board_reports_each_crossing_once_and_stops_on_reply() {
    let p = policy();
    let mut b = ReplyClocks::default();
    let s = StoreId::new("s");
    b.on_customer_message(&p, &"a", &s, "顾客 a", TimeMs(0), false);
    b.on_customer_message(&p, &"a", &s, "顾客 a", TimeMs(50_000), false); // keeps the first start
    b.on_customer_message(&p, &"u", &s, "顾客 u", TimeMs(0), true);
    assert_eq!(b.waiting(Some(&s)), 2);
    assert_eq!(b.waiting(Some(&StoreId::new("other"))), 0);
    assert_eq!(b.next_due(), Some(TimeMs(36_000)));
    let at_40 = b.advance(&p, TimeMs(40_000));
    assert_eq!(at_40.len(), 1);
    assert_eq!(
        (at_40[0].conversation, at_40[0].stage),
        ("u", ClockStage::PreAlert(0))
    );
    assert!(b.advance(&p, TimeMs(40_000)).is_empty());
    assert_eq!(b.next_due(), Some(TimeMs(51_000)));
    // Jumping past several stages reports only the highest.
    let at_400 = b.advance(&p, TimeMs(400_000));
    assert!(at_400.iter().all(|c| c.stage == ClockStage::Overdue) && at_400.len() == 2);
    assert_eq!(b.by_deadline()[0].conversation, "u");
    assert!(b.on_reply(&"u").is_some());
    assert!(b.on_reply(&"u").is_none());
    assert_eq!(b.len(), 1);
}

#[test]
fn a_late_arriving_old_message_is_due_at_once() {
    let p = policy();
    let mut b = ReplyClocks::default();
    b.on_customer_message(&p, &"a", &StoreId::new("s"), "", TimeMs(0), false);
    assert!(b.next_due().unwrap() <= TimeMs(400_000), "due already");
    assert_eq!(b.advance(&p, TimeMs(400_000)).len(), 1);
    assert_eq!(b.next_due(), None);
}

#[test]
fn restore_replays_urgent_tightening_and_marks_past_stages_as_given() {
    let p = policy();
    let mut b = ReplyClocks::default();
    let row = AwaitingRow {
        conversation: "a",
        store: StoreId::new("s"),
        customer: "顾客 a".to_owned(),
        awaiting_since: TimeMs(0),
        deadline: TimeMs(160_000), // tightened by an urgent message at 100 s
        urgent: true,
    };
    b.restore(&p, [row], TimeMs(152_000));
    let c = b.get(&"a").unwrap();
    assert_eq!(
        (c.started_at, c.deadline, c.urgent),
        (TimeMs(100_000), TimeMs(160_000), true)
    );
    assert_eq!(b.customer(&"a"), Some("顾客 a"));
    assert!(
        b.advance(&p, TimeMs(152_000)).is_empty(),
        "85 % was reached before the restart"
    );
    assert_eq!(b.advance(&p, TimeMs(160_000))[0].stage, ClockStage::Overdue);
}

#[test]
fn reschedule_applies_new_fractions_to_running_clocks() {
    let mut p = policy();
    let mut b = ReplyClocks::default();
    b.on_customer_message(&p, &"a", &StoreId::new("s"), "", TimeMs(0), false);
    assert!(b.advance(&p, TimeMs(100_000)).is_empty());
    p.pre_alert_fractions = vec![0.2, 0.5];
    b.reschedule(&p, TimeMs(100_000));
    assert_eq!(
        b.next_due(),
        Some(TimeMs(100_000)),
        "20 % has passed already"
    );
    assert_eq!(
        b.advance(&p, TimeMs(100_000))[0].stage,
        ClockStage::PreAlert(0)
    );
    assert_eq!(b.next_due(), Some(TimeMs(150_000)));
}

#[test]
fn restored_windows_follow_the_persisted_deadline() {
    let p = policy();
    let row = |since: i64, deadline: i64, urgent: bool| AwaitingRow {
        conversation: "a",
        store: StoreId::new("s"),
        customer: String::new(),
        awaiting_since: TimeMs(since),
        deadline: TimeMs(deadline),
        urgent,
    };
    let start = |r: AwaitingRow<&'static str>| r.into_clock(&p).0.started_at;
    assert_eq!(start(row(1_000, 301_000, false)), TimeMs(1_000));
    assert_eq!(
        start(row(1_000, 61_000, true)),
        TimeMs(1_000),
        "urgent from the start"
    );
    // Urgent message late in a normal window: the 5-minute deadline stood.
    assert_eq!(start(row(1_000, 301_000, true)), TimeMs(1_000));
    assert_eq!(
        start(row(1_000, 31_000, true)),
        TimeMs(1_000),
        "never before the first message"
    );
}
