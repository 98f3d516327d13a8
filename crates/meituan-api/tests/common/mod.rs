//! What the sandbox-backed tests share: a sandbox with a client holding every store's token,
//! and a merchant reply to a pushed customer message.
#![allow(dead_code)] // each test binary uses its own part

use meituan_api::im::{fill_two_party_reply, SendMessage};
use meituan_api::{ClientConfig, DeveloperCredentials, MeituanClient, StoreKey, StoreToken};
use meituan_sandbox::{Pushed, Sandbox, SandboxConfig};
use meituan_wire::*;

pub struct World {
    pub sandbox: Sandbox,
    pub client: MeituanClient,
    /// A businessId-16 and a businessId-2 store.
    pub on16: StoreKey,
    pub on2: StoreKey,
}

pub async fn world() -> World {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let client = MeituanClient::new(
        DeveloperCredentials::new(sandbox.developer_id(), sandbox.sign_key()),
        ClientConfig::with_base_url(sandbox.gateway_url()),
    )
    .unwrap();
    let (mut on16, mut on2) = (None, None);
    for s in sandbox.stores() {
        let business_id = BusinessId::from_code(i64::from(s.business_id)).unwrap();
        let key = StoreKey::new(s.epoi_id.as_str(), business_id);
        client.set_token(key.clone(), StoreToken::static_token(s.app_auth_token));
        match business_id {
            BusinessId::Wmoper => on16 = on16.or(Some(key)),
            BusinessId::Waimai => on2 = on2.or(Some(key)),
        }
    }
    World {
        sandbox,
        client,
        on16: on16.unwrap(),
        on2: on2.unwrap(),
    }
}

/// The merchant's reply of `msg_type` to the two-party message `to`, `plain` encrypted.
pub fn reply_of(
    cipher: &AesEcbCipher,
    to: &Pushed,
    msg_id: i64,
    msg_type: MsgType,
    plain: &str,
) -> SendMessage {
    let mut push_content = PushContent {
        msg_id: MsgId(msg_id),
        msg_content: cipher.encrypt(plain),
        msg_type,
        msg_source: MsgSource::Merchant,
        cts: UnixSeconds(to.cts),
        order_id: None,
        open_user_id: to.open_user_id.map(OpenUserId),
        scene_tag: None,
        scene_name: None,
        has_reply: None,
        comment_id: None,
        group_id: None,
        group_name: None,
        rider_id: None,
    };
    fill_two_party_reply(&mut push_content, to.order_id.map(OrderId));
    SendMessage {
        biz_type: BizType::TwoParty,
        push_content,
        extended_field: None,
    }
}
