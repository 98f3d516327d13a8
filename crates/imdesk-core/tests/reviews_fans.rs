//! Review contact and fans groups through the engine against the sandbox: a store's reviews,
//! a review contact started where the right is unlocked (then in the inbox, with its review,
//! and written in), refused where it is not; a fans group created, a coupon sent, the quota
//! counted; every bad input refused with the field or the store named, and nothing created
//! on the platform when refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use imdesk_core::fans::{CouponStatus, FansCouponForm, JoinCouponForm, NewFansGroup};
use imdesk_core::platform::RightState;
use imdesk_core::view::{ConversationTitle, ErrorCode, InboxFilter, InboxQuery, IpcError};
use imdesk_core::Desk;
use meituan_sandbox::Faults;

async fn review_inbox(desk: &Desk, store: &str) -> Vec<String> {
    desk.inbox(InboxQuery {
        store: Some(store.to_owned()),
        filter: InboxFilter::ReviewContact,
        offset: 0,
        limit: 50,
    })
    .await
    .unwrap()
    .rows
    .into_iter()
    .map(|r| r.id)
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_contact_starts_where_the_right_is_unlocked_and_lands_in_the_inbox() {
    let sb = sandbox(Faults::default()).await;
    let stores = sb.stores();
    let (a, b) = (&stores[0], &stores[1]);
    // b's 5-minute reply rate is below its target: it does not hold the review-contact right.
    sb.script_reply_rates(&b.epoi_id, Some((80.0, 99.0)))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let desk = quiet_desk(&sb, &dir).await;

    // a's reviews, newest first, the right read from the platform; none contacted yet.
    let page = desk.store_reviews(&a.epoi_id, None).await.unwrap();
    let mut known: Vec<String> = sb
        .comment_ids(&a.epoi_id)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut listed: Vec<String> = page.reviews.iter().map(|r| r.comment_id.clone()).collect();
    known.sort();
    listed.sort();
    assert_eq!(listed, known);
    assert_eq!(page.contact_right, Some(RightState::Unlocked));
    assert!(page.reviews.iter().all(|r| r.conversation_id.is_none()));
    assert!(page.reviews.windows(2).all(|w| w[0].time >= w[1].time));
    assert!(page
        .reviews
        .iter()
        .all(|r| r.time.is_some() && !r.text.is_empty()));
    assert!(review_inbox(&desk, &a.epoi_id).await.is_empty());

    // Started on the newest: a new group, its conversation at the top of the review inbox,
    // titled by the review, with the review beside it once fetched.
    let review = page.reviews[0].clone();
    let started = desk
        .start_review_contact(&a.epoi_id, &review.comment_id)
        .await
        .unwrap();
    assert!(started.created);
    assert_eq!(
        started.conversation_id,
        format!("{}|4|{}", a.epoi_id, started.group_id)
    );
    assert_eq!(
        review_inbox(&desk, &a.epoi_id).await,
        vec![started.conversation_id.clone()]
    );
    let all = desk
        .inbox(InboxQuery {
            store: None,
            filter: InboxFilter::All,
            offset: 0,
            limit: 5,
        })
        .await
        .unwrap();
    assert!(
        all.rows.iter().any(|r| r.id == started.conversation_id),
        "a new contact is among the recent conversations"
    );
    let detail = desk.detail(&started.conversation_id).await.unwrap();
    assert_eq!(
        detail.row.title,
        ConversationTitle::Review {
            comment_id: review.comment_id.clone()
        }
    );
    assert_eq!(detail.compose_block, None);
    eventually(10, "the review fetched beside the chat", || async {
        desk.detail(&started.conversation_id)
            .await
            .unwrap()
            .review
            .is_some_and(|r| r.text == review.text)
    })
    .await;

    // The agent writes in it: the platform receives a review-contact message in that group.
    let sent = desk
        .send_text(
            &started.conversation_id,
            "您好，看到您的评价，想了解一下情况",
        )
        .await
        .unwrap();
    desk.wait_sent(&sent.key, Duration::from_secs(20))
        .await
        .unwrap();
    let on_platform = sb.merchant_messages(&a.epoi_id).unwrap();
    let last = on_platform.last().unwrap();
    assert_eq!(last.biz_type, 4);
    assert_eq!(
        last.group_id.map(|g| g.to_string()),
        Some(started.group_id.clone())
    );

    // Started again (a double click, another agent): the same conversation opens, no new one.
    let again = desk
        .start_review_contact(&a.epoi_id, &review.comment_id)
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.conversation_id, started.conversation_id);
    assert_eq!(review_inbox(&desk, &a.epoi_id).await.len(), 1);
    // Another desk of the brand, which has not seen it: the platform answers with the same
    // group, not a new one, and that desk's inbox gets the same conversation.
    let other_dir = tempfile::tempdir().unwrap();
    let other = quiet_desk(&sb, &other_dir).await;
    let there = other
        .start_review_contact(&a.epoi_id, &review.comment_id)
        .await
        .unwrap();
    assert!(!there.created);
    assert_eq!(there.conversation_id, started.conversation_id);
    assert_eq!(
        review_inbox(&other, &a.epoi_id).await,
        vec![started.conversation_id.clone()]
    );
    other.shutdown().await;
    let page = desk.store_reviews(&a.epoi_id, Some(7)).await.unwrap();
    let listed = page
        .reviews
        .iter()
        .find(|r| r.comment_id == review.comment_id)
        .unwrap();
    assert_eq!(
        listed.conversation_id.as_deref(),
        Some(started.conversation_id.as_str())
    );

    // b lacks the right: the page says so, starting is refused naming the store and the
    // right, nothing is created in the inbox, and the rights read is kept for the rates page.
    let b_page = desk.store_reviews(&b.epoi_id, None).await.unwrap();
    assert_eq!(b_page.contact_right, Some(RightState::Locked));
    let b_review = b_page.reviews[0].comment_id.clone();
    let e = IpcError::from(
        desk.start_review_contact(&b.epoi_id, &b_review)
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, ErrorCode::RightLocked, "{e:?}");
    assert!(
        e.message.contains(&b.epoi_id) && e.message.contains(&b.name),
        "{}",
        e.message
    );
    assert!(e.message.contains("review contact"), "{}", e.message);
    assert!(review_inbox(&desk, &b.epoi_id).await.is_empty());
    let rates = desk.platform_rates_page().await.unwrap();
    let b_rates = rates
        .stores
        .iter()
        .find(|s| s.epoi_id == b.epoi_id)
        .unwrap();
    assert!(b_rates.polled_at.is_some());
    assert!(b_rates
        .rights
        .iter()
        .any(|r| r.code == 1 && r.state == RightState::Locked));

    // Once b's rate recovers, the same review can be contacted.
    sb.script_reply_rates(&b.epoi_id, Some((99.0, 99.0)))
        .unwrap();
    let b_started = desk
        .start_review_contact(&b.epoi_id, &b_review)
        .await
        .unwrap();
    assert!(b_started.created);
    assert_eq!(
        review_inbox(&desk, &b.epoi_id).await,
        vec![b_started.conversation_id]
    );

    // Bad input: not a review id (the field named), another store's review (the platform
    // refuses, naming the store), an unknown store, a period out of range.
    let e = IpcError::from(
        desk.start_review_contact(&a.epoi_id, "abc")
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, ErrorCode::Invalid);
    assert!(e.message.contains("comment_id"), "{}", e.message);
    let e = IpcError::from(
        desk.start_review_contact(&a.epoi_id, &b_page.reviews[1].comment_id)
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, ErrorCode::Platform, "{e:?}");
    assert!(e.message.contains(&a.epoi_id), "{}", e.message);
    assert_eq!(review_inbox(&desk, &a.epoi_id).await.len(), 1);
    let e = IpcError::from(desk.start_review_contact("mt-9999", "1").await.unwrap_err());
    assert_eq!(e.code, ErrorCode::NotFound);
    let e = IpcError::from(desk.store_reviews(&a.epoi_id, Some(0)).await.unwrap_err());
    assert_eq!(e.code, ErrorCode::Invalid);
    assert!(e.message.contains("days"), "{}", e.message);
    desk.shutdown().await;
}

