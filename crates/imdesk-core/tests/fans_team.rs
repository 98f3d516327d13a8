//! Fans groups cost the brand money: in team mode only a supervisor may create one or send a
//! coupon. An agent's desk is refused before anything else is looked at; a supervisor's desk
//! passes the role check (and, holding no platform credentials itself, is then told so).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::team_rig::*;
use imdesk_core::fans::{FansCouponForm, NewFansGroup};
use imdesk_core::team::{Role, TeamConfig};
use imdesk_core::view::{ErrorCode, IpcError};
use imdesk_core::DeskOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_supervisor_may_create_a_fans_group_or_send_a_coupon() {
    let (nats, sb, dir, relay_desk, relay) = team_up().await;
    let store = sb.stores()[0].epoi_id.clone();
    let agent = team_desk(
        &nats,
        &dir.path().join("agent.sqlite3"),
        "alice",
        DeskOptions::fast(),
    )
    .await;
    let boss = desk_as(
        TeamConfig {
            role: Role::Supervisor,
            ..team(&nats, "wang")
        },
        &dir.path().join("boss.sqlite3"),
        DeskOptions::fast(),
    )
    .await;
    let group = NewFansGroup {
        intro: "进群领券".into(),
        welcome: "欢迎".into(),
        join_coupon: None,
    };
    let coupon = FansCouponForm {
        group_id: "1".into(),
        count: 10,
        price: 5,
        limit_price: 30,
        claim_valid_days: 7,
        activity_ends_at: i64::MAX / 2,
    };

    let e = IpcError::from(
        agent
            .create_fans_group(&store, group.clone())
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, ErrorCode::Invalid, "{e:?}");
    assert!(e.message.contains("only a supervisor"), "{}", e.message);
    let e = IpcError::from(
        agent
            .send_fans_coupon(&store, coupon.clone())
            .await
            .unwrap_err(),
    );
    assert!(e.message.contains("only a supervisor"), "{}", e.message);

    let e = IpcError::from(boss.create_fans_group(&store, group).await.unwrap_err());
    assert_eq!(e.code, ErrorCode::Unsupported, "{e:?}");
    let e = IpcError::from(boss.send_fans_coupon(&store, coupon).await.unwrap_err());
    assert_eq!(e.code, ErrorCode::Unsupported, "{e:?}");
    assert!(sb.fans(&store).unwrap().groups.is_empty());

    agent.shutdown().await;
    boss.shutdown().await;
    stand_down(relay, &relay_desk).await;
}
