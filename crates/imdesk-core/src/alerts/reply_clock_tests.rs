use super::super::sim::store_clock;
use super::*;

const FRACTIONS: [f64; 2] = [0.6, 0.85];

fn clock(urgent: bool) -> RunningClock<&'static str> {
    RunningClock {
        conversation: "c",
        store: StoreId::new("s"),
        clock: store_clock(None, TimeMs(0), urgent),
    }
}

/// Feeds a customer message sent (and observed) at `at` with the clock the store would give it.
fn message(b: &mut ReplyClocks<&'static str>, conv: &'static str, at: i64, urgent: bool) {
    let c = store_clock(b.get(&conv).map(|c| c.clock), TimeMs(at), urgent);
    let s = StoreId::new("s");
    b.on_customer_message(
        &FRACTIONS,
        &conv,
        &s,
        &format!("顾客 {conv}"),
        c,
        TimeMs(at),
    );
}

#[test]
fn stages_change_exactly_at_the_fractions_and_the_deadline() {
    let c = clock(false);
    let f = &FRACTIONS;
    assert_eq!(c.stage_at(f, TimeMs(179_999)), ClockStage::Waiting);
    assert_eq!(c.stage_at(f, TimeMs(180_000)), ClockStage::PreAlert(0));
    assert_eq!(c.stage_at(f, TimeMs(254_999)), ClockStage::PreAlert(0));
    assert_eq!(c.stage_at(f, TimeMs(255_000)), ClockStage::PreAlert(1));
    assert_eq!(c.stage_at(f, TimeMs(299_999)), ClockStage::PreAlert(1));
    assert_eq!(c.stage_at(f, TimeMs(300_000)), ClockStage::Overdue);
    assert!(
        ClockStage::Waiting < ClockStage::PreAlert(0)
            && ClockStage::PreAlert(1) < ClockStage::Overdue
    );
}

#[test]
fn next_wakeup_is_the_next_boundary_after_now() {
    let c = clock(true);
    let f = &FRACTIONS;
    assert_eq!(c.next_wakeup(f, TimeMs(0)), Some(TimeMs(36_000)));
    assert_eq!(c.next_wakeup(f, TimeMs(36_000)), Some(TimeMs(51_000)));
    assert_eq!(c.next_wakeup(f, TimeMs(51_000)), Some(TimeMs(60_000)));
    assert_eq!(c.next_wakeup(f, TimeMs(60_000)), None);
}

#[test]
fn the_board_takes_the_stores_clock_and_a_tightened_one_alerts_in_its_own_window() {
    let mut b = ReplyClocks::default();
    message(&mut b, "a", 0, false);
    message(&mut b, "a", 10_000, false); // the same clock: nothing moves
    assert_eq!(b.next_due(), Some(TimeMs(180_000)));
    // An urgent message at 100 s: due at 160 s, and its pre-alerts fall inside its own
    // 1-minute window (100–160 s), as the driver hands the clock over: 136 s and 151 s.
    message(&mut b, "a", 100_000, true);
    let a = &b.get(&"a").unwrap().clock;
    assert_eq!(
        (a.awaiting_since, a.deadline, a.urgent),
        (TimeMs(100_000), TimeMs(160_000), true)
    );
    assert!(b.advance(&FRACTIONS, TimeMs(100_000)).is_empty());
    assert_eq!(b.next_due(), Some(TimeMs(136_000)));
    assert_eq!(
        b.advance(&FRACTIONS, TimeMs(136_000))[0].stage,
        ClockStage::PreAlert(0)
    );
    assert_eq!(
        b.advance(&FRACTIONS, TimeMs(151_000))[0].stage,
        ClockStage::PreAlert(1)
    );
}

