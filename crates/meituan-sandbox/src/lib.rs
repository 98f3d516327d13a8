//! A strict, stateful Meituan open platform on loopback, for tests, demo mode and load.
//!
//! `meituan-sandbox` owns the platform side of imdesk's world: an in-process HTTP gateway and
//! push long connection on `127.0.0.1` (port 0 by default) that behave as
//! `meituan-im-protocol.md` documents the platform, and refuse what it would refuse. Its
//! checks (signing, timestamps, tokens, the cipher, the frame encoding) are its own code,
//! written from the document and independent of `meituan-api` / `meituan-push`
//! (architecture.md, rule 2). Start one with [`Sandbox::start`]; `imdesk-cli sandbox` is the
//! binary front door.
//!
//! # Decisions other crates build against
//!
//! * **Envelope** `{"code","msg","traceId","data"}`; success is `OP_SUCCESS`. Error codes
//!   ([`ApiCode`]): `OP_AUTH_TOKEN_EXPIRED`, `OP_AUTH_TOKEN_INVALID`, `OP_RATE_LIMITED` (HTTP
//!   200), `OP_SIGN_INVALID`, `OP_TIMESTAMP_INVALID` (more than 10 minutes off, or not 10-digit
//!   seconds), `OP_DEVELOPER_INVALID`, `OP_BUSINESS_ID_MISMATCH`, `OP_PARAM_INVALID`,
//!   `OP_USER_BLOCKED`, `OP_CHAT_EXPIRED` (48 h after completion), `OP_IM_CLOSED`,
//!   `OP_STORE_UNKNOWN`. [`Vocabulary::Alternate`] (`SandboxConfig::vocabulary`,
//!   [`Sandbox::set_vocabulary`], `imdesk-cli sandbox --vocabulary alternate`) spells them as
//!   numbers with Chinese messages instead, for a platform whose words no table knows.
//!   Checks run in this order: form body, required fields, developerId,
//!   sign, timestamp, charset/version, businessId vs path family, store token, endpoint rules.
//! * **Gateway faults**: HTTP 500 with an HTML body, HTTP 503 with a JSON body, and timeouts
//!   (the call takes effect, then the answer is held past the client's read timeout).
//! * **OAuth** (`/oauth/token`, `/oauth/refresh`): int-code envelope (0 = success; see
//!   [`envelope::oauth_code`]); codes are minted by [`Sandbox::mint_auth_code`] and single-use;
//!   refresh tokens rotate; access tokens expire after `token_ttl` (`expireIn`).
//! * **Stores** are ePoiIds `mt-1001`, `mt-1002`, …; businessIds alternate 16, 2, 16, …; each
//!   has one `appAuthToken` for (store, businessId). Store-scoped calls need it;
//!   `getConnectionToken` is developer-scoped and works with any valid store token or none.
//! * **Long connection**: `getConnectionToken` returns `connectionId` `"718_WMOPEN"`;
//!   `getConnectionTokenWithCount` (1 to 5) returns `appkey` 718 and tokens whose connectionId
//!   is `{appkey}_WMOPEN`. WebSocket at `{push_url}/websocket/{connectionId}/{connectionToken}`,
//!   one open connection per token (HTTP 409 for a second, 403 for unknown or expired tokens,
//!   or for the tokens of an API the `refuse` fault names).
//! * **Push scope** ([`PushScope`], \[INF\]): developer-scoped by default (above). Store-scoped,
//!   both token APIs need the store's token and grant tokens for that store only: its
//!   connections carry only its pushes, encrypted with its own imSecret (replies must use it
//!   too), and `getConnectionToken` names a connectionId of its own, `718_WMOPEN_{epoiId}`.
//!   Any client text frame is answered with `HB`; pings and pongs count as activity; a
//!   connection silent for `idle_timeout` (30 s) is closed. Pushes go to every open connection;
//!   with none open they wait and go to the next one.
//! * **Frames**: `encodeURIComponent` of `{"app_id":718,"epoiId":"mt-1001","biz_type":1,
//!   "push_content":{…§4.3 wire names…}}`, `msg_content` encrypted ([`cipher`]: AES-128-ECB,
//!   PKCS#7, base64, key = first 16 bytes of imSecret). Pre-order two-party pushes carry
//!   `order_id` 0 (\[INF\]: §4.3 does not say what a chat before an order names). Review-contact
//!   pushes carry no `open_user_id` (anonymous).
//! * **`msg/send`** requires, for `biz_type` 1, `order_id` (0 before an order), `open_user_id`
//!   and the scene fields `scene_tag` (-1 or a scene above 0), `scene_name` (empty exactly for
//!   -1) and `has_reply` (0, 1 or 2), as the SDK's `PushContent` does (§4.3).
//! * **Images** ([`images`], \[INF\]): `msg_type` 2 whose decrypted content is the URL of a
//!   picture the sandbox serves: its own `{gateway_url}/img/{1..4}.png`, or an upload's
//!   `pic_url` `{gateway_url}/img/up/{pic_code}.png|jpg`; any other content is refused.
//!   Uploads: `POST /wmoper/ng/foodop/image/uploadNoWater` (businessId 16 only; store token;
//!   `img_name`, `img` base64 PNG/JPEG up to 2 MiB decoded, `pic_type` 1–3) answers
//!   `{pic_code, pic_url}`. `blockUser.voucher_pic_ids` must be `pic_code`s the same store
//!   uploaded, so businessId-2 stores (no upload) cannot block.
//! * **businessId 2 opaque endpoints** (`msgRead`, `userReadTime`, `setPoiIMStatus`, comment
//!   list): `biz` is a JSON string literal holding the businessId-16 keys (`openUserId`,
//!   `msgId`, `imStatus`, …); a raw object is refused there.
//! * **Auto-reply robot** (§4.11): `setAutoSendConfigInfo` switches scenes (type 0: all);
//!   `setAutoSendConfig` (type 18 only) sets the switch and text of scene 18 in the same list
//!   `getAutoSendConfigInfo` returns (\[INF\]: the SDK does not say the two are one setting).
//!   A text is refused when blank or longer than [`ROBOT_REPLY_MAX_CHARS`] characters
//!   (\[INF\]: the document states no limit; this is the sandbox's reading).
//! * **Endpoints without parameters** take no `biz` (an empty object is tolerated).
//! * **Reply rates** (`getReversionRateAndRightsList`): from reply clocks the sandbox observed
//!   (see `state::reply`); rates are strings like `"97.50%"`; targets 95 (5-minute) and 90
//!   (urgent, scene tag 9003); reaching them unlocks rights 1 and 5, and 6 and 3.
//!
//! # Scripting
//!
//! [`Sandbox`] methods (and the same routes under `/_sandbox/…`, below)
//! inject customer messages ([`CustomerMessage`]), make customers read, complete orders at a
//! chosen time, list what merchants sent ([`MerchantMessage`], decrypted, with the picture an
//! image message showed) and uploaded ([`UploadInfo`]), read reply clocks,
//! switch [`Faults`], drop connections, rotate imSecret, expire tokens, mint OAuth codes and run
//! bounded load ([`Sandbox::run_load`]). Control routes answer JSON; errors are HTTP 400/404
//! with `{"error": "..."}`:
//!
//! | method | path | body / query | answer |
//! |---|---|---|---|
//! | GET | `/_sandbox/coordinates` | | the front door's JSON |
//! | POST | `/_sandbox/customer/says` | [`CustomerMessage`] | [`Pushed`] |
//! | POST | `/_sandbox/customer/read` | `{epoi_id, open_user_id}` | `{last_read_time}` |
//! | GET | `/_sandbox/customers?epoi_id=` | | `[open_user_id]` |
//! | GET | `/_sandbox/comments?epoi_id=` | | `[comment_id]` |
//! | GET | `/_sandbox/order?epoi_id=&order_id=` | | [`OrderInfo`] |
//! | POST | `/_sandbox/order/complete` | `{epoi_id, order_id, completed_at_ms}` | [`OrderInfo`] |
//! | GET | `/_sandbox/blocked?epoi_id=` | | `[BlockRecord]` |
//! | POST | `/_sandbox/im_status` | `{epoi_id, on}` | `{}` |
//! | GET | `/_sandbox/auto_replies?epoi_id=` | | `[AutoReplyScene]` |
//! | GET | `/_sandbox/merchant_messages?epoi_id=` | | `[MerchantMessage]` |
//! | GET | `/_sandbox/uploads?epoi_id=` | | `[UploadInfo]` |
//! | GET | `/_sandbox/reply_timings?epoi_id=` | | `[ReplyTiming]` |
//! | GET / PUT | `/_sandbox/faults` | [`Faults`] | [`Faults`] |
//! | GET / PUT | `/_sandbox/vocabulary` | `{vocabulary: "standard" \| "alternate"}` | the same |
//! | GET | `/_sandbox/connections` | | `{open, pending}` |
//! | POST | `/_sandbox/connections/drop` | `{mode: "reset" \| "silent", count?}` (the longest-open `count`; all without) | `{dropped}` |
//! | POST | `/_sandbox/connections/expire_tokens` | | `{}` |
//! | POST | `/_sandbox/secret/rotate` | | `{}` |
//! | POST | `/_sandbox/tokens/expire` | `{epoi_id}` | `{}` |
//! | POST | `/_sandbox/oauth/code` | `{epoi_id}` | `{code}` |
//! | POST | `/_sandbox/load` | `{count, rate}` | `[Pushed]` |
//!
//! A [`CustomerMessage`] in JSON: `{"epoi_id": "mt-1002", "chat": "pre_order" | "in_progress" |
//! "completed" | "review" | "fans" | "rider", "content": {"text": "…"} | {"image": 1}, and
//! optionally "scene_tag", "open_user_id", "order_id", "group_id", "at_ms"}`.
//!
//! Memory: every pushed message keeps a small record (for `msgRead` checks), about 100 bytes;
//! long unbounded load runs grow by that much per message. Uploaded pictures are kept whole
//! (up to 2 MiB each) for the life of the sandbox.

#![warn(missing_docs)]

mod app;
pub mod cipher;
mod clock;
mod config;
mod control;
mod customers;
mod endpoints;
pub mod envelope;
mod error;
mod faults;
mod gateway;
pub mod images;
mod load;
mod model;
mod push;
mod sandbox;
mod scripting;
mod state;

pub use config::{PushScope, SandboxConfig};
pub use endpoints::ROBOT_REPLY_MAX_CHARS;
pub use envelope::{ApiCode, Vocabulary, OP_SUCCESS};
pub use error::{Result, SandboxError};
pub use faults::{Faults, DEFAULT_TIMEOUT_HOLD_MS};
pub use gateway::sign::sign as sign_fields;
pub use images::ImageRef;
pub use model::{
    AutoReplyScene, BlockRecord, ChatKind, Content, CustomerMessage, DropMode, FansState,
    MerchantMessage, OrderInfo, Pushed, ReplyTiming, StoreInfo, UploadInfo,
};
pub use push::frame::encode_uri_component;
pub use sandbox::Sandbox;
