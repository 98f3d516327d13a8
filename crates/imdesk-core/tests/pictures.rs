//! Pictures against the sandbox: a picture sent into a chat is staged, uploaded, sent once
//! and kept as its URL; stores without image upload refuse locally; blocking a customer
//! uploads the evidence, blocks on the platform and closes the composer; unblocking reopens it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use imdesk_core::convert::conversation_id;
use imdesk_core::view::{
    BlockReason, BlockRequest, ComposeBlock, ErrorCode, IpcError, MessageBody, PictureFile,
    SendState,
};
use imdesk_core::Desk;
use imdesk_store::ConversationKey;
use meituan_sandbox::{ChatKind, CustomerMessage, Faults, Sandbox};

fn code<T: std::fmt::Debug>(r: Result<T, imdesk_core::DeskError>) -> ErrorCode {
    IpcError::from(r.unwrap_err()).code
}

/// A customer chat in the `index`-th sandbox store; returns (store, business id, view id).
async fn chat(sb: &Sandbox, desk: &Desk, index: usize, text: &str) -> (String, u8, String) {
    let info = sb.stores()[index].clone();
    let p = sb
        .customer_says(CustomerMessage::text(
            &info.epoi_id,
            ChatKind::InProgress,
            text,
        ))
        .unwrap();
    let id = conversation_id(&ConversationKey {
        store: info.epoi_id.clone(),
        biz_type: 1,
        peer_id: p.open_user_id.unwrap(),
    });
    eventually(10, "the chat is stored", || async {
        desk.detail(&id).await.is_ok()
    })
    .await;
    (info.epoi_id, info.business_id, id)
}

