//! Pictures through a relay: a team desk has no platform credentials, so the relay uploads a
//! picture the agent sends and the desk sends the platform's reference like text.
//!
//! A picture is up to 2 MiB and NATS carries at most 1 MB per message, so the bytes travel
//! through JetStream's object store (bucket `PICTURES`, stream `OBJ_PICTURES`, chunked by the
//! client library): the desk puts the picture under a name of its own, then asks on
//! [`PICTURE_SUBJECT`] (the relays' queue group, one relay answers) for the upload. The relay
//! reads the object, uploads it with its store's credentials and answers with the reference
//! or the failure, and whether another attempt may succeed. The outbox records the reference
//! in the item (same msg_id), as for a solo desk, so a retry never uploads twice.
//!
//! Nobody deletes: the relay may not purge streams (deploy/nats/brand.conf) and a picture
//! the agent sent is no secret from the platform; objects expire after [`KEPT_FOR`].

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, object_store};
use futures_util::StreamExt;
use imdesk_store::{FailureKind, SendFailure};
use meituan_api::image::{self, MAX_IMAGE_BYTES};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

use super::wire::{failure_kind, wire_kind};
use super::AskError;
use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};
use crate::port::{local_failure, Delivery, PlatformPort};

/// The object store bucket (stream `OBJ_PICTURES`).
pub const PICTURES_BUCKET: &str = "PICTURES";
/// Where desks ask the relays (queue group `relays`) to upload a picture.
pub const PICTURE_SUBJECT: &str = "imdesk.picture";
/// How long an uploaded picture's bytes stay in the bucket.
pub const KEPT_FOR: Duration = Duration::from_secs(15 * 60);
/// The bucket's size at most (in-flight pictures only; the oldest expire first).
const BUCKET_BYTES: i64 = 512 * 1024 * 1024;
/// How long a desk waits for a relay's answer: the relay's upload has its own timeouts and
/// retries well within it.
const ANSWER_WAIT: Duration = Duration::from_secs(60);
/// Uploads a relay runs at once.
const UPLOADS_AT_ONCE: usize = 8;

/// A desk's request: upload object `object` of the bucket for `store`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PictureRequest {
    pub v: u32,
    pub store: String,
    pub object: String,
    pub agent: String,
    pub desk: String,
}

/// A relay's answer: the platform's reference (`msg_content`), or why not and whether
/// another attempt may succeed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PictureAnswer {
    pub v: u32,
    pub content: Option<String>,
    #[serde(default)]
    pub retry: bool,
    /// `platform`, `network` or `local`.
    pub kind: Option<String>,
    pub platform_code: Option<String>,
    pub trace_id: Option<String>,
    pub message: Option<String>,
    pub relay: String,
}

impl PictureAnswer {
    fn uploaded(content: String, relay: &str) -> Self {
        Self {
            v: 1,
            content: Some(content),
            retry: false,
            kind: None,
            platform_code: None,
            trace_id: None,
            message: None,
            relay: relay.to_owned(),
        }
    }

    fn failed(f: &SendFailure, retry: bool, relay: &str) -> Self {
        Self {
            v: 1,
            content: None,
            retry,
            kind: Some(wire_kind(f.kind).to_owned()),
            platform_code: f.platform_code.clone(),
            trace_id: f.trace_id.clone(),
            message: Some(f.message.clone()),
            relay: relay.to_owned(),
        }
    }

    /// What the desk's outbox makes of it.
    fn verdict(self) -> Result<String, Delivery> {
        if let Some(content) = self.content {
            return Ok(content);
        }
        let failure = SendFailure {
            kind: failure_kind(self.kind.as_deref()),
            platform_code: self.platform_code,
            trace_id: self.trace_id,
            message: self
                .message
                .unwrap_or_else(|| "the relay did not upload the picture".into()),
        };
        Err(if self.retry {
            Delivery::Retry(failure)
        } else {
            Delivery::Refused(failure)
        })
    }
}

