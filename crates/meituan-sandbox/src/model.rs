//! Public data types of the sandbox's Rust API and of its `/_sandbox/…` control routes.

use serde::{Deserialize, Serialize};

use crate::images::ImageRef;

/// One store as the front door prints it and as `IMDESK_STORES` expects it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreInfo {
    /// The developer's (ERP) store id, for example `mt-1001`.
    pub epoi_id: String,
    /// Store name shown to agents.
    pub name: String,
    /// The integration the store was authorised under: 2 or 16.
    pub business_id: u8,
    /// The store's current access token for (store, business_id).
    pub app_auth_token: String,
}

impl std::fmt::Debug for StoreInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreInfo")
            .field("epoi_id", &self.epoi_id)
            .field("name", &self.name)
            .field("business_id", &self.business_id)
            .field("app_auth_token", &"<redacted>")
            .finish()
    }
}

/// The kind of conversation a scripted customer message belongs to (architecture.md's model).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    /// Two-party chat before any order (`order_id` 0 in the push).
    PreOrder,
    /// Two-party chat about an order that is not completed yet.
    InProgress,
    /// Two-party chat about a completed order (48-hour after-sale window).
    Completed,
    /// Anonymous review-contact group (biz_type 4).
    Review,
    /// Fans group (biz_type 5).
    Fans,
    /// Three-party chat with the rider (biz_type 6).
    Rider,
}

impl ChatKind {
    /// The platform's `biz_type` for this kind.
    pub fn biz_type(self) -> i32 {
        match self {
            ChatKind::PreOrder | ChatKind::InProgress | ChatKind::Completed => 1,
            ChatKind::Review => 4,
            ChatKind::Fans => 5,
            ChatKind::Rider => 6,
        }
    }
}

/// What a scripted customer message carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Content {
    /// A text message.
    Text(String),
    /// One of the sandbox's own images (`/img/{n}.png`), sent as an image message.
    Image(u32),
}

/// A customer message to inject: build with [`CustomerMessage::text`] or [`CustomerMessage::image`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerMessage {
    /// Target store.
    pub epoi_id: String,
    /// Conversation kind.
    pub chat: ChatKind,
    /// Text or image.
    pub content: Content,
    /// `scene_tag` (-1 normal; 9003 urgent complaint, 3001, 3002, 9001, 2203).
    #[serde(default = "normal_scene")]
    pub scene_tag: i32,
    /// Speak as this customer; otherwise the sandbox picks one consistent with `chat`.
    #[serde(default)]
    pub open_user_id: Option<i64>,
    /// Refer to this order (two-party and rider chats); otherwise one is picked or created.
    #[serde(default)]
    pub order_id: Option<i64>,
    /// Speak in this group (review, fans, rider); otherwise one is picked or created.
    #[serde(default)]
    pub group_id: Option<i64>,
    /// Pretend the message was sent at this Unix time in ms (reply-rate tests); default now.
    #[serde(default)]
    pub at_ms: Option<i64>,
}

fn normal_scene() -> i32 {
    -1
}

impl CustomerMessage {
    /// A text message from a customer of `epoi_id` in a conversation of kind `chat`.
    pub fn text(epoi_id: impl Into<String>, chat: ChatKind, text: impl Into<String>) -> Self {
        Self {
            epoi_id: epoi_id.into(),
            chat,
            content: Content::Text(text.into()),
            scene_tag: -1,
            open_user_id: None,
            order_id: None,
            group_id: None,
            at_ms: None,
        }
    }
    /// An image message showing the sandbox's image number `image` (1..=4).
    pub fn image(epoi_id: impl Into<String>, chat: ChatKind, image: u32) -> Self {
        Self {
            content: Content::Image(image),
            ..Self::text(epoi_id, chat, "")
        }
    }
    /// Sets the scene tag (two-party chats).
    pub fn scene(mut self, scene_tag: i32) -> Self {
        self.scene_tag = scene_tag;
        self
    }
    /// Speaks as an existing customer.
    pub fn from_customer(mut self, open_user_id: i64) -> Self {
        self.open_user_id = Some(open_user_id);
        self
    }
    /// Refers to an existing order.
    pub fn about_order(mut self, order_id: i64) -> Self {
        self.order_id = Some(order_id);
        self
    }
    /// Speaks in an existing group.
    pub fn in_group(mut self, group_id: i64) -> Self {
        self.group_id = Some(group_id);
        self
    }
    /// Backdates the message to `at_ms` (Unix ms).
    pub fn at(mut self, at_ms: i64) -> Self {
        self.at_ms = Some(at_ms);
        self
    }
}