fn coupon(group_id: &str, ends_in_ms: i64, now: i64) -> FansCouponForm {
    FansCouponForm {
        group_id: group_id.to_owned(),
        count: 100,
        price: 5,
        limit_price: 30,
        claim_valid_days: 7,
        activity_ends_at: now + ends_in_ms,
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fans_group_is_created_and_sent_coupons_with_nothing_half_saved() {
    let sb = sandbox(Faults::default()).await;
    let stores = sb.stores();
    let (a, b) = (&stores[0], &stores[1]);
    let dir = tempfile::tempdir().unwrap();
    let desk = quiet_desk(&sb, &dir).await;

    // No group yet: the store may build one; this solo desk's user is the supervisor.
    let page = desk.store_fans(&a.epoi_id).await.unwrap();
    assert!(page.can_build && page.can_manage);
    assert!(page.groups.is_empty() && page.coupons.is_empty());
    assert_eq!(page.remaining_coupons, None);

    // Bad forms are refused naming the field, and the platform holds no group.
    let group = |intro: &str, join_coupon| NewFansGroup {
        intro: intro.to_owned(),
        welcome: "欢迎进群，每周三会员日".to_owned(),
        join_coupon,
    };
    let e = IpcError::from(
        desk.create_fans_group(&a.epoi_id, group("  ", None))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, ErrorCode::Invalid);
    assert!(e.message.contains("groupIntro"), "{}", e.message);
    let bad_coupon = JoinCouponForm {
        price: 30,
        limit_price: 20,
        validity_days: 7,
    };
    let e = IpcError::from(
        desk.create_fans_group(&a.epoi_id, group("进群领券", Some(bad_coupon)))
            .await
            .unwrap_err(),
    );
    assert!(e.message.contains("joinCoupon.limitPrice"), "{}", e.message);
    assert!(sb.fans(&a.epoi_id).unwrap().groups.is_empty());

    // Created with its join-group coupon: the group, the running activity, this month's quota.
    let join = JoinCouponForm {
        price: 3,
        limit_price: 20,
        validity_days: 7,
    };
    let page = desk
        .create_fans_group(&a.epoi_id, group("进群领券，新品抢先尝", Some(join)))
        .await
        .unwrap();
    assert_eq!(page.groups.len(), 1);
    let g = page.groups[0].clone();
    assert_eq!(g.intro, "进群领券，新品抢先尝");
    assert!(g.open && !g.name.is_empty());
    assert_eq!(page.activities.len(), 1);
    assert!(page.activities[0].running);
    assert_eq!(page.activities[0].price, Some(3));
    assert_eq!(page.remaining_coupons, Some(30));
    assert_eq!(sb.fans(&a.epoi_id).unwrap().groups.len(), 1);

    // Duplicates: the same introduction again, a second running join-group coupon.
    let e = IpcError::from(
        desk.create_fans_group(&a.epoi_id, group(" 进群领券，新品抢先尝 ", None))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, ErrorCode::Duplicate, "{e:?}");
    assert!(e.message.contains("groupIntro"), "{}", e.message);
    let e = IpcError::from(
        desk.start_join_coupon(&a.epoi_id, &g.group_id, join)
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, ErrorCode::Duplicate, "{e:?}");
    let state = sb.fans(&a.epoi_id).unwrap();
    assert_eq!((state.groups.len(), state.activities), (1, 1));

    // A coupon whose activity would end in the past, or whose discount is out of range: refused
    // naming the field, nothing sent, the quota untouched.
    let now = now_ms();
    let e = IpcError::from(
        desk.send_fans_coupon(&a.epoi_id, coupon(&g.group_id, -60_000, now))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, ErrorCode::InPast, "{e:?}");
    assert!(e.message.contains("activityEndsAt"), "{}", e.message);
    let mut too_rich = coupon(&g.group_id, 86_400_000, now);
    too_rich.price = 20;
    let e = IpcError::from(
        desk.send_fans_coupon(&a.epoi_id, too_rich)
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, ErrorCode::Invalid);
    assert!(
        e.message.starts_with("invalid input: price"),
        "{}",
        e.message
    );
    let state = sb.fans(&a.epoi_id).unwrap();
    assert!(state.coupons.is_empty());
    assert_eq!(state.remain, 30);

    // Sent: the platform's coupon, one fewer left this month, listed as running.
    let sent = desk
        .send_fans_coupon(&a.epoi_id, coupon(&g.group_id, 3 * 86_400_000, now))
        .await
        .unwrap();
    assert_eq!(
        sb.fans(&a.epoi_id).unwrap().coupons,
        vec![sent.coupon_config_id.clone()]
    );
    assert_eq!(sent.remaining_coupons, Some(29));
    let page = desk.store_fans(&a.epoi_id).await.unwrap();
    assert_eq!(page.coupons.len(), 1);
    assert_eq!(page.coupons[0].coupon_config_id, sent.coupon_config_id);
    assert_eq!(page.coupons[0].status, CouponStatus::Running);
    assert_eq!(page.coupons[0].remain, Some(100));
    assert!(page.coupons[0].ends_at.unwrap() > now);
    assert_eq!(page.remaining_coupons, Some(29));

    // No coupon left this month: refused before the platform is asked.
    sb.set_coupon_quota(&a.epoi_id, 0).unwrap();
    let e = IpcError::from(
        desk.send_fans_coupon(&a.epoi_id, coupon(&g.group_id, 86_400_000, now))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, ErrorCode::RightLocked, "{e:?}");
    assert!(e.message.contains(&a.epoi_id), "{}", e.message);
    assert_eq!(sb.fans(&a.epoi_id).unwrap().coupons.len(), 1);

    // b's group id is not a's; a store the platform does not let build a group is refused.
    let e = IpcError::from(
        desk.send_fans_coupon(&b.epoi_id, coupon(&g.group_id, 86_400_000, now))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, ErrorCode::NotFound, "{e:?}");
    sb.set_fans_groups_allowed(&b.epoi_id, false).unwrap();
    assert!(!desk.store_fans(&b.epoi_id).await.unwrap().can_build);
    let e = IpcError::from(
        desk.create_fans_group(&b.epoi_id, group("进群有礼", None))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, ErrorCode::RightLocked, "{e:?}");
    assert!(e.message.contains(&b.name), "{}", e.message);
    assert!(sb.fans(&b.epoi_id).unwrap().groups.is_empty());
    desk.shutdown().await;
}