/// The bucket as a relay makes it (an existing one is used as it is).
pub(crate) async fn ensure_bucket(js: &jetstream::Context) -> DeskResult<()> {
    if js.get_object_store(PICTURES_BUCKET).await.is_ok() {
        return Ok(());
    }
    let created = js
        .create_object_store(object_store::Config {
            bucket: PICTURES_BUCKET.to_owned(),
            description: Some("pictures on their way from a desk to a relay's upload".into()),
            max_age: KEPT_FOR,
            max_bytes: BUCKET_BYTES,
            storage: jetstream::stream::StorageType::File,
            ..Default::default()
        })
        .await;
    match created {
        Ok(_) => Ok(()),
        // Another relay made it between the look and the create.
        Err(e) => js
            .get_object_store(PICTURES_BUCKET)
            .await
            .map(|_| ())
            .map_err(|_| DeskError::Team(format!("object store {PICTURES_BUCKET}: {e}"))),
    }
}

/// A network failure another attempt may get past.
fn unreachable(message: String) -> Delivery {
    Delivery::Retry(SendFailure {
        kind: FailureKind::Network,
        platform_code: None,
        trace_id: None,
        message,
    })
}

/// The desk's side: puts the picture in the bucket and asks a relay to upload it for
/// `store`. `object` names it (unique per desk and attempt).
pub(crate) async fn upload(
    client: &async_nats::Client,
    js: &jetstream::Context,
    request: PictureRequest,
    bytes: Vec<u8>,
) -> Result<String, Delivery> {
    // Refused here, as a solo desk refuses it, before anything travels.
    image::check_bytes(&bytes).map_err(|e| Delivery::Refused(local_failure(e.to_string())))?;
    put_object(js, &request.object, &bytes)
        .await
        .map_err(unreachable)?;
    let answer: PictureAnswer = super::ask(client, PICTURE_SUBJECT, ANSWER_WAIT, &request)
        .await
        .map_err(|e| match e {
            AskError::Encode(e) => Delivery::Refused(local_failure(format!("cannot encode: {e}"))),
            AskError::Timeout => unreachable("no relay answered the picture upload in time".into()),
            AskError::Request(e) => unreachable(format!("no relay took the picture upload: {e}")),
            AskError::Decode(e) => Delivery::Refused(local_failure(format!(
                "the relay's answer to the picture upload is unreadable: {e}"
            ))),
        })?;
    answer.verdict()
}

/// Puts `bytes` into the bucket as `name`; the reason when it could not.
pub(crate) async fn put_object(
    js: &jetstream::Context,
    name: &str,
    bytes: &[u8],
) -> Result<(), String> {
    let bucket = js
        .get_object_store(PICTURES_BUCKET)
        .await
        .map_err(|e| format!("no relay has made the picture bucket yet: {e}"))?;
    bucket
        .put(name, &mut &bytes[..])
        .await
        .map_err(|e| format!("the picture did not reach the team server: {e}"))?;
    Ok(())
}

/// The relay's side: answers upload requests with `desk`'s platform link until stopped.
pub(crate) async fn serve(
    desk: Arc<Desk>,
    relay: String,
    client: async_nats::Client,
    js: jetstream::Context,
    mut requests: async_nats::Subscriber,
    stop: CancellationToken,
) {
    let permits = Arc::new(tokio::sync::Semaphore::new(UPLOADS_AT_ONCE));
    let mut running = tokio::task::JoinSet::new();
    loop {
        let request = tokio::select! {
            () = stop.cancelled() => break,
            r = requests.next() => match r { Some(r) => r, None => break },
            Some(_) = running.join_next(), if !running.is_empty() => continue,
        };
        let Some(reply_to) = request.reply.clone() else {
            continue;
        };
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let (desk, relay, client, js) = (desk.clone(), relay.clone(), client.clone(), js.clone());
        running.spawn(async move {
            let answer = match serde_json::from_slice::<PictureRequest>(&request.payload) {
                Ok(q) => answer(&desk, &relay, &js, &q).await,
                Err(e) => PictureAnswer::failed(
                    &local_failure(format!("unreadable picture request: {e}")),
                    false,
                    &relay,
                ),
            };
            let body = serde_json::to_vec(&answer).unwrap_or_default();
            if let Err(e) = client.publish(reply_to, body.into()).await {
                tracing::warn!("relay cannot answer a picture upload: {e}");
            }
            drop(permit);
        });
    }
    // Uploads under way finish and answer (their desks are waiting).
    while running.join_next().await.is_some() {}
}

