//! Every endpoint against its fixture (tests/fixtures/endpoints/*.json): the path and the
//! exact `biz` text in both integrations, and the decoding of sample `data` of each.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad fixtures

use meituan_api::context::{CommentList, OrderDetail, StoreInfo};
use meituan_api::endpoint::{path_for_name, IM_ENDPOINTS, OTHER_ENDPOINTS};
use meituan_api::im::*;
use meituan_api::image::{image_msg_content, voucher_pic_id, UploadImage};
use meituan_api::{Ack, ApiError, Endpoint, OpResult};
use meituan_wire::*;

#[derive(serde::Deserialize)]
struct Fixture {
    name: String,
    /// `null` where the endpoint does not exist on businessId 2 (image upload).
    path_2: Option<String>,
    path_16: String,
    biz_2: Option<String>,
    biz_16: Option<String>,
    data_2: serde_json::Value,
    data_16: serde_json::Value,
}

fn fixture(name: &str) -> Fixture {
    let file = format!(
        "{}/tests/fixtures/endpoints/{}.json",
        env!("CARGO_MANIFEST_DIR"),
        name.replace('/', "_")
    );
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// Checks `E` against its fixture and returns the decoded data of businessId 2 and 16.
fn check<E: Endpoint>(req2: &E, req16: &E) -> (E::Response, E::Response) {
    let f = fixture(E::NAME);
    assert_eq!(f.name, E::NAME);
    assert_eq!(Some(E::path(BusinessId::Waimai)), f.path_2, "{}", E::NAME);
    assert_eq!(E::path(BusinessId::Wmoper), f.path_16, "{}", E::NAME);
    req2.validate(BusinessId::Waimai).unwrap();
    req16.validate(BusinessId::Wmoper).unwrap();
    let biz2 = req2.biz(BusinessId::Waimai).unwrap();
    let biz16 = req16.biz(BusinessId::Wmoper).unwrap();
    assert_eq!(biz2.as_str(), f.biz_2.as_deref(), "{} biz 2", E::NAME);
    assert_eq!(biz16.as_str(), f.biz_16.as_deref(), "{} biz 16", E::NAME);
    let d2 = serde_json::from_value(f.data_2).unwrap_or_else(|e| panic!("{} data 2: {e}", E::NAME));
    let d16 =
        serde_json::from_value(f.data_16).unwrap_or_else(|e| panic!("{} data 16: {e}", E::NAME));
    (d2, d16)
}

fn same<E: Endpoint>(req: &E) -> (E::Response, E::Response) {
    check(req, req)
}

#[test]
fn every_im_endpoint_has_a_fixture() {
    for name in IM_ENDPOINTS {
        let f = fixture(name);
        assert_eq!(f.name, name);
    }
}

#[test]
fn every_other_endpoint_has_a_fixture_with_its_paths() {
    for name in OTHER_ENDPOINTS {
        let f = fixture(name);
        assert_eq!(f.name, name);
        assert_eq!(path_for_name(BusinessId::Waimai, name), f.path_2, "{name}");
        assert_eq!(
            path_for_name(BusinessId::Wmoper, name).as_deref(),
            Some(f.path_16.as_str())
        );
    }
}

#[test]
fn image_upload_exists_only_on_business_id_16() {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let f = fixture(UploadImage::NAME);
    let up = UploadImage::named("a1.png", PNG).unwrap();
    assert_eq!(UploadImage::path(BusinessId::Wmoper), f.path_16);
    up.validate(BusinessId::Wmoper).unwrap();
    let biz = up.biz(BusinessId::Wmoper).unwrap();
    assert_eq!(biz.as_str(), f.biz_16.as_deref());
    let done: <UploadImage as Endpoint>::Response = serde_json::from_value(f.data_16).unwrap();
    assert_eq!(
        image_msg_content(&done),
        "https://p0.meituan.net/wmproduct/5f3a9c.png"
    );
    assert_eq!(voucher_pic_id(&done), "5f3a9c");

    assert_eq!((f.path_2, f.biz_2), (None, None));
    let refused = up.validate(BusinessId::Waimai).unwrap_err();
    assert!(matches!(
        &refused,
        ApiError::Validation { reason, unsupported_in: Some(BusinessId::Waimai), .. }
            if reason == "no image upload endpoint for businessId 2"
    ));
}

#[test]
fn connection_tokens() {
    let (t, _) = same(&GetConnectionToken);
    assert_eq!(t.connection_id, "718_WMOPEN");
    assert_eq!(t.im_secret.expose(), "abcdef0123456789ZZZZ");
    assert_eq!(t.user_count, 2);
    assert!(!format!("{t:?}").contains("ct-1"));
    let (many, _) = same(&GetConnectionTokenWithCount {
        required_token_count: 3,
    });
    assert_eq!(many.token_infos.len(), 2);
    assert_eq!(many.token_infos[0].comment_send_fail_count, 4);
    assert_eq!(many.appkey, meituan_wire::AppId(718));
    let too_many = GetConnectionTokenWithCount {
        required_token_count: 6,
    };
    assert!(matches!(
        too_many.validate(BusinessId::Wmoper),
        Err(ApiError::Validation { .. })
    ));
}

fn send() -> SendMessage {
    SendMessage {
        biz_type: BizType::TwoParty,
        push_content: PushContent {
            msg_id: MsgId(7001),
            msg_content: "OKXpdENpyQ8DIRwteLtzeM5ZPeu8CRdjR99aAXN2YLo=".into(),
            msg_type: MsgType::text_for(BizType::TwoParty),
            msg_source: MsgSource::Merchant,
            cts: UnixSeconds(1_700_000_000),
            order_id: Some(OrderId(27001)),
            open_user_id: Some(OpenUserId(88001)),
            scene_tag: None,
            scene_name: None,
            has_reply: None,
            comment_id: None,
            group_id: None,
            group_name: None,
            rider_id: None,
        },
        extended_field: None,
    }
}

#[test]
fn messages() {
    let (ack, _) = same(&send());
    assert_eq!(ack, Ack);
    let mut review = send();
    review.biz_type = BizType::ReviewContact;
    assert!(
        review.validate(BusinessId::Wmoper).is_err(),
        "needs comment_id and group_id"
    );
    review.push_content.comment_id = Some(CommentId(1));
    review.push_content.group_id = Some(GroupId(2));
    assert!(review.validate(BusinessId::Wmoper).is_ok());

    let (read, _) = same(&MsgRead {
        open_user_id: OpenUserId(88001),
        msg_id: MsgId(9001),
    });
    assert_eq!(read, OpResult(Some("success".into())));
    let (rt, _) = same(&UserReadTime {
        open_user_id: OpenUserId(88001),
    });
    assert_eq!(rt.open_user_id, Some(OpenUserId(88001)));
    assert_eq!(rt.epoi_id, Some(StoreId::new("mt-1001")));
    assert_eq!(rt.last_read_time, TimeMs(1_700_000_000_123));
}

#[test]
fn store_settings_and_moderation() {
    let (status, _) = same(&GetPoiImStatus);
    assert_eq!(status.im_status, ImStatus::On);
    assert_eq!(status.app_id, Some(AppId(718)));
    same(&SetPoiImStatus {
        im_status: ImStatus::Off,
    });

    let block = BlockUser {
        open_user_id: OpenUserId(88001),
        block_code: BlockCode::Other,
        block_reason_desc: Some("辱骂商家".into()),
        voucher_pic_ids: vec!["pic-1".into(), "pic-2".into()],
    };
    let (on2, on16) = same(&block);
    assert_eq!((on2, on16), (OpResult(Some("ok".into())), OpResult(None)));
    let no_reason = BlockUser {
        block_reason_desc: None,
        ..block.clone()
    };
    assert!(no_reason.validate(BusinessId::Waimai).is_err());
    let no_pics = BlockUser {
        voucher_pic_ids: vec![],
        ..block
    };
    assert!(no_pics.validate(BusinessId::Waimai).is_err());
    for bad in ["", " ", "a,b"] {
        let blank = BlockUser {
            voucher_pic_ids: vec![bad.into()],
            ..no_pics.clone()
        };
        assert!(blank.validate(BusinessId::Wmoper).is_err(), "{bad:?}");
    }

    let two = CancelBlockUser {
        open_user_ids: vec![OpenUserId(88001), OpenUserId(88002)],
    };
    let one = CancelBlockUser {
        open_user_ids: vec![OpenUserId(88001)],
    };
    check(&two, &one);
    assert!(two.validate(BusinessId::Wmoper).is_err(), "16 takes one id");

    let (group, _) = same(&CreateGroup::review_contact(CommentId(5001)));
    assert_eq!(group.group_id, GroupId(6001));
    assert_eq!(group.new_group.as_deref(), Some("true"));
}

#[test]
fn auto_reply_and_rates() {
    let (scenes, _) = same(&GetAutoSendConfigInfo);
    assert_eq!(scenes.len(), 2);
    assert_eq!((scenes[0].scene, scenes[1].status), (18, Some(0)));
    same(&SetAutoSendConfigInfo {
        all_status: vec![AutoSendSwitch {
            scene: 0,
            switch_status: 1,
        }],
    });
    let invite = SetAutoSendConfig {
        auto_send_type: 18,
        op_type: 0,
        status: Some(1),
        content: None,
    };
    same(&invite);
    let no_content = SetAutoSendConfig {
        op_type: 2,
        ..invite
    };
    assert!(no_content.validate(BusinessId::Wmoper).is_err());

    let (r2, r16) = same(&GetReversionRateAndRightsList);
    assert_eq!(r2.target_reversion_rate, r16.target_reversion_rate);
    assert_eq!(r2.rights_list[0].code, r16.rights_list[0].code);
    assert_eq!(r16.temp_rights_list[0].code.as_deref(), Some("6"));
}

#[test]
fn fans_groups_and_coupons() {
    let (eligible, _) = same(&QueryStoreHaveBuild);
    assert!(eligible.status);
    let (created, _) = same(&CreateFansGroup {
        group_intro: "欢迎加入".into(),
        group_welcome_msg: "你好".into(),
        group_enter_coupon: Some(EnterCoupon {
            price: 5,
            limit_price: 30,
            validity: 7,
        }),
    });
    assert_eq!(created.group_id, Some(GroupId(8001)));
    let (one, many) = same(&QueryStoreFansGroup {
        page: 1,
        page_size: 20,
    });
    assert_eq!((one.0.len(), many.0.len()), (1, 2));
    assert_eq!(many.0[0].member_count, Some(120));
    let group = GroupId(8001);
    same(&CreateEnterCouponActivity {
        group_id: group,
        price: 5,
        limit_price: 30,
        validity: 7,
    });
    let (acts, _) = same(&QueryEnterCouponActivity {
        index: 0,
        size: 10,
        status: Some("1".into()),
    });
    assert_eq!(acts.0[0].activity_id, Some(9));
    same(&RevokeEnterCouponActivity {
        group_id: group,
        activity_id: 9,
    });
    let coupon = SendFansGroupCoupon {
        group_id: group,
        valid_time: 86400,
        count: 100,
        act_type: 2,
        activity_valid_time: 604_800,
        limit_price: None,
        price: None,
        app_food_code: Some("1234".into()),
        spu_id: None,
        discount: Some(80),
    };
    let (s2, s16) = same(&coupon);
    assert_eq!(
        (
            s2.coupon_config_id.as_deref(),
            s16.coupon_config_id.as_deref()
        ),
        (Some("cc-1"), Some("777"))
    );
    let letters = SendFansGroupCoupon {
        app_food_code: Some("A1".into()),
        ..coupon
    };
    assert!(letters.validate(BusinessId::Waimai).is_ok());
    assert!(
        letters.validate(BusinessId::Wmoper).is_err(),
        "an integer on 16"
    );
    let (coupons, _) = same(&QueryCoupon {
        page: 1,
        page_size: 10,
    });
    assert_eq!(coupons.0[0].remain, Some(99));
    let (detail, _) = same(&QueryReceiveCouponDetail {
        coupon_config_id: "cc-1".into(),
    });
    assert_eq!(detail.un_used, vec![OpenUserId(88002)]);
    let (left, _) = same(&RemainCoupon { group_id: group });
    assert_eq!(left.remain_coupon_num, Some(12));
}

#[test]
fn order_store_and_review_context() {
    let (o2, o16) = same(&OrderDetail {
        order_id: OrderId(27001),
    });
    assert_eq!(o2.detail[0].food_name.as_deref(), Some("牛肉面"));
    assert_eq!(o16.detail[0].food_name.as_deref(), Some("牛肉面"));
    assert_eq!(o2.detail[0].app_food_code, o16.detail[0].app_food_code);
    assert_eq!(o2.shipping_fee, Some(3.5));
    assert_eq!(
        o2.c_time.map(UnixSeconds::to_ms),
        Some(TimeMs(1_700_000_000_000))
    );
    assert_eq!(
        (o2.status, o16.status, o16.day_seq),
        (Some(4), Some(8), Some(12))
    );
    assert_eq!(o16.wm_poi_id.as_deref(), Some("123456"));

    let (s2, s16) = same(&StoreInfo {
        epoi_ids: vec![StoreId::new("mt-1001"), StoreId::new("mt-1002")],
    });
    assert_eq!(s2[0].epoi_id, s16[0].epoi_id);
    assert_eq!(s2[0].picture_url, s16[0].picture_url);
    assert_eq!((s2[0].open_state, s16[0].open_state), (Some(3), Some(3)));

    let (c2, c16) = same(&CommentList {
        start_time: "2024-01-01".into(),
        end_time: "2024-01-31".into(),
        offset: 0,
        limit: 20,
        reply_status: Some(0),
        biz_key: None,
    });
    assert_eq!(
        (c2[0].comment_id, c16[0].comment_id),
        (CommentId(5001), CommentId(5001))
    );
    assert_eq!(
        (c2[0].order_comment_score, c16[0].user_id),
        (Some(4), Some(42))
    );
}