#[test]
fn the_board_reports_each_crossing_once_and_stops_on_reply() {
    let mut b = ReplyClocks::default();
    let s = StoreId::new("s");
    message(&mut b, "a", 0, false);
    message(&mut b, "u", 0, true);
    assert_eq!(b.waiting(Some(&s)), 2);
    assert_eq!(b.waiting(Some(&StoreId::new("other"))), 0);
    assert_eq!(b.next_due(), Some(TimeMs(36_000)));
    let at_40 = b.advance(&FRACTIONS, TimeMs(40_000));
    assert_eq!(at_40.len(), 1);
    assert_eq!(
        (at_40[0].conversation, at_40[0].stage),
        ("u", ClockStage::PreAlert(0))
    );
    assert!(b.advance(&FRACTIONS, TimeMs(40_000)).is_empty());
    assert_eq!(b.next_due(), Some(TimeMs(51_000)));
    // Jumping past several stages reports only the highest.
    let at_400 = b.advance(&FRACTIONS, TimeMs(400_000));
    assert!(at_400.iter().all(|c| c.stage == ClockStage::Overdue) && at_400.len() == 2);
    assert_eq!(*b.by_deadline()[0].conversation, "u");
    assert!(b.on_reply(&"u").is_some());
    assert!(b.on_reply(&"u").is_none());
    assert_eq!(b.len(), 1);
}

#[test]
fn a_late_arriving_old_message_is_due_at_once() {
    let mut b = ReplyClocks::default();
    let c = store_clock(None, TimeMs(0), false);
    b.on_customer_message(&FRACTIONS, &"a", &StoreId::new("s"), "", c, TimeMs(400_000));
    assert!(b.next_due().unwrap() <= TimeMs(400_000), "due already");
    assert_eq!(b.advance(&FRACTIONS, TimeMs(400_000)).len(), 1);
    assert_eq!(b.next_due(), None);
}

#[test]
fn restore_keeps_the_persisted_clock_and_marks_past_stages_as_given() {
    let mut b = ReplyClocks::default();
    let clock = ReplyDeadline {
        awaiting_since: TimeMs(0),
        deadline: TimeMs(160_000), // tightened by an urgent message at 100 s
        urgent: true,
    };
    let row = AwaitingRow {
        conversation: "a",
        store: StoreId::new("s"),
        customer: "顾客 a".to_owned(),
        clock,
    };
    b.restore(&FRACTIONS, [row], TimeMs(137_000));
    assert_eq!(b.get(&"a").unwrap().clock, clock);
    assert_eq!(b.customer(&"a"), Some("顾客 a"));
    assert!(
        b.advance(&FRACTIONS, TimeMs(137_000)).is_empty(),
        "85 % (136 s) was reached before the restart"
    );
    assert_eq!(
        b.advance(&FRACTIONS, TimeMs(160_000))[0].stage,
        ClockStage::Overdue
    );
}

#[test]
fn reschedule_applies_new_fractions_to_running_clocks() {
    let mut b = ReplyClocks::default();
    message(&mut b, "a", 0, false);
    assert!(b.advance(&FRACTIONS, TimeMs(100_000)).is_empty());
    let f = [0.2, 0.5];
    b.reschedule(&f, TimeMs(100_000));
    assert_eq!(
        b.next_due(),
        Some(TimeMs(100_000)),
        "20 % has passed already"
    );
    assert_eq!(
        b.advance(&f, TimeMs(100_000))[0].stage,
        ClockStage::PreAlert(0)
    );
    assert_eq!(b.next_due(), Some(TimeMs(150_000)));
}

#[test]
fn a_stopped_or_replaced_clock_leaves_no_wakeup_or_urgent_entry_behind() {
    let mut b = ReplyClocks::default();
    message(&mut b, "a", 0, false);
    message(&mut b, "b", 60_000, false);
    assert_eq!(b.next_due(), Some(TimeMs(180_000)));
    b.on_reply(&"a");
    assert_eq!(
        b.next_due(),
        Some(TimeMs(240_000)),
        "a's wakeup went with its clock"
    );
    message(&mut b, "b", 100_000, true);
    assert!(b.any_urgent());
    let urgent: Vec<&str> = b
        .urgent_by_deadline()
        .iter()
        .map(|c| *c.conversation)
        .collect();
    assert_eq!(urgent, ["b"]);
    let tightened = b
        .get(&"b")
        .unwrap()
        .clock
        .next_wakeup(&FRACTIONS, TimeMs(100_000));
    assert_eq!(b.next_due(), tightened, "the old clock's wakeup is gone");
    b.on_reply(&"b");
    assert_eq!(b.next_due(), None);
    assert!(!b.any_urgent() && b.urgent_by_deadline().is_empty());
    assert!(b.advance(&FRACTIONS, TimeMs(10_000_000)).is_empty());
}