fn staged_files(dir: &tempfile::TempDir) -> usize {
    std::fs::read_dir(dir.path().join("attachments"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picture_is_staged_uploaded_and_sent_once() {
    let sb = sandbox(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&sb, &db_path(&dir), Arc::new(RecordingSink::default())).await;
    connected(&sb, 3).await;
    let (store, business_id, id) = chat(&sb, &desk, 0, "餐品有问题，我拍给你看").await;
    assert_eq!(
        business_id, 16,
        "the sandbox's first store is a businessId-16 store"
    );
    assert!(desk.detail(&id).await.unwrap().can_send_images);

    let queued = desk
        .send_image(&id, picture("photo.png", &png_of(48, 7)))
        .await
        .unwrap();
    assert_eq!(queued.body, MessageBody::Image);
    let sent = desk
        .wait_sent(&queued.key, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(sent.send_state, Some(SendState::Sent));
    let url = sent.text.clone().expect("a sent picture shows its URL");

    // The customer received exactly one picture: the upload, under our msg_id.
    let uploads = sb.uploads(&store).unwrap();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].pic_url, url);
    let received: Vec<_> = sb
        .merchant_messages(&store)
        .unwrap()
        .into_iter()
        .filter(|m| m.msg_type == 2)
        .collect();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].text, url);
    assert_eq!(received[0].msg_id.to_string(), sent.msg_id);

    // History keeps it as a picture with its URL; the staged file is gone.
    let page = desk.history(&id, None, 20).await.unwrap();
    let mine = page.messages.last().unwrap();
    assert_eq!(
        (mine.body, mine.text.as_deref()),
        (MessageBody::Image, Some(url.as_str()))
    );
    assert_eq!(staged_files(&dir), 0);
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pictures_are_refused_locally_with_the_reason() {
    let sb = sandbox(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&sb, &db_path(&dir), Arc::new(RecordingSink::default())).await;
    connected(&sb, 3).await;
    let (_, _, id16) = chat(&sb, &desk, 0, "在吗").await;
    let (store2, business_id, id2) = chat(&sb, &desk, 1, "在吗").await;
    assert_eq!(business_id, 2);

    // businessId 2 has no image upload: no picture, no block, and nothing reaches the platform.
    let detail = desk.detail(&id2).await.unwrap();
    assert!(!detail.can_send_images && !detail.can_block);
    assert_eq!(
        code(
            desk.send_image(&id2, picture("a.png", &png_of(48, 1)))
                .await
        ),
        ErrorCode::Unsupported
    );
    assert!(sb.uploads(&store2).unwrap().is_empty());

    // Not a picture, and too large.
    assert_eq!(
        code(
            desk.send_image(&id16, picture("a.gif", b"GIF89a...."))
                .await
        ),
        ErrorCode::BadImage
    );
    let mut huge = png_of(48, 2);
    huge.resize(3 * 1024 * 1024, 0);
    assert_eq!(
        code(desk.send_image(&id16, picture("big.png", &huge)).await),
        ErrorCode::BadImage
    );
    assert_eq!(
        code(
            desk.send_image(
                &id16,
                PictureFile {
                    name: "x.png".into(),
                    data_base64: "不是base64".into()
                }
            )
            .await
        ),
        ErrorCode::Invalid
    );
    // Nothing was queued or left on disk by the refusals.
    assert!(desk.history(&id16, None, 20).await.unwrap().messages.len() == 1);
    assert_eq!(staged_files(&dir), 0);
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_uploads_evidence_blocks_on_the_platform_and_closes_the_composer() {
    let sb = sandbox(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&sb, &db_path(&dir), Arc::new(RecordingSink::default())).await;
    connected(&sb, 3).await;
    let (store, _, id) = chat(&sb, &desk, 0, "加我微信，给你返现").await;
    let user: i64 = id.rsplit('|').next().unwrap().parse().unwrap();
    assert!(desk.detail(&id).await.unwrap().can_block);

    // Refused before anything is uploaded: no evidence, or "other" without a description.
    let no_evidence = BlockRequest {
        reason: BlockReason::WechatFraud,
        description: None,
        evidence: vec![],
    };
    assert_eq!(
        code(desk.block_customer(&id, no_evidence).await),
        ErrorCode::Invalid
    );
    let other = BlockRequest {
        reason: BlockReason::Other,
        description: Some("  ".into()),
        evidence: vec![picture("e.png", &png_of(48, 3))],
    };
    assert_eq!(
        code(desk.block_customer(&id, other).await),
        ErrorCode::Invalid
    );
    assert!(sb.uploads(&store).unwrap().is_empty());

    let request = BlockRequest {
        reason: BlockReason::WechatFraud,
        description: None,
        evidence: vec![
            picture("e1.png", &png_of(48, 4)),
            picture("e2.png", &png_of(48, 5)),
        ],
    };
    desk.block_customer(&id, request).await.unwrap();
    let blocked = sb.blocked(&store).unwrap();
    assert_eq!(blocked.len(), 1);
    assert_eq!((blocked[0].open_user_id, blocked[0].block_code), (user, 2));
    let codes: Vec<String> = sb
        .uploads(&store)
        .unwrap()
        .into_iter()
        .map(|u| u.pic_code)
        .collect();
    assert_eq!(
        blocked[0].voucher_pic_ids, codes,
        "the evidence is our two uploads"
    );
    let detail = desk.detail(&id).await.unwrap();
    assert!(detail.row.blocked && !detail.can_block);
    assert_eq!(detail.compose_block, Some(ComposeBlock::CustomerBlocked));
    assert_eq!(
        code(desk.send_text(&id, "您好").await),
        ErrorCode::CustomerBlocked
    );

    desk.unblock_customer(&id).await.unwrap();
    assert!(sb.blocked(&store).unwrap().is_empty());
    let detail = desk.detail(&id).await.unwrap();
    assert!(!detail.row.blocked && detail.compose_block.is_none());
    let sent = desk
        .send_text(&id, "您好，请问有什么可以帮您")
        .await
        .unwrap();
    desk.wait_sent(&sent.key, Duration::from_secs(10))
        .await
        .unwrap();
    desk.shutdown().await;
}

/// A picture queued while the platform fails survives a restart: the staged file is still
/// there, the next run uploads and sends it once, then removes it; stale files are cleaned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staged_picture_survives_a_restart_and_is_sent_once() {
    use imdesk_core::DeskOptions;
    let sb = sandbox(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let opts = || DeskOptions {
        send_attempts: 10_000, // keep trying until the shutdown
        ..DeskOptions::fast()
    };
    let sink = Arc::new(RecordingSink::default());
    let first = desk_with(&sb, &db_path(&dir), sink.clone(), opts()).await;
    connected(&sb, 3).await;
    let (store, _, id) = chat(&sb, &first, 0, "发个图看看").await;
    sb.set_faults(Faults {
        http_503: 1.0,
        ..Faults::default()
    });
    let calls = sb.counters().0;
    let queued = first
        .send_image(&id, picture("photo.png", &png_of(48, 9)))
        .await
        .unwrap();
    eventually(10, "upload attempts against the down gateway", || async {
        sb.counters().0 >= calls + 2
    })
    .await;
    first.shutdown().await;
    drop(first);
    assert!(
        sb.uploads(&store).unwrap().is_empty(),
        "nothing got through"
    );
    assert_eq!(staged_files(&dir), 1, "the picture waits on disk");
    std::fs::write(dir.path().join("attachments").join("stale-1.png"), b"x").unwrap();

    sb.set_faults(Faults::default());
    let second = desk_with(&sb, &db_path(&dir), sink, opts()).await;
    let sent = second
        .wait_sent(&queued.key, Duration::from_secs(15))
        .await
        .unwrap();
    let pictures: Vec<_> = sb
        .merchant_messages(&store)
        .unwrap()
        .into_iter()
        .filter(|m| m.msg_type == 2)
        .collect();
    assert_eq!(pictures.len(), 1, "sent exactly once");
    assert_eq!(pictures[0].msg_id.to_string(), queued.msg_id);
    assert_eq!(sent.text.as_deref(), Some(pictures[0].text.as_str()));
    eventually(5, "the staged file removed", || async {
        staged_files(&dir) == 0
    })
    .await;
    second.shutdown().await;
}

/// A text that happens to start with `local:` is text, not a picture reference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_starting_with_local_is_sent_as_text() {
    let sb = sandbox(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&sb, &db_path(&dir), Arc::new(RecordingSink::default())).await;
    connected(&sb, 3).await;
    let (store, _, id) = chat(&sb, &desk, 0, "地址写哪").await;
    let queued = desk.send_text(&id, "local:楼下").await.unwrap();
    assert_eq!(queued.text.as_deref(), Some("local:楼下"));
    desk.wait_sent(&queued.key, Duration::from_secs(10))
        .await
        .unwrap();
    let texts: Vec<String> = sb
        .merchant_messages(&store)
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts, vec!["local:楼下".to_owned()]);
    desk.shutdown().await;
}
