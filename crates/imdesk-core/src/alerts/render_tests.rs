use meituan_wire::{StoreId, TimeMs};

use super::*;
use crate::alerts::Sound;

fn alert(kind: AlertKind, count: u32, store: bool) -> Alert<u32> {
    Alert {
        kind,
        at: TimeMs(0),
        store: store.then(|| StoreId::new("poi-7")),
        conversation: Some(7),
        customer: Some("张**".to_owned()),
        preview: Some("我的外卖到哪了？\n  麻烦催一下".to_owned()),
        count,
        store_count: if store { 1 } else { 3 },
        waiting_count: 5,
        overdue_count: 0,
        remaining_secs: Some(45),
        sound: Sound::Normal,
        attention: false,
        urgent: false,
    }
}

#[test]
fn single_messages_show_store_customer_and_one_line_preview() {
    let t = render(
        &alert(AlertKind::Normal, 1, true),
        Lang::ZhCn,
        Some("望京店"),
    );
    assert_eq!(t.title, "望京店 · 张**");
    assert_eq!(t.body.as_deref(), Some("我的外卖到哪了？ 麻烦催一下"));
    let unnamed = render(&alert(AlertKind::Normal, 1, true), Lang::En, None);
    assert_eq!(unnamed.title, "poi-7 · 张**");
    let mut hidden = alert(AlertKind::Urgent, 1, true);
    hidden.preview = None;
    let t = render(&hidden, Lang::ZhCn, Some("国贸店"));
    assert_eq!(
        (t.title.as_str(), t.body),
        ("紧急消息 · 国贸店 · 张**", None)
    );
}

#[test]
fn summaries_say_how_many_wait_in_both_languages() {
    let store = alert(AlertKind::Summary, 3, true);
    assert_eq!(
        render(&store, Lang::En, Some("Wangjing")).body.as_deref(),
        Some("3 new messages, 5 customers waiting")
    );
    let brand = alert(AlertKind::Summary, 12, false);
    let zh = render(&brand, Lang::ZhCn, Some("ignored"));
    assert_eq!(zh.title, "3 家门店有新消息");
    assert_eq!(zh.body.as_deref(), Some("12 条新消息，共 5 位顾客等待回复"));
    assert_eq!(
        render(&brand, Lang::En, None).title,
        "New messages in 3 stores"
    );
    let repeat = alert(AlertKind::UrgentRepeat, 4, false);
    assert_eq!(
        render(&repeat, Lang::ZhCn, None).body.as_deref(),
        Some("4 位紧急顾客等待回复")
    );
    let mut one = alert(AlertKind::PreAlert, 1, true);
    one.urgent = false;
    assert_eq!(
        render(&one, Lang::En, Some("Guomao")).body.as_deref(),
        Some("张**: 0:45 left")
    );
    let mut late = alert(AlertKind::Overdue, 1, true);
    late.remaining_secs = Some(-75);
    late.urgent = true;
    let t = render(&late, Lang::ZhCn, Some("国贸店"));
    assert_eq!(
        (t.title.as_str(), t.body.as_deref()),
        ("紧急消息超时未回复 · 国贸店", Some("张** 已超时 1:15"))
    );
    assert_eq!(
        render(&alert(AlertKind::Overdue, 2, false), Lang::En, None)
            .body
            .as_deref(),
        Some("2 customers past the deadline")
    );
}

#[test]
fn long_previews_are_cut_to_the_limit() {
    let mut a = alert(AlertKind::Normal, 1, true);
    a.preview = Some("好".repeat(200));
    let body = render(&a, Lang::ZhCn, None).body.unwrap();
    assert_eq!(body.chars().count(), PREVIEW_CHARS);
    assert!(body.ends_with('…'));
}

#[test]
fn lang_serialises_as_bcp47_tags() {
    assert_eq!(serde_json::to_string(&Lang::ZhCn).unwrap(), "\"zh-CN\"");
    assert_eq!(serde_json::from_str::<Lang>("\"en\"").unwrap(), Lang::En);
}

#[test]
fn catch_up_says_who_waited_and_who_is_overdue() {
    let mut a = alert(AlertKind::CatchUp, 4, false);
    let t = render(&a, Lang::ZhCn, None);
    assert_eq!(
        (t.title.as_str(), t.body.as_deref()),
        ("通知已恢复", Some("4 位顾客等待回复"))
    );
    a.overdue_count = 2;
    assert_eq!(
        render(&a, Lang::ZhCn, None).body.as_deref(),
        Some("4 位顾客等待回复，其中 2 位已超时")
    );
    let one = alert(AlertKind::CatchUp, 1, true);
    let t = render(&one, Lang::En, Some("Wangjing"));
    assert_eq!(
        (t.title.as_str(), t.body.as_deref()),
        (
            "Notifications resumed · Wangjing",
            Some("1 customer waiting")
        )
    );
}
