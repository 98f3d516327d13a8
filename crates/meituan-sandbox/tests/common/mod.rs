//! A minimal client of the Meituan platform written inside the tests, from the protocol
//! document alone: signing (§1.4), form encoding (§1.3), the assumed cipher (§6.4) and the
//! push frame decoding (§6.3). It shares no code with the sandbox, so the two readings check
//! each other.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyInit};
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use sha1::Digest;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

use meituan_sandbox::{Sandbox, SandboxConfig, StoreInfo};

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// §1.4: sorted non-empty fields but `sign`, name+value joined, key in front, SHA-1 hex.
pub fn sign(key: &str, fields: &[(String, String)]) -> String {
    let mut f: Vec<&(String, String)> = fields
        .iter()
        .filter(|(k, v)| k.to_lowercase() != "sign" && !v.is_empty())
        .collect();
    f.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut s = key.to_string();
    for (k, v) in f {
        s.push_str(k);
        s.push_str(v);
    }
    hex::encode(sha1::Sha1::digest(s.as_bytes()))
}

/// §1.3: HTML-form percent-encoding; space becomes `+`; `A-Z a-z 0-9 . - * _` stay.
pub fn form_value(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn form_body(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", form_value(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// §6.4 (assumed): AES-128-ECB, PKCS#7, base64, key = first 16 bytes of imSecret.
pub fn encrypt(secret: &str, plain: &str) -> String {
    let key: [u8; 16] = secret.as_bytes()[..16].try_into().unwrap();
    let c = ecb::Encryptor::<aes::Aes128>::new(&key.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(c)
}

pub fn decrypt(secret: &str, text: &str) -> Option<String> {
    let key: [u8; 16] = secret.as_bytes()[..16].try_into().unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    let p = ecb::Decryptor::<aes::Aes128>::new(&key.into())
        .decrypt_padded_vec_mut::<Pkcs7>(&raw)
        .ok()?;
    String::from_utf8(p).ok()
}

/// §6.3: `decodeURIComponent` (percent-decode UTF-8, `+` stays `+`).
pub fn decode_uri_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let h = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(h, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

pub fn now_secs() -> i64 {
    #[allow(clippy::disallowed_methods)] // tests read the wall clock like a real client would
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

pub fn now_ms() -> i64 {
    #[allow(clippy::disallowed_methods)] // tests read the wall clock like a real client would
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The test's platform client.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub developer_id: i64,
    pub sign_key: String,
}

/// An answer: HTTP status and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
    pub fn code(&self) -> Value {
        self.json()["code"].clone()
    }
    pub fn msg(&self) -> String {
        self.json()["msg"].as_str().unwrap_or_default().to_owned()
    }
    pub fn data(&self) -> Value {
        let j = self.json();
        assert_eq!(j["code"], "OP_SUCCESS", "call failed: {}", self.body);
        j["data"].clone()
    }
}

impl Client {
    pub fn new(sb: &Sandbox) -> Self {
        Self::with_timeout(sb, Duration::from_secs(5))
    }

    pub fn with_timeout(sb: &Sandbox, timeout: Duration) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Client {
            http: reqwest::Client::builder().timeout(timeout).build().unwrap(),
            base: sb.gateway_url().to_string(),
            developer_id: sb.developer_id(),
            sign_key: sb.sign_key(),
        }
    }

    /// The envelope fields of a business call, unsigned.
    pub fn fields(
        &self,
        business_id: u8,
        token: Option<&str>,
        biz: Option<&str>,
    ) -> Vec<(String, String)> {
        let mut f = vec![
            ("timestamp".to_string(), now_secs().to_string()),
            ("businessId".to_string(), business_id.to_string()),
            ("developerId".to_string(), self.developer_id.to_string()),
            ("charset".to_string(), "UTF-8".to_string()),
            ("version".to_string(), "2".to_string()),
        ];
        if let Some(t) = token {
            f.push(("appAuthToken".to_string(), t.to_string()));
        }
        if let Some(b) = biz {
            f.push(("biz".to_string(), b.to_string()));
        }
        f
    }

    /// Signs `fields` with `key` and posts them to `path`.
    pub async fn post_signed(
        &self,
        path: &str,
        mut fields: Vec<(String, String)>,
        key: &str,
    ) -> Answer {
        let s = sign(key, &fields);
        fields.push(("sign".to_string(), s));
        self.post_raw(path, form_body(&fields))
            .await
            .expect("transport error")
    }

    pub async fn post_raw(&self, path: &str, body: String) -> Result<Answer, reqwest::Error> {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header(
                "Content-Type",
                "application/x-www-form-urlencoded;charset=UTF-8",
            )
            .body(body)
            .send()
            .await?;
        let status = r.status().as_u16();
        Ok(Answer {
            status,
            body: r.text().await?,
        })
    }

    /// A correctly signed call of IM `suffix` for `store` (path family from its businessId).
    pub async fn im(&self, store: &StoreInfo, suffix: &str, biz: Option<&str>) -> Answer {
        let path = format!("{}{suffix}", prefix(store.business_id));
        self.call(&path, store.business_id, Some(&store.app_auth_token), biz)
            .await
    }

    pub async fn call(
        &self,
        path: &str,
        business_id: u8,
        token: Option<&str>,
        biz: Option<&str>,
    ) -> Answer {
        let f = self.fields(business_id, token, biz);
        self.post_signed(path, f, &self.sign_key.clone()).await
    }

    /// `msg/send` with `push_content` whose `msg_content` is `text` encrypted under `secret`.
    pub async fn send(
        &self,
        store: &StoreInfo,
        biz_type: i64,
        mut pc: Value,
        secret: &str,
        text: &str,
    ) -> Answer {
        pc["msg_content"] = Value::String(encrypt(secret, text));
        let biz = serde_json::json!({"biz_type": biz_type, "push_content": pc}).to_string();
        self.im(store, "msg/send", Some(&biz)).await
    }

    /// Uploads the sandbox's picture `n` for a businessId-16 store → (pic_code, pic_url).
    pub async fn upload_png(&self, store: &StoreInfo, n: u32) -> (String, String) {
        let img = base64::engine::general_purpose::STANDARD
            .encode(meituan_sandbox::images::png(n).unwrap());
        let biz = serde_json::json!({"img_name": format!("p{n}.png"), "img": img, "pic_type": 1});
        let d = self
            .call(
                meituan_sandbox::images::UPLOAD_PATH,
                16,
                Some(&store.app_auth_token),
                Some(&biz.to_string()),
            )
            .await
            .data();
        (
            d["pic_code"].as_str().unwrap().to_string(),
            d["pic_url"].as_str().unwrap().to_string(),
        )
    }

    /// getConnectionToken → (connectionId, token, imSecret).
    pub async fn connection_token(&self, store: &StoreInfo) -> (String, String, String) {
        let d = self.im(store, "getConnectionToken", None).await.data();
        (
            d["connectionId"].as_str().unwrap().to_string(),
            d["connectionToken"].as_str().unwrap().to_string(),
            d["imSecret"].as_str().unwrap().to_string(),
        )
    }
}

pub fn prefix(business_id: u8) -> &'static str {
    if business_id == 2 {
        "/waimai/ng/im/"
    } else {
        "/wmoper/ng/im/"
    }
}

/// A businessId-2 opaque `biz`: the JSON encoding of the inner JSON text.
pub fn opaque(inner: Value) -> String {
    Value::String(inner.to_string()).to_string()
}

/// `biz` for an opaque endpoint on the store's family.
pub fn opaque_for(store: &StoreInfo, inner: Value) -> String {
    if store.business_id == 2 {
        opaque(inner)
    } else {
        inner.to_string()
    }
}

pub async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.unwrap()
}

pub async fn connect(push_url: &str, id: &str, token: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("{push_url}/websocket/{id}/{token}"))
        .await
        .unwrap();
    ws
}

/// The next push frame, decoded to JSON (HB answers are skipped). Panics after `wait`.
pub async fn next_push(ws: &mut Ws, wait: Duration) -> Value {
    loop {
        let m = tokio::time::timeout(wait, ws.next())
            .await
            .expect("no push in time")
            .expect("closed")
            .expect("ws error");
        if let Message::Text(t) = m {
            if t.as_str() != "HB" {
                return serde_json::from_str(&decode_uri_component(t.as_str())).unwrap();
            }
        }
    }
}

/// Sends the client keep-alive and waits for `HB`.
pub async fn heartbeat(ws: &mut Ws) {
    ws.send(Message::Text("HB".into())).await.unwrap();
}

/// Polls `f` every 10 ms until it holds (at most `wait`).
pub async fn eventually(wait: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    while tokio::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f()
}
