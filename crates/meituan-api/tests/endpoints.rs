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
            scene_tag: Some(REPLY_SCENE_TAG),
            scene_name: Some(REPLY_SCENE_NAME.into()),
            has_reply: Some(REPLY_HAS_REPLY),
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

/// `send()` made a complete message of another conversation kind.
fn message_of(biz_type: BizType) -> SendMessage {
    let mut m = send();
    m.biz_type = biz_type;
    let p = &mut m.push_content;
    if biz_type != BizType::TwoParty {
        p.msg_type = MsgType::text_for(biz_type);
        (p.order_id, p.open_user_id) = (None, None);
        (p.scene_tag, p.scene_name, p.has_reply) = (None, None, None);
    }
    match biz_type {
        BizType::ReviewContact => {
            (p.comment_id, p.group_id) = (Some(CommentId(1)), Some(GroupId(2)));
        }
        BizType::FansGroup => {
            (p.group_id, p.group_name) = (Some(GroupId(2)), Some("老顾客群".into()));
        }
        BizType::RiderGroup => {
            p.group_id = Some(GroupId(2));
            p.open_user_id = Some(OpenUserId(88001));
            p.rider_id = Some(RiderId(3));
        }
        _ => {}
    }
    m
}

/// `m` without the `push_content` field named `wire_name`.
fn without(m: &SendMessage, wire_name: &str) -> SendMessage {
    let mut m = m.clone();
    let p = &mut m.push_content;
    match wire_name {
        "order_id" => p.order_id = None,
        "open_user_id" => p.open_user_id = None,
        "scene_tag" => p.scene_tag = None,
        "scene_name" => p.scene_name = None,
        "has_reply" => p.has_reply = None,
        "comment_id" => p.comment_id = None,
        "group_id" => p.group_id = None,
        "group_name" => p.group_name = None,
        "rider_id" => p.rider_id = None,
        other => panic!("no field {other}"),
    }
    m
}

#[test]
fn every_field_push_content_needs_for_its_kind_is_checked_before_sending() {
    // §4.3's "C" column, read again here: the list validate() works from must not shrink.
    assert_eq!(
        required_fields(BizType::TwoParty),
        [
            "order_id",
            "open_user_id",
            "scene_tag",
            "scene_name",
            "has_reply"
        ]
    );
    assert_eq!(
        required_fields(BizType::ReviewContact),
        ["comment_id", "group_id"]
    );
    assert_eq!(
        required_fields(BizType::FansGroup),
        ["group_id", "group_name"]
    );
    assert_eq!(
        required_fields(BizType::RiderGroup),
        ["open_user_id", "group_id", "rider_id"]
    );
    for biz_type in [
        BizType::TwoParty,
        BizType::ReviewContact,
        BizType::FansGroup,
        BizType::RiderGroup,
    ] {
        let full = message_of(biz_type);
        full.validate(BusinessId::Wmoper).unwrap();
        for field in required_fields(biz_type) {
            let err = without(&full, field)
                .validate(BusinessId::Waimai)
                .unwrap_err();
            assert!(
                matches!(&err, ApiError::Validation { endpoint, reason, .. }
                    if endpoint == "msg/send" && reason.contains(&format!("push_content.{field} "))),
                "{biz_type:?} without {field}: {err}"
            );
        }
    }
    // A normal message's scene_name is empty, and that is not missing; a blank group name is.
    let mut blank_group = message_of(BizType::FansGroup);
    blank_group.push_content.group_name = Some("  ".into());
    assert!(blank_group.validate(BusinessId::Wmoper).is_err());
    let mut unknown = send();
    unknown.biz_type = BizType::Unknown(9);
    assert!(unknown.validate(BusinessId::Wmoper).is_err());
}

#[test]
fn a_two_party_reply_carries_the_order_and_the_scene_fields_of_a_normal_message() {
    let mut bare = without(
        &without(&without(&send(), "scene_tag"), "scene_name"),
        "has_reply",
    );
    assert!(bare.validate(BusinessId::Wmoper).is_err());
    fill_two_party_reply(&mut bare.push_content, None);
    bare.validate(BusinessId::Wmoper).unwrap();
    let p = &bare.push_content;
    assert_eq!(p.order_id, Some(PRE_ORDER_ORDER_ID));
    assert_eq!(
        (p.scene_tag, p.scene_name.as_deref(), p.has_reply),
        (Some(SceneTag(-1)), Some(""), Some(HasReply::Default))
    );
    // On the wire, all four, as numbers and an empty string.
    let biz = bare.biz(BusinessId::Wmoper).unwrap();
    let wire: serde_json::Value = serde_json::from_str(biz.as_str().unwrap()).unwrap();
    let pc = &wire["push_content"];
    assert_eq!(
        (
            &pc["order_id"],
            &pc["scene_tag"],
            &pc["scene_name"],
            &pc["has_reply"]
        ),
        (
            &serde_json::json!(0),
            &serde_json::json!(-1),
            &serde_json::json!(""),
            &serde_json::json!(0)
        )
    );
    fill_two_party_reply(&mut bare.push_content, Some(OrderId(27001)));
    assert_eq!(bare.push_content.order_id, Some(OrderId(27001)));
    // Reading a push: order 0 (or none) is a pre-order chat.
    assert_eq!(chat_order(Some(PRE_ORDER_ORDER_ID)), None);
    assert_eq!(chat_order(None), None);
    assert_eq!(chat_order(Some(OrderId(27001))), Some(OrderId(27001)));
}

