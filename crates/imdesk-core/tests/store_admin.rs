//! Store administration through the engine against the sandbox: the IM switch (learned at
//! start, switched, read back, shown as the composer's block) and the auto-reply robot (read,
//! edited on one store, copied to many with a result per store, refused whole when a text is
//! too long, never left half-saved).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use imdesk_core::robot::{RobotEdit, RobotSwitch, RobotText};
use imdesk_core::view::{ComposeBlock, ErrorCode, IpcError};
use imdesk_core::Desk;
use meituan_sandbox::{ChatKind, CustomerMessage, Faults, Sandbox, ROBOT_REPLY_MAX_CHARS};

async fn im_of(desk: &Desk, epoi_id: &str) -> Option<bool> {
    desk.stores()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.epoi_id == epoi_id)
        .unwrap()
        .im_open
}

/// A two-party conversation the customer opened in `epoi_id`, as the desk knows it.
async fn conversation_in(sb: &Sandbox, desk: &Desk, epoi_id: &str) -> String {
    let p = sb
        .customer_says(CustomerMessage::text(
            epoi_id.to_owned(),
            ChatKind::PreOrder,
            "在吗",
        ))
        .unwrap();
    let id = format!("{epoi_id}|1|{}", p.open_user_id.unwrap());
    eventually(10, "the conversation stored", || async {
        desk.detail(&id).await.is_ok()
    })
    .await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_im_switch_is_learned_at_start_switched_and_blocks_the_composer() {
    let sb = sandbox(Faults::default()).await;
    let stores = sb.stores();
    let (a, b, c) = (&stores[0], &stores[1], &stores[2]);
    // Switched off elsewhere (the merchant's own app) before the desk starts.
    sb.set_im_status(&b.epoi_id, false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(RecordingSink::default());
    let desk = desk(&sb, &db_path(&dir), sink.clone()).await;

    // Learned at start, for the rail: b closed, the others open; the rail was told.
    eventually(10, "the switches learned", || async {
        desk.stores()
            .await
            .unwrap()
            .iter()
            .all(|s| s.im_open.is_some())
    })
    .await;
    assert_eq!(im_of(&desk, &a.epoi_id).await, Some(true));
    assert_eq!(im_of(&desk, &b.epoi_id).await, Some(false));
    assert_eq!(im_of(&desk, &c.epoi_id).await, Some(true));
    desk.settle().await;
    assert!(sink
        .events
        .lock()
        .unwrap()
        .iter()
        .any(|e| matches!(e, imdesk_core::view::DeskEvent::StoresChanged)));

    // A conversation of a: open composer. The agent closes a's IM: the platform holds it,
    // the desk read it back, the composer says why before anything is typed.
    let conv = conversation_in(&sb, &desk, &a.epoi_id).await;
    assert_eq!(desk.detail(&conv).await.unwrap().compose_block, None);
    let shown = desk.set_store_im(&a.epoi_id, false).await.unwrap();
    assert_eq!((shown.open, shown.error.clone()), (Some(false), None));
    assert!(shown.checked_at.is_some());
    assert!(!sb.im_status(&a.epoi_id).unwrap());
    assert_eq!(im_of(&desk, &a.epoi_id).await, Some(false));
    assert_eq!(
        desk.detail(&conv).await.unwrap().compose_block,
        Some(ComposeBlock::ImClosed)
    );
    assert!(!desk.detail(&conv).await.unwrap().can_send_images);

    // Reopened: the composer opens again.
    let shown = desk.set_store_im(&a.epoi_id, true).await.unwrap();
    assert_eq!(shown.open, Some(true));
    assert!(sb.im_status(&a.epoi_id).unwrap());
    assert_eq!(desk.detail(&conv).await.unwrap().compose_block, None);

    // Closed elsewhere (the merchant's own app) while the desk runs: the first send the
    // platform refuses makes the desk read the switch again, and the composer says why.
    sb.set_im_status(&a.epoi_id, false).unwrap();
    let queued = desk.send_text(&conv, "马上到").await.unwrap();
    assert!(desk
        .wait_sent(&queued.key, std::time::Duration::from_secs(20))
        .await
        .is_err());
    eventually(10, "the refusal teaching the switch", || async {
        im_of(&desk, &a.epoi_id).await == Some(false)
    })
    .await;
    assert_eq!(
        desk.detail(&conv).await.unwrap().compose_block,
        Some(ComposeBlock::ImClosed)
    );
    desk.set_store_im(&a.epoi_id, true).await.unwrap();

    // The store page reads the switch fresh: b reopened elsewhere is seen.
    sb.set_im_status(&b.epoi_id, true).unwrap();
    assert_eq!(desk.store_im(&b.epoi_id).await.unwrap().open, Some(true));
    assert_eq!(im_of(&desk, &b.epoi_id).await, Some(true));

    // A store whose token fails: switching is refused with a message naming the store, the
    // platform keeps its switch, and the store page says why it cannot read it.
    sb.expire_store_tokens(&c.epoi_id).unwrap();
    let e = IpcError::from(desk.set_store_im(&c.epoi_id, false).await.unwrap_err());
    assert_eq!(e.code, ErrorCode::Auth, "{e:?}");
    assert!(e.message.contains(&c.epoi_id), "{}", e.message);
    assert!(e.message.contains(&c.name), "{}", e.message);
    assert!(sb.im_status(&c.epoi_id).unwrap());
    let page = desk.store_im(&c.epoi_id).await.unwrap();
    assert_eq!(page.open, Some(true), "the switch known before is kept");
    assert_eq!(page.error.map(|e| e.code), Some(ErrorCode::Auth));

    // An unknown store is not found.
    let e = IpcError::from(desk.set_store_im("mt-9999", false).await.unwrap_err());
    assert_eq!(e.code, ErrorCode::NotFound);
    desk.shutdown().await;
}

fn scene(sb: &Sandbox, epoi_id: &str, id: i32) -> meituan_sandbox::AutoReplyScene {
    sb.auto_replies(epoi_id)
        .unwrap()
        .into_iter()
        .find(|s| s.scene == id)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_robot_edit_is_copied_to_many_stores_with_a_result_each() {
    let sb = sandbox_with(PushScope::Developer, Faults::default(), 5).await;
    let stores = sb.stores();
    let dir = tempfile::tempdir().unwrap();
    let desk = quiet_desk(&sb, &dir).await;

    // The robot as the platform holds it: every scene, the text of 18 alone editable.
    let shown = desk.robot_settings(&stores[0].epoi_id).await.unwrap();
    let platform = sb.auto_replies(&stores[0].epoi_id).unwrap();
    assert_eq!(shown.scenes.len(), platform.len());
    for (s, p) in shown.scenes.iter().zip(&platform) {
        assert_eq!(
            (s.scene, &s.name, s.on, &s.text),
            (p.scene, &p.name, p.on, &p.content)
        );
        assert_eq!(s.text_editable, s.scene == 18);
    }
    assert_eq!(shown.max_text_chars as usize, ROBOT_REPLY_MAX_CHARS);

    // One edit: the invite-review text, scene 9 off, scene 18 on; saved on store 0 and copied
    // to 1, 2, 3; store 4's token has expired.
    sb.expire_store_tokens(&stores[4].epoi_id).unwrap();
    let before_4 = sb.auto_replies(&stores[4].epoi_id).unwrap();
    let text = "亲，吃得满意的话给个五星好评吧～";
    let edit = RobotEdit {
        switches: vec![
            RobotSwitch {
                scene: 9,
                on: false,
            },
            RobotSwitch {
                scene: 18,
                on: true,
            },
        ],
        texts: vec![RobotText {
            scene: 18,
            text: text.to_owned(),
        }],
    };
    let all: Vec<String> = stores.iter().map(|s| s.epoi_id.clone()).collect();
    let results = desk
        .save_robot_settings(all.clone(), edit.clone())
        .await
        .unwrap();
    assert_eq!(results.len(), 5);
    for (r, s) in results.iter().zip(&stores).take(4) {
        assert!(r.saved, "{r:?}");
        assert_eq!((&r.epoi_id, &r.store_name), (&s.epoi_id, &s.name));
        let eighteen = scene(&sb, &s.epoi_id, 18);
        assert_eq!((eighteen.content.as_str(), eighteen.on), (text, true));
        assert!(!scene(&sb, &s.epoi_id, 9).on);
        let after = r.settings.as_ref().unwrap();
        assert!(after
            .scenes
            .iter()
            .any(|x| x.scene == 18 && x.text == text && x.on));
    }
    let failed = &results[4];
    assert!(!failed.saved);
    let e = failed.error.as_ref().unwrap();
    assert_eq!(e.code, ErrorCode::Auth);
    assert!(e.message.contains(&stores[4].epoi_id), "{}", e.message);
    assert_eq!(sb.auto_replies(&stores[4].epoi_id).unwrap(), before_4);

    // A text one character too long refuses the whole edit, naming the field: no store changes.
    let before: Vec<_> = all.iter().map(|s| sb.auto_replies(s).unwrap()).collect();
    let long = RobotEdit {
        switches: vec![RobotSwitch { scene: 9, on: true }],
        texts: vec![RobotText {
            scene: 18,
            text: "好".repeat(ROBOT_REPLY_MAX_CHARS + 1),
        }],
    };
    let e = IpcError::from(
        desk.save_robot_settings(all.clone(), long)
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, ErrorCode::TextTooLong);
    assert!(e.message.contains("scene 18"), "{}", e.message);
    // A text for a scene whose text the platform does not let us write: refused too.
    let fixed = RobotEdit {
        switches: vec![],
        texts: vec![RobotText {
            scene: 9,
            text: "马上就好".into(),
        }],
    };
    let e = IpcError::from(
        desk.save_robot_settings(all.clone(), fixed)
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, ErrorCode::Invalid);
    assert!(e.message.contains("scene 9"), "{}", e.message);
    let after: Vec<_> = all.iter().map(|s| sb.auto_replies(s).unwrap()).collect();
    assert_eq!(before, after, "nothing half-saved");
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_refusing_the_switches_gets_its_text_back() {
    let sb = sandbox(Faults::default()).await;
    let s = sb.stores()[0].clone();
    let dir = tempfile::tempdir().unwrap();
    let desk = quiet_desk(&sb, &dir).await;
    let before = sb.auto_replies(&s.epoi_id).unwrap();
    let was_on = scene(&sb, &s.epoi_id, 9).on;
    // The platform takes the text, then does not serve the switches.
    sb.set_faults(Faults {
        missing: vec!["setAutoSendConfigInfo".into()],
        ..Faults::default()
    });
    let edit = RobotEdit {
        switches: vec![RobotSwitch {
            scene: 9,
            on: !was_on,
        }],
        texts: vec![RobotText {
            scene: 18,
            text: "新的邀评话术".into(),
        }],
    };
    let results = desk
        .save_robot_settings(vec![s.epoi_id.clone()], edit)
        .await
        .unwrap();
    assert!(!results[0].saved);
    assert!(results[0].error.is_some());
    assert_eq!(
        sb.auto_replies(&s.epoi_id).unwrap(),
        before,
        "the text was put back"
    );
    let shown = results[0].settings.as_ref().unwrap();
    assert!(shown
        .scenes
        .iter()
        .any(|x| x.scene == 18 && x.text == scene(&sb, &s.epoi_id, 18).content));
    desk.shutdown().await;
}