/// One upload: the object read back (no larger than the platform takes) and uploaded with the
/// store's credentials.
async fn answer(
    desk: &Desk,
    relay: &str,
    js: &jetstream::Context,
    q: &PictureRequest,
) -> PictureAnswer {
    let refused = |message: String| PictureAnswer::failed(&local_failure(message), false, relay);
    let Some(entry) = desk.stores.entry(&q.store) else {
        return refused(format!("store {} is not one of this relay's", q.store));
    };
    let Some(link) = desk.meituan.as_ref() else {
        return refused("this relay has no platform link".into());
    };
    let bytes = match read_object(js, &q.object).await {
        Ok(bytes) => bytes,
        Err(ReadError::Missing(e)) => return refused(e),
        Err(ReadError::Transient(e)) => {
            return PictureAnswer::failed(
                &SendFailure {
                    kind: FailureKind::Network,
                    platform_code: None,
                    trace_id: None,
                    message: e,
                },
                true,
                relay,
            )
        }
    };
    tracing::info!(
        store = %q.store,
        agent = %q.agent,
        bytes = bytes.len(),
        "relay uploads a picture for a desk"
    );
    match link.upload_picture(&entry.key, bytes).await {
        Ok(content) => PictureAnswer::uploaded(content, relay),
        Err(Delivery::Retry(f)) => PictureAnswer::failed(&f, true, relay),
        Err(Delivery::Refused(f)) => PictureAnswer::failed(&f, false, relay),
        Err(Delivery::Accepted) => refused("the upload gave no reference".into()),
    }
}

pub(crate) enum ReadError {
    /// Not there (expired, never put) or too large: another attempt reads the same.
    Missing(String),
    /// The server did not answer: another attempt may.
    Transient(String),
}

pub(crate) async fn read_object(js: &jetstream::Context, name: &str) -> Result<Vec<u8>, ReadError> {
    let bucket = js
        .get_object_store(PICTURES_BUCKET)
        .await
        .map_err(|e| ReadError::Transient(format!("picture bucket: {e}")))?;
    let object = match bucket.get(name).await {
        Ok(o) => o,
        Err(e) if e.kind() == object_store::GetErrorKind::NotFound => {
            return Err(ReadError::Missing(format!(
                "the picture {name} is not on the team server (expired?)"
            )))
        }
        Err(e) => return Err(ReadError::Transient(format!("picture {name}: {e}"))),
    };
    if object.info.size > MAX_IMAGE_BYTES {
        return Err(ReadError::Missing(format!(
            "the picture is larger than {MAX_IMAGE_BYTES} bytes"
        )));
    }
    let mut bytes = Vec::with_capacity(object.info.size);
    // At most one byte past the limit is read: a lying size cannot make it read more.
    let limit = u64::try_from(MAX_IMAGE_BYTES).unwrap_or(u64::MAX) + 1;
    object
        .take(limit)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| ReadError::Transient(format!("picture {name}: {e}")))?;
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ReadError::Missing(format!(
            "the picture is larger than {MAX_IMAGE_BYTES} bytes"
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_become_the_outboxs_verdicts() {
        let ok = PictureAnswer::uploaded("{\"url\":\"u\"}".into(), "r");
        assert!(matches!(ok.verdict(), Ok(c) if c == "{\"url\":\"u\"}"));
        let platform = SendFailure {
            kind: FailureKind::Platform,
            platform_code: Some("OP_PARAM_INVALID".into()),
            trace_id: Some("t-1".into()),
            message: "图片格式错误".into(),
        };
        match PictureAnswer::failed(&platform, false, "r").verdict() {
            Err(Delivery::Refused(f)) => assert_eq!(f, platform),
            other => panic!("{other:?}"),
        }
        let network = SendFailure {
            kind: FailureKind::Network,
            platform_code: None,
            trace_id: None,
            message: "timeout".into(),
        };
        match PictureAnswer::failed(&network, true, "r").verdict() {
            Err(Delivery::Retry(f)) => assert_eq!(f, network),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_answer_from_an_older_relay_without_retry_is_final() {
        let json = r#"{"v":1,"content":null,"kind":"local","platform_code":null,
            "trace_id":null,"message":"no","relay":"r"}"#;
        let a: PictureAnswer = serde_json::from_str(json).unwrap();
        assert!(matches!(a.verdict(), Err(Delivery::Refused(f)) if f.message == "no"));
    }
}