#[test]
fn a_tick_reports_the_clocks_due_among_thousands_restored_in_conversation_order() {
    let s = StoreId::new("s");
    let row = |conversation: u32, since: i64| AwaitingRow {
        conversation,
        store: s.clone(),
        customer: String::new(),
        clock: ReplyDeadline {
            awaiting_since: TimeMs(since),
            deadline: TimeMs(since + 300_000),
            urgent: false,
        },
    };
    let now = 3_600_000;
    let mut b = ReplyClocks::default();
    // Long overdue at the restart: reported before it, never due again.
    b.restore(&FRACTIONS, (0..20_000).map(|c| row(c, 0)), TimeMs(now));
    // Three clocks started at the restart, given in reverse order.
    b.restore(
        &FRACTIONS,
        (30_000..30_003).rev().map(|c| row(c, now)),
        TimeMs(now),
    );
    assert_eq!(b.len(), 20_003);
    assert_eq!(b.next_due(), Some(TimeMs(now + 180_000)));
    assert!(b.advance(&FRACTIONS, TimeMs(now + 179_999)).is_empty());
    let first = b.advance(&FRACTIONS, TimeMs(now + 180_000));
    let reported: Vec<(u32, ClockStage)> =
        first.iter().map(|c| (c.conversation, c.stage)).collect();
    assert_eq!(
        reported,
        [
            (30_000, ClockStage::PreAlert(0)),
            (30_001, ClockStage::PreAlert(0)),
            (30_002, ClockStage::PreAlert(0))
        ]
    );
    assert_eq!(b.next_due(), Some(TimeMs(now + 255_000)));
    // Both later boundaries passed at once: the highest stage, once.
    let late = b.advance(&FRACTIONS, TimeMs(now + 300_000));
    assert!(late.iter().all(|c| c.stage == ClockStage::Overdue));
    assert_eq!(late.len(), 3);
    assert_eq!(b.next_due(), None);
    assert!(b.advance(&FRACTIONS, TimeMs(now + 999_999)).is_empty());
}

#[test]
fn each_clock_keeps_its_own_store_and_label_though_the_board_holds_each_store_once() {
    let mut b: ReplyClocks<&'static str> = ReplyClocks::default();
    let (north, south) = (StoreId::new("north"), StoreId::new("south"));
    for (conv, store, at) in [("a", &north, 0), ("b", &south, 1_000), ("c", &south, 2_000)] {
        let clock = store_clock(None, TimeMs(at), false);
        b.on_customer_message(
            &FRACTIONS,
            &conv,
            store,
            &format!("顾客 {conv}"),
            clock,
            TimeMs(at),
        );
    }
    assert_eq!(b.waiting(None), 3);
    assert_eq!(b.waiting(Some(&north)), 1);
    assert_eq!(b.waiting(Some(&south)), 2);
    assert_eq!(b.waiting(Some(&StoreId::new("elsewhere"))), 0);
    let stores: Vec<(&str, &str)> = b
        .iter()
        .map(|c| (*c.conversation, c.store.as_str()))
        .collect();
    assert_eq!(stores, [("a", "north"), ("b", "south"), ("c", "south")]);
    assert_eq!(b.customer(&"b"), Some("顾客 b"));

    // A crossing names the store of its clock.
    let crossed = b.advance(&FRACTIONS, TimeMs(400_000));
    let named: Vec<(&str, &str)> = crossed
        .iter()
        .map(|c| (c.conversation, c.store.as_str()))
        .collect();
    assert_eq!(named, [("a", "north"), ("b", "south"), ("c", "south")]);

    // A reply hands the clock back whole, with its store; the others keep theirs.
    let stopped = b.on_reply(&"b").expect("b was running");
    assert_eq!((stopped.conversation, stopped.store), ("b", south.clone()));
    assert_eq!(b.waiting(Some(&south)), 1);
    assert_eq!(b.get(&"c").map(|c| c.store.clone()), Some(south));
    assert_eq!(b.get(&"a").map(|c| c.store.clone()), Some(north));
}
