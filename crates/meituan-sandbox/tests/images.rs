//! Pictures over loopback HTTP: uploads (`image/uploadNoWater`, businessId 16), image
//! messages that must show a picture the platform serves, and `blockUser` evidence that must
//! be the store's own uploads.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests panic on failure

mod common;

use base64::Engine as _;
use common::*;
use serde_json::{json, Value};

use meituan_sandbox::images::{png, MAX_UPLOAD_BYTES, UPLOAD_PATH};
use meituan_sandbox::{ChatKind, CustomerMessage, ImageRef, Sandbox, SandboxConfig, StoreInfo};

const JPEG: &[u8] = &[0xff, 0xd8, 0xff, 0xe0, 0, 16, b'J', b'F', b'I', b'F', 0, 1];

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The stores of the default world: two on businessId 16 and one on 2.
fn stores(sb: &Sandbox) -> (StoreInfo, StoreInfo, StoreInfo) {
    let all = sb.stores();
    let on16: Vec<_> = all
        .iter()
        .filter(|s| s.business_id == 16)
        .cloned()
        .collect();
    let on2 = all.iter().find(|s| s.business_id == 2).cloned().unwrap();
    (on16[0].clone(), on16[1].clone(), on2)
}

async fn upload(c: &Client, s: &StoreInfo, name: &str, img: &str, pic_type: i64) -> Answer {
    let biz = json!({"img_name": name, "img": img, "pic_type": pic_type}).to_string();
    c.call(UPLOAD_PATH, 16, Some(&s.app_auth_token), Some(&biz))
        .await
}

/// Uploads `bytes` and returns (pic_code, pic_url).
async fn uploaded(c: &Client, s: &StoreInfo, name: &str, bytes: &[u8]) -> (String, String) {
    let d = upload(c, s, name, &b64(bytes), 1).await.data();
    (
        d["pic_code"].as_str().unwrap().to_string(),
        d["pic_url"].as_str().unwrap().to_string(),
    )
}

fn image_pc(to: &meituan_sandbox::Pushed, msg_id: i64) -> Value {
    json!({"msg_id": msg_id, "msg_type": 2, "msg_source": 1, "cts": now_secs(),
           "order_id": to.order_id.unwrap(), "open_user_id": to.open_user_id.unwrap(),
           "scene_tag": -1, "scene_name": "", "has_reply": 0})
}

#[tokio::test]
async fn an_uploaded_picture_is_served_sent_and_accepted_as_evidence() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let (s, _, _) = stores(&sb);
    let picture = png(2).unwrap();
    let (code, url) = uploaded(&c, &s, "evidence1.png", &picture).await;
    assert_eq!(code.len(), 32);
    assert_eq!(url, format!("{}/img/up/{code}.png", sb.gateway_url()));

    // The gateway serves the very bytes, and both scripting doors list the upload.
    let got = c.http.get(&url).send().await.unwrap();
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.bytes().await.unwrap().as_ref(), picture.as_slice());
    let listed = sb.uploads(&s.epoi_id).unwrap();
    assert_eq!((listed.len(), listed[0].size), (1, picture.len()));
    assert_eq!((&listed[0].pic_code, &listed[0].pic_url), (&code, &url));
    let route: Value = c
        .http
        .get(format!(
            "{}/_sandbox/uploads?epoi_id={}",
            sb.gateway_url(),
            s.epoi_id
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(route[0]["pic_code"], code.as_str());
    assert_eq!(route[0]["content_type"], "image/png");

    // The customer receives the picture.
    let asked = sb
        .customer_says(CustomerMessage::text(
            &s.epoi_id,
            ChatKind::PreOrder,
            "拍照看看",
        ))
        .unwrap();
    let a = c
        .send(&s, 1, image_pc(&asked, 501), &sb.im_secret(), &url)
        .await;
    assert_eq!(a.code(), "OP_SUCCESS", "{}", a.body);
    let sent = sb.merchant_messages(&s.epoi_id).unwrap();
    let last = sent.last().unwrap();
    assert_eq!((last.msg_type, last.text.as_str()), (2, url.as_str()));
    assert_eq!(
        last.image,
        Some(ImageRef::Upload {
            pic_code: code.clone(),
            epoi_id: s.epoi_id.clone()
        })
    );

    // A JPEG works the same way and both codes are accepted as evidence.
    let (jpeg_code, jpeg_url) = uploaded(&c, &s, "b2.jpeg", JPEG).await;
    assert!(jpeg_url.ends_with(".jpg"));
    let got = c.http.get(&jpeg_url).send().await.unwrap();
    assert_eq!(got.headers()["content-type"], "image/jpeg");
    let user = asked.open_user_id.unwrap().to_string();
    let block = json!({"open_user_id": user, "block_code": 1,
                       "voucher_pic_ids": format!("{code},{jpeg_code}")});
    let a = c.im(&s, "blockUser", Some(&block.to_string())).await;
    assert_eq!(a.code(), "OP_SUCCESS", "{}", a.body);
    assert_eq!(
        sb.blocked(&s.epoi_id).unwrap()[0].voucher_pic_ids,
        vec![code, jpeg_code]
    );
}

#[tokio::test]
async fn uploads_are_checked_strictly() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let (s, _, s2) = stores(&sb);
    let good = b64(&png(1).unwrap());
    let mut big = png(1).unwrap();
    big.resize(MAX_UPLOAD_BYTES + 1, 0);
    let big = b64(&big);
    let cases = [
        ("a.png", "not base64!", 1, "base64"),
        ("a.png", &b64(b"just some text"), 1, "not a PNG or JPEG"),
        ("a.png", &big, 1, "larger than"),
        ("a.png", "", 1, "img is"),
        ("照片.png", &good, 1, "img_name"),
        ("a.gif", &good, 1, "img_name"),
        ("a.jpg", &good, 1, "does not match"),
        ("a.png", &good, 4, "pic_type"),
    ];
    for (name, img, pic_type, why) in cases {
        let a = upload(&c, &s, name, img, pic_type).await;
        assert_eq!(a.code(), "OP_PARAM_INVALID", "{why}: {}", a.body);
        assert!(
            a.json()["msg"].as_str().unwrap().contains(why),
            "{}",
            a.body
        );
    }
    // Exactly 2 MiB is accepted.
    let mut max = png(1).unwrap();
    max.resize(MAX_UPLOAD_BYTES, 0);
    assert_eq!(
        upload(&c, &s, "max.png", &b64(&max), 1).await.code(),
        "OP_SUCCESS"
    );

    // A store token is required; a businessId-2 token does not open the businessId-16 path,
    // and businessId 2 has no upload path at all.
    let biz = json!({"img_name": "a.png", "img": good, "pic_type": 1}).to_string();
    let a = c.call(UPLOAD_PATH, 16, None, Some(&biz)).await;
    assert_eq!(a.code(), "OP_AUTH_TOKEN_INVALID");
    let a = c
        .call(UPLOAD_PATH, 16, Some(&s2.app_auth_token), Some(&biz))
        .await;
    assert_eq!(a.code(), "OP_AUTH_TOKEN_INVALID", "{}", a.body);
    let a = c
        .call(UPLOAD_PATH, 2, Some(&s2.app_auth_token), Some(&biz))
        .await;
    assert_eq!(a.code(), "OP_BUSINESS_ID_MISMATCH");
    let a = c
        .call(
            "/waimai/ng/foodop/image/uploadNoWater",
            2,
            Some(&s2.app_auth_token),
            Some(&biz),
        )
        .await;
    assert_eq!(a.status, 404);
    assert_eq!(
        sb.uploads(&s.epoi_id).unwrap().len(),
        1,
        "only the 2 MiB one"
    );
    assert!(sb.uploads(&s2.epoi_id).unwrap().is_empty());
}