/// A customer message the sandbox pushed (or queued for the next connection).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pushed {
    /// Meituan's message id.
    pub msg_id: i64,
    /// Store it was sent to.
    pub epoi_id: String,
    /// `biz_type` of the push.
    pub biz_type: i32,
    /// `msg_type` of the push.
    pub msg_type: i32,
    /// Customer (two-party and rider chats; the speaker in group chats).
    pub open_user_id: Option<i64>,
    /// Order (two-party and rider chats; 0 before ordering).
    pub order_id: Option<i64>,
    /// Group (review, fans and rider chats).
    pub group_id: Option<i64>,
    /// Review (review-contact chats).
    pub comment_id: Option<i64>,
    /// Rider (rider chats).
    pub rider_id: Option<i64>,
    /// Scene tag (two-party chats).
    pub scene_tag: Option<i32>,
    /// Send time, Unix seconds.
    pub cts: i64,
}

/// A message a merchant sent through `msg/send`, with its content decrypted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantMessage {
    /// The developer's msg_id.
    pub msg_id: i64,
    /// Store that sent it.
    pub epoi_id: String,
    /// `biz_type`.
    pub biz_type: i32,
    /// `msg_type`.
    pub msg_type: i32,
    /// Decrypted `msg_content` (an image URL for msg_type 2).
    pub text: String,
    /// For msg_type 2: the picture the URL names (the sandbox's own or an upload).
    #[serde(default)]
    pub image: Option<ImageRef>,
    /// Customer addressed (two-party and rider chats).
    pub open_user_id: Option<i64>,
    /// Order referred to.
    pub order_id: Option<i64>,
    /// Group addressed.
    pub group_id: Option<i64>,
    /// `cts` the merchant put on it (Unix seconds).
    pub cts: i64,
    /// When the sandbox accepted it (Unix ms).
    pub received_at_ms: i64,
}

/// One reply clock the sandbox observed: a customer waiting for a merchant answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyTiming {
    /// Store.
    pub epoi_id: String,
    /// Customer.
    pub open_user_id: i64,
    /// The customer message that started the clock.
    pub msg_id: i64,
    /// Whether it is an urgent clock (1-minute target) rather than the 5-minute one.
    pub urgent: bool,
    /// When the customer asked (Unix ms).
    pub asked_at_ms: i64,
    /// When the merchant answered (Unix ms), if it has.
    pub replied_at_ms: Option<i64>,
}

/// One scene of a store's auto-reply robot, as the platform holds it (§4.11).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoReplyScene {
    /// Scene id (§4.11: 1 after-sales, 9 chasing the order, 18 invite a review, …).
    pub scene: i32,
    /// Scene name.
    pub name: String,
    /// The reply text.
    pub content: String,
    /// The scene's switch.
    pub on: bool,
}

/// A store's fans groups and coupons as the platform holds them (§4.13).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FansState {
    /// Whether the platform lets the store build fans groups at all.
    pub allowed: bool,
    /// `(groupId, groupName, groupIntro)` of each fans group.
    pub groups: Vec<(i64, String, String)>,
    /// `couponConfigId` of each coupon sent in a fans group.
    pub coupons: Vec<String>,
    /// Join-group coupon activities, running or not.
    pub activities: usize,
    /// Coupon sends left this month.
    pub remain: i64,
}

/// Why and with what evidence a store blocked a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRecord {
    /// The blocked customer.
    pub open_user_id: i64,
    /// 1 harassment, 2 WeChat fraud, 3 other.
    pub block_code: i64,
    /// Required text for code 3.
    pub reason: Option<String>,
    /// Evidence picture ids (1 to 9).
    pub voucher_pic_ids: Vec<String>,
}

/// An order as the sandbox holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInfo {
    /// Internal order id (the one IM pushes carry).
    pub order_id: i64,
    /// The id shown to the customer.
    pub order_id_view: i64,
    /// Customer who placed it.
    pub open_user_id: i64,
    /// 2 new, 4 accepted, 6 delivering, 8 completed, 9 cancelled.
    pub status: i32,
    /// Completion time (Unix ms) once completed.
    pub completed_at_ms: Option<i64>,
}

/// How [`crate::Sandbox::drop_connections`] ends the open long connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropMode {
    /// Close the TCP connection at once, without a WebSocket close frame.
    Reset,
    /// Keep the TCP connection open but go silent: no `HB`, no pushes (a half-dead link).
    Silent,
}

/// A picture a store uploaded through `image/uploadNoWater`, as tests see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadInfo {
    /// Store that uploaded it.
    pub epoi_id: String,
    /// The id `blockUser.voucher_pic_ids` lists.
    pub pic_code: String,
    /// Where the gateway serves it (what an image message carries).
    pub pic_url: String,
    /// The `img_name` sent.
    pub img_name: String,
    /// The `pic_type` sent (1 poster, 2 signboard, 3 safety card).
    pub pic_type: i64,
    /// `image/png` or `image/jpeg`, from the magic bytes.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// When it was uploaded (Unix ms).
    pub uploaded_at_ms: i64,
}