#[test]
fn blank_required_texts_are_refused_before_sending() {
    let fans = CreateFansGroup {
        group_intro: " ".into(),
        group_welcome_msg: "你好".into(),
        group_enter_coupon: None,
    };
    let err = fans.validate(BusinessId::Wmoper).unwrap_err();
    assert!(err.to_string().contains("groupIntro"), "{err}");
    let fans = CreateFansGroup {
        group_intro: "欢迎".into(),
        group_welcome_msg: String::new(),
        group_enter_coupon: None,
    };
    assert!(fans
        .validate(BusinessId::Waimai)
        .unwrap_err()
        .to_string()
        .contains("groupWelcomeMsg"));
    let comments = CommentList {
        start_time: String::new(),
        end_time: "1700000000".into(),
        offset: 0,
        limit: 20,
        reply_status: None,
        biz_key: None,
    };
    assert!(comments
        .validate(BusinessId::Wmoper)
        .unwrap_err()
        .to_string()
        .contains("startTime"));
    let blank_content = SetAutoSendConfig {
        auto_send_type: 18,
        op_type: 1,
        status: Some(1),
        content: Some("   ".into()),
    };
    assert!(blank_content.validate(BusinessId::Wmoper).is_err());
    // [INF] robot texts: scene 18 only, written content-only, at most the inferred limit.
    use meituan_api::im::robot_rules::{set_text, text_writable, ROBOT_REPLY_MAX_CHARS};
    assert!(text_writable(18) && !text_writable(9));
    let at_limit = set_text(&"好".repeat(ROBOT_REPLY_MAX_CHARS));
    assert_eq!(
        (at_limit.auto_send_type, at_limit.op_type, at_limit.status),
        (18, 2, None)
    );
    assert!(at_limit.validate(BusinessId::Waimai).is_ok());
    let over = set_text(&"好".repeat(ROBOT_REPLY_MAX_CHARS + 1));
    assert!(over.validate(BusinessId::Waimai).is_err());
    let blank_store = StoreInfo {
        epoi_ids: vec![StoreId::new("mt-1001"), StoreId::new(" ")],
    };
    assert!(blank_store.validate(BusinessId::Waimai).is_err());
}

#[test]
fn which_endpoints_need_a_store_token_follows_the_sdk_need_auth_column() {
    use meituan_api::endpoint::needs_store_token;
    // §4.0: N for rows 1, 4, 6 and 7 in both integrations, Y for every other row.
    let not_needed = [
        "getConnectionToken",
        "msgRead",
        "getPoiIMStatus",
        "setPoiIMStatus",
    ];
    for business_id in [BusinessId::Waimai, BusinessId::Wmoper] {
        for name in IM_ENDPOINTS {
            assert_eq!(
                needs_store_token(business_id, name),
                !not_needed.contains(&name),
                "{name} on {business_id}"
            );
        }
    }
    // §5: the order detail and the upload need one; the store list only on businessId 2.
    assert!(needs_store_token(BusinessId::Wmoper, "order/detail"));
    assert!(needs_store_token(BusinessId::Wmoper, "image/uploadNoWater"));
    assert!(needs_store_token(BusinessId::Waimai, "poi/info"));
    assert!(!needs_store_token(BusinessId::Wmoper, "poi/info"));
    assert!(!needs_store_token(
        BusinessId::Wmoper,
        "comment/queryCommentList"
    ));
    assert!(needs_store_token(BusinessId::Wmoper, "no/such/endpoint"));
    // The typed endpoints read the same table.
    assert!(!GetConnectionToken::needs_store_token(BusinessId::Wmoper));
    assert!(!GetPoiImStatus::needs_store_token(BusinessId::Waimai));
    assert!(SendMessage::needs_store_token(BusinessId::Waimai));
    assert!(GetConnectionTokenWithCount::needs_store_token(
        BusinessId::Wmoper
    ));
    assert!(!StoreInfo::needs_store_token(BusinessId::Wmoper));
    assert!(StoreInfo::needs_store_token(BusinessId::Waimai));
}
