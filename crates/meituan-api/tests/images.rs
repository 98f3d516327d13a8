//! Pictures against `meituan-sandbox` on loopback: upload (businessId 16 only), an image
//! message showing the upload, and blocking with it as evidence; and every refusal, local
//! (nothing sent) or from the platform.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad fixtures

mod common;

use base64::Engine as _;
use meituan_api::im::{BlockCode, BlockUser, SendMessage};
use meituan_api::image::{
    image_msg_content, voucher_pic_id, UploadImage, UploadedImage, MAX_IMAGE_BYTES,
};
use meituan_api::ApiError;
use meituan_sandbox::{ChatKind, CustomerMessage, ImageRef, Pushed, Sandbox};
use meituan_wire::*;

use common::{reply_of, world};

fn png() -> Vec<u8> {
    meituan_sandbox::images::png(4).unwrap()
}

fn image_message(cipher: &AesEcbCipher, to: &Pushed, msg_id: i64, plain: &str) -> SendMessage {
    reply_of(cipher, to, msg_id, MsgType::IMAGE, plain)
}

fn block(to: &Pushed, ids: Vec<String>) -> BlockUser {
    BlockUser {
        open_user_id: OpenUserId(to.open_user_id.unwrap()),
        block_code: BlockCode::Harassment,
        block_reason_desc: None,
        voucher_pic_ids: ids,
    }
}

fn gateway_calls(sb: &Sandbox) -> u64 {
    sb.counters().0
}

#[tokio::test]
async fn upload_then_send_the_picture_and_block_with_it() {
    let w = world().await;
    let key = &w.on16;
    let store = key.store.as_str();
    let uploaded: UploadedImage = w
        .client
        .call(key, &UploadImage::from_bytes(&png()).unwrap())
        .await
        .unwrap();
    let kept = w.sandbox.uploads(store).unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (&kept[0].pic_code, kept[0].size),
        (&uploaded.pic_code, png().len())
    );

    let asked = w
        .sandbox
        .customer_says(CustomerMessage::text(store, ChatKind::PreOrder, "发张图"))
        .unwrap();
    let cipher = AesEcbCipher::from_im_secret(&w.sandbox.im_secret()).unwrap();
    let plain = image_msg_content(&uploaded);
    w.client
        .call(key, &image_message(&cipher, &asked, 31, &plain))
        .await
        .unwrap();
    let got = w.sandbox.merchant_messages(store).unwrap();
    assert_eq!(
        (got[0].msg_type, got[0].text.as_str()),
        (2, uploaded.pic_url.as_str())
    );
    assert_eq!(
        got[0].image,
        Some(ImageRef::Upload {
            pic_code: uploaded.pic_code.clone(),
            epoi_id: store.to_string()
        })
    );

    w.client
        .call(key, &block(&asked, vec![voucher_pic_id(&uploaded)]))
        .await
        .unwrap();
    assert_eq!(
        w.sandbox.blocked(store).unwrap()[0].voucher_pic_ids,
        vec![uploaded.pic_code]
    );
    w.sandbox.shutdown().await;
}

#[tokio::test]
async fn bad_uploads_and_business_id_2_are_refused_before_sending() {
    let w = world().await;
    let before = gateway_calls(&w.sandbox);
    let refused = w
        .client
        .call(&w.on2, &UploadImage::from_bytes(&png()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(refused.unsupported_in(), Some(BusinessId::Waimai));
    assert_eq!(
        refused.to_string(),
        "image/uploadNoWater: invalid request: no image upload endpoint for businessId 2"
    );
    let raw = serde_json::json!({"img_name": "a.png", "img": "", "pic_type": 1});
    let raw_refused = w
        .client
        .call_raw(&w.on2, "image/uploadNoWater", Some(&raw))
        .await
        .unwrap_err();
    assert_eq!(raw_refused.unsupported_in(), Some(BusinessId::Waimai));

    let good = UploadImage::from_bytes(&png()).unwrap();
    let mut big = png();
    big.resize(MAX_IMAGE_BYTES + 1, 0);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let bad = [
        (
            "bad base64",
            UploadImage {
                img: "@@not base64@@".into(),
                ..good.clone()
            },
        ),
        (
            "not an image",
            UploadImage {
                img: b64(b"plain text, no picture"),
                ..good.clone()
            },
        ),
        (
            "too large",
            UploadImage {
                img: b64(&big),
                ..good.clone()
            },
        ),
        (
            "bad name",
            UploadImage {
                img_name: "../x.png".into(),
                ..good.clone()
            },
        ),
    ];
    for (why, upload) in bad {
        let e = w.client.call(&w.on16, &upload).await.unwrap_err();
        assert!(
            matches!(
                e,
                ApiError::Validation {
                    unsupported_in: None,
                    ..
                }
            ),
            "{why}: {e}"
        );
    }
    assert!(UploadImage::from_bytes(&big).is_err());
    assert_eq!(gateway_calls(&w.sandbox), before, "nothing was sent");
    assert!(w.sandbox.uploads(w.on16.store.as_str()).unwrap().is_empty());
    w.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_platform_refuses_unknown_pictures_and_evidence() {
    let w = world().await;
    let key = &w.on16;
    let store = key.store.as_str();
    let asked = w
        .sandbox
        .customer_says(CustomerMessage::text(store, ChatKind::PreOrder, "在吗"))
        .unwrap();
    let cipher = AesEcbCipher::from_im_secret(&w.sandbox.im_secret()).unwrap();
    let unknown_url = format!("{}/img/up/{}.png", w.sandbox.gateway_url(), "f".repeat(32));
    for (i, url) in [unknown_url.as_str(), "https://example.com/x.png"]
        .iter()
        .enumerate()
    {
        let e = w
            .client
            .call(key, &image_message(&cipher, &asked, 40 + i as i64, url))
            .await
            .unwrap_err();
        assert_eq!(e.platform_code(), Some("OP_PARAM_INVALID"), "{e}");
    }
    let e = w
        .client
        .call(key, &block(&asked, vec!["pic-1".into()]))
        .await
        .unwrap_err();
    assert_eq!(e.platform_code(), Some("OP_PARAM_INVALID"), "{e}");
    assert!(e.to_string().contains("uploaded"), "{e}");
    assert!(w.sandbox.merchant_messages(store).unwrap().is_empty());
    assert!(w.sandbox.blocked(store).unwrap().is_empty());
    w.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_picture_at_the_size_limit_goes_through_signing_and_the_form_body() {
    let w = world().await;
    let mut max = png();
    max.resize(MAX_IMAGE_BYTES, 0xab);
    let uploaded = w
        .client
        .call(&w.on16, &UploadImage::from_bytes(&max).unwrap())
        .await
        .unwrap();
    let kept = w.sandbox.uploads(w.on16.store.as_str()).unwrap();
    assert_eq!(
        (kept[0].pic_code.as_str(), kept[0].size),
        (uploaded.pic_code.as_str(), MAX_IMAGE_BYTES)
    );
    w.sandbox.shutdown().await;
}
