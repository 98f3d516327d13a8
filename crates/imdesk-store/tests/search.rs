//! Full-text search: Chinese substrings of two or more characters, latin words, newest first.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure

mod common;

use common::*;
use imdesk_store::{NewMessage, SearchBody, SearchFilter, Store};

fn texts(store: &Store, query: &str, filter: SearchFilter) -> Vec<String> {
    store
        .search(query.into(), filter)
        .unwrap()
        .into_iter()
        .map(|m| m.text.unwrap())
        .collect()
}

fn seeded(dir: &tempfile::TempDir) -> Store {
    let store = open(dir);
    let lines = [
        "我想申请退款可以吗",         // 1
        "外卖少送了一份米饭",         // 2
        "能帮我催单吗，很久了",       // 3
        "需要开发票，抬头是公司",     // 4
        "退款什么时候到账",           // 5
        "我的iPhone充电器落在店里了", // 6
        "退一下款",                   // 7: not a substring match for 退款
        "款了没退款了",               // 8: both bigrams of 退款了 and the substring
        "款了，之后退款",             // 9: both bigrams of 退款了, but no substring
        "订单号 ９８７６５ 查一下",   // 10: full-width digits
    ];
    let batch: Vec<NewMessage> = lines
        .iter()
        .enumerate()
        .map(|(i, t)| {
            customer(
                if i % 2 == 0 { "s1" } else { "s2" },
                i as i64,
                i as i64 + 1,
                T0 + i as i64 * MINUTE,
                t,
            )
        })
        .collect();
    store.ingest(batch).unwrap();
    store
}

#[test]
fn two_character_chinese_substrings_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(&dir);
    let all = SearchFilter::default();
    assert_eq!(
        texts(&store, "退款", all.clone()),
        vec![
            "款了，之后退款",
            "款了没退款了",
            "退款什么时候到账",
            "我想申请退款可以吗"
        ]
    );
    assert_eq!(
        texts(&store, "少送", all.clone()),
        vec!["外卖少送了一份米饭"]
    );
    assert_eq!(
        texts(&store, "催单", all.clone()),
        vec!["能帮我催单吗，很久了"]
    );
    assert_eq!(
        texts(&store, "发票", all.clone()),
        vec!["需要开发票，抬头是公司"]
    );
    assert!(texts(&store, "退货", all.clone()).is_empty());
    // Every hit names its conversation, for "jump to message".
    let hit = &store.search("发票".into(), all).unwrap()[0];
    let conv = store.conversation(hit.conversation_id).unwrap().unwrap();
    assert_eq!(conv.key.peer_id, 3);
}

#[test]
fn longer_queries_are_verified_substrings() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(&dir);
    assert_eq!(
        texts(&store, "退款了", SearchFilter::default()),
        vec!["款了没退款了"]
    );
    assert_eq!(
        texts(&store, "申请退款", SearchFilter::default()),
        vec!["我想申请退款可以吗"]
    );
    // Terms separated by spaces must all occur, in any order.
    assert_eq!(
        texts(&store, "到账 退款", SearchFilter::default()),
        vec!["退款什么时候到账"]
    );
}

#[test]
fn latin_words_digits_and_single_characters() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(&dir);
    let all = SearchFilter::default();
    assert_eq!(
        texts(&store, "iphone", all.clone()),
        vec!["我的iPhone充电器落在店里了"]
    );
    assert_eq!(
        texts(&store, "IPHO", all.clone()),
        vec!["我的iPhone充电器落在店里了"]
    );
    assert_eq!(
        texts(&store, "98765", all.clone()),
        vec!["订单号 ９８７６５ 查一下"]
    );
    // One character cannot use the bigram index: the scan fallback still finds it.
    assert_eq!(texts(&store, "饭", all.clone()), vec!["外卖少送了一份米饭"]);
    // A full-width comma folds to ',' in the query but stays full-width in the stored text:
    // the scan must not pre-filter on the folded term, with a store filter or without.
    assert_eq!(
        texts(&store, "吗，", all.clone()),
        vec!["能帮我催单吗，很久了"]
    );
    let s1 = SearchFilter {
        store: Some("s1".into()),
        ..Default::default()
    };
    assert_eq!(texts(&store, "吗，", s1), vec!["能帮我催单吗，很久了"]);
    assert!(texts(&store, "，。", all).is_empty());
}

#[test]
fn filters_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(&dir);
    let only = |f: SearchFilter| texts(&store, "退款", f);
    // Messages 1, 5, 9 (indexes 0, 4, 8) are in s1.
    assert_eq!(
        only(SearchFilter {
            store: Some("s1".into()),
            ..Default::default()
        }),
        vec!["款了，之后退款", "退款什么时候到账", "我想申请退款可以吗"]
    );
    // A store's hits of a term and of a single character (scanned), with a limit.
    let in_s2 = |query: &str, limit: u32| {
        texts(
            &store,
            query,
            SearchFilter {
                store: Some("s2".into()),
                limit,
                ..Default::default()
            },
        )
    };
    assert_eq!(in_s2("退款", 50), vec!["款了没退款了"]);
    assert_eq!(in_s2("退", 50), vec!["款了没退款了"], "退一下款 is in s1");
    assert_eq!(in_s2("米饭", 1), vec!["外卖少送了一份米饭"]);
    assert_eq!(in_s2("了", 1), vec!["款了没退款了"], "newest first");
    assert!(in_s2("申请", 50).is_empty(), "申请 is only in s1");
    assert_eq!(
        only(SearchFilter {
            limit: 1,
            ..Default::default()
        }),
        vec!["款了，之后退款"]
    );
    assert_eq!(
        only(SearchFilter {
            since_ms: Some(T0 + MINUTE),
            until_ms: Some(T0 + 8 * MINUTE),
            ..Default::default()
        }),
        vec!["款了没退款了", "退款什么时候到账"]
    );
    assert!(only(SearchFilter {
        biz_type: Some(4),
        ..Default::default()
    })
    .is_empty());
    assert!(only(SearchFilter {
        msg_type: Some(2),
        ..Default::default()
    })
    .is_empty());
    assert_eq!(
        only(SearchFilter {
            msg_type: Some(1),
            ..Default::default()
        })
        .len(),
        4
    );
}

#[test]
fn merchant_text_is_searchable_and_undecryptable_text_is_not_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .ingest(vec![
            merchant("s1", 1, 1, T0, "已为您催单"),
            NewMessage {
                text: None,
                decrypt_failed: true,
                ..customer("s1", 1, 2, T0 + 1, "")
            },
        ])
        .unwrap();
    assert_eq!(
        texts(&store, "催单", SearchFilter::default()),
        vec!["已为您催单"]
    );
}

#[test]
fn a_search_body_made_ahead_of_the_writer_is_the_one_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let text = "骑手说餐洒了";
    store
        .ingest(vec![NewMessage {
            search_body: Some(SearchBody::of(text)),
            ..customer("s1", 1, 1, T0, text)
        }])
        .unwrap();
    assert_eq!(
        texts(&store, "洒了", SearchFilter::default()),
        vec![text.to_owned()]
    );
    assert_eq!(
        texts(&store, "骑手", SearchFilter::default()),
        vec![text.to_owned()]
    );
}