#[tokio::test]
async fn image_messages_must_show_a_picture_the_platform_serves() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let (s, other, _) = stores(&sb);
    let (code, url) = uploaded(&c, &other, "elsewhere.png", &png(3).unwrap()).await;
    let asked = sb
        .customer_says(CustomerMessage::text(
            &s.epoi_id,
            ChatKind::PreOrder,
            "有图吗",
        ))
        .unwrap();
    let gw = sb.gateway_url();
    let refused = [
        "https://img.example.com/a.png".to_string(),
        format!("{gw}/img/up/{}.png", "0".repeat(32)),
        format!("{gw}/img/up/{code}.jpg"),
        format!("{gw}/img/9.png"),
        "一张图片".to_string(),
    ];
    for (i, text) in refused.iter().enumerate() {
        let a = c
            .send(
                &s,
                1,
                image_pc(&asked, 600 + i as i64),
                &sb.im_secret(),
                text,
            )
            .await;
        assert_eq!(a.code(), "OP_PARAM_INVALID", "{text}: {}", a.body);
        assert!(
            a.json()["msg"].as_str().unwrap().contains("picture"),
            "{}",
            a.body
        );
    }
    let own = format!("{gw}/img/1.png");
    for (i, text) in [own, url].iter().enumerate() {
        let a = c
            .send(
                &s,
                1,
                image_pc(&asked, 700 + i as i64),
                &sb.im_secret(),
                text,
            )
            .await;
        assert_eq!(a.code(), "OP_SUCCESS", "{text}: {}", a.body);
    }
    let images: Vec<_> = sb
        .merchant_messages(&s.epoi_id)
        .unwrap()
        .into_iter()
        .map(|m| m.image)
        .collect();
    assert_eq!(
        images,
        vec![
            Some(ImageRef::Sandbox { n: 1 }),
            Some(ImageRef::Upload {
                pic_code: code,
                epoi_id: other.epoi_id.clone()
            })
        ]
    );
}

#[tokio::test]
async fn block_evidence_must_be_the_stores_own_uploads() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let (s, other, s2) = stores(&sb);
    let (theirs, _) = uploaded(&c, &other, "theirs.png", &png(1).unwrap()).await;
    let (mine, _) = uploaded(&c, &s, "mine.png", &png(1).unwrap()).await;
    for store in [&s, &s2] {
        let asked = sb
            .customer_says(CustomerMessage::text(
                &store.epoi_id,
                ChatKind::PreOrder,
                "加微信",
            ))
            .unwrap();
        let user = asked.open_user_id.unwrap().to_string();
        for ids in ["pic-1".to_string(), theirs.clone(), format!("{mine},pic-1")] {
            let biz = json!({"open_user_id": user, "block_code": 2, "voucher_pic_ids": ids});
            let a = c.im(store, "blockUser", Some(&biz.to_string())).await;
            assert_eq!(a.code(), "OP_PARAM_INVALID", "{ids}: {}", a.body);
            assert!(
                a.json()["msg"].as_str().unwrap().contains("uploaded"),
                "{}",
                a.body
            );
        }
        assert!(sb.blocked(&store.epoi_id).unwrap().is_empty());
    }
    // businessId 2 has no upload, which its refusal says.
    let user = sb.customers(&s2.epoi_id).unwrap()[0].to_string();
    let biz = json!({"open_user_id": user, "block_code": 1, "voucher_pic_ids": mine});
    let a = c.im(&s2, "blockUser", Some(&biz.to_string())).await;
    assert!(
        a.json()["msg"].as_str().unwrap().contains("businessId 2"),
        "{}",
        a.body
    );
}
